"""Precision policy: half-precision inputs are computed in float32 and returned in their own dtype."""

from __future__ import annotations

from typing import Tuple

import torch

_LOW_PRECISION = (torch.float16, torch.bfloat16)


def upcast(x: torch.Tensor) -> Tuple[torch.Tensor, torch.dtype]:
    """Return ``(x in a compute dtype, original dtype)``; float16/bfloat16 become float32."""
    if x.dtype in _LOW_PRECISION:
        return x.float(), x.dtype
    if x.dtype == torch.complex32:
        return x.to(torch.complex64), x.dtype
    return x, x.dtype


def restore(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cast a result back to the caller's dtype (real results of complex inputs keep the real dtype)."""
    if y.dtype == dtype:
        return y
    if dtype == torch.complex32:
        return y.to(dtype) if y.is_complex() else y.half()
    if y.is_complex():
        return y  # complex result of a real half input stays complex64
    return y.to(dtype)


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """float dtype that matches a (possibly complex) dtype: complex64 -> float32, complex128 -> float64."""
    return {torch.complex64: torch.float32, torch.complex128: torch.float64, torch.complex32: torch.float16}.get(dtype, dtype)


# torch.jit.script compiles TorchScript-typed twins of these (see _internal/script.py)
from .script import real_dtype_s, restore_s, upcast_s  # noqa: E402

upcast.__prepare_scriptable__ = lambda: upcast_s  # type: ignore[attr-defined]
restore.__prepare_scriptable__ = lambda: restore_s  # type: ignore[attr-defined]
real_dtype.__prepare_scriptable__ = lambda: real_dtype_s  # type: ignore[attr-defined]
