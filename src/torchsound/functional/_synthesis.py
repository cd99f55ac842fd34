"""Additive synthesis (``torchsound.prototype.functional``): oscillator banks, harmonic patterns, ADSR envelopes."""

from __future__ import annotations

import math
import warnings

import torch

from .._internal.checks import check_choice, check_float, check_int


def oscillator_bank(
    frequencies: torch.Tensor,
    amplitudes: torch.Tensor,
    sample_rate: float,
    reduction: str = "sum",
    dtype: torch.dtype | None = torch.float64,
) -> torch.Tensor:
    r"""Sum (or stack) sinusoids with sample-wise frequencies (Hz) and amplitudes.

    The phase is the cumulative sum of ``2 pi f / sample_rate``, accumulated in ``dtype``
    (float64 by default: float32 phase drifts audibly over seconds). Oscillators at or above
    Nyquist are silenced (with a warning).

    Shape:
        - frequencies, amplitudes: ``(..., time, N)``
        - output: ``(..., time)``, or ``(..., time, N)`` with ``reduction="none"``.
    """
    fn = "oscillator_bank"
    check_float("frequencies", frequencies, fn=fn)
    check_float("amplitudes", amplitudes, fn=fn)
    check_choice("reduction", reduction, ("sum", "mean", "none"), fn=fn)
    if frequencies.shape != amplitudes.shape:
        raise ValueError(f"{fn}: frequencies and amplitudes must have the same shape, got {tuple(frequencies.shape)} and {tuple(amplitudes.shape)}")
    invalid = frequencies.abs() >= sample_rate / 2
    if not torch.compiler.is_compiling() and bool(invalid.any()):
        warnings.warn(f"{fn}: some frequencies are at or above Nyquist ({sample_rate / 2} Hz); their amplitudes are set to zero", stacklevel=2)
    amplitudes = torch.where(invalid, torch.zeros_like(amplitudes), amplitudes)
    step = frequencies * (2 * math.pi / sample_rate) % (2 * math.pi)
    phases = torch.cumsum(step, dim=-2, dtype=dtype).to(step.dtype)
    waves = amplitudes * torch.sin(phases)
    if reduction == "sum":
        return waves.sum(-1)
    if reduction == "mean":
        return waves.mean(-1)
    return waves


def extend_pitch(base: torch.Tensor, pattern: int | list[float] | torch.Tensor) -> torch.Tensor:
    r"""Multiply a pitch series by a pattern of ratios: ``int k`` gives harmonics ``1 .. k``; a list or
    1-D tensor gives custom (inharmonic) ratios.

    Shape:
        - base: ``(..., time, 1)``
        - output: ``(..., time, num_tones)``
    """
    check_float("base", base, fn="extend_pitch")
    if isinstance(pattern, torch.Tensor):
        ratios = pattern.to(device=base.device, dtype=base.dtype)
    elif isinstance(pattern, int) and not isinstance(pattern, bool):
        check_int("pattern", pattern, fn="extend_pitch", minimum=1)
        ratios = torch.linspace(1.0, float(pattern), pattern, device=base.device, dtype=base.dtype)
    else:
        ratios = torch.tensor(list(pattern), dtype=base.dtype, device=base.device)
    if ratios.ndim != 1:
        raise ValueError(f"extend_pitch: pattern must be 1-D, got shape {tuple(ratios.shape)}")
    return base @ ratios.unsqueeze(0)


def adsr_envelope(
    num_frames: int,
    *,
    attack: float = 0.0,
    hold: float = 0.0,
    decay: float = 0.0,
    sustain: float = 1.0,
    release: float = 0.0,
    n_decay: int = 2,
    dtype: torch.dtype | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    r"""Attack-hold-decay-sustain-release envelope; times are fractions of ``num_frames``, ``sustain`` is a level.

    Linear attack 0 -> 1, hold at 1, polynomial decay ``sustain + (1 - sustain) * r ** n_decay``
    (``r`` from 1 to 0), sustain, linear release to 0 at the last frame.

    Shape:
        - output: ``(num_frames,)``
    """
    fn = "adsr_envelope"
    check_int("num_frames", num_frames, fn=fn, minimum=1)
    for name, value in (("attack", attack), ("hold", hold), ("decay", decay), ("sustain", sustain), ("release", release)):
        if not 0 <= value <= 1:
            raise ValueError(f"{fn}: {name} must be within [0, 1], got {value!r}")
    if attack + decay + release + hold > 1:
        raise ValueError(f"{fn}: attack + hold + decay + release must not exceed 1, got {attack + hold + decay + release}")
    last = num_frames - 1
    n_a, n_h, n_d, n_r = (int(last * v) for v in (attack, hold, decay, release))
    t = torch.arange(num_frames, device=device, dtype=torch.float64)
    out = torch.full((num_frames,), float(sustain), device=device, dtype=torch.float64)
    # Segments are written in order, later ones overwriting the shared boundary frame.
    if n_a > 0:
        out = torch.where(t <= n_a, t / n_a, out)
    if n_h > 0:
        out = torch.where((t >= n_a) & (t <= n_a + n_h), torch.ones_like(out), out)
    if n_d > 0:
        start = n_a + n_h
        ramp = 1 - (t - start) / n_d
        out = torch.where((t >= start) & (t <= start + n_d), sustain + (1 - sustain) * ramp.clamp(0, 1) ** n_decay, out)
    if n_r > 0:
        start = num_frames - 1 - n_r
        out = torch.where(t >= start, sustain * (1 - (t - start) / n_r), out)
    return out.to(dtype or torch.get_default_dtype())
