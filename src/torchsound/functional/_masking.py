"""SpecAugment-style masking of a band of frequencies or frames."""

from __future__ import annotations

from typing import Union

import torch

from .._internal.checks import check_int, check_tensor


def _check(fn: str, specgram, mask_param, axis, p, min_dim: int) -> None:
    check_tensor("specgram", specgram, fn=fn)
    check_int("mask_param", mask_param, fn=fn, minimum=0)
    check_int("axis", axis, fn=fn)
    dim = specgram.dim()
    if dim < min_dim:
        raise ValueError(f"{fn}: specgram must have at least {min_dim} dimensions, got shape {list(specgram.shape)}")
    if axis not in (dim - 2, dim - 1):
        raise ValueError(f"{fn}: axis must be {dim - 2} (frequency) or {dim - 1} (time) for a {dim}-D input, got {repr(axis)}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: p must be in [0, 1], got {repr(p)}")


def _effective_param(mask_param: int, p: float, axis_length: int) -> int:
    """``p < 1`` caps the mask width at ``p`` times the axis length."""
    return mask_param if p == 1.0 else min(mask_param, int(axis_length * p))


def _fill(x: torch.Tensor, mask: torch.Tensor, value: Union[float, torch.Tensor]) -> torch.Tensor:
    """``x`` with ``value`` where ``mask``; a tensor value with dimensions (e.g. a per-example mean) broadcasts."""
    if isinstance(value, torch.Tensor):
        if value.dim() > 0:
            return torch.where(mask, value.to(x.dtype), x)
        return x.masked_fill(mask, value)
    return x.masked_fill(mask, value)


def mask_along_axis(
    specgram: torch.Tensor, mask_param: int, mask_value: Union[float, torch.Tensor], axis: int, p: float = 1.0
) -> torch.Tensor:
    r"""Mask one band ``[v0, v0 + v)`` along ``axis`` (frequency or time), shared by all items of the batch.

    ``v ~ U[0, mask_param)`` and ``v0 ~ U[0, size - v)`` are drawn from torch's global generator.

    Shape:
        specgram: ``(..., freq, time)`` (at least 2-D); ``axis`` is ``dim - 2`` or ``dim - 1``; output: same.
    """
    if not torch.jit.is_scripting():
        _check("mask_along_axis", specgram, mask_param, axis, p, 2)
    size = specgram.shape[axis]
    mask_param = _effective_param(mask_param, p, size)
    if mask_param < 1:
        return specgram
    value = torch.rand(1) * mask_param
    start_f = torch.rand(1) * (size - value)
    start = start_f.long().to(specgram.device)
    end = (start_f.long() + value.long()).to(specgram.device)
    index = torch.arange(size, device=specgram.device)
    mask = (index >= start) & (index < end)
    if axis == specgram.dim() - 2:
        mask = mask.unsqueeze(-1)
    return _fill(specgram, mask, mask_value)


def mask_along_axis_iid(
    specgrams: torch.Tensor, mask_param: int, mask_value: Union[float, torch.Tensor], axis: int, p: float = 1.0
) -> torch.Tensor:
    r"""Mask one band along ``axis`` independently for every example and channel.

    Shape:
        specgrams: ``(batch, channel, freq, time)`` or any ``(..., freq, time)`` with at least 3 dims;
        ``axis`` is ``dim - 2`` or ``dim - 1``; output: same.
    """
    if not torch.jit.is_scripting():
        _check("mask_along_axis_iid", specgrams, mask_param, axis, p, 3)
    size = specgrams.shape[axis]
    mask_param = _effective_param(mask_param, p, size)
    if mask_param < 1:
        return specgrams
    dim = specgrams.dim()
    batch_shape = specgrams.shape[: dim - 2]
    real = specgrams.real.dtype if specgrams.is_complex() else specgrams.dtype
    draw_dtype = real if real == torch.float32 or real == torch.float64 else torch.float32
    value = torch.rand(batch_shape, device=specgrams.device, dtype=draw_dtype) * mask_param
    start_f = torch.rand(batch_shape, device=specgrams.device, dtype=draw_dtype) * (size - value)
    start = start_f.long()[..., None, None]
    end = (start_f.long() + value.long())[..., None, None]
    index = torch.arange(size, device=specgrams.device)
    mask = (index >= start) & (index < end)  # (..., 1, size): along the last axis
    if axis == dim - 2:
        mask = mask.transpose(-1, -2)
    return _fill(specgrams, mask, mask_value)
