#!/usr/bin/env python3
"""Generates the import fixtures of Tests/MSDataTests/Fixtures (numpy 2.x; no random numbers).

    python3 tools/make_import_fixtures.py

writes, relative to the repository root:

    stored.npz     numpy.savez: "labels" int64 [3] and "images" uint8 [3, 4, 5, 3] (NHWC),
                   element i (flat, C order) = i % 251
    deflated.npz   numpy.savez_compressed: "train" float32 [4, 1, 2, 4], element i = i / 31,
                   and "valid" float32 [2, 1, 2, 4], element i = i / 15
    grey.jpg       16×16 greyscale, pixel (y, x) = 8·(x + y) + 4
    rgb.jpg        16×16 RGB, pixel (y, x) = (16·x + 8, 16·y + 8, 128)

The JPEG files come from tools/make_jpeg_fixture.c (libjpeg, quality 100, no chroma
subsampling), compiled and run by this script with the system C compiler.
"""

import pathlib
import subprocess
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "MSDataTests" / "Fixtures"


def main():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    images = (np.arange(3 * 4 * 5 * 3) % 251).astype(np.uint8).reshape(3, 4, 5, 3)
    np.savez(FIXTURES / "stored.npz", labels=np.arange(3, dtype=np.int64), images=images)
    train = (np.arange(32, dtype=np.float64) / 31).astype(np.float32).reshape(4, 1, 2, 4)
    valid = (np.arange(16, dtype=np.float64) / 15).astype(np.float32).reshape(2, 1, 2, 4)
    np.savez_compressed(FIXTURES / "deflated.npz", train=train, valid=valid)

    with tempfile.TemporaryDirectory() as build:
        writer = pathlib.Path(build) / "make_jpeg_fixture"
        subprocess.run(["cc", "-O2", "-o", str(writer), str(ROOT / "tools" / "make_jpeg_fixture.c"), "-ljpeg"], check=True)
        subprocess.run([str(writer), str(FIXTURES / "grey.jpg"), str(FIXTURES / "rgb.jpg")], check=True)


if __name__ == "__main__":
    main()
