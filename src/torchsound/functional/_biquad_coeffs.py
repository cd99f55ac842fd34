"""Biquad coefficient formulas, written once for the eager biquads and their TorchScript twins.

sox's filters from the RBJ audio-EQ cookbook. Each function takes float64 0-dim tensors (the eager path passes
tensors that may carry gradients, the scripted path tensors made from its numbers) and returns
``[b0, b1, b2, a0, a1, a2]``. ``w0 = 2 pi f / sample_rate``; ``alpha = sin(w0) / (2 Q)`` unless stated.
"""

from __future__ import annotations

import math
from typing import List, Tuple

import torch


def lowpass(w0: torch.Tensor, alpha: torch.Tensor) -> List[torch.Tensor]:
    cos = torch.cos(w0)
    return [(1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]


def highpass(w0: torch.Tensor, alpha: torch.Tensor) -> List[torch.Tensor]:
    cos = torch.cos(w0)
    return [(1 + cos) / 2, -1 - cos, (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha]


def allpass(w0: torch.Tensor, alpha: torch.Tensor) -> List[torch.Tensor]:
    cos = torch.cos(w0)
    return [1 - alpha, -2 * cos, 1 + alpha, 1 + alpha, -2 * cos, 1 - alpha]


def bandpass(w0: torch.Tensor, alpha: torch.Tensor, const_skirt_gain: bool) -> List[torch.Tensor]:
    """Peak gain Q with ``const_skirt_gain`` (sox ``bandpass -c``), else 0 dB."""
    cos = torch.cos(w0)
    top = torch.sin(w0) / 2 if const_skirt_gain else alpha
    return [top, torch.zeros_like(top), -top, 1 + alpha, -2 * cos, 1 - alpha]


def bandreject(w0: torch.Tensor, alpha: torch.Tensor) -> List[torch.Tensor]:
    cos = torch.cos(w0)
    one = torch.ones_like(cos)
    return [one, -2 * cos, one, 1 + alpha, -2 * cos, 1 - alpha]


def band(w0: torch.Tensor, bandwidth_w: torch.Tensor, noise: bool) -> List[torch.Tensor]:
    """sox ``band``: a two-pole resonator of peak gain 1 (``noise``: noise gain 1); ``bandwidth_w = 2 pi (f / Q) / sr``."""
    a2 = torch.exp(-bandwidth_w)
    a1 = -4 * a2 / (1 + a2) * torch.cos(w0)
    if noise:
        b0 = torch.sqrt(((1 + a2) * (1 + a2) - a1 * a1) * (1 - a2) / (1 + a2))
    else:
        b0 = torch.sqrt(1 - a1 * a1 / (4 * a2)) * (1 - a2)
    zero = torch.zeros_like(b0)
    return [b0, zero, zero, torch.ones_like(b0), a1, a2]


def shelf(gain: torch.Tensor, w0: torch.Tensor, alpha: torch.Tensor, treble: bool) -> List[torch.Tensor]:
    """Shelving filter of ``gain`` dB: treble (high shelf) or bass (low shelf)."""
    amp = torch.exp(gain / 40 * math.log(10))
    t1 = 2 * torch.sqrt(amp) * alpha
    t2 = (amp - 1) * torch.cos(w0)
    t3 = (amp + 1) * torch.cos(w0)
    sign = 1.0 if treble else -1.0
    return [
        amp * ((amp + 1) + sign * t2 + t1),
        -2 * sign * amp * ((amp - 1) + sign * t3),
        amp * ((amp + 1) + sign * t2 - t1),
        (amp + 1) - sign * t2 + t1,
        2 * sign * ((amp - 1) - sign * t3),
        (amp + 1) - sign * t2 - t1,
    ]


def equalizer(gain: torch.Tensor, w0: torch.Tensor, alpha: torch.Tensor) -> List[torch.Tensor]:
    """Peaking equaliser of ``gain`` dB."""
    amp = torch.exp(gain / 40 * math.log(10))
    cos = torch.cos(w0)
    return [1 + alpha * amp, -2 * cos, 1 - alpha * amp, 1 + alpha / amp, -2 * cos, 1 - alpha / amp]


def deemph_shelf(sample_rate: int) -> Tuple[float, float, float]:
    """sox ``deemph`` (ISO 908 CD/DAT de-emphasis) as a treble shelf: ``(gain dB, w0, alpha)``."""
    if sample_rate == 44100:
        freq, slope, gain = 5283.0, 0.4845, -9.477
    elif sample_rate == 48000:
        freq, slope, gain = 5356.0, 0.479, -9.62
    else:
        raise ValueError("deemph_biquad: sample_rate must be 44100 (audio CD) or 48000 (DAT), got " + str(sample_rate))
    w0 = 2 * math.pi * freq / sample_rate
    amp = math.exp(gain / 40 * math.log(10))
    alpha = math.sin(w0) / 2 * math.sqrt((amp + 1 / amp) * (1 / slope - 1) + 2)
    return gain, w0, alpha


def _riaa_roots(sample_rate: int) -> Tuple[List[float], List[float]]:
    """sox's RIAA playback equalisation: (zeros, poles) of the digital filter per sample rate."""
    if sample_rate == 44100:
        return [-0.2014898, 0.9233820], [0.7083149, 0.9924091]
    if sample_rate == 48000:
        return [-0.1766069, 0.9321590], [0.7396325, 0.9931330]
    if sample_rate == 88200:
        return [-0.1168735, 0.9648312], [0.8590646, 0.9964002]
    if sample_rate == 96000:
        return [-0.1141486, 0.9676817], [0.8699137, 0.9966946]
    raise ValueError("riaa_biquad: sample_rate must be one of 44100, 48000, 88200, 96000, got " + str(sample_rate))


def _gain_at(coeffs: List[float], w: float) -> float:
    """``|sum_k c_k e^{-i k w}|``."""
    re, im = 0.0, 0.0
    for k in range(len(coeffs)):
        re += coeffs[k] * math.cos(k * w)
        im -= coeffs[k] * math.sin(k * w)
    return math.sqrt(re * re + im * im)


def riaa(sample_rate: int) -> List[float]:
    """sox ``riaa`` coefficients, normalised to 0 dB at 1 kHz."""
    zeros, poles = _riaa_roots(sample_rate)
    b = [1.0, -(zeros[0] + zeros[1]), zeros[0] * zeros[1]]
    a = [1.0, -(poles[0] + poles[1]), poles[0] * poles[1]]
    w = 2 * math.pi * 1000 / sample_rate
    g = _gain_at(a, w) / _gain_at(b, w)
    return [b[0] * g, b[1] * g, b[2] * g, a[0], a[1], a[2]]
