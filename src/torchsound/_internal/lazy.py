"""Lazy attribute loading for package namespaces.

A namespace declares ``name -> submodule`` and imports the submodule on first access, so
``import torchsound`` stays cheap and a module that fails to import only breaks its own names.
A name torchaudio 2.8 has and the namespace lacks raises ``torchsound.compat.NotProvidedError``
(an ``AttributeError``) saying it is not provided yet.
"""

from __future__ import annotations

import importlib
from typing import Callable, Dict, Iterable, Tuple


def attach(package: str, names: Dict[str, str], submodules: Iterable[str] = ()) -> Tuple[Callable, Callable, list]:
    """Return ``(__getattr__, __dir__, __all__)`` for ``package``.

    ``names`` maps each public attribute to the relative module that defines it (e.g.
    ``{"spectrogram": "._spectral"}``); ``submodules`` lists subpackages importable as attributes.
    """
    submodules = set(submodules)

    def __getattr__(name: str):
        if name in names:
            module = importlib.import_module(names[name], package)
            value = getattr(module, name)
        elif name in submodules:
            value = importlib.import_module(f".{name}", package)
        else:
            from ..compat._missing import attribute_error

            raise attribute_error(package, name)  # says so when torchaudio 2.8 has the name and we don't yet
        setattr(importlib.import_module(package), name, value)  # cache: __getattr__ runs once per name
        return value

    def __dir__():
        return sorted(set(names) | submodules)

    return __getattr__, __dir__, sorted(names)
