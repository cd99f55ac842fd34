"""Pretrained bundles with torchaudio 2.8's names: weights found offline in torchaudio's cache layout, loaded safely."""

from .._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
