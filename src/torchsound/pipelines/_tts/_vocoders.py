"""Vocoders of the Tacotron2 bundles: WaveRNN (pretrained) and Griffin-Lim, on Tacotron2's log-mel output."""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ...functional import mu_law_decoding
from ...models import WaveRNN
from ...transforms import GriffinLim, InverseMelScale
from .interface import Tacotron2TTSBundle

_SAMPLE_RATE = 22050  # LJSpeech


def _to_classes(waveform: Tensor, n_bits: int) -> Tensor:
    """Waveform in [-1, 1] -> integer class in [0, 2**n_bits - 1] (truncating, as WaveRNN was trained)."""
    top = 2**n_bits - 1
    classes = (waveform.clamp(-1, 1) + 1.0) * top / 2
    return classes.clamp(0, top).int()


class _WaveRNNVocoder(torch.nn.Module, Tacotron2TTSBundle.Vocoder):
    """WaveRNN on Tacotron2's natural-log mel spectrogram, rescaled to the [0, 1] dB range WaveRNN was trained on.

    The spectrogram becomes ``clamp((min_level_db - 20 log10(max(exp(x), 1e-5))) / min_level_db, 0, 1)``
    (unchanged in dB when ``min_level_db`` is None); WaveRNN samples 8-bit mu-law classes, decoded to [-1, 1].

    Shape:
        - mel_spec: ``(batch, n_mels, n_frames)``; lengths: ``(batch,)`` frames.
        - output: ``(batch, n_frames * hop_length)`` float32, and lengths in samples (or None).
    """

    def __init__(self, model: WaveRNN, min_level_db: Optional[float] = -100):
        super().__init__()
        self._sample_rate = _SAMPLE_RATE
        self._model = model
        self._min_level_db = min_level_db

    @property
    def sample_rate(self):
        return self._sample_rate

    def forward(self, mel_spec: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        decibels = 20 * torch.log10(torch.exp(mel_spec).clamp(min=1e-5))
        if self._min_level_db is not None:
            decibels = ((self._min_level_db - decibels) / self._min_level_db).clamp(0, 1)
        waveform, lengths = self._model.infer(decibels, lengths)
        classes = _to_classes(waveform, self._model.n_bits)
        waveform = mu_law_decoding(classes, self._model.n_classes)
        return waveform.squeeze(1), lengths


class _GriffinLimVocoder(torch.nn.Module, Tacotron2TTSBundle.Vocoder):
    """Griffin-Lim phase reconstruction of the linear spectrogram recovered from the mel one (least squares).

    Uses :class:`~torchsound.transforms.InverseMelScale` (slaney mel scale and norm, 0-8 kHz, 1024-point FFT) and
    :class:`~torchsound.transforms.GriffinLim` (magnitude, hop 256, 32 iterations, random initial phase from the
    global generator).

    Shape:
        - mel_spec: ``(batch, 80, n_frames)``; lengths are passed through.
        - output: ``(batch, (n_frames - 1) * 256)``.
    """

    def __init__(self):
        super().__init__()
        self._sample_rate = _SAMPLE_RATE
        self._inv_mel = InverseMelScale(
            n_stft=1024 // 2 + 1,
            n_mels=80,
            sample_rate=self._sample_rate,
            f_min=0.0,
            f_max=8000.0,
            mel_scale="slaney",
            norm="slaney",
        )
        self._griffin_lim = GriffinLim(n_fft=1024, power=1, hop_length=256, win_length=1024)

    @property
    def sample_rate(self):
        return self._sample_rate

    def forward(self, mel_spec: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        # No gradient flows back to Tacotron2 through the reconstruction (as in torchaudio).
        with torch.no_grad():
            spec = self._inv_mel(torch.exp(mel_spec))
            return self._griffin_lim(spec), lengths
