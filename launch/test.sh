#!/usr/bin/env bash
# The test command: installs what is missing, builds (release), runs the unit tests.
# Usage: launch/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh

export OPENBLAS_NUM_THREADS=1
echo "test: building (release)"
swift build -c release --build-tests
echo "test: unit tests"
swift test -c release --skip-build --disable-swift-testing 2>&1
