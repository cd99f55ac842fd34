"""Utilities: the bundled sample, asset download, plotting, and sox/ffmpeg info shims."""

from .._internal.lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {"sample_path": "._sample", "download_asset": "torchsound.datasets._download"},
    submodules=["sox_utils", "ffmpeg_utils", "plot"],
)
