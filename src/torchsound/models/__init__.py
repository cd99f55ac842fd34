"""Model architectures with torchaudio 2.8's names, state_dict keys and numerics."""

from .._internal.lazy import attach

# A torchaudio name not listed here raises an error saying torchsound does not provide it yet.
_NAMES = {
    # wav2vec2 family (models/wav2vec2/)
    "Wav2Vec2Model": ".wav2vec2",
    "wav2vec2_model": ".wav2vec2",
    "wav2vec2_base": ".wav2vec2",
    "wav2vec2_large": ".wav2vec2",
    "wav2vec2_large_lv60k": ".wav2vec2",
    "wav2vec2_xlsr_300m": ".wav2vec2",
    "wav2vec2_xlsr_1b": ".wav2vec2",
    "wav2vec2_xlsr_2b": ".wav2vec2",
    "hubert_base": ".wav2vec2",
    "hubert_large": ".wav2vec2",
    "hubert_xlarge": ".wav2vec2",
    "HuBERTPretrainModel": ".wav2vec2",
    "hubert_pretrain_model": ".wav2vec2",
    "hubert_pretrain_base": ".wav2vec2",
    "hubert_pretrain_large": ".wav2vec2",
    "hubert_pretrain_xlarge": ".wav2vec2",
    "wavlm_model": ".wav2vec2",
    "wavlm_base": ".wav2vec2",
    "wavlm_large": ".wav2vec2",
    "Wav2Letter": ".wav2letter",
    "DeepSpeech": ".deepspeech",
    "ConvTasNet": ".conv_tasnet",
    "conv_tasnet_base": ".conv_tasnet",
    "WaveRNN": ".wavernn",
    "HDemucs": "._hdemucs",
    "hdemucs_low": "._hdemucs",
    "hdemucs_medium": "._hdemucs",
    "hdemucs_high": "._hdemucs",
    "Tacotron2": ".tacotron2",
    "Conformer": ".conformer",
    "Emformer": ".emformer",
    "RNNT": ".rnnt",
    "emformer_rnnt_model": ".rnnt",
    "emformer_rnnt_base": ".rnnt",
    "Hypothesis": ".rnnt_decoder",
    "RNNTBeamSearch": ".rnnt_decoder",
    # SQUIM speech quality (models/squim/)
    "SquimObjective": ".squim",
    "squim_objective_model": ".squim",
    "squim_objective_base": ".squim",
    "SquimSubjective": ".squim",
    "squim_subjective_model": ".squim",
    "squim_subjective_base": ".squim",
}

# Subpackages reachable as attributes, as in torchaudio (torchaudio.models.wav2vec2.utils, models.squim).
__getattr__, __dir__, __all__ = attach(__name__, _NAMES, submodules=["wav2vec2", "squim", "decoder"])
