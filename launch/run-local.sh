#!/usr/bin/env bash
# Trains on this machine with N MPI ranks: mpirun with the flags these machines need, on the
# release build of mstrain-dist (built first if it is missing).
#
# Usage: launch/run-local.sh N [train options]
#   e.g. launch/run-local.sh 2 --iterations 100 --run-directory runs/try --checkpoint-every 50
#
# - Runs as root too (OMPI_ALLOW_RUN_AS_ROOT and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM).
# - All traffic stays on this host: --mca btl self,vader --mca oob_tcp_if_include lo.
# - One BLAS thread per rank (OPENBLAS_NUM_THREADS=1, exported to every rank) unless
#   OPENBLAS_NUM_THREADS is already set.
# - More ranks than cores: --oversubscribe and no core binding.
# - SIGTERM or SIGUSR1 sent to this script is passed to the ranks as SIGUSR1: they agree on a
#   step, rank 0 writes a checkpoint, and the script exits with 75 (continue with
#   launch/resume.sh RUN_DIR N).
#
# Environment:
#   MSTRAIN_BIN           the mstrain-dist binary (default: the release build of this checkout)
#   MSTRAIN_BUILD_DIR     swift build --scratch-path for that build (default .build)
#   MSTRAIN_MPIRUN_FLAGS  extra mpirun flags, split on spaces
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: launch/run-local.sh N [train options]" >&2; exit 64; }
[ $# -ge 1 ] || usage
ranks=$1; shift
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "run-local: N must be a positive number of ranks, got '$ranks'" >&2; usage; }
command -v mpirun >/dev/null || { echo "run-local: mpirun not found; run launch/setup.sh" >&2; exit 1; }

source launch/lib.sh
bin=$(mstrain_binary run-local) || exit 1

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
flags=(-n "$ranks" --mca btl self,vader --mca oob_tcp_if_include lo -x OPENBLAS_NUM_THREADS)
cores=$(nproc)
if [ "$ranks" -gt "$cores" ]; then
    flags+=(--oversubscribe --bind-to none)
fi
# shellcheck disable=SC2206
[ -n "${MSTRAIN_MPIRUN_FLAGS:-}" ] && flags+=(${MSTRAIN_MPIRUN_FLAGS})

echo "run-local: mpirun ${flags[*]} $bin train $*" >&2
# mpirun forwards SIGUSR1 to the ranks but ends the job on SIGTERM; forward both as SIGUSR1 so
# that the ranks checkpoint and exit with 75.
mpirun "${flags[@]}" "$bin" train "$@" &
pid=$!
interrupted=0
forward() { interrupted=1; kill -USR1 "$pid" 2>/dev/null || true; }
trap forward TERM USR1
while :; do
    status=0
    wait "$pid" || status=$?
    # A wait cut short by a trapped signal returns >128 while mpirun still runs: wait again.
    if [ "$interrupted" -eq 1 ] && [ "$status" -gt 128 ]; then interrupted=0; continue; fi
    break
done
exit "$status"
