"""Lazy access to Ray: ``import torchsound`` never imports it, and a missing install names the extra."""

from __future__ import annotations

import os
from types import ModuleType
from typing import Optional


def require_ray() -> ModuleType:
    """``ray`` with ``ray.data`` loaded, or an ImportError naming ``torchsound[ray]``."""
    # No usage reporting and no log deduplication unless the user chose otherwise.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
        import ray.data  # noqa: F401  (the Dataset API lives in this submodule)
    except ImportError as err:
        raise ImportError("Ray Data is needed for engine='ray'; install it with: pip install 'torchsound[ray]'") from err
    return ray


def ensure_ray(address: Optional[str] = None, num_cpus: Optional[int] = None) -> bool:
    """Connect to Ray: the running session if there is one, else ``address``, else a local Ray started on the fly.

    Returns True when this call started the session (so the caller shuts it down when done).
    """
    ray = require_ray()
    if ray.is_initialized():
        return False
    if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1):
        raise ValueError(f"num_cpus must be a positive int, got {num_cpus!r}")
    kwargs = {"include_dashboard": False, "configure_logging": True, "logging_level": "WARNING"}
    if address is not None:
        ray.init(address=address, **kwargs)  # a cluster sizes itself; num_cpus applies to a local Ray only
    else:
        ray.init(num_cpus=num_cpus, **kwargs)
    return True
