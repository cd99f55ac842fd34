"""Import optional dependencies lazily, with an ImportError that names the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA_OF = {"av": "ffmpeg", "matplotlib": "plot", "matplotlib.pyplot": "plot"}


def require(module: str, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise ImportError saying which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        extra = _EXTRA_OF.get(module)
        how = f"pip install 'torchsound[{extra}]'" if extra else f"pip install {module.split('.')[0]}"
        why = f" for {purpose}" if purpose else ""
        raise ImportError(f"{module} is needed{why}; install it with: {how}") from err
