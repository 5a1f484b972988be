#!/usr/bin/env bash
# Strong scaling of training steps: runs `mstrain-dist bench scaling` under mpirun for each
# rank count and prints a Markdown table with the step time, throughput, speed-up, parallel
# efficiency (T_1 / (N · T_N)) and the allreduce's share of the step.
#
# Usage: launch/scaling.sh [-r "1 2 4"] [bench scaling options]
#   -r RANKS   rank counts (default: 1, 2, 4, ... up to the number of cores)
#   Without --data, a 128×128 dead-leaves set (256 train, 32 valid images) is written to a
#   temporary folder first. The default options time the paper's setting: the UNet of width 32
#   single-scale at batch 16; give e.g. --mode multiscale --levels 4 --batch 4 for an MGE step.
#
# Environment:
#   MSTRAIN_BIN           the mstrain-dist binary (default: the release build of this checkout)
#   MSTRAIN_MPIRUN_FLAGS  extra mpirun flags, split on spaces
# One BLAS thread per rank. Ranks are bound to cores when there are enough cores, else the
# run oversubscribes without binding (and its efficiency means little).
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/lib.sh

cores=$(nproc)
ranks=""
if [ "${1:-}" = "-r" ]; then ranks=$2; shift 2; fi
if [ -z "$ranks" ]; then
    ranks=1; n=2
    while [ "$n" -le "$cores" ]; do ranks="$ranks $n"; n=$((n * 2)); done
fi
bin=$(mstrain_binary scaling) || exit 1
command -v mpirun >/dev/null || { echo "scaling: mpirun not found; run launch/setup.sh" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
options=("$@")
if ! printf '%s\n' "${options[@]}" | grep -qx -- '--data'; then
    "$bin" data synth --output "$work/data.h5" --size 128 --train-count 256 --valid-count 32 >/dev/null
    options=(--data "$work/data.h5" --width 32 --mode single --batch 16 "${options[@]}")
fi

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
# shellcheck disable=SC2206
extra=(${MSTRAIN_MPIRUN_FLAGS:-})
echo "# launch/scaling.sh -r \"$ranks\" ${options[*]}"
echo "# $(date -u +%Y-%m-%d), $cores cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
header=0
base=""
for n in $ranks; do
    flags=(-n "$n" --mca btl self,vader --mca oob_tcp_if_include lo -x OPENBLAS_NUM_THREADS)
    if [ "$n" -le "$cores" ]; then flags+=(--bind-to core --map-by core); else flags+=(--oversubscribe --bind-to none); fi
    out=$(mpirun "${flags[@]}" "${extra[@]}" "$bin" bench scaling "${options[@]}" 2>&1) \
        || { echo "$out" | tail -n 20 >&2; echo "scaling: the run on $n rank(s) failed" >&2; exit 1; }
    if [ "$header" -eq 0 ]; then
        echo "# $(echo "$out" | grep -m1 '^network')"
        echo "| ranks | step s | WU/s | samples/s | speed-up | efficiency | allreduce s (min–max over ranks) | allreduce share |"
        echo "|---|---|---|---|---|---|---|---|"
        header=1
    fi
    line=$(echo "$out" | grep -m1 '^scaling:')
    value() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    step=$(value step_seconds)
    [ -z "$base" ] && base=$step
    awk -v n="$n" -v s="$step" -v b="$base" -v wu="$(value wu_per_second)" -v sp="$(value samples_per_second)" \
        -v amin="$(value allreduce_min_seconds)" -v amax="$(value allreduce_max_seconds)" -v share="$(value allreduce_share)" \
        'BEGIN { printf "| %d | %.3f | %.2f | %.2f | %.2f | %.0f %% | %.4f–%.4f | %.1f %% |\n", n, s, wu, sp, b / s, 100 * b / (n * s), amin, amax, 100 * share }'
done
