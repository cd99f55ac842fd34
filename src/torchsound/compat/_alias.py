"""The ``torchaudio`` import alias: a ``sys.meta_path`` finder that answers ``torchaudio[.X]`` with torchsound.

``torchaudio.X`` resolves to the very module object ``torchsound.X`` (so ``isinstance``, identity checks and
monkeypatching see one module), except ``torchaudio.backend`` (torchaudio's deprecated backend modules, kept in
``torchsound.compat.backend``) and ``torchaudio.version``. The top-level ``torchaudio`` is a thin view of the
``torchsound`` package: reads, writes and deletes of attributes go to ``torchsound``; only the module's own
identity (``__name__``, ``__spec__``, ...) and ``__version__`` (torchaudio's API level, ``"2.8.0"``) are its own.

This module imports only the standard library: the ``.pth`` hook runs it at every interpreter start.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import sys
import types
from typing import Optional

TORCHAUDIO_VERSION = "2.8.0"  # the torchaudio API level torchsound implements
_ALIAS = "torchaudio"
# torchaudio modules that live elsewhere in torchsound; every other torchaudio.X is torchsound.X.
_RENAMED = {"torchaudio.backend": "torchsound.compat.backend", "torchaudio.version": "torchsound.compat.version"}


class AliasConflictError(RuntimeError):
    """A real torchaudio is imported or installed, so the alias would shadow it."""


def _target(fullname: str) -> str:
    """The torchsound module that serves ``fullname`` (a ``torchaudio.*`` name)."""
    for prefix, ours in _RENAMED.items():
        if fullname == prefix or fullname.startswith(prefix + "."):
            return ours + fullname[len(prefix):]
    return "torchsound" + fullname[len(_ALIAS):]


class _TorchaudioModule(types.ModuleType):
    """``torchaudio``: a view of the ``torchsound`` package with torchaudio's ``__version__``."""

    # Attributes this module keeps for itself; everything else is torchsound's.
    _OWN = frozenset({"__name__", "__spec__", "__loader__", "__package__", "__path__", "__file__", "__version__",
                      "__doc__", "__dict__", "__class__", "__builtins__", "__cached__"})

    def __getattr__(self, name):
        import torchsound

        return getattr(torchsound, name)

    def __setattr__(self, name, value):
        if name in self._OWN:
            super().__setattr__(name, value)
        else:
            import torchsound

            setattr(torchsound, name, value)

    def __delattr__(self, name):
        if name in self._OWN:
            super().__delattr__(name)
        else:
            import torchsound

            delattr(torchsound, name)

    def __dir__(self):
        import torchsound

        return sorted(set(dir(torchsound)) | {"__version__"})

    def __repr__(self):
        return f"<module 'torchaudio' (torchsound alias, API {TORCHAUDIO_VERSION})>"


class _AliasLoader(importlib.abc.Loader):
    """Hands out an existing torchsound module under a ``torchaudio`` name."""

    def __init__(self, target: str):
        self.target = target
        self._own_spec = None

    def create_module(self, spec):
        if spec.name == _ALIAS:
            import torchsound

            module = _TorchaudioModule(_ALIAS, torchsound.__doc__)
            module.__file__ = torchsound.__file__
            module.__path__ = []  # a package: its submodules come from this finder, not from a path
            module.__version__ = TORCHAUDIO_VERSION
            return module
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__  # importlib overwrites __spec__ next; exec_module puts it back
        return module

    def exec_module(self, module):
        if self._own_spec is not None:
            module.__spec__ = self._own_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith("torchsound."):
            return self._torchsound_spec(fullname, path, target)
        if fullname != _ALIAS and not fullname.startswith(_ALIAS + "."):
            return None
        if fullname == _ALIAS:
            return importlib.machinery.ModuleSpec(_ALIAS, _AliasLoader(_ALIAS), is_package=True)
        ours = _target(fullname)
        from ._missing import NotProvidedImportError

        try:
            spec = importlib.util.find_spec(ours)
        except (ModuleNotFoundError, NotProvidedImportError):
            spec = None
        if spec is None:
            from ._missing import missing_module

            raise missing_module(fullname)
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(ours),
                                              is_package=spec.submodule_search_locations is not None)

    def _torchsound_spec(self, fullname, path, target):
        # ``from torchaudio.models import X`` looks for a submodule ``torchsound.models.X`` when the attribute
        # is missing, and turns a ModuleNotFoundError into a bare "cannot import name": say what is missing.
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    return spec
        from ._missing import import_error

        package, _, name = fullname.rpartition(".")
        error = import_error(package, name)
        if error is not None:
            raise error
        return None


_finder: Optional[_AliasFinder] = None


def _is_alias(module) -> bool:
    return isinstance(module, _TorchaudioModule)


def real_torchaudio() -> Optional[str]:
    """Where a real (non-torchsound) torchaudio is imported or installed, or None."""
    loaded = sys.modules.get(_ALIAS)
    if loaded is not None and not _is_alias(loaded):
        return f"torchaudio is already imported from {getattr(loaded, '__file__', None) or loaded!r}"
    if _finder is None:  # with the alias installed, find_spec would find the alias itself
        spec = importlib.util.find_spec(_ALIAS) if loaded is None else None
        if spec is not None:
            return f"a torchaudio package is installed at {spec.origin or list(spec.submodule_search_locations or [])}"
    try:
        dist = importlib.metadata.distribution(_ALIAS)
    except importlib.metadata.PackageNotFoundError:
        return None
    if not is_shim(dist):
        return f"the torchaudio {dist.version} distribution is installed"
    return None


def is_shim(dist) -> bool:
    """Whether an installed ``torchaudio`` distribution is torchsound's stand-in (``torchsound alias build-dist``)."""
    return any(req.split(";")[0].strip().startswith("torchsound") for req in dist.requires or [])


def install(force: bool = False) -> None:
    """Make ``import torchaudio`` (and every ``torchaudio.X``) give torchsound, for this process.

    Args:
        force: install even when a real torchaudio is imported or installed: a loaded one is dropped from
            ``sys.modules`` (objects already holding it keep it), an installed one is shadowed.

    Raises:
        AliasConflictError: a real torchaudio is imported or installed and ``force`` is False.
    """
    global _finder
    if _finder is not None and _finder in sys.meta_path:
        return
    conflict = real_torchaudio()
    if conflict and not force:
        raise AliasConflictError(
            f"torchsound.compat.install(): {conflict}, and the alias would shadow it. Choose one: uninstall "
            "torchaudio (pip uninstall torchaudio) to run on torchsound, call install(force=True) to shadow it "
            "in this process, or skip the alias to keep the real torchaudio."
        )
    if force:
        for name in [n for n in sys.modules if n == _ALIAS or n.startswith(_ALIAS + ".")]:
            del sys.modules[name]
    _finder = _AliasFinder()
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Undo :func:`install`: ``torchaudio`` names leave ``sys.modules`` and the finder leaves ``sys.meta_path``."""
    global _finder
    if _finder is None:
        return
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    _finder = None
    for name in [n for n in sys.modules if n == _ALIAS or n.startswith(_ALIAS + ".")]:
        del sys.modules[name]


def is_installed() -> bool:
    """Whether ``import torchaudio`` gives torchsound in this process."""
    return _finder is not None and _finder in sys.meta_path
