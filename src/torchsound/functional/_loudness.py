"""Integrated loudness (ITU-R BS.1770-4): K-weighting, 400 ms blocks, absolute and relative gating."""

from __future__ import annotations

import math

import torch

from .._internal.checks import check_float, check_min_dim, check_positive
from .._internal.dtypes import restore, upcast

_BLOCK_SECONDS = 0.4
_OVERLAP = 0.75
_ABSOLUTE_GATE = -70.0  # LUFS
_RELATIVE_GATE = -10.0  # LU below the absolutely gated loudness
_OFFSET = -0.691  # makes a 997 Hz full-scale sine read -3.01 LUFS
_CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)  # L, R, C, Ls, Rs


def _k_weighting(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """BS.1770's two-stage pre-filter: a +4 dB high shelf (head) then a 38 Hz high-pass (RLB)."""
    from ._filtering import highpass_biquad, treble_biquad

    shelved = treble_biquad(waveform, sample_rate, 4.0, 1500.0, 1 / math.sqrt(2))
    return highpass_biquad(shelved, sample_rate, 38.0, 0.5)


def loudness(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    r"""Gated integrated loudness in LUFS, per ITU-R BS.1770-4 (torchaudio's ``loudness``).

    Mean-square energy of K-weighted 400 ms blocks (75 % overlap) is weighted per channel
    (1, 1, 1, 1.41, 1.41), blocks below -70 LUFS are dropped, then blocks more than 10 LU below the
    remaining loudness are dropped, and the rest is averaged.

    Shape:
        waveform: ``(..., channel, time)`` with at most 5 channels; output: ``(...)``.
    """
    fn = "loudness"
    check_float("waveform", waveform, fn=fn)
    check_min_dim("waveform", waveform, 2, fn=fn)
    check_positive("sample_rate", sample_rate, fn=fn)
    if waveform.shape[-2] > 5:
        raise ValueError(f"{fn}: waveform must have at most 5 channels (dim -2), got {waveform.shape[-2]}")
    block = int(round(_BLOCK_SECONDS * sample_rate))
    step = int(round(block * (1 - _OVERLAP)))
    if waveform.shape[-1] < block:
        raise ValueError(f"{fn}: waveform must be at least one 400 ms block ({block} samples), got {waveform.shape[-1]}")
    x, orig_dtype = upcast(waveform)
    if x.numel() == 0:
        return waveform.new_zeros(waveform.shape[:-2])
    x = _k_weighting(x, sample_rate)
    energy = x.square().unfold(-1, block, step).mean(-1)  # (..., channel, n_blocks)
    weights = torch.tensor(_CHANNEL_WEIGHTS[: energy.shape[-2]], dtype=x.dtype, device=x.device)
    block_loudness = _OFFSET + 10 * torch.log10((weights.unsqueeze(-1) * energy).sum(-2))

    def gated_loudness(keep: torch.Tensor) -> torch.Tensor:
        keep = keep.unsqueeze(-2).to(x.dtype)
        mean_energy = (keep * energy).sum(-1) / keep.sum(-1)
        return _OFFSET + 10 * torch.log10((weights * mean_energy).sum(-1))

    above_absolute = block_loudness > _ABSOLUTE_GATE
    relative_gate = gated_loudness(above_absolute) + _RELATIVE_GATE
    kept = above_absolute & (block_loudness > relative_gate.unsqueeze(-1))
    return restore(gated_loudness(kept), orig_dtype)
