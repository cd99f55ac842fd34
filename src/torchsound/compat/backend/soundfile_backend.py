"""torchaudio 2.8's deprecated ``torchaudio.backend.soundfile_backend``: libsndfile through torchsound's I/O."""

from ._forward import make

info, load, save = make("soundfile_backend", "soundfile")
