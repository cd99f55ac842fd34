"""torchaudio 2.8's deprecated ``torchaudio.backend`` package, forwarding to torchsound's I/O.

``soundfile_backend`` and ``sox_io_backend`` provide ``load``/``save``/``info`` (they choose their
backend by format, as the rest of torchsound does: torchsound has no libsox), ``common`` provides
``AudioMetaData``. As in torchaudio 2.8, using them warns that they are deprecated.
"""

from . import common, soundfile_backend, sox_io_backend  # noqa: F401

__all__ = []
