"""A PyTorch mirror of the Swift UNet (Sources/MSNN/UNet.swift), for fixtures and benchmarks.

The module computes what the Swift model computes, in the same order and with the same
formulas (docs/method.md section 6), so that its outputs and gradients are the test oracle for
the hand-written backward and its timings a fair comparison:

    temb = Linear(SiLU(Linear(sinusoidal(1000·t))))      sinusoid width w, embedding 4w
    h = conv_in(x)
    down i:  h = res_i(h, temb); keep skip_i; if i < L−1: h = conv3×3 stride 2, padding 1 (h)
    middle:  h = res(h, temb) [→ attention(h)]
    up i (L−1 … 0): h = res(concat([h, skip_i]), temb); if i > 0: h = conv3×3(nearest×2(h))
    y = conv_out(SiLU(GN(h)))

with the residual block

    h = conv1(SiLU(GN1(x))) + Linear(SiLU(temb))[:, :, None, None]
    y = skip(x) + conv2(dropout(SiLU(GN2(h))))       skip: identity, or 1×1 when C_in ≠ C_out

and the attention block (single head over the P = H·W pixels)

    q, k, v = split(conv1×1(GN(x)))   (channel order q, k, v)
    y = x + proj(V · softmax_j(Qᵀ K / √C)ᵀ)

Naming: the module tree spells the Swift parameter paths, so `state_dict()` keys are the
Swift slot paths with no mapping table: the root holds one child `unet`, whose children are
`time` (an nn.Sequential Linear, SiLU, Linear: `unet.time.0`, `unet.time.2`), `input`,
`down` (a list indexed by level, each holding `res` and, above the coarsest level,
`downsample`), `middle` (`res`, optional `attention` with `norm`, `qkv`, `proj`), `up`
(indexed by level, each holding `res` and, below the finest level, `upsample`) and `output`
(`norm`, `conv`). Residual blocks hold `norm1`, `conv1`, `time`, `norm2`, `conv2` and `skip`.
Parameters start as the Swift ones do (PyTorch's default uniform ±1/sqrt(fan_in), GroupNorm
1 and 0, output convolution and attention projection zero), though not with the same values.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal(t, dimension):
    """guided-diffusion's timestep embedding (max period 10000, even `dimension`):
    [cos(t·f), sin(t·f)] with f_i = exp(−ln(10000)·i/half), i < half = dimension/2."""
    half = dimension // 2
    frequencies = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half).to(t.dtype)
    arguments = t[:, None] * frequencies[None, :]
    return torch.cat([torch.cos(arguments), torch.sin(arguments)], dim=1)


class ResidualBlock(nn.Module):
    """`[N, C_in, H, W] → [N, C_out, H, W]`, conditioned on the time embedding `[N, E]`."""

    def __init__(self, input_channels, output_channels, embedding, groups, dropout):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, input_channels, eps=1e-5)
        self.conv1 = nn.Conv2d(input_channels, output_channels, 3, padding=1)
        self.time = nn.Linear(embedding, output_channels)
        self.norm2 = nn.GroupNorm(groups, output_channels, eps=1e-5)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(output_channels, output_channels, 3, padding=1)
        self.skip = nn.Conv2d(input_channels, output_channels, 1) if input_channels != output_channels else None

    def forward(self, x, embedding):
        h = self.conv1(F.silu(self.norm1(x))) + self.time(F.silu(embedding))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (x if self.skip is None else self.skip(x)) + h


class AttentionBlock(nn.Module):
    """Single-head self-attention over pixels with a residual connection, `[N, C, H, W]`."""

    def __init__(self, channels, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-5)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        n, c, height, width = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3 * c, height * width).split(c, dim=1)
        probabilities = torch.softmax(torch.einsum("nci,ncj->nij", q, k) / math.sqrt(c), dim=-1)
        attended = torch.einsum("nij,ncj->nci", probabilities, v)
        return x + self.proj(attended.reshape(n, c, height, width))


class Body(nn.Module):
    """The network under the `unet.` prefix; see the module documentation."""

    def __init__(self, image_channels, base_width, multipliers, groups, attention, dropout):
        super().__init__()
        widths = [base_width * m for m in multipliers]
        embedding = 4 * base_width
        self.sinusoid_dimension = base_width
        self.time = nn.Sequential(nn.Linear(base_width, embedding), nn.SiLU(), nn.Linear(embedding, embedding))
        self.input = nn.Conv2d(image_channels, widths[0], 3, padding=1)
        self.down = nn.ModuleList()
        channels = widths[0]
        for i, width in enumerate(widths):
            level = nn.ModuleDict({"res": ResidualBlock(channels, width, embedding, groups, dropout)})
            if i < len(widths) - 1:
                level["downsample"] = nn.Conv2d(width, width, 3, stride=2, padding=1)
            self.down.append(level)
            channels = width
        self.middle = nn.ModuleDict({"res": ResidualBlock(channels, channels, embedding, groups, dropout)})
        if attention:
            self.middle["attention"] = AttentionBlock(channels, groups)
        up = [None] * len(widths)
        for i in reversed(range(len(widths))):
            up[i] = nn.ModuleDict({"res": ResidualBlock(channels + widths[i], widths[i], embedding, groups, dropout)})
            channels = widths[i]
            if i > 0:
                up[i]["upsample"] = nn.Conv2d(channels, channels, 3, padding=1)
        self.up = nn.ModuleList(up)
        self.output = nn.ModuleDict({"norm": nn.GroupNorm(groups, channels, eps=1e-5),
                                     "conv": nn.Conv2d(channels, image_channels, 3, padding=1)})
        nn.init.zeros_(self.output["conv"].weight)
        nn.init.zeros_(self.output["conv"].bias)

    def forward(self, x, t):
        embedding = self.time(sinusoidal(1000 * t, self.sinusoid_dimension))
        h = self.input(x)
        skips = []
        for level in self.down:
            h = level["res"](h, embedding)
            skips.append(h)
            if "downsample" in level:
                h = level["downsample"](h)
        h = self.middle["res"](h, embedding)
        if "attention" in self.middle:
            h = self.middle["attention"](h)
        for i in reversed(range(len(self.up))):
            level = self.up[i]
            h = level["res"](torch.cat([h, skips[i]], dim=1), embedding)
            if "upsample" in level:
                h = level["upsample"](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.output["conv"](F.silu(self.output["norm"](h)))


class UNet(nn.Module):
    """`[N, C, H, W]` images and `[N]` times in [0, 1] → `[N, C, H, W]`; H and W must be
    multiples of 2^(len(multipliers) − 1). Defaults are the Swift `ModelConfiguration`'s."""

    def __init__(self, image_channels=3, base_width=32, multipliers=(1, 2, 4), groups=8, attention=False, dropout=0.0):
        super().__init__()
        if base_width % 2:
            raise ValueError(f"base width {base_width} must be even (it is the sinusoid dimension)")
        for m in multipliers:
            if (base_width * m) % groups:
                raise ValueError(f"{groups} groups do not divide the width {base_width * m}")
        self.unet = Body(image_channels, base_width, tuple(multipliers), groups, attention, dropout)

    def forward(self, x, t):
        return self.unet(x, t)
