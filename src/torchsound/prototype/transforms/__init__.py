"""Prototype transforms: Bark and chroma scales."""

from ..._internal.lazy import attach

_T = "torchsound.transforms._scales"
__getattr__, __dir__, __all__ = attach(
    __name__,
    dict.fromkeys(
        ["BarkScale", "BarkSpectrogram", "InverseBarkScale", "ChromaScale", "ChromaSpectrogram"], _T),
)
