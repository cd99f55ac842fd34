"""``torchaudio.version`` under the alias: the torchaudio API level torchsound implements."""

from ._alias import TORCHAUDIO_VERSION as __version__

git_version = "torchsound"
