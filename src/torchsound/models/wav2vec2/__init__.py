"""The wav2vec 2.0 family: wav2vec2, HuBERT, XLS-R and WavLM encoders (torchaudio 2.8's ``models.wav2vec2``)."""

from .model import (
    hubert_base,
    hubert_large,
    hubert_xlarge,
    wav2vec2_base,
    wav2vec2_large,
    wav2vec2_large_lv60k,
    wav2vec2_model,
    wav2vec2_xlsr_1b,
    wav2vec2_xlsr_2b,
    wav2vec2_xlsr_300m,
    Wav2Vec2Model,
    wavlm_base,
    wavlm_large,
    wavlm_model,
)

__all__ = [
    "Wav2Vec2Model",
    "wavlm_model",
    "wavlm_base",
    "wavlm_large",
    "wav2vec2_model",
    "wav2vec2_base",
    "wav2vec2_large",
    "wav2vec2_large_lv60k",
    "hubert_base",
    "hubert_large",
    "hubert_xlarge",
    "wav2vec2_xlsr_300m",
    "wav2vec2_xlsr_1b",
    "wav2vec2_xlsr_2b",
]
