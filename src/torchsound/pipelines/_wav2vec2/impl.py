"""Bundles of the wav2vec 2.0 family: pretrained encoders, CTC ASR models and MMS forced alignment.

Each bundle holds static facts (weights file, architecture, sample rate, labels); ``get_model()`` builds the
model and loads the weights from torchaudio's cache layout (see :mod:`torchsound.pipelines._assets`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from torch.nn import Module

from . import aligner, utils

__all__: list = []


@dataclass
class Wav2Vec2Bundle:
    """A pretrained :class:`~torchsound.models.Wav2Vec2Model` (wav2vec 2.0, HuBERT, XLS-R or WavLM encoder).

    Example:
        >>> bundle = torchsound.pipelines.HUBERT_BASE
        >>> model = bundle.get_model()
        >>> waveform = torchsound.functional.resample(waveform, sample_rate, bundle.sample_rate)
        >>> features, _ = model.extract_features(waveform)
    """

    _path: str
    _params: Dict[str, Any]
    _sample_rate: float
    _normalize_waveform: bool
    _model_type: str

    @property
    def sample_rate(self) -> float:
        """Sample rate (Hz) of the audio the model was trained on.

        :type: float
        """
        return self._sample_rate

    def _get_state_dict(self, dl_kwargs):
        return utils.load_weights(self._path, dl_kwargs)

    def get_model(self, *, dl_kwargs=None) -> Module:
        """Build the model and load the pretrained weights (from the cache, else downloaded).

        Args:
            dl_kwargs (dict, optional): torch.hub.load_state_dict_from_url's keywords (``model_dir``, ``file_name``,
                ``progress``, ``check_hash``, ``map_location``).

        Returns:
            A :class:`~torchsound.models.Wav2Vec2Model` in eval mode; models trained on layer-normalised
            waveforms (large LV-60k, XLS-R, HuBERT large/xlarge, WavLM large) come wrapped in a module that
            normalises the input first (state_dict keys ``model.*``).

        Raises:
            WeightsNotFoundError: the weights are not cached and cannot be downloaded (names file, URL and path).
        """
        state_dict = self._get_state_dict(dl_kwargs)  # first: a missing file fails before a large model is built
        model = utils.build_model(self._model_type, self._params)
        model.load_state_dict(state_dict)
        if self._normalize_waveform:
            model = utils.wrap(model, normalize_waveform=True)
        model.eval()
        return model


@dataclass
class Wav2Vec2ASRBundle(Wav2Vec2Bundle):
    """A pretrained wav2vec2-family model fine-tuned for CTC speech recognition.

    Example:
        >>> bundle = torchsound.pipelines.WAV2VEC2_ASR_BASE_960H
        >>> model = bundle.get_model()
        >>> labels = bundle.get_labels()      # ('-', '|', 'E', 'T', ...)
        >>> emission, _ = model(waveform)     # (batch, frames, len(labels)) logits
    """

    _labels: Tuple[str, ...]
    # Rows of the published CTC head that no class uses (fairseq's reserved symbols; see utils.drop_aux_rows).
    _remove_aux_axis: Tuple[int, ...] = (1, 2, 3)

    def get_labels(self, *, blank: str = "-") -> Tuple[str, ...]:
        """The output classes in order, ``blank`` first.

        Args:
            blank (str, optional): the symbol used for the CTC blank. (Default: ``"-"``)

        Returns:
            Tuple[str, ...]
        """
        return (blank, *self._labels)

    def _get_state_dict(self, dl_kwargs):
        return utils.load_weights(self._path, dl_kwargs, self._remove_aux_axis)


@dataclass
class Wav2Vec2FABundle(Wav2Vec2ASRBundle):
    """A pretrained model for forced alignment (MMS_FA), with its tokenizer and aligner.

    Its model outputs log probabilities, with an extra "star" class last (probability 1) for tokens outside the
    dictionary.

    Example:
        >>> bundle = torchsound.pipelines.MMS_FA
        >>> model = bundle.get_model()
        >>> emission, _ = model(waveform)
        >>> tokens = bundle.get_tokenizer()(["hello", "world"])
        >>> word_spans = bundle.get_aligner()(emission[0], tokens)
    """

    class Tokenizer(aligner.ITokenizer):
        """Interface of the tokenizer."""

    class Aligner(aligner.IAligner):
        """Interface of the aligner."""

    def get_labels(self, star: Optional[str] = "*", blank: str = "-") -> Tuple[str, ...]:
        """The classes of the emission's last dimension: ``blank``, the characters, then ``star`` (unless None).

        Args:
            star (str or None, optional): symbol of the star class, or None to leave it out. (Default: ``"*"``)
            blank (str, optional): symbol of the blank class. (Default: ``"-"``)

        Returns:
            Tuple[str, ...]
        """
        labels = super().get_labels(blank=blank)
        return labels if star is None else labels + (star,)

    def get_model(self, with_star: bool = True, *, dl_kwargs=None) -> Module:
        """Build the model and load the pretrained weights; it returns log probabilities.

        Args:
            with_star (bool, optional): append the star class (log probability 0) to the output. (Default: True)
            dl_kwargs (dict, optional): as for :meth:`Wav2Vec2Bundle.get_model`.

        Returns:
            The model (in eval mode), wrapped to normalise the waveform and apply ``log_softmax``.
        """
        state_dict = self._get_state_dict(dl_kwargs)
        model = utils.build_model(self._model_type, self._params)
        model.load_state_dict(state_dict)
        model = utils.wrap(model, normalize_waveform=self._normalize_waveform, apply_log_softmax=True, append_star=with_star)
        model.eval()
        return model

    def get_dict(self, star: Optional[str] = "*", blank: str = "-") -> Dict[str, int]:
        """Token -> index in the emission's last dimension (see :meth:`get_labels`).

        Returns:
            Dict[str, int]
        """
        return {label: index for index, label in enumerate(self.get_labels(star=star, blank=blank))}

    def get_tokenizer(self) -> Tokenizer:
        """A tokenizer for normalised (romanised, lower-case) words.

        Returns:
            Tokenizer
        """
        return _Tokenizer(self.get_dict())

    def get_aligner(self) -> Aligner:
        """An aligner for this model's emissions (blank index 0).

        Returns:
            Aligner
        """
        return _Aligner(blank=0)


class _Tokenizer(aligner.Tokenizer, Wav2Vec2FABundle.Tokenizer):
    pass


class _Aligner(aligner.Aligner, Wav2Vec2FABundle.Aligner):
    pass


# ============================================================================= instances

P = utils.params
# Dropouts (projection, attention, feed-forward inner, residual, layer drop) of the fairseq training recipes.
_PRETRAIN_BASE = (0.1, 0.1, 0.0, 0.1, 0.05)
_FINETUNE = (0.0, 0.0, 0.1, 0.0, 0.1)  # VoxPopuli, HuBERT ASR, MMS_FA
_LARGE_LS960 = (0.1, 0.1, 0.0, 0.0, 0.2)
_LV60K = (0.1, 0.1, 0.0, 0.0, 0.0)
_NO_DROPOUT = (0.0, 0.0, 0.0, 0.0, 0.0)
_XLSR = (0.1, 0.0, 0.0, 0.0, 0.0)

_BASE = dict(mode="group_norm", conv_bias=False, norm_first=False)
_LARGE_LN = dict(mode="layer_norm", conv_bias=True, norm_first=True)  # LV-60k and XLS-R recipes
_HUBERT_LARGE = dict(mode="layer_norm", conv_bias=False, norm_first=True)

_SOURCE = {
    "w2v2": "Published by the authors of wav2vec 2.0 (fairseq) under the MIT License; redistributed by torchaudio.",
    "xlsr": "Published by the authors of XLS-R (fairseq) under the MIT License; redistributed by torchaudio.",
    "hubert": "Published by the authors of HuBERT (fairseq) under the MIT License; redistributed by torchaudio.",
    "wavlm": "Published by the authors of WavLM (microsoft/unilm) under the MIT License; redistributed by torchaudio.",
    "voxpopuli": "Published by the authors of VoxPopuli under CC BY-NC 4.0; redistributed by torchaudio.",
    "mms": "Published by the authors of MMS (Scaling Speech Technology to 1,000+ Languages) under CC BY-NC 4.0.",
}


def _doc(bundle, text: str, source: str):
    cls = type(bundle).__name__
    bundle.__doc__ = f"{text}\n\n{_SOURCE[source]}\n\nSee :class:`torchsound.pipelines.{cls}` for usage.\n"
    return bundle


def _asr(path, size, style, dropouts, labels=utils.EN_LABELS, normalize=False, **kw):
    return Wav2Vec2ASRBundle(path, P(size, **style, dropouts=dropouts, aux=len(labels) + 1), 16000, normalize, "Wav2Vec2",
                             labels, **kw)


def _encoder(path, size, style, dropouts, normalize, model_type="Wav2Vec2"):
    params = P(size, **style, dropouts=dropouts, aux=None, wavlm=model_type == "WavLM")
    return Wav2Vec2Bundle(path, params, 16000, normalize, model_type)


# --- wav2vec 2.0, LibriSpeech 960 h (base, large) and Libri-Light 60k h (large LV-60k)
WAV2VEC2_BASE = _doc(_encoder("wav2vec2_fairseq_base_ls960.pth", "base", _BASE, _PRETRAIN_BASE, False),
                     'wav2vec 2.0 "base", pre-trained on 960 h of LibriSpeech, not fine-tuned.', "w2v2")
WAV2VEC2_ASR_BASE_10M = _doc(_asr("wav2vec2_fairseq_base_ls960_asr_ll10m.pth", "base", _BASE, _PRETRAIN_BASE),
                             'wav2vec 2.0 "base" (LibriSpeech 960 h), fine-tuned for ASR on 10 min of Libri-Light.', "w2v2")
WAV2VEC2_ASR_BASE_100H = _doc(_asr("wav2vec2_fairseq_base_ls960_asr_ls100.pth", "base", _BASE, _PRETRAIN_BASE),
                              'wav2vec 2.0 "base" (LibriSpeech 960 h), fine-tuned for ASR on LibriSpeech train-clean-100.', "w2v2")
WAV2VEC2_ASR_BASE_960H = _doc(_asr("wav2vec2_fairseq_base_ls960_asr_ls960.pth", "base", _BASE, _PRETRAIN_BASE),
                              'wav2vec 2.0 "base" (LibriSpeech 960 h), fine-tuned for ASR on all of LibriSpeech.', "w2v2")
WAV2VEC2_LARGE = _doc(_encoder("wav2vec2_fairseq_large_ls960.pth", "large", _BASE, _LARGE_LS960, False),
                      'wav2vec 2.0 "large", pre-trained on 960 h of LibriSpeech, not fine-tuned.', "w2v2")
WAV2VEC2_ASR_LARGE_10M = _doc(_asr("wav2vec2_fairseq_large_ls960_asr_ll10m.pth", "large", _BASE, _LARGE_LS960),
                              'wav2vec 2.0 "large" (LibriSpeech 960 h), fine-tuned for ASR on 10 min of Libri-Light.', "w2v2")
WAV2VEC2_ASR_LARGE_100H = _doc(_asr("wav2vec2_fairseq_large_ls960_asr_ls100.pth", "large", _BASE, _LARGE_LS960),
                               'wav2vec 2.0 "large" (LibriSpeech 960 h), fine-tuned for ASR on train-clean-100.', "w2v2")
WAV2VEC2_ASR_LARGE_960H = _doc(_asr("wav2vec2_fairseq_large_ls960_asr_ls960.pth", "large", _BASE, _LARGE_LS960),
                               'wav2vec 2.0 "large" (LibriSpeech 960 h), fine-tuned for ASR on all of LibriSpeech.', "w2v2")
WAV2VEC2_LARGE_LV60K = _doc(_encoder("wav2vec2_fairseq_large_lv60k.pth", "large", _LARGE_LN, _LV60K, True),
                            'wav2vec 2.0 "large-lv60k", pre-trained on 60k h of Libri-Light, not fine-tuned.', "w2v2")
WAV2VEC2_ASR_LARGE_LV60K_10M = _doc(_asr("wav2vec2_fairseq_large_lv60k_asr_ll10m.pth", "large", _LARGE_LN, _LV60K, normalize=True),
                                    'wav2vec 2.0 "large-lv60k", fine-tuned for ASR on 10 min of Libri-Light.', "w2v2")
WAV2VEC2_ASR_LARGE_LV60K_100H = _doc(_asr("wav2vec2_fairseq_large_lv60k_asr_ls100.pth", "large", _LARGE_LN, _LV60K, normalize=True),
                                     'wav2vec 2.0 "large-lv60k", fine-tuned for ASR on LibriSpeech train-clean-100.', "w2v2")
WAV2VEC2_ASR_LARGE_LV60K_960H = _doc(_asr("wav2vec2_fairseq_large_lv60k_asr_ls960.pth", "large", _LARGE_LN, _LV60K, normalize=True),
                                     'wav2vec 2.0 "large-lv60k", fine-tuned for ASR on all of LibriSpeech.', "w2v2")

# --- XLS-R (multilingual)
WAV2VEC2_XLSR53 = _doc(_encoder("wav2vec2_fairseq_large_xlsr53.pth", "large", _LARGE_LN, _NO_DROPOUT, True),
                       "XLSR-53: wav2vec 2.0 large pre-trained on 56k h in 53 languages, not fine-tuned.", "xlsr")
WAV2VEC2_XLSR_300M = _doc(_encoder("wav2vec2_xlsr_300m.pth", "large", _LARGE_LN, _NO_DROPOUT, True),
                          "XLS-R 300M: pre-trained on 436k h in 128 languages, not fine-tuned.", "xlsr")
WAV2VEC2_XLSR_1B = _doc(_encoder("wav2vec2_xlsr_1b.pth", "xlarge", _LARGE_LN, _XLSR, True),
                        "XLS-R 1B: pre-trained on 436k h in 128 languages, not fine-tuned.", "xlsr")
WAV2VEC2_XLSR_2B = _doc(_encoder("wav2vec2_xlsr_2b.pth", "2b", _LARGE_LN, _XLSR, True),
                        "XLS-R 2B: pre-trained on 436k h in 128 languages, not fine-tuned.", "xlsr")

# --- VoxPopuli ASR (base, pre-trained on 10k h of VoxPopuli); some files carry one more unused row
VOXPOPULI_ASR_BASE_10K_DE = _doc(_asr("wav2vec2_voxpopuli_base_10k_asr_de.pt", "base", _BASE, _FINETUNE,
                                      utils.VOXPOPULI_LABELS["de"], _remove_aux_axis=(1, 2, 3, 35)),
                                 "wav2vec 2.0 base (VoxPopuli 10k h), fine-tuned for German ASR on VoxPopuli.", "voxpopuli")
VOXPOPULI_ASR_BASE_10K_EN = _doc(_asr("wav2vec2_voxpopuli_base_10k_asr_en.pt", "base", _BASE, _FINETUNE,
                                      utils.VOXPOPULI_LABELS["en"], _remove_aux_axis=(1, 2, 3, 31)),
                                 "wav2vec 2.0 base (VoxPopuli 10k h), fine-tuned for English ASR on VoxPopuli.", "voxpopuli")
VOXPOPULI_ASR_BASE_10K_ES = _doc(_asr("wav2vec2_voxpopuli_base_10k_asr_es.pt", "base", _BASE, _FINETUNE,
                                      utils.VOXPOPULI_LABELS["es"], _remove_aux_axis=(1, 2, 3, 35)),
                                 "wav2vec 2.0 base (VoxPopuli 10k h), fine-tuned for Spanish ASR on VoxPopuli.", "voxpopuli")
VOXPOPULI_ASR_BASE_10K_FR = _doc(_asr("wav2vec2_voxpopuli_base_10k_asr_fr.pt", "base", _BASE, _FINETUNE,
                                      utils.VOXPOPULI_LABELS["fr"]),
                                 "wav2vec 2.0 base (VoxPopuli 10k h), fine-tuned for French ASR on VoxPopuli.", "voxpopuli")
VOXPOPULI_ASR_BASE_10K_IT = _doc(_asr("wav2vec2_voxpopuli_base_10k_asr_it.pt", "base", _BASE, _FINETUNE,
                                      utils.VOXPOPULI_LABELS["it"], _remove_aux_axis=(1, 2, 3)),
                                 "wav2vec 2.0 base (VoxPopuli 10k h), fine-tuned for Italian ASR on VoxPopuli.", "voxpopuli")

# --- HuBERT
HUBERT_BASE = _doc(_encoder("hubert_fairseq_base_ls960.pth", "base", _BASE, _PRETRAIN_BASE, False),
                   'HuBERT "base", pre-trained on 960 h of LibriSpeech, not fine-tuned.', "hubert")
HUBERT_LARGE = _doc(_encoder("hubert_fairseq_large_ll60k.pth", "large", _HUBERT_LARGE, _NO_DROPOUT, True),
                    'HuBERT "large", pre-trained on 60k h of Libri-Light, not fine-tuned.', "hubert")
HUBERT_XLARGE = _doc(_encoder("hubert_fairseq_xlarge_ll60k.pth", "xlarge", _HUBERT_LARGE, _NO_DROPOUT, True),
                     'HuBERT "extra large", pre-trained on 60k h of Libri-Light, not fine-tuned.', "hubert")
HUBERT_ASR_LARGE = _doc(_asr("hubert_fairseq_large_ll60k_asr_ls960.pth", "large", _HUBERT_LARGE, _FINETUNE, normalize=True),
                        'HuBERT "large" (Libri-Light 60k h), fine-tuned for ASR on all of LibriSpeech.', "hubert")
HUBERT_ASR_XLARGE = _doc(_asr("hubert_fairseq_xlarge_ll60k_asr_ls960.pth", "xlarge", _HUBERT_LARGE, _FINETUNE, normalize=True),
                         'HuBERT "extra large" (Libri-Light 60k h), fine-tuned for ASR on all of LibriSpeech.', "hubert")

# --- WavLM
WAVLM_BASE = _doc(_encoder("wavlm_base.pth", "base", _BASE, _PRETRAIN_BASE, False, "WavLM"),
                  'WavLM "base", pre-trained on 960 h of LibriSpeech, not fine-tuned.', "wavlm")
WAVLM_BASE_PLUS = _doc(_encoder("wavlm_base_plus.pth", "base", _BASE, _PRETRAIN_BASE, False, "WavLM"),
                       'WavLM "base plus", pre-trained on 94k h (Libri-Light, GigaSpeech, VoxPopuli), not fine-tuned.', "wavlm")
WAVLM_LARGE = _doc(_encoder("wavlm_large.pth", "large", dict(mode="layer_norm", conv_bias=False, norm_first=True),
                            _PRETRAIN_BASE, True, "WavLM"),
                   'WavLM "large", pre-trained on 94k h (Libri-Light, GigaSpeech, VoxPopuli), not fine-tuned.', "wavlm")

# --- MMS forced alignment (multilingual, romanised characters)
MMS_FA = _doc(
    Wav2Vec2FABundle(
        "https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt",
        P("large", mode="layer_norm", conv_bias=True, norm_first=True, dropouts=_FINETUNE, aux=len(utils.MMS_LABELS) + 1),
        _labels=utils.MMS_LABELS,
        _sample_rate=16000,
        _normalize_waveform=True,
        _model_type="Wav2Vec2",
    ),
    "MMS forced-alignment model: trained on 31k h in 1,130 languages on romanised (uroman) transcripts. "
    "It has no word-boundary token.",
    "mms",
)
