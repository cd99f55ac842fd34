"""Dynamics as sox defines them: ``compand`` (envelope follower + soft-knee transfer function)
and ``mcompand`` (the same per frequency band, bands split by crossover filters).

The level detector is a nonlinear recursion (attack when the level rises, decay when it falls),
so it runs as a scalar loop per signal on the CPU copy of the detached levels; the gain it
produces is then applied on the input's device. Gradients flow through the signal path (the
detected level is treated as a constant, as a side-chain).
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch

from .._internal.checks import check_float, check_positive
from .._internal.dtypes import restore, upcast

_LN10_20 = math.log(10) / 20
# sox's "-inf" dB: the level of one 32-bit sample step
_MINUS_INF_DB = -20 * math.log10(2.0 ** 31)


class _Segment:
    __slots__ = ("x", "y", "a", "b")

    def __init__(self, x=0.0, y=0.0):
        self.x, self.y, self.a, self.b = x, y, 0.0, 0.0


def compand_transfer(points: Sequence[Tuple[float, Optional[float]]], soft_knee_db: float = 0.01,
                     gain_db: float = 0.0) -> List[_Segment]:
    """Build sox's compander transfer function: straight lines between ``points`` (in dB, output
    ``None`` meaning "same as input"), rounded at each corner by a ``soft_knee_db`` radius.

    Returns the segment table used by :func:`compand_gain` (alternating lines and curves, in
    natural-log units, each holding the gain ``out - in``).
    """
    knee = max(soft_knee_db, 0.01)
    pts = [(x, 0.0 if y is None else y - x) for x, y in points]  # store the gain, out - in
    for (x0, _), (x1, _) in zip(pts, pts[1:]):
        if x0 > x1:
            raise ValueError("compand: transfer function input values must be strictly increasing")
    if not pts or pts[-1][0] != 0:
        pts.append((0.0, 0.0))  # the curve always ends at 0 dB in
    pts.insert(0, (pts[0][0] - 2 * knee, pts[0][1]))  # a tail-off segment before the first point
    i = 2
    while i < len(pts):  # drop the middle point of three colinear ones
        g1 = (pts[i - 1][1] - pts[i - 2][1]) * (pts[i][0] - pts[i - 1][0])
        g2 = (pts[i][1] - pts[i - 1][1]) * (pts[i - 1][0] - pts[i - 2][0])
        if g1 == g2:
            del pts[i - 1]
        else:
            i += 1
    # even slots hold lines (through the points), odd slots the curves joining them
    segs = [_Segment() for _ in range(2 * len(pts) + 2)]
    for k, (x, y) in enumerate(pts):
        segs[2 * k].x, segs[2 * k].y = x * _LN10_20, (y + gain_db) * _LN10_20
    radius = knee * _LN10_20
    i = 4
    while i - 2 < 2 * len(pts) and segs[i - 2].x != 0:
        line1, curve, line2, line3 = segs[i - 4], segs[i - 3], segs[i - 2], segs[i]
        line1.a, line1.b = 0.0, (line2.y - line1.y) / (line2.x - line1.x)
        line2.a, line2.b = 0.0, (line3.y - line2.y) / (line3.x - line2.x)
        theta = math.atan2(line2.y - line1.y, line2.x - line1.x)
        r = min(radius, math.hypot(line2.x - line1.x, line2.y - line1.y))
        curve.x, curve.y = line2.x - r * math.cos(theta), line2.y - r * math.sin(theta)
        theta = math.atan2(line3.y - line2.y, line3.x - line2.x)
        r = min(radius, math.hypot(line3.x - line2.x, line3.y - line2.y) / 2)
        x, y = line2.x + r * math.cos(theta), line2.y + r * math.sin(theta)
        cx, cy = (curve.x + line2.x + x) / 3, (curve.y + line2.y + y) / 3
        line2.x, line2.y = x, y
        in1, out1, in2, out2 = cx - curve.x, cy - curve.y, line2.x - curve.x, line2.y - curve.y
        curve.a = (out2 / in2 - out1 / in1) / (in2 - in1)
        curve.b = out1 / in1 - curve.a * in1
        i += 2
    segs[i - 3].x, segs[i - 3].y = 0.0, segs[i - 2].y
    return segs[: i - 2]


def compand_gain(segments: List[_Segment], level: torch.Tensor) -> torch.Tensor:
    """Linear gain of the transfer function at linear input levels (in [0, 1]), elementwise, float64.

    Below the first corner the gain is constant; above it, segment ``k`` (a line or a soft-knee
    curve in the log domain) gives ``exp(y_k + d * (a_k * d + b_k))`` with ``d = log(level) - x_k``,
    where ``k`` counts the segments, after the first, that start below ``log(level)``.

    Shape:
        level: any shape; the result has the same shape.
    """
    level = level.to(torch.float64)
    xs, ys, curv, slope = (torch.tensor([getattr(seg, f) for seg in segments], dtype=torch.float64, device=level.device)
                           for f in ("x", "y", "a", "b"))
    log_level = torch.log(level.clamp_min(torch.finfo(torch.float64).tiny))
    # Walk the segments while the level lies beyond the next one's start (a cumulative product stops
    # at the first segment that does not), exactly like a sequential search.
    beyond = (log_level.unsqueeze(-1) > xs[2:]).to(torch.int64)
    k = 1 + torch.cumprod(beyond, dim=-1).sum(-1)
    d = log_level - xs[k]
    gain = torch.exp(ys[k] + d * (curv[k] * d + slope[k]))
    return torch.where(level <= math.exp(segments[1].x), math.exp(segments[1].y), gain)


def _coefficient(seconds: float, sample_rate: float) -> float:
    return 1.0 - math.exp(-1.0 / (sample_rate * seconds)) if seconds > 1.0 / sample_rate else 1.0


def _envelope(levels: List[float], attack: float, decay: float, initial: float) -> List[float]:
    # sox's leaky-pump level detector: rises with the attack rate, falls with the decay rate. Which
    # rate applies depends on the previous output, so this recursion is sequential (plain floats).
    volume, volumes = initial, []
    for s in levels:
        delta = s - volume
        volume += delta * (attack if delta > 0 else decay)
        volumes.append(volume)
    return volumes


def compand(waveform: torch.Tensor, sample_rate: float, attack_decay: Sequence[Tuple[float, float]],
            points: Sequence[Tuple[float, Optional[float]]], soft_knee_db: float = 0.01, gain_db: float = 0.0,
            initial_volume_db: float = 0.0, delay: float = 0.0, *, clip: bool = True) -> torch.Tensor:
    """Compress or expand the dynamic range, as sox's ``compand``.

    A level detector follows ``|x|`` with an ``attack`` time when it rises and a ``decay`` time when it
    falls; the gain at that level comes from the transfer function through ``points`` (dB in, dB out,
    rounded by ``soft_knee_db``), plus ``gain_db``. ``delay`` (s) delays the audio against the detector
    (look-ahead), keeping the length.

    Args:
        waveform: audio of shape `(..., channel, time)`.
        sample_rate: sample rate in Hz.
        attack_decay: one ``(attack, decay)`` pair in seconds for all channels (linked: the detector
            follows the loudest channel) or one pair per channel.
        points: transfer function corners ``(in_dB, out_dB)``, ``in_dB`` increasing, all <= 0;
            ``out_dB=None`` means the output equals the input there.
        soft_knee_db: corner radius in dB.
        gain_db: gain added after the transfer function.
        initial_volume_db: the detector's starting level (<= 0 dB).
        delay: look-ahead delay in seconds.
        clip: limit the output to [-1, 1] as sox's compander does (it saturates each sample it
            writes); transfer functions that lift quiet speech by 20-30 dB push its peaks well past
            full scale, so without this the output differs from sox wherever it is loud. ``False``
            keeps the unbounded gain. (sox 14.4.2 flushes its last ``delay`` seconds without
            saturating, so a sample past full scale there overflows to -1; here it saturates.)

    Returns:
        Tensor: the companded audio.

    Shape:
        `(..., channel, time)` -> `(..., channel, time)`.
    """
    check_float("waveform", waveform, fn="compand")
    check_positive("sample_rate", sample_rate, fn="compand")
    if waveform.dim() < 2:
        raise ValueError(f"compand: waveform must be (..., channel, time), got shape {tuple(waveform.shape)}")
    channels = waveform.shape[-2]
    if len(attack_decay) not in (1, channels):
        raise ValueError(f"compand: give one attack/decay pair or one per channel ({channels}), got {len(attack_decay)}")
    if initial_volume_db > 0:
        raise ValueError(f"compand: initial_volume_db is relative to full scale and must be <= 0, got {initial_volume_db}")
    if delay < 0:
        raise ValueError(f"compand: delay must be >= 0 seconds, got {delay}")
    segments = compand_transfer(points, soft_knee_db, gain_db)
    x, dtype = upcast(waveform)
    n = x.shape[-1]
    flat = x.detach().reshape(-1, channels, n).abs().to("cpu", torch.float64)
    linked = len(attack_decay) == 1 and channels > 1
    coeffs = [(_coefficient(a, sample_rate), _coefficient(d, sample_rate)) for a, d in attack_decay]
    initial = 10 ** (initial_volume_db / 20)
    rows = []
    for item in flat:
        if linked:
            rows.append([_envelope(item.amax(dim=0).tolist(), *coeffs[0], initial)] * channels)
        else:
            rows.append([_envelope(item[c].tolist(), *coeffs[c if len(coeffs) > 1 else 0], initial)
                         for c in range(channels)])
    volumes = torch.tensor(rows, dtype=torch.float64).reshape(*x.shape[:-1], n)
    gains = compand_gain(segments, volumes).to(x.device, x.dtype)
    lag = int(delay * sample_rate * channels) // channels
    if lag > 0:
        # sample m is scaled by the gain seen `lag` samples later; the last `lag` samples by the final gain
        lag = min(lag, n)
        gains = torch.cat([gains[..., lag:], gains[..., -1:].expand(*gains.shape[:-1], lag)], dim=-1)
    y = x * gains
    return restore(y.clamp(-1.0, 1.0) if clip else y, dtype)


def crossover_split(waveform: torch.Tensor, sample_rate: float, frequency: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """Split into low and high bands with sox's 4th-order Linkwitz-Riley crossover at ``frequency``.

    Each side is a Butterworth biquad (Q = sqrt(1/2)) squared, so the two bands are in phase and
    sum to an all-pass version of the input. Differentiable.

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        frequency: crossover frequency in Hz, below ``sample_rate / 2``.

    Returns:
        ``(low, high)``, each shaped like ``waveform``.

    Shape:
        `(..., time)` -> two `(..., time)`.
    """
    from ._filtering import lfilter

    check_float("waveform", waveform, fn="crossover_split")
    if not 0 < frequency < sample_rate / 2:
        raise ValueError(f"crossover_split: frequency must be in (0, {sample_rate / 2:g}), got {frequency}")
    w0 = 2 * math.pi * frequency / sample_rate
    alpha = math.sin(w0) / (2 * math.sqrt(0.5))
    cos = math.cos(w0)
    norm = 1 + alpha
    low = [(1 - cos) / 2 / norm, (1 - cos) / norm, (1 - cos) / 2 / norm]
    high = [(1 + cos) / 2 / norm, -(1 + cos) / norm, (1 + cos) / 2 / norm]
    den = [1.0, -2 * cos / norm, (1 - alpha) / norm]

    def square(p):  # coefficients of p(z)^2
        return [p[0] * p[0], 2 * p[0] * p[1], 2 * p[0] * p[2] + p[1] * p[1], 2 * p[1] * p[2], p[2] * p[2]]

    opts = dict(dtype=torch.float64, device=waveform.device)
    a = torch.tensor(square(den), **opts)
    return (lfilter(waveform, a, torch.tensor(square(low), **opts), clamp=False),
            lfilter(waveform, a, torch.tensor(square(high), **opts), clamp=False))


def mcompand(waveform: torch.Tensor, sample_rate: float, bands: Sequence[dict], crossovers: Sequence[float], *,
             clip: bool = True) -> torch.Tensor:
    """Multi-band compander, as sox's ``mcompand``: split at ``crossovers`` (Hz, increasing) with
    Linkwitz-Riley crossovers, compand each band with its own settings, and sum.

    Args:
        waveform: audio of shape `(..., channel, time)`.
        sample_rate: sample rate in Hz.
        bands: one dict of :func:`compand` keyword arguments per band (``attack_decay``, ``points``,
            and optionally ``soft_knee_db``, ``gain_db``, ``initial_volume_db``, ``delay``).
        crossovers: ``len(bands) - 1`` crossover frequencies.
        clip: limit each band and their sum to [-1, 1], as sox does (see :func:`compand`).

    Returns:
        Tensor: the companded audio.

    Shape:
        `(..., channel, time)` -> `(..., channel, time)`.
    """
    check_float("waveform", waveform, fn="mcompand")
    if len(crossovers) != len(bands) - 1:
        raise ValueError(f"mcompand: need {len(bands) - 1} crossover frequencies for {len(bands)} bands, got {len(crossovers)}")
    if any(b <= a for a, b in zip(crossovers, crossovers[1:])):
        raise ValueError(f"mcompand: crossover frequencies must increase, got {list(crossovers)}")
    rest, out = waveform, None
    for i, band in enumerate(bands):
        if i < len(crossovers):
            part, rest = crossover_split(rest, sample_rate, crossovers[i])
            if clip:  # sox holds each band in 32-bit samples
                part, rest = part.clamp(-1.0, 1.0), rest.clamp(-1.0, 1.0)
        else:
            part = rest
        y = compand(part, sample_rate, **band, clip=clip)
        out = y if out is None else out + y
    return out.clamp(-1.0, 1.0) if clip else out
