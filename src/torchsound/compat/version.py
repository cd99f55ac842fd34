"""``torchaudio.version`` under the alias: the torchaudio API level torchsound implements."""

from ._alias import TORCHAUDIO_VERSION

__version__ = TORCHAUDIO_VERSION

git_version = "torchsound"
