"""Prototype datasets."""

from ..._internal.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {"Musan": "torchsound.datasets.musan"})
