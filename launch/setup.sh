#!/usr/bin/env bash
# Installs the Debian packages mstrain needs, if any is missing, plus any package names given
# as arguments (the Slurm test adds its daemons that way). mate-backgrounds brings the 12 nature
# photographs that `bench quality --regimes photos` and the photo dataset test read. Idempotent
# and non-interactive; run as root (or with sudo available) on Debian 12 with the Swift
# toolchain already installed.
# Usage: launch/setup.sh [extra-package ...]
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev libfftw3-dev pkg-config libpng-dev libjpeg62-turbo-dev mate-backgrounds "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: the Swift toolchain (swift) is not on PATH; install Swift 6 first." >&2; exit 1; }
