"""The four Tacotron2 LJSpeech bundles of torchaudio 2.8: character or phoneme input, Griffin-Lim or WaveRNN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from ...models import Tacotron2, WaveRNN
from ._text import _EnglishCharProcessor, _EnglishPhoneProcessor, _check_dl_kwargs
from ._vocoders import _GriffinLimVocoder, _WaveRNNVocoder
from .interface import Tacotron2TTSBundle

_MODELS_URL = "https://download.pytorch.org/torchaudio/models"


def _tacotron2_params(n_symbol: int) -> Dict[str, Any]:
    """Tacotron2's published configuration: the defaults of :class:`Tacotron2` with ``n_symbol`` symbols."""
    return dict(
        mask_padding=False,
        n_mels=80,
        n_frames_per_step=1,
        symbol_embedding_dim=512,
        encoder_embedding_dim=512,
        encoder_n_convolution=3,
        encoder_kernel_size=5,
        decoder_rnn_dim=1024,
        decoder_max_step=2000,
        decoder_dropout=0.1,
        decoder_early_stopping=True,
        attention_rnn_dim=1024,
        attention_hidden_dim=128,
        attention_location_n_filter=32,
        attention_location_kernel_size=31,
        attention_dropout=0.1,
        prenet_dim=256,
        postnet_n_convolution=5,
        postnet_kernel_size=5,
        postnet_embedding_dim=512,
        gate_threshold=0.5,
        n_symbol=n_symbol,
    )


def _wavernn_params() -> Dict[str, Any]:
    """WaveRNN's published configuration: 8-bit output, hop 275 = 5 * 5 * 11, 80 mel bins."""
    return dict(
        upsample_scales=[5, 5, 11],
        n_classes=2**8,
        hop_length=275,
        n_res_block=10,
        n_rnn=512,
        n_fc=512,
        kernel_size=5,
        n_freq=80,
        n_hidden=128,
        n_output=128,
    )


def _load_model(model, file_name: str, dl_kwargs):
    from .. import _assets  # the weights loader

    # dl_kwargs are torch.hub.load_state_dict_from_url's keywords, as in torchaudio.
    state_dict = _assets.load_state_dict_with_dl_kwargs(f"{_MODELS_URL}/{file_name}", dl_kwargs)
    model.load_state_dict(state_dict)
    return model.eval()


class _CharMixin:
    def get_text_processor(self, *, dl_kwargs=None) -> Tacotron2TTSBundle.TextProcessor:
        _check_dl_kwargs(dl_kwargs)  # nothing to download; still reject a malformed argument
        return _EnglishCharProcessor()


class _PhoneMixin:
    def get_text_processor(self, *, dl_kwargs=None) -> Tacotron2TTSBundle.TextProcessor:
        return _EnglishPhoneProcessor(dl_kwargs=dl_kwargs)


@dataclass
class _Tacotron2Mixin:
    _tacotron2_path: str
    _tacotron2_params: Dict[str, Any]

    def get_tacotron2(self, *, dl_kwargs=None) -> Tacotron2:
        return _load_model(Tacotron2(**self._tacotron2_params), self._tacotron2_path, dl_kwargs)


@dataclass
class _WaveRNNMixin:
    _wavernn_path: Optional[str]
    _wavernn_params: Optional[Dict[str, Any]]

    def get_vocoder(self, *, dl_kwargs=None) -> Tacotron2TTSBundle.Vocoder:
        return _WaveRNNVocoder(self._get_wavernn(dl_kwargs=dl_kwargs))

    def _get_wavernn(self, *, dl_kwargs=None) -> WaveRNN:
        return _load_model(WaveRNN(**self._wavernn_params), self._wavernn_path, dl_kwargs)


class _GriffinLimMixin:
    def get_vocoder(self, *, dl_kwargs=None) -> Tacotron2TTSBundle.Vocoder:
        _check_dl_kwargs(dl_kwargs)  # nothing to download
        return _GriffinLimVocoder()


@dataclass
class _Tacotron2WaveRNNCharBundle(_WaveRNNMixin, _Tacotron2Mixin, _CharMixin, Tacotron2TTSBundle):
    pass


@dataclass
class _Tacotron2WaveRNNPhoneBundle(_WaveRNNMixin, _Tacotron2Mixin, _PhoneMixin, Tacotron2TTSBundle):
    pass


@dataclass
class _Tacotron2GriffinLimCharBundle(_GriffinLimMixin, _Tacotron2Mixin, _CharMixin, Tacotron2TTSBundle):
    pass


@dataclass
class _Tacotron2GriffinLimPhoneBundle(_GriffinLimMixin, _Tacotron2Mixin, _PhoneMixin, Tacotron2TTSBundle):
    pass


_CHAR_DOC = "The text processor lower-cases the text and encodes it character by character."
_PHONE_DOC = (
    "The text processor converts the text to CMUdict phonemes with DeepPhonemizer (its *en_us_cmudict_forward* "
    "checkpoint, found in ``$TORCH_HOME/hub/checkpoints`` or downloaded there; needs ``torchsound[pipelines]``)."
)
_GL_DOC = "The vocoder is :class:`~torchsound.transforms.GriffinLim` after :class:`~torchsound.transforms.InverseMelScale`."
_WRNN_DOC = (
    "The vocoder is :class:`~torchsound.models.WaveRNN` trained for 10,000 epochs on 8-bit LJSpeech "
    "(``win_length=1100``, ``hop_length=275``, ``n_fft=2048``, ``mel_fmin=40``, ``mel_fmax=11025``)."
)


def _doc(kind: str, vocoder: str) -> str:
    return (
        f"{kind.capitalize()}-based TTS pipeline: :class:`~torchsound.models.Tacotron2` trained on *LJSpeech* for "
        f"1,500 epochs (torchaudio's weights).\n\n{_CHAR_DOC if kind == 'character' else _PHONE_DOC}\n\n{vocoder}\n\n"
        "See :class:`Tacotron2TTSBundle` for the usage."
    )


TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH = _Tacotron2GriffinLimCharBundle(
    _tacotron2_path="tacotron2_english_characters_1500_epochs_ljspeech.pth",
    _tacotron2_params=_tacotron2_params(n_symbol=38),
)
TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH.__doc__ = _doc("character", _GL_DOC)

TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH = _Tacotron2GriffinLimPhoneBundle(
    _tacotron2_path="tacotron2_english_phonemes_1500_epochs_ljspeech.pth",
    _tacotron2_params=_tacotron2_params(n_symbol=96),
)
TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH.__doc__ = _doc("phoneme", _GL_DOC)

TACOTRON2_WAVERNN_CHAR_LJSPEECH = _Tacotron2WaveRNNCharBundle(
    _tacotron2_path="tacotron2_english_characters_1500_epochs_wavernn_ljspeech.pth",
    _tacotron2_params=_tacotron2_params(n_symbol=38),
    _wavernn_path="wavernn_10k_epochs_8bits_ljspeech.pth",
    _wavernn_params=_wavernn_params(),
)
TACOTRON2_WAVERNN_CHAR_LJSPEECH.__doc__ = _doc("character", _WRNN_DOC)

TACOTRON2_WAVERNN_PHONE_LJSPEECH = _Tacotron2WaveRNNPhoneBundle(
    _tacotron2_path="tacotron2_english_phonemes_1500_epochs_wavernn_ljspeech.pth",
    _tacotron2_params=_tacotron2_params(n_symbol=96),
    _wavernn_path="wavernn_10k_epochs_8bits_ljspeech.pth",
    _wavernn_params=_wavernn_params(),
)
TACOTRON2_WAVERNN_PHONE_LJSPEECH.__doc__ = _doc("phoneme", _WRNN_DOC)
