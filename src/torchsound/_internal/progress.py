"""Progress bars for long work (tqdm), quiet when disabled or when output is not a terminal."""

from __future__ import annotations

from typing import Iterable, Optional, TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], *, desc: str = "", total: Optional[int] = None, enabled: bool = True, unit: str = "it"):
    """Wrap ``items`` in a tqdm bar when ``enabled``; otherwise return them unchanged."""
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, total=total, unit=unit, leave=False, dynamic_ncols=True)
