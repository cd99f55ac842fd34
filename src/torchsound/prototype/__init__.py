"""What torchaudio kept in ``prototype``: Bark and chroma scales, synthesis, room simulation, Musan."""

from .._internal.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {}, submodules=["functional", "transforms", "datasets", "models", "pipelines"])
