"""Adapters that reproduce other tools' feature conventions exactly (``compliance.kaldi``)."""

from .._internal.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {}, submodules=["kaldi"])
