#!/usr/bin/env python3
"""Seeded byte-mutation fuzzing of mstrain-dist's file readers.

Each case copies a valid file, overwrites 1 to 8 random bytes (half the cases inside the first
4 KiB, where HDF5 keeps its superblock and most metadata, half anywhere) and runs one command
on the copy under a 30 s limit (a dataset's read check in a child process alone may take 10 s):

  dataset     mstrain-dist data info MUTATED
  training    mstrain-dist train --config CONFIG --data MUTATED --iterations 1 --run-directory FRESH
  weights     mstrain-dist eval MUTATED --data DATASET
  checkpoint  mstrain-dist train --config CONFIG --run-directory FRESH --resume MUTATED

A case passes when the command exits 0, or exits with one of the error statuses of
`mstrain-dist train --help` (1, 64, 65, 66, 73) with an "error:"/"Error:" line and no
crash trace ("Fatal error", "Stack dump", "backtrace"). Death by a signal, a timeout or a crash
trace is a failure; each is printed with the kind, the case number, the mutated offsets and
the output and the options that reproduce it (--seed S --case KIND:INDEX writes that one
mutated file into WORK_DIR and runs it again).

Usage: python3 tools/fuzz_files.py BINARY DATASET WEIGHTS CHECKPOINT CONFIG WORK_DIR
           [--seed S] [--dataset-cases N] [--training-cases N] [--weights-cases N]
           [--checkpoint-cases N] [--jobs J] [--case KIND:INDEX]
Prints one summary line per kind and exits 1 if any case failed.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CRASH_MARKERS = ("fatal error", "stack dump", "backtrace", "program crashed", "segmentation fault")
# The exit statuses of a clean error (`mstrain-dist train --help`).
ERROR_STATUSES = (1, 64, 65, 66, 73)
KINDS = ("dataset", "training", "weights", "checkpoint")
SOURCE = {"dataset": "dataset", "training": "dataset", "weights": "weights", "checkpoint": "checkpoint"}
TIME_LIMIT = 30


def mutate(data, rng):
    data = bytearray(data)
    limit = min(len(data), 4096) if rng.random() < 0.5 else len(data)
    offsets = sorted(rng.randrange(limit) for _ in range(rng.randint(1, 8)))
    for offset in offsets:
        data[offset] = rng.randrange(256) if rng.random() < 0.5 else data[offset] ^ (1 << rng.randrange(8))
    return bytes(data), offsets


def run_case(args, kind, index, original, seed):
    rng = random.Random(f"{seed}-{kind}-{index}")
    data, offsets = mutate(original, rng)
    case_dir = os.path.join(args.work_dir, f"{kind}-{index}")
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "mutated.h5")
    with open(path, "wb") as f:
        f.write(data)
    if kind == "dataset":
        command = [args.binary, "data", "info", path]
    elif kind == "training":
        command = [args.binary, "train", "--config", args.config, "--data", path, "--iterations", "1",
                   "--run-directory", os.path.join(case_dir, "run")]
    elif kind == "weights":
        command = [args.binary, "eval", path, "--data", args.dataset, "--threads", "1"]
    else:
        command = [args.binary, "train", "--config", args.config, "--run-directory",
                   os.path.join(case_dir, "run"), "--resume", path]
    start = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, timeout=TIME_LIMIT,
                              env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        code, output = proc.returncode, (proc.stdout + proc.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        code, output = "timeout", ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace")
    seconds = time.monotonic() - start
    lowered = output.lower()
    problem = None
    if code == "timeout":
        problem = f"timed out after {TIME_LIMIT} s"
    elif code < 0:
        problem = f"killed by signal {-code}"
    elif any(m in lowered for m in CRASH_MARKERS):
        problem = f"crash trace in the output (exit {code})"
    elif code not in (0,) + ERROR_STATUSES:
        problem = f"exit status {code}"
    elif code != 0 and not any(line.startswith(("error:", "Error:")) or ": error: " in line
                               for line in output.splitlines()):
        problem = f"exit {code} without an error line"
    shutil.rmtree(case_dir, ignore_errors=True)
    return kind, index, code, problem, offsets, output, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("binary", "dataset", "weights", "checkpoint", "config", "work_dir"):
        p.add_argument(name)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dataset-cases", type=int, default=800)
    p.add_argument("--training-cases", type=int, default=100)
    p.add_argument("--weights-cases", type=int, default=150)
    p.add_argument("--checkpoint-cases", type=int, default=150)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--case", help="KIND:INDEX: only write that case's mutated file into WORK_DIR and run it once")
    args = p.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    originals = {k: open(getattr(args, SOURCE[k]), "rb").read() for k in KINDS}
    if args.case:
        kind, index = args.case.split(":")
        data, offsets = mutate(originals[kind], random.Random(f"{args.seed}-{kind}-{index}"))
        path = os.path.join(args.work_dir, f"{kind}-{index}.h5")
        with open(path, "wb") as f:
            f.write(data)
        _, _, code, problem, _, output, seconds = run_case(args, kind, int(index), originals[kind], args.seed)
        print(output.rstrip())
        print(f"{kind} case {index}: offsets {offsets}, exit {code}, {problem or 'ok'}, {seconds:.2f} s; file {path}")
        return 1 if problem else 0
    cases = [(k, i) for k in KINDS for i in range(getattr(args, f"{k}_cases"))]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda c: run_case(args, c[0], c[1], originals[c[0]], args.seed), cases))
    failures = 0
    for kind in KINDS:
        mine = [r for r in results if r[0] == kind]
        if not mine:
            continue
        ok = sum(1 for r in mine if r[2] == 0 and not r[3])
        refused = sum(1 for r in mine if r[2] in ERROR_STATUSES and not r[3])
        bad = [r for r in mine if r[3]]
        failures += len(bad)
        # Clean errors from the dataset read check: HDF5 crashed or hung in the child process.
        crashed = sum(1 for r in mine if not r[3] and "crashed with signal" in r[5])
        hung = sum(1 for r in mine if not r[3] and "did not end within" in r[5])
        print(f"fuzz {kind}: {len(mine)} cases, {ok} exit 0, {refused} clean errors ({crashed} HDF5 crashes and "
              f"{hung} hangs caught by the read check), {len(bad)} failures, slowest {max(r[6] for r in mine):.2f} s")
        for _, index, code, problem, offsets, output, _ in bad:
            print(f"  {kind} case {index}: {problem}; mutated offsets {offsets}; "
                  f"reproduce with --seed {args.seed} --case {kind}:{index}")
            lines = [l for l in output.splitlines() if l.strip()]
            crash = [l for l in lines if "crashed" in l or "Signal" in l or l.lstrip().startswith(("0 ", "1 "))]
            for line in (crash[:5] or lines[-6:]):
                print(f"    | {line}")
    print(f"fuzz: {len(results)} cases in {time.monotonic() - start:.1f} s, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
