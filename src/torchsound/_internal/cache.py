"""Memoisation for costly setup (filterbanks, resampling kernels, windows).

Cached builders take only hashable arguments (numbers, strings, ``torch.dtype``, ``torch.device``)
and return tensors that callers must treat as read-only.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def cached(maxsize: int = 64) -> Callable[[F], F]:
    """LRU-cache a tensor builder keyed by all its arguments (include dtype and device among them).

    The cache is skipped while ``torch.compile`` traces, where a Python-side cache would be
    baked into the graph anyway.
    """

    def decorate(fn: F) -> F:
        memo = functools.lru_cache(maxsize=maxsize)(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                import torch.compiler

                if torch.compiler.is_compiling():
                    return fn(*args, **kwargs)
            except (ImportError, AttributeError):  # pragma: no cover - old torch
                pass
            return memo(*args, **kwargs)

        # torch.jit.script compiles the plain builder (TorchScript has no cache; see _internal/script.py)
        wrapper.__prepare_scriptable__ = lambda: fn  # type: ignore[attr-defined]
        wrapper.cache_clear = memo.cache_clear  # type: ignore[attr-defined]
        wrapper.cache_info = memo.cache_info  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
