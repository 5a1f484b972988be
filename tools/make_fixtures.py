#!/usr/bin/env python3
"""Generates the PyTorch reference fixtures used by the Swift tests.

Run with torch 2.13.0+cpu; every section seeds with torch.manual_seed(0) before drawing, so
the output is deterministic. All inputs are drawn as float32 on the CPU; where it helps, the
reference is computed in float64 from those float32 values and rounded back to float32 when
stored. Every hyperparameter is rounded to float32 before torch sees it, so the Swift side,
which holds it as a Float, runs the very same update.

    python3 tools/make_fixtures.py [--only NAME]

writes, relative to the repository root, one JSON file per section:

    {"meta": {"torch": VERSION, "seed": 0, ...},
     "tensors": {"name": {"shape": [...], "data": [...]}}}

Files holding several cases name their tensors "<case>.<tensor>" and describe each case under
meta["cases"][<case>]. Values are written as the shortest decimal that reads back as the same
float32. To add a section, write a function returning (meta, tensors) and register it in
SECTIONS.
"""

import argparse
import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

from torch_unet import UNet

SEED = 0
ROOT = pathlib.Path(__file__).resolve().parent.parent
OPTIM_DIR = "Tests/MSOptimTests/Fixtures"
KERNELS_DIR = "Tests/MSKernelsTests/Fixtures"
NN_DIR = "Tests/MSNNTests/Fixtures"


def f32(value):
    """`value` rounded to the nearest float32, as a Python float."""
    return float(np.float32(value))


def encode(tensor):
    """A tensor as {"shape", "data"} with float32 values in their shortest round-trip form."""
    array = tensor.detach().to(torch.float32).contiguous().numpy()
    return {"shape": list(array.shape), "data": [float(str(v)) for v in array.reshape(-1)]}


def named(case, **tensors):
    """Encodes `tensors`, prefixing each name with "<case>." when `case` is given."""
    prefix = f"{case}." if case else ""
    return {prefix + name: encode(t) for name, t in tensors.items()}


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def reference(case, forward, **inputs):
    """Runs `forward(**inputs)` in float64, draws a random upstream gradient u of the output's
    shape, and returns the encoded inputs, "output", "upstream" and, for each input x,
    "x_grad" = d sum(output * u) / dx."""
    sources = {name: t.double().requires_grad_() for name, t in inputs.items()}
    output = forward(**sources)
    upstream = randn(*output.shape)
    gradients = torch.autograd.grad(output, list(sources.values()), grad_outputs=upstream.double())
    return named(case, **inputs, output=output, upstream=upstream,
                 **{f"{name}_grad": g for name, g in zip(sources, gradients)})


# Optimizers

PARAMETERS = 50
STEPS = 10


def replay(case, make_optimizer, learning_rates, state_names):
    """Runs `make_optimizer([p])` for STEPS steps of stored random gradients.

    Tensors: initial [P], gradients [STEPS, P], learning_rates [STEPS], final [P], and the
    optimizer's state after the last step ("state.<name>" [P])."""
    initial = randn(PARAMETERS)
    gradients = randn(STEPS, PARAMETERS)
    parameter = torch.nn.Parameter(initial.clone())
    optimizer = make_optimizer([parameter])
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = learning_rates[step]
        parameter.grad = gradients[step].clone()
        optimizer.step()
    state = optimizer.state[parameter]
    tensors = {
        f"{case}.initial": encode(initial),
        f"{case}.gradients": encode(gradients),
        f"{case}.learning_rates": encode(torch.tensor(learning_rates)),
        f"{case}.final": encode(parameter),
    }
    for name in state_names:
        tensors[f"{case}.state.{name}"] = encode(state[name])
    return tensors


def optimizer_section(cases, make_optimizer, state_names):
    """One file of replay cases; `cases` maps a case name to (hyperparameters, learning rates)."""
    torch.manual_seed(SEED)
    meta, tensors = {"parameters": PARAMETERS, "steps": STEPS, "cases": {}}, {}
    for case, (options, learning_rates) in cases.items():
        options = {key: f32(value) if isinstance(value, float) else value for key, value in options.items()}
        rates = [f32(lr) for lr in learning_rates]
        meta["cases"][case] = options
        tensors.update(replay(case, lambda params: make_optimizer(params, options), rates,
                              state_names(options)))
    return meta, tensors


def constant(lr):
    return [lr] * STEPS


def decaying(lr):
    """A learning rate that changes every step, so the update must use the one it is given."""
    return [lr * (1 - 0.05 * step) for step in range(STEPS)]


def optim_sgd():
    cases = {
        "plain": ({"momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}, constant(0.1)),
        "momentum": ({"momentum": 0.9, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False}, constant(0.05)),
        "dampening": ({"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.0, "nesterov": False}, decaying(0.05)),
        "nesterov": ({"momentum": 0.9, "dampening": 0.0, "weight_decay": 1e-3, "nesterov": True}, constant(0.05)),
        "weight_decay": ({"momentum": 0.0, "dampening": 0.0, "weight_decay": 1e-2, "nesterov": False}, decaying(0.1)),
    }
    return optimizer_section(
        cases,
        lambda params, o: torch.optim.SGD(params, lr=0.1, momentum=o["momentum"], dampening=o["dampening"],
                                          weight_decay=o["weight_decay"], nesterov=o["nesterov"]),
        lambda o: ["momentum_buffer"] if o["momentum"] != 0 else [])


def adam_cases(weight_decay):
    return {
        "default": ({"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": weight_decay}, constant(1e-2)),
        "betas": ({"beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": weight_decay}, decaying(3e-2)),
        "weight_decay": ({"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.1}, decaying(1e-2)),
    }


def adam_section(optimizer_class, weight_decay):
    return optimizer_section(
        adam_cases(weight_decay),
        lambda params, o: optimizer_class(params, lr=1e-3, betas=(o["beta1"], o["beta2"]), eps=o["epsilon"],
                                          weight_decay=o["weight_decay"], foreach=False),
        lambda o: ["exp_avg", "exp_avg_sq"])


def optim_adam():
    return adam_section(torch.optim.Adam, 0.0)


def optim_adamw():
    return adam_section(torch.optim.AdamW, 1e-2)


def optim_cosine():
    """CosineAnnealingLR(T_max=20, eta_min) stepped 20 times: lr at steps 0...20."""
    base, eta_min, total = f32(0.1), f32(1e-3), 20
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=base)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=eta_min)
    rates = [scheduler.get_last_lr()[0]]
    for _ in range(total):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    meta = {"base_lr": base, "eta_min": eta_min, "total_steps": total}
    return meta, {"learning_rates": encode(torch.tensor(rates, dtype=torch.float64))}


# Kernels

def conv2d():
    """F.conv2d on [2, 3, 7, 9] inputs with 4 output channels, and the gradients of
    sum(output * upstream) for input, weight and bias."""
    torch.manual_seed(SEED)
    cases = {
        "k3s1p1": {"kernel_size": 3, "stride": 1, "padding": 1},
        "k3s2p1": {"kernel_size": 3, "stride": 2, "padding": 1},
        "k1s1p0": {"kernel_size": 1, "stride": 1, "padding": 0},
        "k5s1p2": {"kernel_size": 5, "stride": 1, "padding": 2},
    }
    batch, input_channels, output_channels, height, width = 2, 3, 4, 7, 9
    tensors = {}
    for case, c in cases.items():
        k = c["kernel_size"]
        tensors.update(reference(
            case, lambda input, weight, bias: F.conv2d(input, weight, bias, stride=c["stride"], padding=c["padding"]),
            input=randn(batch, input_channels, height, width), weight=randn(output_channels, input_channels, k, k),
            bias=randn(output_channels)))
    return {"cases": cases}, tensors


def groupnorm():
    """F.group_norm(eps=1e-5) of [2, 6, 5, 7] with affine weight and bias, for 3 groups and for
    1 group (LayerNorm over (C, H, W)); gradients of sum(output * upstream)."""
    torch.manual_seed(SEED)
    cases = {"groups3": {"groups": 3, "epsilon": 1e-5}, "groups1": {"groups": 1, "epsilon": 1e-5}}
    tensors = {}
    for case, c in cases.items():
        tensors.update(reference(
            case, lambda input, weight, bias: F.group_norm(input, c["groups"], weight, bias, eps=c["epsilon"]),
            input=2 * randn(2, 6, 5, 7) + 0.5, weight=1 + 0.3 * randn(6), bias=0.3 * randn(6)))
    return {"cases": cases}, tensors


def attention():
    """Single-head attention over P pixels with q, k, v [N, C, P]:
    out[:, :, i] = Σ_j softmax_j(q_i · k_j / sqrt(C)) v_j, and the gradients of
    sum(out * upstream) for q, k and v."""
    torch.manual_seed(SEED)
    batch, channels, pixels = 2, 8, 20

    def attend(query, key, value):
        scores = torch.einsum("nci,ncj->nij", query, key) / math.sqrt(channels)
        return torch.einsum("nij,ncj->nci", torch.softmax(scores, dim=-1), value)

    return {}, reference(None, attend, query=randn(batch, channels, pixels), key=randn(batch, channels, pixels),
                         value=randn(batch, channels, pixels))


def bilinear():
    """F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False) of [2, 3, 5, 6]
    and the input gradient of sum(output * upstream)."""
    torch.manual_seed(SEED)
    return {}, reference(None, lambda input: F.interpolate(input, scale_factor=2, mode="bilinear", align_corners=False),
                         input=randn(2, 3, 5, 6))


# Networks

def unet():
    """The UNet of tools/torch_unet.py for the Swift ModelConfiguration(network: .unet,
    imageChannels: 3, baseWidth: 4, widthMultipliers: [1, 2], groups: 2, dropout: 0,
    attention: true), run in float64 on x [2, 3, 8, 8] and t [2].

    Every parameter is random, the zero-initialised output convolution and attention projection
    included, so that every gradient is informative: convolution and linear weights and biases
    uniform on ±1/sqrt(fan_in), GroupNorm scales 1 + 0.2·N(0, 1) and shifts 0.2·N(0, 1).
    Tensors: each parameter under its Swift path, "input", "time", "upstream", "output", and
    "grad.<path>" = d sum(output * upstream) / d parameter."""
    torch.manual_seed(SEED)
    configuration = {"imageChannels": 3, "baseWidth": 4, "widthMultipliers": [1, 2], "groups": 2,
                     "dropout": 0.0, "attention": True}
    model = UNet(image_channels=3, base_width=4, multipliers=(1, 2), groups=2, attention=True, dropout=0.0)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                module.reset_parameters()
            elif isinstance(module, torch.nn.GroupNorm):
                module.weight.copy_(1 + 0.2 * randn(module.num_channels))
                module.bias.copy_(0.2 * randn(module.num_channels))
    parameters = {path: p.detach().clone() for path, p in model.named_parameters()}
    inputs, time = randn(2, 3, 8, 8), torch.rand(2)
    model.double()
    output = model(inputs.double(), time.double())
    upstream = randn(*output.shape)
    gradients = torch.autograd.grad(output, list(model.parameters()), grad_outputs=upstream.double())
    tensors = named(None, input=inputs, time=time, upstream=upstream, output=output)
    tensors.update(named(None, **parameters))
    tensors.update(named("grad", **dict(zip(parameters, gradients))))
    return {"configuration": configuration}, tensors


# Registry

SECTIONS = {
    "optim_sgd": (OPTIM_DIR, optim_sgd),
    "optim_adam": (OPTIM_DIR, optim_adam),
    "optim_adamw": (OPTIM_DIR, optim_adamw),
    "optim_cosine": (OPTIM_DIR, optim_cosine),
    "conv2d": (KERNELS_DIR, conv2d),
    "groupnorm": (KERNELS_DIR, groupnorm),
    "attention": (KERNELS_DIR, attention),
    "bilinear": (KERNELS_DIR, bilinear),
    "unet": (NN_DIR, unet),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), help="generate this section only")
    arguments = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for name, (directory, make) in SECTIONS.items():
        if arguments.only and name != arguments.only:
            continue
        meta, tensors = make()
        path = ROOT / directory / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {"meta": {"torch": torch.__version__, "seed": SEED, **meta}, "tensors": tensors}
        path.write_text(json.dumps(document, separators=(",", ":")) + "\n")
        print(f"{path.relative_to(ROOT)}: {len(tensors)} tensors, {path.stat().st_size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
