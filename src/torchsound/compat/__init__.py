"""torchsound standing in for torchaudio.

:func:`install` makes ``import torchaudio`` (and every ``torchaudio.X``) give torchsound in this process;
``torchsound alias install`` does it for every process of the environment (a ``.pth`` hook). Also here:
torchaudio 2.8's deprecated ``torchaudio.backend`` modules (``backend``, loaded on first use) and the
errors for names torchsound lacks. Importing this package costs only the standard library.
"""

from .._internal.lazy import attach
from ._alias import TORCHAUDIO_VERSION, AliasConflictError, install, is_installed, real_torchaudio, uninstall
from ._missing import NotProvidedError, NotProvidedImportError, NotProvidedModuleError

__getattr__, _, _ = attach(__name__, {}, submodules=["backend"])
__all__ = [
    "TORCHAUDIO_VERSION", "AliasConflictError", "install", "uninstall", "is_installed", "real_torchaudio",
    "NotProvidedError", "NotProvidedImportError", "NotProvidedModuleError",
]
