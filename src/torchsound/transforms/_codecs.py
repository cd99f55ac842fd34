"""mu-law modules (math in ``torchsound.functional._codecs``)."""

from __future__ import annotations

import torch

from .._internal.checks import check_int
from ..functional import _codecs as F


class MuLawEncoding(torch.nn.Module):
    r"""Encode a signal in ``[-1, 1]`` to mu-law integers; see :func:`torchsound.functional.mu_law_encoding`.

    Shape:
        - x: ``(...)``
        - output: ``(...)``, int64
    """

    def __init__(self, quantization_channels: int = 256) -> None:
        super().__init__()
        check_int("quantization_channels", quantization_channels, fn="MuLawEncoding", minimum=2)
        self.quantization_channels = quantization_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.mu_law_encoding(x, self.quantization_channels)


class MuLawDecoding(torch.nn.Module):
    r"""Decode mu-law integers to ``[-1, 1]``; see :func:`torchsound.functional.mu_law_decoding`.

    Shape:
        - x_mu: ``(...)``
        - output: ``(...)``
    """

    def __init__(self, quantization_channels: int = 256) -> None:
        super().__init__()
        check_int("quantization_channels", quantization_channels, fn="MuLawDecoding", minimum=2)
        self.quantization_channels = quantization_channels

    def forward(self, x_mu: torch.Tensor) -> torch.Tensor:
        return F.mu_law_decoding(x_mu, self.quantization_channels)
