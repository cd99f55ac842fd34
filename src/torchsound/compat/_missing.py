"""Errors for what torchaudio 2.8 has and torchsound does not provide yet.

A name missing from a torchsound namespace raises :class:`NotProvidedError` (an ``AttributeError``) when
torchaudio 2.8 has it, so the message says it is missing here rather than mistyped; imports raise
:class:`NotProvidedImportError` / :class:`NotProvidedModuleError` (``ImportError`` / ``ModuleNotFoundError``).
torchaudio's public names come from ``_torchaudio28.py``, generated from torchaudio 2.8 by ``tools/compat.py``.
"""

from __future__ import annotations

from typing import Optional

_HOW = "see the compatibility table in torchsound's README"


class NotProvidedError(AttributeError):
    """A name torchaudio 2.8 has that torchsound does not provide yet."""


class NotProvidedImportError(ImportError):
    """``from torchaudio.X import Y`` where torchaudio 2.8 has ``Y`` and torchsound does not yet."""


class NotProvidedModuleError(ModuleNotFoundError):
    """``import torchaudio.X`` (under the alias) where torchsound has no such module."""


def torchaudio_module(package: str) -> Optional[str]:
    """torchaudio's name for the torchsound module ``package`` (``torchsound.compat.backend`` -> ``torchaudio.backend``)."""
    if package == "torchsound.compat.backend" or package.startswith("torchsound.compat.backend."):
        return "torchaudio.backend" + package[len("torchsound.compat.backend"):]
    if package == "torchsound" or (package.startswith("torchsound.") and not package.startswith("torchsound.compat")):
        return "torchaudio" + package[len("torchsound"):]
    return None


def torchaudio_name(package: str, name: str) -> Optional[str]:
    """``torchaudio.X.name`` when torchaudio 2.8's module for ``package`` has ``name`` (public list or submodule)."""
    from ._torchaudio28 import MODULES, PUBLIC

    module = torchaudio_module(package)
    if module is None:
        return None
    full = f"{module}.{name}"
    if name in PUBLIC.get(module, ()) or full in MODULES:
        return full
    return None


def _message(full: str) -> str:
    return f"torchsound does not provide {full} yet ({_HOW})"


def attribute_error(package: str, name: str) -> AttributeError:
    """The error for ``package.name`` missing: :class:`NotProvidedError` if torchaudio 2.8 has the name."""
    full = torchaudio_name(package, name)
    if full is None:
        return AttributeError(f"module {package!r} has no attribute {name!r}")
    return NotProvidedError(_message(full), name=name)


def import_error(package: str, name: str) -> Optional[ImportError]:
    """The error for ``from package import name`` when torchaudio 2.8 has ``name``; None otherwise."""
    full = torchaudio_name(package, name)
    if full is None:
        return None
    return NotProvidedImportError(_message(full), name=f"{package}.{name}")


def missing_module(fullname: str) -> ModuleNotFoundError:
    """The error for ``import torchaudio.X`` (a ``torchaudio.*`` name) that torchsound cannot serve."""
    from ._torchaudio28 import MODULES

    if fullname in MODULES:
        return NotProvidedModuleError(_message(fullname), name=fullname)
    return NotProvidedModuleError(f"No module named {fullname!r} (torchaudio is torchsound here; torchaudio 2.8 "
                                  "has no such public module either)", name=fullname)
