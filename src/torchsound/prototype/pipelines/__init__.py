"""torchaudio 2.8's prototype bundles: VGGish, HiFi-GAN vocoder, Emformer RNN-T on MuST-C and TED-LIUM 3."""

from ..._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # Emformer RNN-T on MuST-C and TED-LIUM 3 (P7)
    **dict.fromkeys(["EMFORMER_RNNT_BASE_MUSTC", "EMFORMER_RNNT_BASE_TEDLIUM3"], ".rnnt_pipeline"),
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
