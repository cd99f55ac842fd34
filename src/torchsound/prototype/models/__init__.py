"""torchaudio 2.8's prototype models: Conformer wav2vec2, Emformer HuBERT, ConvEmformer, Conformer RNN-T with
biasing, HiFi-GAN. State_dict keys and numerics equal torchaudio's, as in ``torchsound.models``."""

from ..._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
