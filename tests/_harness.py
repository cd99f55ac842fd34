"""The shared harness of DESIGN.md: properties every functional and transform must have.

Call ``check_all(fn, x, ...)`` from a test, or the single checks. ``fn`` maps a tensor to a tensor
(or a tuple whose first item is the tensor); wrap extra arguments in a lambda or functools.partial.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch


def _first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def check_no_inplace(fn: Callable, *inputs: torch.Tensor) -> None:
    """``fn`` leaves its inputs unchanged."""
    before = [x.clone() for x in inputs]
    fn(*inputs)
    for b, x in zip(before, inputs):
        torch.testing.assert_close(x, b, rtol=0, atol=0, equal_nan=True, msg="input was modified in place")


def check_dtype_device(fn: Callable, x: torch.Tensor, *, expect_dtype: Optional[torch.dtype] = None) -> None:
    """Output is on the input's device, in the input's dtype (or ``expect_dtype``, e.g. complex)."""
    y = _first(fn(x))
    assert y.device == x.device, f"device {y.device} != input device {x.device}"
    want = expect_dtype or x.dtype
    assert y.dtype == want, f"dtype {y.dtype} != expected {want}"


def check_batch_equals_loop(fn: Callable, x: torch.Tensor, *, batch_dims: int = 1, empty: bool = True, **tol) -> None:
    """Applying ``fn`` to a batch equals stacking it over the items; an empty batch gives an empty result.

    ``x`` has ``batch_dims`` leading batch dimensions that are flattened and looped over.
    """
    tol = tol or {"rtol": 1e-5, "atol": 1e-6}
    batched = _first(fn(x))
    flat = x.reshape(-1, *x.shape[batch_dims:])
    looped = torch.stack([_first(fn(item)) for item in flat]).reshape(batched.shape)
    torch.testing.assert_close(batched, looped, **tol)
    if empty:
        none = x.reshape(-1, *x.shape[batch_dims:])[:0]
        out = _first(fn(none))
        assert out.shape[0] == 0, f"empty batch gave shape {tuple(out.shape)}"


def check_gradcheck(fn: Callable, *inputs: torch.Tensor, **kwargs) -> None:
    """``torch.autograd.gradcheck`` in float64 on (small) inputs."""
    inputs = tuple(x.detach().to(torch.float64 if not x.is_complex() else torch.complex128).requires_grad_(True) for x in inputs)
    assert torch.autograd.gradcheck(lambda *a: _first(fn(*a)), inputs, **kwargs)


def check_compile(fn: Callable, x: torch.Tensor, **tol) -> None:
    """``torch.compile(fullgraph=True)`` gives the eager result."""
    tol = tol or {"rtol": 1e-4, "atol": 1e-5}
    torch._dynamo.reset()
    compiled = torch.compile(fn, fullgraph=True, backend="eager" if x.device.type == "cpu" and _fast_compile() else "inductor")
    torch.testing.assert_close(_first(compiled(x)), _first(fn(x)), **tol)


def _fast_compile() -> bool:
    # Dynamo tracing with fullgraph=True is what proves compilability; inductor codegen adds
    # minutes on 2 cores. Set TORCHSOUND_INDUCTOR=1 to exercise inductor too.
    import os

    return os.environ.get("TORCHSOUND_INDUCTOR", "0") != "1"


def check_low_precision(fn: Callable, x: torch.Tensor, dtypes: Sequence[torch.dtype] = (torch.float16, torch.bfloat16)) -> None:
    """float16/bfloat16 inputs work, come back in their dtype, and are close to the float32 result."""
    ref = _first(fn(x.float()))
    for dt in dtypes:
        y = _first(fn(x.to(dt)))
        assert y.dtype == (dt if not ref.is_complex() else ref.dtype), f"{dt} input gave {y.dtype}"
        scale = ref.abs().max().clamp_min(1e-6)
        err = (y.to(ref.dtype) - ref).abs().max() / scale
        assert err < 0.05, f"{dt}: relative error {float(err):.3g} vs float32"


def check_module_equals_functional(module: torch.nn.Module, fn: Callable, x: torch.Tensor, **tol) -> None:
    """A transform gives exactly what its functional gives."""
    tol = tol or {"rtol": 0, "atol": 0}
    torch.testing.assert_close(_first(module(x)), _first(fn(x)), **tol)


def check_all(
    fn: Callable,
    x: torch.Tensor,
    *,
    batch_dims: int = 1,
    grad_input: Optional[torch.Tensor] = None,
    compile: bool = False,
    low_precision: bool = True,
    expect_dtype: Optional[torch.dtype] = None,
    batch_tol: Optional[dict] = None,
) -> None:
    """Every harness property at once. ``grad_input`` is a small input for gradcheck (None skips it)."""
    check_no_inplace(fn, x)
    check_dtype_device(fn, x, expect_dtype=expect_dtype)
    check_batch_equals_loop(fn, x, batch_dims=batch_dims, **(batch_tol or {}))
    if grad_input is not None:
        check_gradcheck(fn, grad_input)
    if low_precision:
        check_low_precision(fn, x)
    if compile:
        check_compile(fn, x)
