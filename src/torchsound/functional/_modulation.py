"""Delay-line effects as sox defines them: echo, echos, chorus, tremolo.

All are differentiable in the waveform (they are sums of delayed, scaled copies) and run on any
device; delays are whole samples, as in sox.
"""

from __future__ import annotations

import math
from typing import List, Sequence

import torch

from .._internal.checks import check_float, check_positive


def _delay_samples(delay_ms: float, sample_rate: float) -> int:
    # sox truncates milliseconds * rate to a whole number of samples
    return int(delay_ms * sample_rate / 1000.0)


def _shift(x: torch.Tensor, delay: int, length: int) -> torch.Tensor:
    """``x`` delayed by ``delay`` samples, zero padded/cut to ``length``."""
    return torch.nn.functional.pad(x, (delay, length - x.shape[-1] - delay))


def _check_echo_args(fn, gain_in, gain_out, delays, decays):
    if len(delays) != len(decays) or len(delays) == 0:
        raise ValueError(f"{fn}: delays and decays must be non-empty and of equal length, got {len(delays)} and {len(decays)}")
    if not 0 <= gain_in <= 1:
        raise ValueError(f"{fn}: gain_in must be in [0, 1], got {gain_in}")
    if gain_out < 0:
        raise ValueError(f"{fn}: gain_out must be >= 0, got {gain_out}")
    for d in decays:
        if not 0 <= d <= 1:
            raise ValueError(f"{fn}: each decay must be in [0, 1], got {d}")


def _delays_in_samples(fn: str, delays: Sequence[float], sample_rate: float) -> List[int]:
    """Delays in ms -> whole samples; each must be at least one sample."""
    samples = [_delay_samples(d, sample_rate) for d in delays]
    if min(samples) < 1:
        raise ValueError(f"{fn}: every delay must be at least one sample, got delays {list(delays)} ms")
    return samples


def echo(waveform: torch.Tensor, sample_rate: float, gain_in: float, gain_out: float,
         delays: Sequence[float], decays: Sequence[float]) -> torch.Tensor:
    """sox's ``echo``: the input plus delayed, attenuated copies of it (each read from the input).

    ``y = gain_out * (gain_in * x + sum_i decays[i] * x[n - delays[i]])``; the output keeps ringing
    for the longest delay after the input ends.

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        gain_in, gain_out: input and output gains (``gain_in`` in [0, 1]).
        delays: echo delays in milliseconds (each at least one sample).
        decays: echo gains in [0, 1], one per delay.

    Returns:
        Tensor: the echoed audio.

    Shape:
        `(..., time)` -> `(..., time + max_delay)` with ``max_delay = int(max(delays) * sample_rate / 1000)``.
    """
    check_float("waveform", waveform, fn="echo")
    check_positive("sample_rate", sample_rate, fn="echo")
    _check_echo_args("echo", gain_in, gain_out, delays, decays)
    samples = _delays_in_samples("echo", delays, sample_rate)
    length = waveform.shape[-1] + max(samples)
    y = _shift(waveform, 0, length) * gain_in
    for delay, decay in zip(samples, decays):
        y = y + decay * _shift(waveform, delay, length)
    return y * gain_out


def echos(waveform: torch.Tensor, sample_rate: float, gain_in: float, gain_out: float,
          delays: Sequence[float], decays: Sequence[float]) -> torch.Tensor:
    """sox's ``echos`` ("sequential" echoes), reproducing what sox 14.4.2 computes.

    sox intends each delay line to be fed by the previous one plus the input, but updates the
    lines in an order that feeds line ``i`` (0-based) with ``(i + 1) * x``; this function does the
    same, so ``y = gain_out * (gain_in * x + sum_i decays[i] * (i + 1) * x[n - delays[i]])``.
    The output still rings for the sum of the delays, as sox's does.

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        gain_in, gain_out: input and output gains (``gain_in`` in [0, 1]).
        delays: delays in milliseconds; decays: gains in [0, 1].

    Returns:
        Tensor: the echoed audio.

    Shape:
        `(..., time)` -> `(..., time + total_delay)`, ``total_delay`` = sum of the delays in samples.
    """
    check_float("waveform", waveform, fn="echos")
    check_positive("sample_rate", sample_rate, fn="echos")
    _check_echo_args("echos", gain_in, gain_out, delays, decays)
    samples = _delays_in_samples("echos", delays, sample_rate)
    length = waveform.shape[-1] + sum(samples)
    x = _shift(waveform, 0, length)
    y = x * gain_in
    for i, (delay, decay) in enumerate(zip(samples, decays)):
        # sox writes line i-1 before reading it for line i, so line i is fed (i + 1) * x
        line = _shift(x * (i + 1), delay, length + delay)[..., :length]
        y = y + decay * line
    return y * gain_out


def wave_table(kind: str, length: int, lo: float, hi: float, phase: float = 0.0, *, integer: bool = False) -> torch.Tensor:
    """One period of sox's modulation wave (``"sine"`` or ``"triangle"``) spanning ``[lo, hi]``.

    ``phase`` is in radians; with ``integer=True`` values are rounded half away from zero, as sox
    does for integer tables. Returns float64 of shape `(length,)`.
    """
    offset = int(phase / math.pi / 2 * length + 0.5)
    point = (torch.arange(length, dtype=torch.float64) + offset) % length
    if kind == "sine":
        d = (torch.sin(point / length * 2 * math.pi) + 1) / 2
    elif kind == "triangle":
        d = point * 2 / length
        quarter = torch.div(4 * point, length, rounding_mode="floor")
        d = torch.where(quarter == 0, d + 0.5, torch.where(quarter == 3, d - 1.5, 1.5 - d))
    else:
        raise ValueError(f"wave_table: kind must be 'sine' or 'triangle', got {kind!r}")
    d = d * (hi - lo) + lo
    if integer:
        d = torch.trunc(d + torch.where(d < 0, -0.5, 0.5))
    return d


def chorus(waveform: torch.Tensor, sample_rate: float, gain_in: float, gain_out: float, delays: Sequence[float],
           decays: Sequence[float], speeds: Sequence[float], depths: Sequence[float],
           modulations: Sequence[str]) -> torch.Tensor:
    """sox's ``chorus``: the input plus copies whose delay is swept by a sine or triangle wave.

    For each voice ``i`` a delay is swept at ``speeds[i]`` Hz with shape ``modulations[i]``. As in
    sox 14.4.2, a triangle voice sweeps ``delays[i]`` to ``delays[i] + 2 * depths[i]`` (ms), while a
    sine voice sweeps 0 to ``depths[i]`` (ms) (sox's sine table ignores the base delay).

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        gain_in, gain_out: input and output gains.
        delays: base delays in ms (20 to 100); decays: voice gains in [0, 1];
        speeds: modulation rates in Hz (0.1 to 5); depths: modulation depths in ms (0 to 10).
        modulations: ``"sine"`` or ``"triangle"`` per voice.

    Returns:
        Tensor: the chorused audio.

    Shape:
        `(..., time)` -> `(..., time + max_samples)`, ``max_samples`` = longest ``int((delay + depth) * rate / 1000)``.
    """
    check_float("waveform", waveform, fn="chorus")
    check_positive("sample_rate", sample_rate, fn="chorus")
    _check_echo_args("chorus", gain_in, gain_out, delays, decays)
    if not len(delays) == len(speeds) == len(depths) == len(modulations):
        raise ValueError("chorus: delays, decays, speeds, depths and modulations must have equal lengths")
    samples = [int((d + w) * sample_rate / 1000.0) for d, w in zip(delays, depths)]
    max_samples = max(samples)
    n_in = waveform.shape[-1]
    length = n_in + max_samples
    x = _shift(waveform, 0, length)
    y = x * gain_in
    n = torch.arange(length, device=waveform.device)
    for voice, decay in enumerate(decays):
        depth_samples = int(depths[voice] * sample_rate / 1000.0)
        period = int(sample_rate / speeds[voice])
        kind = modulations[voice]
        if kind == "sine":  # sox sweeps a sine voice between 0 and depth samples (not around the delay)
            table = wave_table(kind, period, 0, depth_samples, 0.0, integer=True)
        else:
            lo, hi = samples[voice] - 1 - 2 * depth_samples, samples[voice] - 1
            table = wave_table(kind, period, lo, hi, 3 * math.pi / 2, integer=True)
        delay = table.to(waveform.device).long()[n % period]
        # sox reads its ring buffer before writing it, so a zero delay reads max_samples back
        delay = torch.where(delay == 0, max_samples, delay)
        src = n - delay
        valid = (src >= 0) & (src < n_in)
        tapped = x.index_select(-1, src.clamp(0, length - 1)) * valid.to(x.dtype)
        y = y + decay * tapped
    return y * gain_out


def tremolo(waveform: torch.Tensor, sample_rate: float, speed: float, depth: float = 40.0) -> torch.Tensor:
    """sox's ``tremolo``: amplitude modulation by a raised cosine.

    ``y = x * (1 - d / 2 + d / 2 * cos(2 pi speed t))`` with ``d = depth / 100``.

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        speed: modulation frequency in Hz (> 0).
        depth: modulation depth in percent, in [0, 100] (default 40).

    Returns:
        Tensor: the modulated audio.

    Shape:
        `(..., time)` -> `(..., time)`.
    """
    check_float("waveform", waveform, fn="tremolo")
    check_positive("sample_rate", sample_rate, fn="tremolo")
    check_positive("speed", speed, fn="tremolo")
    if not 0 <= depth <= 100:
        raise ValueError(f"tremolo: depth must be in [0, 100] percent, got {depth}")
    t = torch.arange(waveform.shape[-1], dtype=torch.float64, device=waveform.device) / sample_rate
    d = depth / 100.0
    gain = 1 - d / 2 + d / 2 * torch.cos(2 * math.pi * speed * t)
    return waveform * gain.to(waveform.dtype)
