"""Pretrained bundles (not yet implemented in torchsound; see the README's compatibility table)."""

from .._internal.lazy import attach

# No names yet: a torchaudio name asked for here raises an error saying torchsound does not provide it yet.
__getattr__, __dir__, __all__ = attach(__name__, {})
