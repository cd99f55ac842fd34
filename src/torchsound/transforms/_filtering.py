"""Pre-emphasis and de-emphasis as modules (math in ``torchsound.functional._filtering``)."""

from __future__ import annotations

import torch

from ..functional import _filtering as F


class Preemphasis(torch.nn.Module):
    r"""Pre-emphasis ``y[n] = x[n] - coeff * x[n-1]``; see :func:`torchsound.functional.preemphasis`.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """

    def __init__(self, coeff: float = 0.97) -> None:
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.preemphasis(waveform, coeff=self.coeff)


class Deemphasis(torch.nn.Module):
    r"""De-emphasis ``y[n] = x[n] + coeff * y[n-1]``; see :func:`torchsound.functional.deemphasis`.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """

    def __init__(self, coeff: float = 0.97) -> None:
        super().__init__()
        self.coeff = coeff

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return F.deemphasis(waveform, coeff=self.coeff)
