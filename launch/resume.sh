#!/usr/bin/env bash
# Continues a run from the newest usable checkpoint in its run directory, with the run's own
# configuration (RUN_DIR/config.yaml), on N ranks (default 2) through launch/run-local.sh.
#
# Usage: launch/resume.sh RUN_DIR [N] [train options]
#   Extra train options override the configuration (e.g. --iterations to train longer).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 1 ] || { echo "usage: launch/resume.sh RUN_DIR [N] [train options]" >&2; exit 64; }
run_dir=${1%/}; shift
ranks=2
if [ $# -ge 1 ] && [[ "$1" =~ ^[1-9][0-9]*$ ]]; then ranks=$1; shift; fi

[ -d "$run_dir" ] || { echo "resume: no run directory $run_dir" >&2; exit 1; }
[ -f "$run_dir/config.yaml" ] || { echo "resume: $run_dir has no config.yaml (not a run directory?)" >&2; exit 1; }
if [ ! -s "$run_dir/latest" ] && ! compgen -G "$run_dir/checkpoint-*.h5" >/dev/null; then
    echo "resume: $run_dir holds no checkpoint to resume from" >&2
    exit 1
fi

echo "resume: continuing $run_dir on $ranks rank(s) from $(cat "$run_dir/latest" 2>/dev/null || echo 'its newest checkpoint')" >&2
exec launch/run-local.sh "$ranks" --config "$run_dir/config.yaml" --run-directory "$run_dir" --resume auto "$@"
