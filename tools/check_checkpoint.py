#!/usr/bin/env python3
"""Reads an mstrain checkpoint with h5py (an independent HDF5 client) and checks its layout
against docs/checkpoints.md: the checksum header in the 512-byte HDF5 user block (format,
version, CRC-32 and size of the whole file), root attributes, one float32 dataset per parameter
under /parameters, optimizer state buffers of one element per parameter under /optimizer, and
the validation history under /metrics. Prints a summary; exits 1 on any mismatch.

Usage: python3 tools/check_checkpoint.py CHECKPOINT.h5 [EXPECTED_PARAMETER_PATH ...]
Needs h5py (pip install h5py); the project itself never does.
"""
import json
import sys
import zlib

import h5py
import numpy as np

FORMAT = "mstrain-checkpoint 2"
HEADER_BYTES = 512

REQUIRED_ATTRIBUTES = ["format", "format_version", "configuration", "checksum", "next_step", "stage",
                       "step_in_stage", "seed", "optimizer_step_count", "cumulative_work", "skipped_steps", "seconds",
                       "cpu_seconds", "schedule"]


def header_problems(path):
    """Checks the user-block header: '<format> <version>', 'crc32 <hex>', 'bytes <size>'."""
    with open(path, "rb") as f:
        data = f.read()
    text, _, padding = data[:HEADER_BYTES].partition(b"\0")
    lines = text.decode("ascii", "replace").split("\n")
    if len(lines) != 4 or lines[3] or not lines[1].startswith("crc32 ") or not lines[2].startswith("bytes ") \
            or padding.strip(b"\0"):
        return [f"no readable checksum header (zero-padded) in the first {HEADER_BYTES} bytes: {lines!r}"]
    problems = [] if lines[0] == FORMAT else [f"header names {lines[0]!r}, expected {FORMAT!r}"]
    if int(lines[2][6:]) != len(data):
        problems.append(f"header says {lines[2][6:]} bytes, the file has {len(data)}")
    if int(lines[1][6:], 16) != zlib.crc32(data[HEADER_BYTES:]):
        problems.append(f"CRC-32 {zlib.crc32(data[HEADER_BYTES:]):08x} differs from the header's {lines[1][6:]}")
    return problems


def main(path, expected):
    problems = header_problems(path)
    with h5py.File(path, "r") as f:
        for name in REQUIRED_ATTRIBUTES:
            if name not in f.attrs:
                problems.append(f"missing root attribute {name}")
        if f.attrs.get("format") != "mstrain-checkpoint":
            problems.append(f"format is {f.attrs.get('format')!r}")
        if "schedule" in f.attrs:
            stages = json.loads(f.attrs["schedule"]).get("stages", [])
            if not stages or not all(stage.get("iterations", 0) >= 1 and stage.get("plan", {}).get("terms") for stage in stages):
                problems.append("the schedule attribute does not list stages with iterations and terms")
        parameters = {}
        f["parameters"].visititems(lambda name, obj: parameters.__setitem__(name, obj) if isinstance(obj, h5py.Dataset) else None)
        count = 0
        for name, dataset in parameters.items():
            if dataset.dtype != np.float32:
                problems.append(f"/parameters/{name} has dtype {dataset.dtype}")
            count += dataset.size
        for name in expected:
            if name not in parameters:
                problems.append(f"no /parameters/{name}")
        for name, dataset in f["optimizer"].items():
            if dataset.shape != (count,):
                problems.append(f"/optimizer/{name} has shape {dataset.shape}, expected ({count},)")
        history = f["metrics/validation"]
        if history.ndim != 2 or history.shape[1] != 4:
            problems.append(f"/metrics/validation has shape {history.shape}, expected (K, 4)")
        print(f"{path}: {len(parameters)} parameter tensors, {count} values; optimizer {sorted(f['optimizer'])}; "
              f"next step {f.attrs['next_step']}; {history.shape[0]} validations")
    for problem in problems:
        print("problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
