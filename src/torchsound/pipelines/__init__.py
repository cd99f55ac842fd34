"""Pretrained bundles with torchaudio 2.8's names: weights found offline in torchaudio's cache layout, loaded safely."""

from .._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # Source separation and speech quality (P1)
    **dict.fromkeys(["SourceSeparationBundle", "CONVTASNET_BASE_LIBRI2MIX", "HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS"],
                    "._source_separation_pipeline"),
    **dict.fromkeys(["SquimObjectiveBundle", "SquimSubjectiveBundle", "SQUIM_OBJECTIVE", "SQUIM_SUBJECTIVE"], "._squim_pipeline"),
    # wav2vec 2.0 / HuBERT / WavLM encoders, CTC ASR and MMS forced alignment (P6)
    **dict.fromkeys(
        ["Wav2Vec2Bundle", "Wav2Vec2ASRBundle", "Wav2Vec2FABundle",
         "WAV2VEC2_BASE", "WAV2VEC2_LARGE", "WAV2VEC2_LARGE_LV60K",
         "WAV2VEC2_ASR_BASE_10M", "WAV2VEC2_ASR_BASE_100H", "WAV2VEC2_ASR_BASE_960H",
         "WAV2VEC2_ASR_LARGE_10M", "WAV2VEC2_ASR_LARGE_100H", "WAV2VEC2_ASR_LARGE_960H",
         "WAV2VEC2_ASR_LARGE_LV60K_10M", "WAV2VEC2_ASR_LARGE_LV60K_100H", "WAV2VEC2_ASR_LARGE_LV60K_960H",
         "WAV2VEC2_XLSR53", "WAV2VEC2_XLSR_300M", "WAV2VEC2_XLSR_1B", "WAV2VEC2_XLSR_2B",
         "VOXPOPULI_ASR_BASE_10K_DE", "VOXPOPULI_ASR_BASE_10K_EN", "VOXPOPULI_ASR_BASE_10K_ES",
         "VOXPOPULI_ASR_BASE_10K_FR", "VOXPOPULI_ASR_BASE_10K_IT",
         "HUBERT_BASE", "HUBERT_LARGE", "HUBERT_XLARGE", "HUBERT_ASR_LARGE", "HUBERT_ASR_XLARGE",
         "WAVLM_BASE", "WAVLM_BASE_PLUS", "WAVLM_LARGE", "MMS_FA"],
        "._wav2vec2.impl",
    ),
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
