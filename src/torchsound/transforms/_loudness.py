"""Integrated loudness transform."""

from __future__ import annotations

import torch

from .. import functional as F
from .._internal.checks import check_positive

__all__ = ["Loudness"]


class Loudness(torch.nn.Module):
    r"""Gated integrated loudness in LUFS (ITU-R BS.1770-4; see :func:`torchsound.functional.loudness`).

    Shape:
        wavefrom: ``(..., channel, time)``; output: ``(...)``.
    """

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        check_positive("sample_rate", sample_rate, fn="Loudness")
        self.sample_rate = sample_rate

    def forward(self, wavefrom: torch.Tensor) -> torch.Tensor:  # (sic) torchaudio's parameter name
        return F.loudness(wavefrom, self.sample_rate)
