"""SpecAugment transforms: frequency and time masking."""

from __future__ import annotations

from typing import Union

import torch

from .. import functional as F
from .._internal.checks import check_int

__all__ = ["FrequencyMasking", "TimeMasking", "SpecAugment"]


class _AxisMasking(torch.nn.Module):
    """Mask a band along the frequency (``axis=1``) or time (``axis=2``) axis of ``(..., freq, time)``."""

    def __init__(self, mask_param: int, axis: int, iid_masks: bool, p: float = 1.0) -> None:
        super().__init__()
        name = type(self).__name__
        check_int("mask_param", mask_param, fn=name, minimum=0)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}: p must be in [0, 1], got {repr(p)}")
        self.mask_param = mask_param
        self.axis = axis
        self.iid_masks = iid_masks
        self.p = p

    def forward(self, specgram: torch.Tensor, mask_value: Union[float, torch.Tensor] = 0.0) -> torch.Tensor:
        axis = self.axis + specgram.dim() - 3
        if self.iid_masks:
            return F.mask_along_axis_iid(specgram, self.mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, self.mask_param, mask_value, axis, p=self.p)


class FrequencyMasking(_AxisMasking):
    r"""Mask a random band of at most ``freq_mask_param`` frequency bins (SpecAugment).

    ``iid_masks=True`` draws one band per example and channel (needs a ``(batch, channel, freq, time)`` input).

    Shape:
        specgram: ``(..., freq, time)``; output: same.
    """

    def __init__(self, freq_mask_param: int, iid_masks: bool = False) -> None:
        super().__init__(freq_mask_param, 1, iid_masks)


class TimeMasking(_AxisMasking):
    r"""Mask a random band of at most ``time_mask_param`` frames (SpecAugment); ``p`` caps it at ``p * time``.

    Shape:
        specgram: ``(..., freq, time)``; output: same.
    """

    def __init__(self, time_mask_param: int, iid_masks: bool = False, p: float = 1.0) -> None:
        super().__init__(time_mask_param, 2, iid_masks, p)


class SpecAugment(torch.nn.Module):
    r"""Several time and frequency masks (Park et al., 2019), filled with zeros or the spectrogram's mean.

    Shape:
        specgram: ``(..., freq, time)``; output: same.
    """

    def __init__(
        self,
        n_time_masks: int,
        time_mask_param: int,
        n_freq_masks: int,
        freq_mask_param: int,
        iid_masks: bool = True,
        p: float = 1.0,
        zero_masking: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("n_time_masks", n_time_masks), ("time_mask_param", time_mask_param),
                            ("n_freq_masks", n_freq_masks), ("freq_mask_param", freq_mask_param)):
            check_int(name, value, fn="SpecAugment", minimum=0)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"SpecAugment: p must be in [0, 1], got {repr(p)}")
        self.n_time_masks = n_time_masks
        self.time_mask_param = time_mask_param
        self.n_freq_masks = n_freq_masks
        self.freq_mask_param = freq_mask_param
        self.iid_masks = iid_masks
        self.p = p
        self.zero_masking = zero_masking

    def forward(self, specgram: torch.Tensor) -> torch.Tensor:
        mask_value: Union[float, torch.Tensor] = 0.0
        if not self.zero_masking:
            mask_value = specgram.mean()
        time_dim = specgram.dim() - 1
        freq_dim = time_dim - 1
        iid = specgram.dim() > 2 and self.iid_masks
        for _ in range(self.n_time_masks):
            specgram = self._mask(specgram, iid, self.time_mask_param, mask_value, time_dim)
        for _ in range(self.n_freq_masks):
            specgram = self._mask(specgram, iid, self.freq_mask_param, mask_value, freq_dim)
        return specgram

    def _mask(self, specgram: torch.Tensor, iid: bool, mask_param: int, mask_value: Union[float, torch.Tensor],
              axis: int) -> torch.Tensor:
        if iid:
            return F.mask_along_axis_iid(specgram, mask_param, mask_value, axis, p=self.p)
        return F.mask_along_axis(specgram, mask_param, mask_value, axis, p=self.p)
