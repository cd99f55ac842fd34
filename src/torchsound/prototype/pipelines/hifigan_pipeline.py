"""The HiFi-GAN vocoder bundle: torchaudio's converted LJSpeech V3 weights and the original HiFi-GAN mel transform."""

from dataclasses import dataclass
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...transforms import MelSpectrogram
from ..models.hifi_gan import HiFiGANVocoder, hifigan_vocoder

__all__ = ["HiFiGANVocoderBundle", "HIFIGAN_VOCODER_V3_LJSPEECH"]


@dataclass
class HiFiGANVocoderBundle:
    """A pretrained :class:`~torchsound.prototype.models.HiFiGANVocoder` with the mel transform it was trained on.

    The typical flow is text -> mel spectrogram (e.g. Tacotron2) -> waveform.

    Example:
        >>> from torchsound.prototype.pipelines import HIFIGAN_VOCODER_V3_LJSPEECH as bundle
        >>> vocoder = bundle.get_vocoder()  # weights from $TORCH_HOME/hub/checkpoints/
        >>> mel = bundle.get_mel_transform()(waveform)  # (batch, 80, frames)
        >>> resynthesized = vocoder(mel)  # (batch, 1, frames * 256) at bundle.sample_rate
    """

    _path: str
    _vocoder_params: Dict[str, Any]  # hifigan_vocoder's arguments
    _mel_params: Dict[str, Any]  # _HiFiGANMelSpectrogram's arguments, less n_mels and sample_rate
    _sample_rate: float

    def _get_state_dict(self, dl_kwargs):
        from ...pipelines._assets import TORCHAUDIO_URL, load_state_dict_with_dl_kwargs

        return load_state_dict_with_dl_kwargs(f"{TORCHAUDIO_URL}/models/{self._path}", dl_kwargs)

    def get_vocoder(self, *, dl_kwargs=None) -> HiFiGANVocoder:
        """The vocoder with the pretrained weights, in eval mode.

        The file is looked up where ``torch.hub.load_state_dict_from_url`` keeps it
        (``$TORCH_HOME/hub/checkpoints/<file name>``) and downloaded there when absent and the network allows;
        otherwise a ``WeightsNotFoundError`` names the file, its URL and the path to put it at.

        Args:
            dl_kwargs: ``torch.hub.load_state_dict_from_url``'s keywords (``model_dir``, ``file_name``,
                ``progress``, ``map_location``, ``check_hash``); weights are always loaded with ``weights_only=True``.
        """
        state_dict = self._get_state_dict(dl_kwargs)  # first: a missing file fails before the model is built
        model = hifigan_vocoder(**self._vocoder_params)
        model.load_state_dict(state_dict)
        return model.eval()

    def get_mel_transform(self) -> nn.Module:
        """The waveform -> log-mel transform of the original HiFi-GAN training code (see :class:`_HiFiGANMelSpectrogram`)."""
        return _HiFiGANMelSpectrogram(
            n_mels=self._vocoder_params["in_channels"], sample_rate=self._sample_rate, **self._mel_params
        )

    @property
    def sample_rate(self):
        """Sample rate (Hz) of the audio the vocoder was trained on."""
        return self._sample_rate


class _HiFiGANMelSpectrogram(nn.Module):
    r"""Log-mel spectrogram computed as the original HiFi-GAN's ``mel_spectrogram`` (meldataset.py) does.

    Reflect padding of ``(n_fft - hop_size) // 2`` on both sides, an uncentred Hann-window power STFT, the
    magnitude ``sqrt(power + 1e-9)``, Slaney-scale, Slaney-normalised mel filters, and ``log(max(mel, 1e-5))``.
    Built on :class:`torchsound.transforms.MelSpectrogram` (its ``spectrogram`` and ``mel_scale`` stages).

    Args:
        hop_size: Hop between frames; n_fft: FFT size; win_length: Window length.
        f_min, f_max: Frequency range of the mel filters (Hz).
        sample_rate: Sample rate of the waveform (Hz).
        n_mels: Number of mel bins.

    Shape:
        ``(..., time)`` -> ``(..., n_mels, n_frames)`` with ``n_frames = 1 + (time + 2 * pad - n_fft) // hop_size``,
        ``pad = (n_fft - hop_size) // 2`` (``time // hop_size`` frames when ``n_fft - hop_size`` is even).
    """

    def __init__(
        self,
        hop_size: int,
        n_fft: int,
        win_length: int,
        f_min: Optional[float],
        f_max: Optional[float],
        sample_rate: float,
        n_mels: int,
    ):
        super().__init__()
        self.mel_transform = MelSpectrogram(
            sample_rate=sample_rate,
            n_fft=n_fft,
            win_length=win_length,
            hop_length=hop_size,
            f_min=f_min,
            f_max=f_max,
            n_mels=n_mels,
            normalized=False,
            pad=0,
            mel_scale="slaney",
            norm="slaney",
            center=False,
        )
        self.sample_rate = sample_rate
        self.hop_size = hop_size
        self.n_fft = n_fft
        self.win_length = win_length
        self.f_min = f_min
        self.f_max = f_max
        self.n_mels = n_mels
        self.pad_size = (n_fft - hop_size) // 2

    def forward(self, waveform: Tensor) -> Tensor:
        """Log-mel spectrogram of a waveform sampled at ``self.sample_rate``.

        Args:
            waveform: ``(..., time)``.

        Returns:
            Tensor: ``(..., n_mels, n_frames)``.
        """
        shape = waveform.shape
        # reflect padding works on (batch, channel, time) only
        flat = waveform.reshape(-1, 1, shape[-1])
        padded = F.pad(flat, [self.pad_size, self.pad_size], mode="reflect").squeeze(1)
        magnitude = torch.sqrt(self.mel_transform.spectrogram(padded) + 1e-9)
        mel = self.mel_transform.mel_scale(magnitude)
        log_mel = torch.log(torch.clamp(mel, min=1e-5))
        return log_mel.reshape(shape[:-1] + log_mel.shape[-2:])


HIFIGAN_VOCODER_V3_LJSPEECH = HiFiGANVocoderBundle(
    "hifigan_vocoder_v3_ljspeech.pth",
    _vocoder_params={
        "upsample_rates": (8, 8, 4),
        "upsample_kernel_sizes": (16, 16, 8),
        "upsample_initial_channel": 256,
        "resblock_kernel_sizes": (3, 5, 7),
        "resblock_dilation_sizes": ((1, 2), (2, 6), (3, 12)),
        "resblock_type": 2,
        "in_channels": 80,
        "lrelu_slope": 0.1,
    },
    _mel_params={"hop_size": 256, "n_fft": 1024, "win_length": 1024, "f_min": 0, "f_max": 8000},
    _sample_rate=22050,
)
HIFIGAN_VOCODER_V3_LJSPEECH.__doc__ = """HiFi-GAN V3 vocoder trained on LJSpeech (22.05 kHz, 80 mel bins), weights
    converted by torchaudio from the ones published with the paper (MIT License).

    It works with Tacotron2's mel spectrograms, but sounds best on spectrograms made the way HiFi-GAN's training
    data were: :meth:`HiFiGANVocoderBundle.get_mel_transform` reproduces that transform. See
    :class:`HiFiGANVocoderBundle`."""
