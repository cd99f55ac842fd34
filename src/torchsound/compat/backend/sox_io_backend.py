"""torchaudio 2.8's deprecated ``torchaudio.backend.sox_io_backend``.

torchsound has no libsox: files are read and written by the backend torchsound picks for the format.
"""

from ._forward import make

info, load, save = make("sox_io_backend", None)
