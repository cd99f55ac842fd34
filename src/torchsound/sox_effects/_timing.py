"""Timing effects: trim, pad, delay, repeat, reverse, fade."""

from __future__ import annotations

import math

import torch

from ._args import EffectArgs
from ._registry import effect


def _position(a: EffectArgs, text: str, previous: int, total: int, default: str) -> int:
    """A sox position: ``=T`` absolute, ``+T`` after ``previous``, ``-T`` before the end."""
    kind = default
    if text[:1] in "=+-":
        kind, text = text[0], text[1:]
    samples = a.time("a position", text=text)
    if kind == "=":
        return samples
    if kind == "+":
        return previous + samples
    return total - samples


@effect("trim")
def _trim(x, sr, a: EffectArgs):
    if not a.remaining():
        raise a.usage_error("needs at least one position (wrong number of arguments)")
    total = x.shape[-1]
    positions, previous = [], 0
    while a.remaining():
        text = a.pop()
        pos = _position(a, text, previous, total, "=" if not positions else "+")
        if pos < previous:
            raise a.error(text, f"position {pos} (samples) is before the previous position {previous}")
        positions.append(pos)
        previous = pos
    # keep [p0, p1), drop [p1, p2), keep [p2, p3), ...; an odd count keeps up to the end
    if len(positions) % 2:
        positions.append(total)
    pieces = [x[..., min(s, total):min(e, total)] for s, e in zip(positions[::2], positions[1::2])]
    return torch.cat(pieces, dim=-1), sr


def _silence(x: torch.Tensor, length: int) -> torch.Tensor:
    return x.new_zeros(*x.shape[:-1], length)


@effect("pad")
def _pad(x, sr, a: EffectArgs):
    total = x.shape[-1]  # no lengths: sox pads nothing
    pads, previous = [], 0
    index = 0
    while a.remaining():
        text = a.pop()
        length_text, _, where = text.partition("@")
        length = a.time("a pad length", text=length_text)
        if where:
            at = _position(a, where, previous, total, "=")
        else:
            at = 0 if index == 0 else total  # sox: the first pad goes at the start, later ones at the end
        if at > total or at < previous:
            raise a.error(text, f"pad position {at} (samples) must be in order and within the audio ({total} samples)")
        pads.append((at, length))
        previous = at
        index += 1
    pieces, start = [], 0
    for at, length in pads:
        pieces += [x[..., start:at], _silence(x, length)]
        start = at
    pieces.append(x[..., start:])
    return torch.cat(pieces, dim=-1), sr


@effect("delay")
def _delay(x, sr, a: EffectArgs):
    if not a.remaining():
        raise a.usage_error("needs at least one delay (wrong number of arguments)")
    channels = x.shape[-2]
    delays = []
    while a.remaining():
        text = a.pop()
        delays.append(_position(a, text, delays[-1] if delays else 0, 0, "="))
    if len(delays) > channels:
        raise a.usage_error(f"got {len(delays)} delays for {channels} channel(s)")
    delays += [0] * (channels - len(delays))  # channels without a delay are not delayed
    longest = max(delays)
    out = [torch.cat([_silence(x[..., c:c + 1, :], d), x[..., c:c + 1, :], _silence(x[..., c:c + 1, :], longest - d)], -1)
           for c, d in enumerate(delays)]
    return torch.cat(out, dim=-2), sr


@effect("repeat")
def _repeat(x, sr, a: EffectArgs):
    count = a.integer("a repeat count", lo=0) if a.remaining() else 1
    return x.repeat(*([1] * (x.dim() - 1)), count + 1), sr


@effect("reverse")
def _reverse(x, sr, a: EffectArgs):
    return x.flip(-1), sr


def fade_curve(index: torch.Tensor, kind: str) -> torch.Tensor:
    """sox's fade gain for ``index`` in [0, 1] (0 = silent end, 1 = full level)."""
    if kind == "t":
        return index
    if kind == "q":
        return torch.sin(index * (math.pi / 2))
    if kind == "h":
        return (1 - torch.cos(index * math.pi)) / 2
    if kind == "l":
        return torch.pow(0.1, (1 - index) * 5)  # -100 dB at the silent end
    return 1 - (1 - index) ** 2  # "p": inverted parabola


@effect("fade")
def _fade(x, sr, a: EffectArgs):
    kind = "l"
    if a.peek() in ("q", "h", "t", "l", "p"):
        kind = a.pop()
    total = x.shape[-1]
    fade_in = a.time("a fade-in length")
    stop = None
    if a.remaining():
        text = a.pop()
        stop = total if text in ("0", "-0") else _position(a, text, 0, total, "=")
        if stop < 0:
            raise a.error(text, "stop position is before the start of the audio")
    fade_out = a.time("a fade-out length") if a.remaining() else fade_in
    if stop is not None:
        out_start = stop - fade_out
        if fade_in > out_start and out_start != 0:
            raise a.usage_error("the fade-in must end before the fade-out begins")
        x = x[..., :stop] if stop <= total else torch.cat([x, _silence(x, stop - total)], dim=-1)
    n = torch.arange(x.shape[-1], dtype=torch.float64, device=x.device)
    gain = torch.ones_like(n)
    if fade_in > 0:
        gain = torch.where(n < fade_in, fade_curve((n / fade_in).clamp(0, 1), kind), gain)
    if stop is not None and fade_out > 0:
        out = fade_curve(((stop - n) / fade_out).clamp(0, 1), kind)
        gain = torch.where((n >= fade_in) & (n >= stop - fade_out), out, gain)
    return x * gain.to(x.dtype), sr
