"""Model architectures with torchaudio 2.8's names, state_dict keys and numerics."""

from .._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    "Wav2Letter": ".wav2letter",
    "DeepSpeech": ".deepspeech",
    "ConvTasNet": ".conv_tasnet",
    "conv_tasnet_base": ".conv_tasnet",
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
