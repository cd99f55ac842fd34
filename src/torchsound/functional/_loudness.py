"""Integrated loudness (ITU-R BS.1770-4): K-weighting, 400 ms blocks, absolute and relative gating."""

from __future__ import annotations

import math
from typing import List, Tuple

import torch

from .._internal.checks import check_float, check_min_dim, check_positive
from .._internal.dtypes import restore, upcast
from ._filtering import highpass_biquad, treble_biquad


def _bs1770() -> Tuple[float, float, float, float, float, List[float]]:
    """BS.1770-4's constants (a function: TorchScript reads no float globals): block length (s), block overlap,
    absolute gate (LUFS), relative gate (LU below the absolutely gated loudness), offset (dB: a 997 Hz
    full-scale sine reads -3.01 LUFS), channel weights (L, R, C, Ls, Rs)."""
    return 0.4, 0.75, -70.0, -10.0, -0.691, [1.0, 1.0, 1.0, 1.41, 1.41]



def _k_weighting(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """BS.1770's two-stage pre-filter: a +4 dB high shelf (head) then a 38 Hz high-pass (RLB)."""
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
    block_seconds, overlap, absolute_gate, relative_gate, offset, channel_weights = _bs1770()
    block = int(round(block_seconds * sample_rate))
    step = int(round(block * (1 - overlap)))
    if waveform.shape[-1] < block:
        raise ValueError(f"{fn}: waveform must be at least one 400 ms block ({block} samples), got {waveform.shape[-1]}")
    x, orig_dtype = upcast(waveform)
    if x.numel() == 0:
        return waveform.new_zeros(waveform.shape[:-2])
    x = _k_weighting(x, sample_rate)
    energy = x.square().unfold(-1, block, step).mean(-1)  # (..., channel, n_blocks)
    weights = torch.tensor(channel_weights[: energy.shape[-2]], dtype=x.dtype, device=x.device)
    block_loudness = offset + 10 * torch.log10((weights.unsqueeze(-1) * energy).sum(-2))
    above_absolute = block_loudness > absolute_gate
    gate = _gated_loudness(above_absolute, energy, weights, offset) + relative_gate
    kept = above_absolute & (block_loudness > gate.unsqueeze(-1))
    return restore(_gated_loudness(kept, energy, weights, offset), orig_dtype)


def _gated_loudness(keep: torch.Tensor, energy: torch.Tensor, weights: torch.Tensor, offset: float) -> torch.Tensor:
    """Loudness of the mean energy of the kept blocks: ``keep`` ``(..., n_blocks)``, ``energy`` ``(..., channel, n_blocks)``."""
    keep = keep.unsqueeze(-2).to(energy.dtype)
    mean_energy = (keep * energy).sum(-1) / keep.sum(-1)
    return offset + 10 * torch.log10((weights * mean_energy).sum(-1))
