"""torchaudio 2.8's prototype models: Conformer wav2vec2, Emformer HuBERT, ConvEmformer, Conformer RNN-T with
biasing, HiFi-GAN. State_dict keys and numerics equal torchaudio's, as in ``torchsound.models``."""

from ..._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # ConvEmformer, Conformer RNN-T with biasing and its beam search (conv_emformer.py, rnnt.py, rnnt_decoder.py)
    "ConvEmformer": ".conv_emformer",
    **dict.fromkeys(["conformer_rnnt_model", "conformer_rnnt_base", "conformer_rnnt_biasing", "conformer_rnnt_biasing_base"],
                    ".rnnt"),
    **dict.fromkeys(["RNNTBeamSearchBiasing", "Hypothesis"], ".rnnt_decoder"),
    # HiFi-GAN (hifi_gan.py)
    **dict.fromkeys(["HiFiGANVocoder", "hifigan_vocoder", "hifigan_vocoder_v1", "hifigan_vocoder_v2", "hifigan_vocoder_v3"],
                    ".hifi_gan"),
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
