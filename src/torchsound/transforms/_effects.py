"""Effect modules: Vol, Fade, Speed, SpeedPerturbation, AddNoise (math in ``torchsound.functional._effects``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .._internal.checks import check_choice, check_float
from ..functional import _effects as F


class Vol(torch.nn.Module):
    r"""Change the volume, then clamp to ``[-1, 1]``.

    Args:
        gain: amplitude ratio (``gain_type="amplitude"``), power ratio (``"power"``) or decibels (``"db"``).
        gain_type: ``"amplitude"``, ``"power"`` or ``"db"``.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """

    def __init__(self, gain: float, gain_type: str = "amplitude") -> None:
        super().__init__()
        check_choice("gain_type", gain_type, ("amplitude", "power", "db"), fn="Vol")
        if gain_type in ("amplitude", "power") and gain < 0:
            raise ValueError(f"Vol: gain must be non-negative for gain_type={repr(gain_type)}, got {repr(gain)}")
        self.gain = gain
        self.gain_type = gain_type

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        check_float("waveform", waveform, fn="Vol")
        if self.gain_type == "amplitude":
            waveform = waveform * self.gain
        elif self.gain_type == "db":
            waveform = F.gain(waveform, self.gain)
        else:
            waveform = F.gain(waveform, 10 * math.log10(self.gain)) if self.gain > 0 else waveform * 0
        return torch.clamp(waveform, -1, 1)


class Fade(torch.nn.Module):
    r"""Fade in and/or out; shapes ``"quarter_sine"``, ``"half_sine"``, ``"linear"``, ``"logarithmic"``, ``"exponential"``.

    Args:
        fade_in_len, fade_out_len: lengths of the ramps in samples.
        fade_shape: ramp shape (an unknown name is an error).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """

    def __init__(self, fade_in_len: int = 0, fade_out_len: int = 0, fade_shape: str = "linear") -> None:
        super().__init__()
        check_choice("fade_shape", fade_shape, F._FADE_SHAPES, fn="Fade")
        if fade_in_len < 0 or fade_out_len < 0:
            raise ValueError(f"Fade: fade lengths must be non-negative, got {fade_in_len} and {fade_out_len}")
        self.fade_in_len = fade_in_len
        self.fade_out_len = fade_out_len
        self.fade_shape = fade_shape

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        check_float("waveform", waveform, fn="Fade")
        envelope = F.fade_envelope(
            waveform.shape[-1], self.fade_in_len, self.fade_out_len, self.fade_shape, device=waveform.device,
            dtype=waveform.dtype,
        )
        return envelope * waveform


class Speed(torch.nn.Module):
    r"""Change speed by ``factor`` (resampling); see :func:`torchsound.functional.speed`.

    Shape:
        - waveform: ``(..., time)``; lengths: ``(...)`` or None
        - output: ``(..., new_time)`` and the new lengths
    """

    def __init__(self, orig_freq, factor) -> None:
        super().__init__()
        self.orig_freq = orig_freq
        self.factor = factor

    def forward(self, waveform, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        return F.speed(waveform, orig_freq=self.orig_freq, factor=self.factor, lengths=lengths)


class SpeedPerturbation(torch.nn.Module):
    r"""Apply :class:`Speed` with a factor drawn uniformly from ``factors`` (torch's global generator).

    Shape:
        - waveform: ``(..., time)``; lengths: ``(...)`` or None
        - output: ``(..., new_time)`` and the new lengths
    """

    def __init__(self, orig_freq: int, factors: Sequence[float]) -> None:
        super().__init__()
        if len(factors) == 0:
            raise ValueError("SpeedPerturbation: factors must not be empty")
        self.speeders = torch.nn.ModuleList([Speed(orig_freq=orig_freq, factor=f) for f in factors])

    def forward(self, waveform: torch.Tensor, lengths: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = int(torch.randint(len(self.speeders), ()))
        for i, speeder in enumerate(self.speeders):  # indexing a ModuleList with a tensor-derived int
            if i == idx:
                return speeder(waveform, lengths)
        raise AssertionError("unreachable")


class AddNoise(torch.nn.Module):
    r"""Add noise at a given SNR; see :func:`torchsound.functional.add_noise`.

    Shape:
        - waveform, noise: ``(..., L)``; snr, lengths: ``(...)``
        - output: ``(..., L)``
    """

    def forward(
        self, waveform: torch.Tensor, noise: torch.Tensor, snr: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        return F.add_noise(waveform, noise, snr, lengths)
