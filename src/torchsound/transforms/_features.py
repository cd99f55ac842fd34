"""Feature post-processing transforms: deltas and sliding-window CMN."""

from __future__ import annotations

import torch

from .. import functional as F
from .._internal.checks import check_choice, check_int

__all__ = ["ComputeDeltas", "SlidingWindowCmn"]


class ComputeDeltas(torch.nn.Module):
    r"""Delta coefficients of a spectrogram (see :func:`torchsound.functional.compute_deltas`).

    Shape:
        specgram: ``(..., freq, time)``; output: same.
    """

    def __init__(self, win_length: int = 5, mode: str = "replicate") -> None:
        super().__init__()
        check_int("win_length", win_length, fn="ComputeDeltas", minimum=3)
        check_choice("mode", mode, ("replicate", "constant", "reflect", "circular"), fn="ComputeDeltas")
        self.win_length = win_length
        self.mode = mode

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        return F.compute_deltas(specgram, win_length=self.win_length, mode=self.mode)


class SlidingWindowCmn(torch.nn.Module):
    r"""Sliding-window cepstral mean (and variance) normalisation (see :func:`torchsound.functional.sliding_window_cmn`).

    Shape:
        specgram: ``(..., time, freq)``; output: same.
    """

    def __init__(self, cmn_window: int = 600, min_cmn_window: int = 100, center: bool = False, norm_vars: bool = False) -> None:
        super().__init__()
        self.cmn_window = cmn_window
        self.min_cmn_window = min_cmn_window
        self.center = center
        self.norm_vars = norm_vars

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        return F.sliding_window_cmn(specgram, self.cmn_window, self.min_cmn_window, self.center, self.norm_vars)
