#!/usr/bin/env python3
"""Times PyTorch's convolution passes on the default UNet's shapes, the counterpart of
`mstrain-dist bench kernels --tables conv`.

For each convolution of the default UNet (base width 32, multipliers 1, 2, 4) at --size and
--batch, it reports the GFLOP/s of the forward (with bias), the input gradient, the weight and
bias gradients, and the backward (all three gradients in one call, counted twice the
forward's flops), each as a percentage of torch.mm on a 1024³ product measured in the same
process, best of --repeats calls by thread CPU time. Flops are 2·N·C_out·H_out·W_out·C_in·K²
per pass, as in the Swift table. The gradients are aten.convolution_backward calls, the
operator autograd runs for a convolution.

    python3 tools/torch_conv_bench.py [--threads 1] [--batch 16] [--size 128] [--repeats 5] [--layers skip,down]

Needs torch 2.13.0 (CPU build); torch is never needed to build or test the project.
"""

import argparse
import time

import torch

# (name, C_in, C_out, K, stride, level): the rows of `bench kernels`, level 0, 1, 2 at
# size, size/2, size/4.
LAYERS = [
    ("input conv", 3, 32, 3, 1, 0),
    ("enc0 res conv", 32, 32, 3, 1, 0),
    ("down0", 32, 32, 3, 2, 0),
    ("enc1 res conv a", 32, 64, 3, 1, 1),
    ("enc1 skip 1×1", 32, 64, 1, 1, 1),
    ("enc1 res conv b", 64, 64, 3, 1, 1),
    ("down1", 64, 64, 3, 2, 1),
    ("enc2 res conv a", 64, 128, 3, 1, 2),
    ("enc2 skip 1×1", 64, 128, 1, 1, 2),
    ("enc2 res conv b", 128, 128, 3, 1, 2),
    ("dec2 res conv a (concat)", 256, 128, 3, 1, 2),
    ("dec2 skip 1×1 (concat)", 256, 128, 1, 1, 2),
    ("dec1 res conv a (concat)", 192, 64, 3, 1, 1),
    ("dec1 skip 1×1 (concat)", 192, 64, 1, 1, 1),
    ("dec0 res conv a (concat)", 96, 32, 3, 1, 0),
    ("dec0 skip 1×1 (concat)", 96, 32, 1, 1, 0),
    ("output conv", 32, 3, 3, 1, 0),
]


def best_seconds(call, repeats):
    """Smallest thread CPU time of `call` over one untimed warm-up and `repeats` timed calls."""
    call()
    fastest = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        call()
        fastest = min(fastest, time.thread_time() - start)
    return fastest


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=128, help="image height and width, a multiple of 4")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per pass; the best is reported")
    parser.add_argument("--layers", default="", help="comma-separated parts of layer names to keep (default all)")
    arguments = parser.parse_args()
    if arguments.threads < 1 or arguments.batch < 1 or arguments.repeats < 1:
        parser.error("--threads, --batch and --repeats must be positive")
    if arguments.size < 4 or arguments.size % 4:
        parser.error(f"--size {arguments.size} must be a positive multiple of 4 (the UNet's total stride)")
    parts = [part.strip().lower() for part in arguments.layers.split(",") if part.strip()]
    layers = [layer for layer in LAYERS if not parts or any(part in layer[0].lower() for part in parts)]
    if not layers:
        parser.error(f"--layers '{arguments.layers}' matches none of: " + ", ".join(layer[0] for layer in LAYERS))

    torch.set_num_threads(arguments.threads)
    torch.manual_seed(0)
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    mm_rate = 2 * 1024**3 / best_seconds(lambda: torch.mm(a, b), max(arguments.repeats, 10)) / 1e9
    print(f"torch {torch.__version__}   threads: {torch.get_num_threads()}   torch.mm 1024³: {mm_rate:.1f} GFLOP/s")
    print(f"batch {arguments.batch}, best of {arguments.repeats} by thread CPU time; GFLOP/s (% of torch.mm); "
          "backward: input, weight and bias gradients in one call, counted twice the forward's flops")
    header = f"{'layer':28}{'C_in→C_out':12}{'K/s':5}{'H→H_out':10}"
    header += "".join(f"{title:16}" for title in ("forward", "input grad", "weight grad", "backward"))
    print(header)
    print("-" * len(header))
    backward = torch.ops.aten.convolution_backward
    for name, c_in, c_out, k, stride, level in layers:
        size = arguments.size >> level
        x = torch.randn(arguments.batch, c_in, size, size)
        weight = torch.randn(c_out, c_in, k, k) * 0.1
        bias = torch.zeros(c_out)
        y = torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=k // 2)
        dy = torch.randn_like(y)
        flops = 2 * y.numel() * c_in * k * k

        def gradients(mask):
            return lambda: backward(dy, x, weight, [c_out], [stride, stride], [k // 2, k // 2], [1, 1],
                                    False, [0, 0], 1, mask)

        calls = [
            (1, lambda: torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=k // 2)),
            (1, gradients([True, False, False])),
            (1, gradients([False, True, True])),
            (2, gradients([True, True, True])),
        ]
        cells = []
        for passes, call in calls:
            rate = passes * flops / best_seconds(call, arguments.repeats) / 1e9
            cells.append(f"{rate:.1f} ({100 * rate / mm_rate:.0f}%)")
        print(f"{name:28}{f'{c_in}→{c_out}':12}{f'{k}/{stride}':5}{f'{size}→{y.shape[-1]}':10}"
              + "".join(f"{cell:16}" for cell in cells))


if __name__ == "__main__":
    main()
