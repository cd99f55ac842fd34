"""Argument checks that raise clear ``ValueError``/``TypeError`` naming the argument.

Every public function validates its inputs through these, so messages read the same everywhere:
``"<function>: <argument> must be <expected>, got <value>"``.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

import torch


def _where(fn: Optional[str]) -> str:
    return f"{fn}: " if fn else ""


def check_positive(name: str, value, *, fn: Optional[str] = None, allow_zero: bool = False) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive (or non-negative) real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not (
        isinstance(value, torch.Tensor) and value.numel() == 1
    ):
        raise TypeError(f"{_where(fn)}{name} must be a number, got {type(value).__name__} {value!r}")
    v = float(value)
    if not (v >= 0 if allow_zero else v > 0) or v != v:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{_where(fn)}{name} must be {kind}, got {value!r}")


def check_int(name: str, value, *, fn: Optional[str] = None, minimum: Optional[int] = None) -> None:
    """Raise ``TypeError`` unless ``value`` is an int, ``ValueError`` if it is below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{_where(fn)}{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{_where(fn)}{name} must be >= {minimum}, got {value!r}")


def check_choice(name: str, value, choices: Iterable, *, fn: Optional[str] = None) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices`` (never fall back to a default)."""
    choices = list(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{_where(fn)}{name} must be one of {listed}; got {value!r}")


def check_tensor(name: str, value, *, fn: Optional[str] = None) -> None:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{_where(fn)}{name} must be a torch.Tensor, got {type(value).__name__}")


def check_float(name: str, tensor, *, fn: Optional[str] = None) -> None:
    """Raise ``TypeError`` unless ``tensor`` is a real floating-point tensor."""
    check_tensor(name, tensor, fn=fn)
    if tensor.is_complex():
        raise TypeError(f"{_where(fn)}{name} must be a real floating-point tensor, got complex dtype {tensor.dtype}")
    if not tensor.is_floating_point():
        raise TypeError(
            f"{_where(fn)}{name} must be a floating-point tensor, got {tensor.dtype}; "
            "convert integer audio with .float() (or load with normalize=True)"
        )


def check_complex(name: str, tensor, *, fn: Optional[str] = None) -> None:
    """Raise ``TypeError`` unless ``tensor`` is complex."""
    check_tensor(name, tensor, fn=fn)
    if not tensor.is_complex():
        raise TypeError(f"{_where(fn)}{name} must be a complex tensor, got {tensor.dtype}")


def check_min_dim(name: str, tensor, ndim: int, *, fn: Optional[str] = None) -> None:
    if tensor.dim() < ndim:
        raise ValueError(f"{_where(fn)}{name} must have at least {ndim} dimension(s), got shape {tuple(tensor.shape)}")


def _unchecked(name: str, value: Any, extra: Any = None, fn: Optional[str] = None, minimum: Optional[int] = None,
               allow_zero: bool = False, positive: bool = False) -> None:
    """What TorchScript compiles for every check above: scripted code runs without argument validation
    (the checks use Python's types, which TorchScript lacks); eager calls always validate."""
    pass


for _check in (check_positive, check_int, check_choice, check_tensor, check_float, check_complex, check_min_dim):
    _check.__prepare_scriptable__ = lambda: _unchecked  # see _internal/script.py
