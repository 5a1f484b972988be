#!/usr/bin/env bash
# The test command: installs what is missing, builds (release), then runs the command-line
# checks, the MPI tests under mpirun, the two-host test (network namespaces), the Slurm test
# against real local daemons, and the unit tests (whose summary ends the output).
# Usage: launch/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
launch/setup.sh

export OPENBLAS_NUM_THREADS=1
echo "test: building (release)"
swift build -c release --build-tests
echo "test: command-line checks"
launch/cli-tests.sh
echo "test: reports rendered in a browser (headless Chromium)" && launch/report-tests.sh
echo "test: MPI tests"
launch/mpi-tests.sh
echo "test: two hosts (network namespaces)"
launch/multihost-tests.sh
echo "test: Slurm (local one-node cluster)"
launch/slurm-tests.sh
launch/fault-tests.sh   # prints its own "fault-tests:" lines
echo "test: unit tests"
swift test -c release --skip-build --disable-swift-testing 2>&1
