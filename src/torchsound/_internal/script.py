"""TorchScript support: a public function can name the scriptable function ``torch.jit.script`` compiles instead.

Our public functions keep torchaudio's signatures plus keyword-only options, and their eager bodies use what
TorchScript lacks (closures, caches, keyword-only defaults). ``scripted_as(core)`` sets the function's
``__prepare_scriptable__`` hook, which ``torch.jit.script`` calls both on the function itself and on every
function a scripted module's ``forward`` calls: the compiled graph then uses ``core``, a TorchScript-compatible
function with the public positional signature (new options as trailing positional-or-keyword arguments).
Eager calls never see ``core``: the fast path is unchanged.

The helpers below are TorchScript-compatible versions of ``_internal.dtypes``' precision policy.
"""

from __future__ import annotations

from typing import Callable, Tuple

import torch


def scripted_as(core: Callable) -> Callable[[Callable], Callable]:
    """Decorator: ``torch.jit.script(fn)`` (and scripted code that calls ``fn``) compiles ``core`` instead."""

    def decorate(fn: Callable) -> Callable:
        fn.__prepare_scriptable__ = lambda: core
        fn.__torchscript_core__ = core  # for tests and readers
        return fn

    return decorate


def upcast_s(x: torch.Tensor) -> Tuple[torch.Tensor, torch.dtype]:
    """``(x in a compute dtype, original dtype)``: float16/bfloat16 -> float32, complex32 -> complex64."""
    dtype = x.dtype
    if dtype == torch.float16 or dtype == torch.bfloat16:
        return x.float(), dtype
    if dtype == torch.complex32:
        return x.to(torch.complex64), dtype
    return x, dtype


def restore_s(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Cast back to the caller's dtype; a complex result of a real half input stays complex."""
    if y.dtype == dtype:
        return y
    if dtype == torch.complex32:
        return y.to(dtype) if y.is_complex() else y.half()
    if y.is_complex():
        return y
    return y.to(dtype)


def real_dtype_s(dtype: torch.dtype) -> torch.dtype:
    if dtype == torch.complex64:
        return torch.float32
    if dtype == torch.complex128:
        return torch.float64
    if dtype == torch.complex32:
        return torch.float16
    return dtype
