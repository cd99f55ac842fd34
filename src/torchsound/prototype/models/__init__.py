"""torchaudio 2.8's prototype models: Conformer wav2vec2, Emformer HuBERT, ConvEmformer, Conformer RNN-T with
biasing, HiFi-GAN. State_dict keys and numerics equal torchaudio's, as in ``torchsound.models``."""

from ..._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # Conformer wav2vec2 and Emformer HuBERT (_conformer_wav2vec2.py, _emformer_hubert.py)
    **dict.fromkeys(["ConformerWav2Vec2PretrainModel", "conformer_wav2vec2_model", "conformer_wav2vec2_base",
                     "conformer_wav2vec2_pretrain_model", "conformer_wav2vec2_pretrain_base",
                     "conformer_wav2vec2_pretrain_large"], "._conformer_wav2vec2"),
    **dict.fromkeys(["emformer_hubert_model", "emformer_hubert_base"], "._emformer_hubert"),
    # ConvEmformer, Conformer RNN-T with biasing and its beam search (conv_emformer.py, rnnt.py, rnnt_decoder.py)
    "ConvEmformer": ".conv_emformer",
    **dict.fromkeys(["conformer_rnnt_model", "conformer_rnnt_base", "conformer_rnnt_biasing", "conformer_rnnt_biasing_base"],
                    ".rnnt"),
    **dict.fromkeys(["RNNTBeamSearchBiasing", "Hypothesis"], ".rnnt_decoder"),
    # HiFi-GAN (hifi_gan.py)
    **dict.fromkeys(["HiFiGANVocoder", "hifigan_vocoder", "hifigan_vocoder_v1", "hifigan_vocoder_v2", "hifigan_vocoder_v3"],
                    ".hifi_gan"),
    # VGGish: torchaudio 2.8 exposes these only as VGGISH.VGGish / VGGISH.VGGishInputProcessor; named here too.
    **dict.fromkeys(["VGGish", "VGGishInputProcessor"], "..pipelines._vggish"),
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
