"""torchaudio 2.8's prototype bundles: VGGish, HiFi-GAN vocoder, Emformer RNN-T on MuST-C and TED-LIUM 3."""

from ..._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # VGGish (_vggish/) and HiFi-GAN (hifigan_pipeline.py)
    **dict.fromkeys(["VGGISH", "VGGishBundle"], "._vggish"),
    **dict.fromkeys(["HIFIGAN_VOCODER_V3_LJSPEECH", "HiFiGANVocoderBundle"], ".hifigan_pipeline"),
    # Emformer RNN-T on MuST-C and TED-LIUM 3 (P7)
    **dict.fromkeys(["EMFORMER_RNNT_BASE_MUSTC", "EMFORMER_RNNT_BASE_TEDLIUM3"], ".rnnt_pipeline"),
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
