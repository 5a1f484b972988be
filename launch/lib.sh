# Shell functions shared by the launch scripts (sourced, not run).

# mstrain_binary CALLER: prints the absolute path of the mstrain-dist binary: $MSTRAIN_BIN if
# set, else the release build in $MSTRAIN_BUILD_DIR (default .build), built first if missing.
# Run from the repository root. Returns non-zero (with a message naming CALLER) on failure.
mstrain_binary() {
    local caller=$1 bin
    if [ -n "${MSTRAIN_BIN:-}" ]; then
        bin=$MSTRAIN_BIN
    else
        local build_dir=${MSTRAIN_BUILD_DIR:-.build}
        bin="$(swift build -c release --scratch-path "$build_dir" --show-bin-path)/mstrain-dist"
        if [ ! -x "$bin" ]; then
            echo "$caller: building mstrain-dist (release, $build_dir)" >&2
            swift build -c release --scratch-path "$build_dir" --product mstrain-dist >&2 || return 1
        fi
    fi
    [ -x "$bin" ] || { echo "$caller: no mstrain-dist binary at $bin" >&2; return 1; }
    echo "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}

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

# check NAME COMMAND...: passes when COMMAND succeeds. fails_cleanly NAME COMMAND...: passes
# when COMMAND exits non-zero with a one-line "error:" message and no crash trace. Both keep
# the command's output in $work/out (the caller's scratch folder) and show its end on failure.
check() {
    local name=$1; shift
    if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name" "$work/out"; fi
}
fails_cleanly() {
    local name=$1; shift
    "$@" >"$work/out" 2>&1
    local code=$?
    if [ $code -ne 0 ] && grep -q "^error: \|^Error: " "$work/out" && ! grep -qi "fatal error\|stack dump\|backtrace" "$work/out"; then
        pass "$name (exit $code)"
    else
        fail "$name (exit $code)" "$work/out"
    fi
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
