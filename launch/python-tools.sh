# Sourced by the test scripts: makes h5py importable (pip, from PyPI) for the HDF5 checks in
# tools/, which read the project's files with an independent HDF5 client. Returns non-zero if
# h5py cannot be installed.
ensure_h5py() {
    python3 -c 'import h5py' 2>/dev/null && return 0
    echo "installing h5py (pip) for the HDF5 checks"
    { python3 -m pip install -q h5py || python3 -m pip install -q --break-system-packages h5py; } >/dev/null 2>&1
    python3 -c 'import h5py' 2>/dev/null
}
