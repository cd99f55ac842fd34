"""Channel effects: channels, remix, swap, oops (earwax lives with the filters)."""

from __future__ import annotations

import re

import torch

from ._args import EffectArgs, db_to_amplitude, parse_number
from ._registry import effect


def mix_channels(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Output channel ``o`` = sum over input channels ``i`` of ``matrix[o, i] * x[..., i, :]``."""
    return torch.matmul(matrix.to(device=x.device, dtype=x.dtype), x)


@effect("channels")
def _channels(x, sr, a: EffectArgs):
    out = a.integer("a channel count", lo=1)
    channels = x.shape[-2]
    matrix = torch.zeros(out, channels, dtype=torch.float64)
    if out < channels:
        # each output channel averages the inputs that fold onto it (o, o + out, o + 2 * out, ...)
        for i in range(channels):
            matrix[i % out, i] = 1.0
        matrix /= matrix.sum(dim=1, keepdim=True)
    else:
        for o in range(out):  # more outputs: repeat the inputs cyclically
            matrix[o, o % channels] = 1.0
    return mix_channels(x, matrix), sr


def _remix_matrix(a: EffectArgs, channels: int, specs, mode: str) -> torch.Tensor:
    matrix = torch.zeros(len(specs), channels, dtype=torch.float64)
    for o, spec in enumerate(specs):
        if spec == "0":
            continue  # a silent output channel
        items = []
        for part in spec.split(","):
            m = re.fullmatch(r"(\d*)(-?)(\d*)(?:([vpi])(.*))?", part)
            if not m or not (m.group(1) or m.group(3)) or (not m.group(2) and m.group(3)):
                raise a.error(spec, "expected in-chan[-in-chan][v|p|i volume] items separated by commas")
            first = int(m.group(1)) if m.group(1) else 1
            last = (int(m.group(3)) if m.group(3) else channels) if m.group(2) else first
            if not 1 <= first <= last <= channels:
                raise a.error(spec, f"input channel {first if first > channels or first < 1 else last} does not exist "
                                    f"(the input has {channels})")
            volume = None
            if m.group(4):
                value = parse_number(m.group(5))
                if value is None:
                    raise a.error(spec, f"could not parse the volume {m.group(5)!r}")
                volume = value if m.group(4) == "v" else db_to_amplitude(value) * (-1 if m.group(4) == "i" else 1)
            items += [(c, volume) for c in range(first - 1, last)]
        default = 1.0 if mode == "m" else 1.0 / len(items) if mode == "a" else len(items) ** -0.5
        for c, volume in items:
            matrix[o, c] += default if volume is None else volume
    return matrix


@effect("remix")
def _remix(x, sr, a: EffectArgs):
    mode = "a"
    while a.peek() in ("-m", "-a", "-p"):
        mode = a.pop()[1]
    if not a.remaining():
        raise a.usage_error("needs at least one output channel specification (wrong number of arguments)")
    specs = []
    while a.remaining():
        specs.append(a.pop())
    if specs == ["-"]:  # mix everything to mono
        specs = [f"1-{x.shape[-2]}"]
    return mix_channels(x, _remix_matrix(a, x.shape[-2], specs, mode)), sr


@effect("swap")
def _swap(x, sr, a: EffectArgs):
    channels = x.shape[-2]
    if channels < 2:
        raise a.usage_error("needs at least 2 input channels")
    order = list(range(channels))
    for c in range(0, channels - 1, 2):
        order[c], order[c + 1] = c + 1, c
    return x[..., order, :], sr


@effect("oops")
def _oops(x, sr, a: EffectArgs):
    if x.shape[-2] != 2:
        raise a.usage_error(f"needs stereo input, got {x.shape[-2]} channel(s)")
    # Out Of Phase Stereo: both outputs carry left minus right (sox's `remix 1,2i 1,2i`)
    side = x[..., 0:1, :] - x[..., 1:2, :]
    return torch.cat([side, side], dim=-2), sr
