"""Pretrained bundles with torchaudio 2.8's names: weights found offline in torchaudio's cache layout, loaded safely."""

from .._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # Source separation and speech quality (P1)
    **dict.fromkeys(["SourceSeparationBundle", "CONVTASNET_BASE_LIBRI2MIX", "HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS"],
                    "._source_separation_pipeline"),
    **dict.fromkeys(["SquimObjectiveBundle", "SquimSubjectiveBundle", "SQUIM_OBJECTIVE", "SQUIM_SUBJECTIVE"], "._squim_pipeline"),
    # Tacotron2 text-to-speech (P7)
    **dict.fromkeys(
        ["Tacotron2TTSBundle", "TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH", "TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH",
         "TACOTRON2_WAVERNN_CHAR_LJSPEECH", "TACOTRON2_WAVERNN_PHONE_LJSPEECH"],
        "._tts",
    ),
    # Emformer RNN-T speech recognition (P7)
    **dict.fromkeys(["RNNTBundle", "EMFORMER_RNNT_BASE_LIBRISPEECH"], ".rnnt_pipeline"),
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
