#!/usr/bin/env bash
# The quickstart: installs what is missing, builds (release) and trains the default model on
# the built-in synthetic data, with one MPI rank per core (launch/run-local.sh). Extra
# arguments are passed to `mstrain-dist train`.
# Usage: launch/quickstart.sh [train options]
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh
swift build -c release --product mstrain-dist
exec launch/run-local.sh "$(nproc)" "$@"
