#!/usr/bin/env python3
"""Trains the authors' PyTorch denoising UNet and mstrain on the same data, side by side.

The reference implementation of "Multiscale Training of Convolutional Neural Networks"
(https://github.com/ahxmeds/multiscale-gradient-estimation) is used from a checkout the user
provides; nothing of it is part of this repository. Its own training script reads CIFAR-10 or
CelebA, so this script imports its UNet (`multiscale.models.UNetModel`, configured as its
`train_denoising.py` does) and its loss (`train_denoising.train_multiscale_loss_denoising`,
which draws t and the noise and forms the single-scale or multiscale loss), feeds them the
training split of an mstrain HDF5 dataset through an object with the loader interface that
loss expects, and runs the optimisation loop of its `main()`: Adam, one cosine schedule to
1e-6 over all iterations, and for Full-Multiscale the stages 8T, 4T, 2T, T at meshes n/8 … n
with batch 8N … N at the working mesh.

mstrain-dist is then trained with the matching options (UNet width 32, multipliers 1, 2, 4,
dropout 0.5, batch N, injection, the same iterations, learning rate and schedule), and both
are evaluated by this script on the same validation images with the same fixed draws of
t ~ U(0, 1) and noise: MSE and PSNR on [0, 1], averaged over the images, beside the noisy
input's PSNR. mstrain's trained weights (weights.h5) are loaded into tools/torch_unet.py, the
PyTorch mirror of its UNet that the test fixtures check, for that evaluation; the PSNR that
mstrain reports on its own validation draws is printed too.

Both run as single processes with the same number of threads. Usage:

    git clone https://github.com/ahxmeds/multiscale-gradient-estimation REF
    pip install torch pandas h5py          # torch 2.13.0 (CPU) was used; pandas is imported by REF's utils
    python3 tools/reference_side_by_side.py --reference REF --mstrain .build/release/mstrain-dist \\
        --data DATA.h5 [--iterations 5] [--batch 16] [--threads 1] [--modes single,full-multiscale]

torchvision is not needed: the reference's dataset module (which imports it) is replaced by a
stub before the import, because this script supplies the data.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import types

import h5py
import numpy as np
import torch


def load_reference(checkout):
    """Imports UNetModel and the denoising loss from the checkout without running the package's
    __init__ (which imports torchvision for its datasets)."""
    package = types.ModuleType("multiscale")
    package.__path__ = [os.path.join(checkout, "multiscale")]
    sys.modules["multiscale"] = package
    datasets = types.ModuleType("multiscale.datasets")

    def unavailable(*_args, **_kwargs):
        raise RuntimeError("the reference's datasets are not used: this script supplies the data")

    datasets.get_cifar10_dataset = unavailable
    datasets.get_celeba_dataset = unavailable
    sys.modules["multiscale.datasets"] = datasets
    sys.path.insert(0, checkout)
    models = importlib.import_module("multiscale.models")
    training = importlib.import_module("train_denoising")
    return models.UNetModel, training.train_multiscale_loss_denoising


def read_split(path, split):
    """The split's images as float32 [N, C, H, W] in [-1, 1] (mstrain's training range)."""
    with h5py.File(path, "r") as file:
        images = file[f"{split}/images"][()]
    scale = 1 / 255 if images.dtype == np.uint8 else 1.0
    return torch.from_numpy(images.astype(np.float32) * (2 * scale) - 1)


class BatchSize:
    """The object whose `current_size` the reference's loss sets before drawing each batch."""

    def __init__(self, size):
        self.current_size = size


class SequentialBatches:
    """Yields (images, labels) batches of `batch_size_function.current_size` images, walking the
    training split in order and wrapping around, like the reference's dynamic-batch wrapper."""

    def __init__(self, images):
        self.images = images
        self.batch_size_function = BatchSize(1)
        self.index = 0

    def __iter__(self):
        while True:
            size = self.batch_size_function.current_size
            rows = [(self.index + k) % len(self.images) for k in range(size)]
            self.index = (self.index + size) % len(self.images)
            yield self.images[rows], torch.zeros(size, dtype=torch.long)


class Loader:
    """What the reference's loss reads: `loader.dataset.batch_size_function` and iteration."""

    def __init__(self, images):
        self.dataset = SequentialBatches(images)

    def __iter__(self):
        return iter(self.dataset)


def train_reference(unet_class, loss_function, images, mode, batch, iterations, learning_rate, seed):
    """The reference's training loop (its main() without per-step validation and logging).
    Returns the trained model and the training seconds."""
    torch.manual_seed(seed)
    model = unet_class(in_channels=3, model_channels=32, out_channels=3, num_res_blocks=1, dropout=0.5,
                       channel_mult=(1, 2, 4), attention_resolutions=[])
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    stage_iterations = [8 * iterations, 4 * iterations, 2 * iterations, iterations] if mode == "full-multiscale" \
        else [iterations]
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=sum(stage_iterations), eta_min=1e-6)
    loader = Loader(images)
    model.train()
    start = time.perf_counter()
    for j, count in enumerate(stage_iterations):
        f = 2 ** (len(stage_iterations) - 1 - j)
        for _ in range(count):
            optimizer.zero_grad()
            if mode == "full-multiscale":
                loss = loss_function(model, loader, levels=j, batch_size0=batch * f, scale=1 / f)
            else:
                loss = loss_function(model, loader, levels=0, batch_size0=batch, scale=1)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return model, time.perf_counter() - start


def validation_set(images, count, seed):
    """The first `count` validation images, degraded once with fixed draws:
    x_t = t·x + (1 − t)·z, t ~ U(0, 1), z ~ N(0, 1)."""
    clean = images[:count]
    generator = torch.Generator().manual_seed(seed)
    t = torch.rand(len(clean), 1, 1, 1, generator=generator)
    noise = torch.randn(clean.shape, generator=generator)
    return clean, t * clean + (1 - t) * noise, t


def evaluate(model, noisy, t):
    """The model's predictions for the degraded images, in evaluation mode, 16 at a time."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(noisy[k:k + 16], t[k:k + 16].flatten()) for k in range(0, len(noisy), 16)])


def metrics(prediction, clean):
    """Mean MSE and mean PSNR on [0, 1] over the images."""
    a = (prediction.clamp(-1, 1) + 1) / 2
    b = (clean + 1) / 2
    mse = ((a - b) ** 2).flatten(1).mean(1)
    psnr = 10 * torch.log10(1 / mse.clamp_min(1e-12))
    return mse.mean().item(), psnr.mean().item()


def load_mstrain_unet(path):
    """mstrain's weights.h5 (datasets /parameters/<slot path>) in tools/torch_unet.py's UNet,
    whose parameter names are those slot paths."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from torch_unet import UNet
    model = UNet(image_channels=3, base_width=32, multipliers=(1, 2, 4), groups=8, dropout=0.5)
    with h5py.File(path, "r") as file:
        state = {name: torch.from_numpy(file["parameters"][name][()]) for name in file["parameters"]}
    model.load_state_dict(state, strict=True)
    return model


def train_mstrain(binary, data, mode, batch, iterations, learning_rate, threads, seed, directory):
    """Runs `mstrain-dist train` with the options that match the reference run; returns its
    summary.json."""
    command = [binary, "train", "--data", data, "--mode", mode, "--batch", str(batch), "--iterations", str(iterations),
               "--width", "32", "--width-multipliers", "1,2,4", "--dropout", "0.5", "--restriction", "inject",
               "--level-ratio", "1", "--levels", "4" if mode == "full-multiscale" else "1",
               "--learning-rate", str(learning_rate), "--min-learning-rate", "1e-6", "--learning-rate-schedule", "cosine",
               "--optimizer", "adam", "--prediction", "image", "--seed", str(seed), "--validate-every", "1000000",
               "--threads", str(threads), "--run-directory", directory]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, OPENBLAS_NUM_THREADS=str(threads)))
    with open(os.path.join(directory, "summary.json")) as file:
        return json.load(file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="checkout of ahxmeds/multiscale-gradient-estimation")
    parser.add_argument("--mstrain", required=True, help="the mstrain-dist binary")
    parser.add_argument("--data", required=True, help="mstrain HDF5 dataset (data synth / data import)")
    parser.add_argument("--modes", default="single,full-multiscale", help="comma-separated: single, full-multiscale")
    parser.add_argument("--iterations", type=int, default=5,
                        help="T: Full-Multiscale runs 8T, 4T, 2T, T steps")
    parser.add_argument("--single-iterations", type=int, default=None,
                        help="single-scale steps (default 32·T: the reference's 8000 against T = 250)")
    parser.add_argument("--batch", type=int, default=16, help="N: the batch at the working mesh of the last stage")
    parser.add_argument("--learning-rate", type=float, default=5e-4)
    parser.add_argument("--threads", type=int, default=1, help="threads of each side (torch.set_num_threads, BLAS)")
    parser.add_argument("--validation-count", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", help="also write the results as JSON to this file")
    arguments = parser.parse_args()
    modes = arguments.modes.split(",")
    if any(m not in ("single", "full-multiscale") for m in modes):
        parser.error(f"--modes takes single and full-multiscale, got {arguments.modes}")
    if arguments.iterations < 1 or arguments.batch < 1 or arguments.threads < 1 or arguments.validation_count < 1:
        parser.error("--iterations, --batch, --threads and --validation-count must be positive")
    single_iterations = arguments.single_iterations or 32 * arguments.iterations

    torch.set_num_threads(arguments.threads)
    unet_class, loss_function = load_reference(os.path.abspath(arguments.reference))
    train_images = read_split(arguments.data, "train")
    clean, noisy, t = validation_set(read_split(arguments.data, "valid"), arguments.validation_count, arguments.seed)
    _, input_psnr = metrics(noisy, clean)
    print(f"data {arguments.data}: train {tuple(train_images.shape)}, validation {len(clean)} images "
          f"(noisy input PSNR {input_psnr:.2f} dB); torch {torch.__version__}, {arguments.threads} thread(s) each side")

    rows = []
    for mode in modes:
        iterations = arguments.iterations if mode == "full-multiscale" else single_iterations
        model, seconds = train_reference(unet_class, loss_function, train_images, mode, arguments.batch, iterations,
                                         arguments.learning_rate, arguments.seed)
        mse, psnr = metrics(evaluate(model, noisy, t), clean)
        rows.append(dict(implementation="reference (PyTorch)", mode=mode, iterations=iterations, seconds=seconds,
                         mse=mse, psnr=psnr))
        print(f"reference {mode}: {seconds:.1f} s, MSE {mse:.5f}, PSNR {psnr:.2f} dB", flush=True)
        with tempfile.TemporaryDirectory() as directory:
            summary = train_mstrain(arguments.mstrain, arguments.data, mode, arguments.batch, iterations,
                                    arguments.learning_rate, arguments.threads, arguments.seed, directory)
            ours = load_mstrain_unet(os.path.join(directory, "weights.h5"))
        mse, psnr = metrics(evaluate(ours, noisy, t), clean)
        rows.append(dict(implementation="mstrain", mode=mode, iterations=iterations, seconds=summary["seconds"],
                         mse=mse, psnr=psnr))
        print(f"mstrain {mode}: {summary['seconds']:.1f} s, MSE {mse:.5f}, PSNR {psnr:.2f} dB "
              f"(on its own validation draws: PSNR {summary['validation']['psnr']:.2f} dB)", flush=True)

    print()
    print("| implementation | mode | steps | train seconds | final valid MSE | final valid PSNR |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['implementation']} | {row['mode']} | {row['iterations']} | {row['seconds']:.1f} | "
              f"{row['mse']:.5f} | {row['psnr']:.2f} dB |")
    if arguments.output:
        with open(arguments.output, "w") as file:
            json.dump(dict(input_psnr=input_psnr, rows=rows), file, indent=1)


if __name__ == "__main__":
    main()
