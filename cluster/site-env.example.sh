# Site environment for the mstrain batch scripts. Copy to cluster/site-env.sh (or point
# MSTRAIN_SITE_ENV at your copy) and adapt; the batch scripts source it before training.
# It is sourced by bash on the first node of the job; what it exports reaches every rank
# (srun and mpirun -x pass the environment on).

# Modules providing Swift's runtime libraries, Open MPI (built with PMIx for srun --mpi=pmix),
# OpenBLAS and HDF5. Names differ per site.
if command -v module >/dev/null 2>&1; then
    module load openmpi/4.1 openblas hdf5/1.10 2>/dev/null || echo "site-env: some modules did not load" >&2
fi

# One BLAS thread per rank: the ranks already use every core.
export OPENBLAS_NUM_THREADS=1

# Where the built-in synthetic dataset is generated once and cached: storage every node sees.
export MSTRAIN_CACHE_DIR=${MSTRAIN_CACHE_DIR:-$HOME/.cache/mstrain}

# The binary, built once on a login node with `swift build -c release --product mstrain-dist`.
# export MSTRAIN_BIN=$HOME/mstrain/.build/release/mstrain-dist

# Checkpoint interval in steps, and where runs go (default runs/<job name>-<job id>).
# export MSTRAIN_CHECKPOINT_EVERY=500
# export MSTRAIN_RUN_DIR=$SCRATCH/mstrain/my-run

# Open MPI transport choices for multi-node runs (examples):
# export OMPI_MCA_btl=self,vader,tcp
# export OMPI_MCA_btl_tcp_if_include=ib0
