"""torchsound: audio for PyTorch with torchaudio's API.

``import torchsound as torchaudio`` runs torchaudio 2.8 code; ``torchsound.compat.install()`` (or
``torchsound alias install`` for a whole environment) makes ``import torchaudio`` itself give torchsound.
Subpackages load on first use, so importing torchsound costs little beyond ``import torch``.
"""

from ._internal.lazy import attach

__version__ = "0.1.0"

_IO = "torchsound.io._dispatch"
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "load": _IO,
        "save": _IO,
        "info": _IO,
        "AudioMetaData": _IO,
        "list_audio_backends": _IO,
        "get_audio_backend": _IO,
        "set_audio_backend": _IO,
        "load_with_torchcodec": "torchsound.compat._torchcodec",
        "save_with_torchcodec": "torchsound.compat._torchcodec",
        "backend": "torchsound.compat",  # torchaudio 2.8's deprecated torchaudio.backend
    },
    submodules=[
        "io", "functional", "transforms", "compliance", "sox_effects", "kaldi_io",
        "datasets", "models", "pipelines", "prototype", "utils", "compat", "data",
    ],
)
