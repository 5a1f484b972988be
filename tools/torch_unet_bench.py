#!/usr/bin/env python3
"""Times one training step of the PyTorch mirror of the Swift UNet (tools/torch_unet.py).

One step is forward, MSE loss against a random target, backward, and with --adam an Adam
update, on a random [batch, 3, size, size] batch with random times; the default is the
method's UNet (width 32, multipliers 1, 2, 4, groups 8, dropout 0, no attention) at batch 16,
128×128. After --warmup steps it reports the median of --repeats timed steps, the parameter
count, the convolution/linear/matmul GFLOP per step (forward and backward, counted by
torch.utils.flop_counter.FlopCounterMode, 2 FLOP per multiply-add; normalisation and
activations not counted) and GFLOP/s, to compare with the Swift trainer's step time.

    python3 tools/torch_unet_bench.py [--threads 1] [--batch 16] [--size 128] [--repeats 5] [--attention] [--adam]

Needs torch 2.13.0 (CPU build: `pip install torch==2.13.0+cpu` from the PyTorch CPU wheel
index, or from a local wheel). torch is never needed to build or test the project.
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from torch_unet import UNet


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=128, help="image height and width, a multiple of 4")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps; the median is reported")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--attention", action="store_true", help="self-attention in the middle block")
    parser.add_argument("--adam", action="store_true", help="include an Adam update in the step")
    arguments = parser.parse_args()
    if arguments.threads < 1 or arguments.batch < 1 or arguments.repeats < 1 or arguments.warmup < 0:
        parser.error("--threads, --batch and --repeats must be positive, --warmup non-negative")
    if arguments.size < 4 or arguments.size % 4:
        parser.error(f"--size {arguments.size} must be a positive multiple of 4 (the UNet's total stride)")

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    model = UNet(image_channels=3, base_width=32, multipliers=(1, 2, 4), groups=8,
                 attention=arguments.attention, dropout=0.0)
    # The output convolution and attention projection start at zero; random values make the
    # backward do all of its work.
    with torch.no_grad():
        for parameter in model.parameters():
            if not parameter.any():
                parameter.uniform_(-0.01, 0.01)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4) if arguments.adam else None
    shape = (arguments.batch, 3, arguments.size, arguments.size)
    inputs, targets, times = torch.randn(shape), torch.randn(shape), torch.rand(arguments.batch)

    def step():
        model.zero_grad(set_to_none=False)
        F.mse_loss(model(inputs, times), targets).backward()
        if optimizer is not None:
            optimizer.step()

    counter = FlopCounterMode(display=False)
    with counter:
        step()
    flops = counter.get_total_flops()

    for _ in range(arguments.warmup):
        step()
    seconds = []
    for _ in range(arguments.repeats):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)

    rows = [
        ("torch", torch.__version__),
        ("threads", arguments.threads),
        ("step", f"batch {arguments.batch}, 3×{arguments.size}×{arguments.size}, attention "
                 f"{'on' if arguments.attention else 'off'}, {'with' if arguments.adam else 'no'} Adam"),
        ("parameters", sum(p.numel() for p in model.parameters())),
        ("seconds per step", f"{median:.3f} (median of {arguments.repeats}; min {min(seconds):.3f}, max {max(seconds):.3f})"),
        ("GFLOP per step", f"{flops / 1e9:.1f}"),
        ("GFLOP/s", f"{flops / 1e9 / median:.1f}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
