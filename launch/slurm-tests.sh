#!/usr/bin/env bash
# Slurm tests on a real one-node Slurm cluster started on this machine
# (cluster/local-cluster): the batch scripts in cluster/ run a short 2-rank training on tiny
# synthetic data and
#   1. a job runs to the end: summary.json, weights.h5 and a checkpoint in its run directory;
#   2. a job sent SIGUSR1 mid-run (as Slurm does before the time limit) checkpoints, exits
#      with 75, requeues itself and continues from the checkpoint to the same weights as the
#      uninterrupted run;
#   3. with requeueing off, such a job ends with exit code 75, and a new job given the same
#      run directory resumes from the checkpoint and again reaches the same weights;
#   4. the multi-node script runs on one node with mpirun as the launcher.
# Installs slurm-wlm and munge when missing (Debian, apt, non-interactive). Needs root. The
# daemons are always stopped at the end; every wait is bounded. The last line reads
# "N passed, M failed".
#
# Usage: launch/slurm-tests.sh
#   MSTRAIN_BIN         the mstrain-dist binary (default: release build in MSTRAIN_BUILD_DIR)
#   MSTRAIN_BUILD_DIR   swift build --scratch-path (default .build)
set -uo pipefail
cd "$(dirname "$0")/.."
root_dir=$PWD
started=$(date +%s)

[ "$(id -u)" -eq 0 ] || { echo "slurm-tests: needs root (the Slurm daemons run as root)" >&2; exit 1; }

# Packages for this test only: the default setup does not install them.
launch/setup.sh slurm-wlm munge || { echo "slurm-tests: could not install slurm-wlm and munge" >&2; exit 1; }

source launch/lib.sh
bin=$(mstrain_binary slurm-tests) || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/mstrain-slurm-tests.XXXXXX")
chmod 755 "$work"   # munged runs as the munge user and must reach its files in here
slurm_dir="$work/slurm"
cleanup() {
    trap - EXIT INT TERM
    cluster/local-cluster/local-cluster.sh stop "$slurm_dir" --keep >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "slurm-tests: interrupted"; exit 130' INT TERM

repository="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The training everything below runs: a tiny UNet on 16×16 images, 2 ranks, Full-Multiscale
# over 2 levels (1800 steps, about 6 s), a checkpoint every 100 steps.
export MSTRAIN_CACHE_DIR="$work/cache" OPENBLAS_NUM_THREADS=1
export MSTRAIN_BIN="$bin" MSTRAIN_ROOT="$root_dir" MSTRAIN_SITE_ENV="$work/no-site-env"
export MSTRAIN_CHECKPOINT_EVERY=100
if ! "$bin" data synth --output "$work/tiny.h5" --train-count 32 --valid-count 4 --size 16 >"$work/synth.out" 2>&1; then
    fail "tiny dataset" "$work/synth.out"; echo "$passed passed, $failed failed"; exit 1
fi
train=(--data "$work/tiny.h5" --width 8 --width-multipliers 1,2 --groups 4 --batch 2 --levels 2 --mode full-multiscale
       --iterations 600 --validate-every 300 --validation-count 4)

# --- the cluster ---------------------------------------------------------------------------
if cluster/local-cluster/local-cluster.sh start "$slurm_dir" >"$work/start.env" 2>"$work/start.out"; then
    # shellcheck disable=SC1091
    . "$work/start.env"
    pass "local one-node cluster starts ($(sinfo -h -o '%D node, %c CPUs, %T' | head -n 1))"
else
    fail "local one-node cluster starts" "$work/start.out" "$slurm_dir/slurmctld.log" "$slurm_dir/slurmd.log" "$slurm_dir/munge/munged.log"
    echo "$passed passed, $failed failed"
    exit 1
fi
sbatch_flags=(--parsable --ntasks=2 --time=10:00 --output="$work/%x-%j.out")
cpus=$(sinfo -h -o %c | head -n 1)
[ "${cpus:-0}" -lt 2 ] && sbatch_flags+=(--overcommit)

# job_field JOB FIELD: a field of `scontrol show job` (JobState, ExitCode, Restarts, ...).
job_field() { scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }

# wait_end JOB SECONDS [RESTARTS]: waits until the job has ended for good (a requeued job is not
# ended), after at least RESTARTS requeues: a job that requeues itself shows its first run's end
# state for a moment before the requeue.
wait_end() {
    local job=$1 limit=$2 restarts=${3:-0} i state
    for ((i = 0; i < limit; i++)); do
        state=$(job_field "$job" JobState)
        case "$state" in
            COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)
                [ "$(job_field "$job" Restarts)" -ge "$restarts" ] && return 0 ;;
        esac
        sleep 1
    done
    echo "      job $job still $(job_field "$job" JobState) after $limit s; cancelling it"
    scancel "$job" 2>/dev/null
    return 1
}

# eventually SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds, for up to SECONDS.
# The scheduler reports a job's end a moment before its output file and run directory are
# complete, so the checks of a finished job are retried for a while.
eventually() {
    local i
    for ((i = 0; i < $1 * 5; i++)); do
        "${@:2}" && return 0
        sleep 0.2
    done
    return 1
}

# wait_file PATTERN SECONDS: waits until a file matching PATTERN exists.
wait_file() {
    local i
    for ((i = 0; i < $2 * 5; i++)); do
        compgen -G "$1" >/dev/null && return 0
        sleep 0.2
    done
    return 1
}

# same_weights A B: the parameters in two weights files agree (relative 1e-4 per tensor).
ensure_h5py || { echo "slurm-tests: h5py is needed to compare weights and could not be installed" >&2; exit 1; }
same_weights() { python3 "$repository/tools/compare_weights.py" "$1" "$2"; }

# --- 1. a job that runs to the end ---------------------------------------------------------
t0=$(date +%s)
full="$work/run-full"
job=$(MSTRAIN_RUN_DIR="$full" sbatch "${sbatch_flags[@]}" --job-name=full cluster/mstrain-1node.sbatch "${train[@]}")
out="$work/full-$job.out"
if wait_end "$job" 120 && [ "$(job_field "$job" JobState)" = COMPLETED ] && [ "$(job_field "$job" ExitCode)" = 0:0 ] \
    && [ -s "$full/summary.json" ] && [ -s "$full/weights.h5" ] && [ -s "$full/latest" ] && compgen -G "$full/checkpoint-*.h5" >/dev/null; then
    pass "2-rank job runs to the end: summary.json, weights.h5, $(cat "$full/latest") ($(($(date +%s) - t0)) s)"
else
    fail "2-rank job runs to the end (state $(job_field "$job" JobState), exit $(job_field "$job" ExitCode))" "$out"
fi

# signal_midrun JOB RUN_DIR: once the job's first checkpoint is written, sends SIGUSR1 to its
# batch shell (what --signal=B:USR1@120 does before the time limit).
signal_midrun() {
    if ! wait_file "$2/checkpoint-*.h5" 60; then
        echo "      no checkpoint after 60 s"
        return 1
    fi
    scancel --signal=USR1 --batch "$1"
}

# log_has PATTERN OUT: a line of the job's output (progress lines end in \r) matches.
log_has() { tr '\r' '\n' <"$2" | grep -q "$1"; }
# stopped_midrun OUT: the output shows a stop on the signal before the last step.
stopped_midrun() { log_has "^stopped on a signal before step" "$1"; }

# --- 2. signalled: checkpoint, exit 75, requeue, resume, finish ------------------------------
t0=$(date +%s)
requeued="$work/run-requeue"
job=$(MSTRAIN_RUN_DIR="$requeued" sbatch "${sbatch_flags[@]}" --job-name=requeue cluster/mstrain-1node.sbatch "${train[@]}")
out="$work/requeue-$job.out"
if signal_midrun "$job" "$requeued"; then
    requeued_and_finished() {
        [ "$(job_field "$job" JobState)" = COMPLETED ] && [ "$(job_field "$job" Restarts)" -ge 1 ] && stopped_midrun "$out" \
            && grep -q "exit 75" "$out" && log_has "^resumed from .*checkpoint-" "$out" && [ -s "$requeued/summary.json" ]
    }
    if wait_end "$job" 180 1 && eventually 30 requeued_and_finished; then
        pass "SIGUSR1 mid-run: checkpoint, exit 75, requeued, resumed, finished ($(grep -o 'before step [0-9]*' "$out" | head -n 1); $(($(date +%s) - t0)) s)"
        if detail=$(same_weights "$requeued/weights.h5" "$full/weights.h5" 2>&1); then
            pass "requeued run ends with the uninterrupted run's weights ($detail)"
        else
            fail "requeued run ends with the uninterrupted run's weights: $detail"
        fi
    else
        fail "SIGUSR1 mid-run: checkpoint, exit 75, requeued, resumed, finished (state $(job_field "$job" JobState), restarts $(job_field "$job" Restarts))" "$out"
    fi
else
    fail "SIGUSR1 mid-run: the job wrote no checkpoint to signal after" "$out"
    scancel "$job" 2>/dev/null
fi

# --- 3. signalled without requeue: exit code 75, then a new job resumes ---------------------
t0=$(date +%s)
resubmitted="$work/run-resubmit"
job=$(MSTRAIN_REQUEUE=no MSTRAIN_RUN_DIR="$resubmitted" sbatch "${sbatch_flags[@]}" --job-name=stop cluster/mstrain-1node.sbatch "${train[@]}")
out="$work/stop-$job.out"
if signal_midrun "$job" "$resubmitted" && wait_end "$job" 60 \
    && [ "$(job_field "$job" ExitCode)" = 75:0 ] && [ "$(job_field "$job" Restarts)" = 0 ] && stopped_midrun "$out" \
    && [ -s "$resubmitted/latest" ] && [ ! -e "$resubmitted/summary.json" ]; then
    pass "SIGUSR1 mid-run without requeue: job ends with exit code 75 and a checkpoint ($(cat "$resubmitted/latest"))"
    job=$(MSTRAIN_RUN_DIR="$resubmitted" sbatch "${sbatch_flags[@]}" --job-name=resume cluster/mstrain-1node.sbatch "${train[@]}")
    out="$work/resume-$job.out"
    resumed_and_finished() {
        [ "$(job_field "$job" JobState)" = COMPLETED ] && log_has "^resumed from .*checkpoint-" "$out" \
            && [ -s "$resubmitted/summary.json" ]
    }
    if wait_end "$job" 120 && eventually 30 resumed_and_finished; then
        pass "resubmitted job resumes from the checkpoint and finishes ($(($(date +%s) - t0)) s)"
        if detail=$(same_weights "$resubmitted/weights.h5" "$full/weights.h5" 2>&1); then
            pass "resubmitted run ends with the uninterrupted run's weights ($detail)"
        else
            fail "resubmitted run ends with the uninterrupted run's weights: $detail"
        fi
    else
        fail "resubmitted job resumes from the checkpoint and finishes (state $(job_field "$job" JobState))" "$out"
    fi
else
    fail "SIGUSR1 mid-run without requeue: job ends with exit code 75 (state $(job_field "$job" JobState), exit $(job_field "$job" ExitCode))" "$out"
    scancel "$job" 2>/dev/null
fi

# --- 4. the multi-node script, on this one node, with mpirun --------------------------------
t0=$(date +%s)
multi="$work/run-multinode"
job=$(MSTRAIN_LAUNCHER=mpirun MSTRAIN_RUN_DIR="$multi" sbatch "${sbatch_flags[@]}" --nodes=1 --ntasks-per-node=2 --job-name=multi \
      cluster/mstrain-multinode.sbatch "${train[@]}" --iterations 100)
out="$work/multi-$job.out"
if wait_end "$job" 120 && [ "$(job_field "$job" JobState)" = COMPLETED ] && [ -s "$multi/summary.json" ] && grep -q "2 rank(s)" "$out"; then
    pass "multi-node script on one node (mpirun launcher, 2 ranks) ($(($(date +%s) - t0)) s)"
else
    fail "multi-node script on one node (mpirun launcher) (state $(job_field "$job" JobState))" "$out"
fi

# --- the daemons stop ---------------------------------------------------------------------
pids=$(cat "$slurm_dir"/slurmd.pid "$slurm_dir"/slurmctld.pid "$slurm_dir"/munged.pid 2>/dev/null)
cluster/local-cluster/local-cluster.sh stop "$slurm_dir" --keep >"$work/stop.out" 2>&1
alive=""
for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
if [ -n "$pids" ] && [ -z "$alive" ]; then
    pass "local cluster stops (munged, slurmctld, slurmd ended)"
else
    fail "local cluster stops (still running:${alive:- no PIDs recorded})" "$work/stop.out"
fi

echo "slurm-tests: $(($(date +%s) - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
