"""Convolution modules (math in ``torchsound.functional._convolution``)."""

from __future__ import annotations

import torch

from .._internal.checks import check_choice
from ..functional import _convolution as F


class Convolve(torch.nn.Module):
    r"""Direct convolution of two signals along the last dimension; see :func:`torchsound.functional.convolve`.

    Shape:
        - x: ``(..., N)``, y: ``(..., M)``
        - output: ``(..., L)`` with ``L`` set by ``mode``.
    """

    def __init__(self, mode: str = "full") -> None:
        super().__init__()
        check_choice("mode", mode, F._MODES, fn="Convolve")
        self.mode = mode

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.convolve(x, y, mode=self.mode)


class FFTConvolve(torch.nn.Module):
    r"""FFT convolution of two signals along the last dimension; see :func:`torchsound.functional.fftconvolve`.

    Shape:
        - x: ``(..., N)``, y: ``(..., M)``
        - output: ``(..., L)`` with ``L`` set by ``mode``.
    """

    def __init__(self, mode: str = "full") -> None:
        super().__init__()
        check_choice("mode", mode, F._MODES, fn="FFTConvolve")
        self.mode = mode

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.fftconvolve(x, y, mode=self.mode)
