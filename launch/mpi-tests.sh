#!/usr/bin/env bash
# MPI tests: runs mstrain-mpi-check (Tests/MPITests) under mpirun with 1 to 4 ranks and checks
# that collectives, groups and neighbour exchanges give the right results, and that a stalled
# collective, an abort and an MPI error on one rank each end the whole job (non-zero, no hang)
# with a message naming the cause; then mstrain-mpi-spatial-check (Tests/MPISpatialTests):
# the halo exchange, strip convolutions and normalisation on 1-4 strips equal the whole
# image's; then mstrain-mpi-training-check (Tests/MPITrainingTests): the gradient of one step
# on 1–4 ranks and 20 training steps on 2 ranks equal a single process's, and whole-image
# inference on strips of 2 and 3 ranks equals one pass. Every run is bounded by `timeout`. The last line reads "N passed, M failed".
#
# Usage: launch/mpi-tests.sh
#   MSTRAIN_BUILD_DIR   the build directory (swift build --scratch-path) to build in or reuse;
#                       default .build. The release configuration is used.
set -uo pipefail
cd "$(dirname "$0")/.."

build_dir="${MSTRAIN_BUILD_DIR:-.build}"
echo "mpi-tests: building mstrain-mpi-check, mstrain-mpi-spatial-check and mstrain-mpi-training-check (release, $build_dir)"
swift build -c release --scratch-path "$build_dir" --product mstrain-mpi-check || exit 1
swift build -c release --scratch-path "$build_dir" --product mstrain-mpi-training-check || exit 1
swift build -c release --scratch-path "$build_dir" --product mstrain-mpi-spatial-check || exit 1
bin_path="$(swift build -c release --scratch-path "$build_dir" --show-bin-path)"

export OPENBLAS_NUM_THREADS=1
mpirun_flags=(--allow-run-as-root --oversubscribe --mca btl self,vader --mca oob_tcp_if_include lo)
run_limit=30   # seconds; a run that needs this long has hung
passed=0
failed=0
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# run_case NAME RANKS SCENARIO STALL_TIMEOUT [TEXT...]   (runs $binary SCENARIO $scenario_args...)
#   Without TEXT: the run must exit 0 and print "SCENARIO: ok on RANKS ranks".
#   With TEXT: the job must fail (non-zero) within $failure_limit seconds, and stderr must
#   contain every TEXT.
failure_limit=10
run_case() {
    local name="$1" ranks="$2" scenario="$3" stall_timeout="$4"
    shift 4
    local start end seconds status text verdict=""
    start=$(date +%s.%N)
    MSTRAIN_STALL_TIMEOUT_SECONDS="$stall_timeout" timeout "$run_limit" \
        mpirun "${mpirun_flags[@]}" -n "$ranks" "$binary" "$scenario" "${scenario_args[@]}" >"$scratch/out" 2>"$scratch/err"
    status=$?
    end=$(date +%s.%N)
    seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    if [ "$status" -eq 124 ]; then
        verdict="hung: killed after ${run_limit} s"
    elif [ "$#" -eq 0 ]; then
        [ "$status" -eq 0 ] || verdict="exit status $status, expected 0"
        grep -q "^$scenario: ok on $ranks ranks" "$scratch/out" || verdict="${verdict:-no \"$scenario: ok\" line}"
    else
        [ "$status" -ne 0 ] || verdict="exit status 0, expected the job to fail"
        awk -v s="$seconds" -v l="$failure_limit" 'BEGIN { exit !(s > l) }' && verdict="${verdict:-took over ${failure_limit} s to end}"
        for text in "$@"; do
            grep -qF "$text" "$scratch/err" || verdict="${verdict:-stderr lacks \"$text\"}"
        done
    fi
    if [ -z "$verdict" ]; then
        passed=$((passed + 1))
        echo "PASS  $name, $ranks rank(s) (${seconds} s)"
    else
        failed=$((failed + 1))
        echo "FAIL  $name, $ranks rank(s) (${seconds} s): $verdict"
        sed 's/^/      | /' "$scratch/err" | tail -n 20
    fi
}

binary="$bin_path/mstrain-mpi-check"
scenario_args=()
for ranks in 1 2 3 4; do
    # The watchdog is on (generous timeout) so that its bookkeeping runs around every collective.
    run_case "collectives and level plan" "$ranks" collectives 30
    run_case "groups and neighbour exchanges" "$ranks" groups 30
    # A stall needs a rank that waits for another; with one rank nothing can wait.
    if [ "$ranks" -gt 1 ]; then
        run_case "stall watchdog" "$ranks" stall 1 "stalled for" "s in MPI_Allreduce (step 3)"
    fi
    # No watchdog: the abort and the MPI error alone must end the job.
    run_case "abort on one rank" "$ranks" abort "" "rank $((ranks - 1)): deliberate abort by the last rank"
    run_case "MPI error on one rank" "$ranks" mpi-error "" "rank $((ranks - 1)): MPI_Bcast failed"
done

binary="$bin_path/mstrain-mpi-spatial-check"
scenario_args=()
for ranks in 1 2 3 4; do
    run_case "halo exchange equals the whole image's rows, fold-back is its adjoint" "$ranks" halo 30
    run_case "gathered strips equal the whole image, and the gather passes the adjoint test" "$ranks" gather 30
    run_case "strip convolutions equal the whole image's (output and gradients)" "$ranks" conv 60
    run_case "group normalisation over strips equals the whole image's" "$ranks" norm 30
    run_case "UNet, ResNet and ESPCN on strips equal the whole image's (output, every gradient)" "$ranks" networks 60
done

binary="$bin_path/mstrain-mpi-training-check"
for ranks in 1 2 3 4; do
    mkdir -p "$scratch/gradient-$ranks"
    scenario_args=("$scratch/gradient-$ranks")
    run_case "one step's gradient equals one process's" "$ranks" gradient 60
done
mkdir -p "$scratch/training"
scenario_args=("$scratch/training")
run_case "20 training steps equal one process's" 2 training 60
for ranks in 2 3; do
    mkdir -p "$scratch/adaptive-$ranks"
    scenario_args=("$scratch/adaptive-$ranks")
    run_case "adaptive stage ends and level batches equal one process's" "$ranks" adaptive 60
done
for ranks in 2 4; do
    mkdir -p "$scratch/spatial-$ranks"
    scenario_args=("$scratch/spatial-$ranks")
    run_case "10 steps in spatial groups of 2 (and resumed without) equal one process's" "$ranks" spatial 90
done
for ranks in 2 3; do
    scenario_args=("$scratch/restore-$ranks")
    mkdir -p "$scratch/restore-$ranks"
    run_case "whole-image inference on strips of $ranks ranks equals one pass (UNet, ResNet, ESPCN)" "$ranks" restore 60
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
