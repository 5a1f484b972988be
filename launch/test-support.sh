# Sourced by the test scripts.

# pass NAME / fail NAME [LOG...]: count a check's outcome and print it; a failure shows the
# last lines of each LOG file. The totals are in $passed and $failed.
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() {
    failed=$((failed + 1)); echo "FAIL  $1"
    local f
    for f in "${@:2}"; do
        [ -f "$f" ] && { echo "      --- $(basename "$f") (last lines)"; tr '\r' '\n' <"$f" | grep -v '^.\[K' | tail -n 15 | sed 's/^/      | /'; }
    done
    return 0
}

# ensure_h5py: makes h5py importable (pip, from PyPI) for the HDF5 checks in tools/, which
# read the project's files with an independent HDF5 client. Returns non-zero if h5py cannot be
# installed.
ensure_h5py() {
    python3 -c 'import h5py' 2>/dev/null && return 0
    echo "installing h5py (pip) for the HDF5 checks"
    { python3 -m pip install -q h5py || python3 -m pip install -q --break-system-packages h5py; } >/dev/null 2>&1
    python3 -c 'import h5py' 2>/dev/null
}
