#!/usr/bin/env python3
"""Compares the float tensors of two mstrain HDF5 files (weights or checkpoints) with h5py:
the same tensor names, and per tensor ‖a − b‖ / ‖b‖ at most TOLERANCE (default 1e-4).
Prints the largest difference; exits 1 when the files differ.

Usage: python3 tools/compare_weights.py A.h5 B.h5 [TOLERANCE]
Needs h5py (pip install h5py); building and running mstrain never does.
"""
import sys

import h5py
import numpy as np


def tensors(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, np.asarray(obj[()], dtype=np.float64))
                     if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f" else None)
    return out


def main(first, second, tolerance=1e-4):
    a, b = tensors(first), tensors(second)
    if not a or sorted(a) != sorted(b):
        print(f"different tensors: {sorted(set(a) ^ set(b))[:5]} (or none)")
        return 1
    worst = max(np.linalg.norm(a[k] - b[k]) / max(np.linalg.norm(b[k]), 1e-12) for k in a)
    print(f"{len(a)} tensors, largest relative difference {worst:.2e}")
    return 0 if worst <= tolerance else 1


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], *(float(x) for x in sys.argv[3:])))
