"""VGGish (Hershey et al., 2017): a VGG-style audio embedding network and its log-mel front end.

The front end follows the AudioSet release (and torchvggish, which torchaudio ported): 16 kHz audio, 25 ms periodic
Hann windows every 10 ms zero-padded to a 512-point FFT, magnitude spectra, 64 mel bands between 125 and 7500 Hz
(triangles in the HTK mel domain, which is Kaldi's filterbank definition), ``log(mel + 0.01)``, and examples of 96
frames (0.96 s) without overlap. The network keeps torchaudio 2.8's state_dict keys
(``features_network.<i>``, ``embedding_network.<i>``).
"""

import torch
from torch import Tensor, nn

from ...._internal.cache import cached
from ...._internal.checks import check_float
from ....compliance.kaldi import _mel_matrix
from ....functional import spectrogram

__all__ = ["VGGish", "VGGishInputProcessor"]

_SAMPLE_RATE = 16000
_WINDOW_LENGTH = 400  # 25 ms
_HOP_LENGTH = 160  # 10 ms
_N_FFT = 512  # next power of two above the window
_NUM_BANDS = 64
_MEL_MIN_HZ = 125.0
_MEL_MAX_HZ = 7500.0
_LOG_OFFSET = 0.01
_EXAMPLE_FRAMES = 96  # 0.96 s of 10 ms frames; examples do not overlap

# Conv widths of the feature network, "M" a 2x2 max pool: 4 pools take (96, 64) frames x bands to (6, 4).
_FEATURE_PLAN = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M")
_EMBEDDING_WIDTHS = (512 * 6 * 4, 4096, 4096, 128)


def _feature_network() -> nn.Sequential:
    layers = []
    channels = 1
    for item in _FEATURE_PLAN:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers += [nn.Conv2d(channels, item, kernel_size=3, padding=1), nn.ReLU()]
            channels = item
    return nn.Sequential(*layers)


def _embedding_network() -> nn.Sequential:
    layers = []
    for n_in, n_out in zip(_EMBEDDING_WIDTHS[:-1], _EMBEDDING_WIDTHS[1:]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]  # the released model ends with a ReLU too
    return nn.Sequential(*layers)


class VGGish(nn.Module):
    r"""VGGish audio embedding network (Hershey et al., 2017), as ported by torchaudio.

    Shape:
        input ``(n_example, 1, 96, 64)`` (examples of 96 frames x 64 mel bands, from
        :class:`VGGishInputProcessor`); output ``(n_example, 128)``.
    """

    def __init__(self):
        super().__init__()
        self.features_network = _feature_network()
        self.embedding_network = _embedding_network()

    def forward(self, input: Tensor) -> Tensor:
        """Embeddings of a batch of log-mel examples.

        Args:
            input: ``(n_example, 1, 96, 64)`` log-mel examples.

        Returns:
            Tensor: ``(n_example, 128)`` embeddings.
        """
        # literals: TorchScript does not read module constants (96 = _EXAMPLE_FRAMES, 64 = _NUM_BANDS)
        if input.dim() != 4 or input.shape[1] != 1 or input.shape[2] != 96 or input.shape[3] != 64:
            raise ValueError(f"VGGish: expected input of shape (n_example, 1, 96, 64), got {list(input.shape)}")
        x = self.features_network(input)
        # flatten channels last: the order of the original TensorFlow weights of the first linear layer
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return self.embedding_network(x)


@cached()
def _window(dtype: torch.dtype, device: torch.device) -> Tensor:
    return torch.hann_window(_WINDOW_LENGTH, periodic=True, dtype=dtype, device=device)


def _mel_filterbank(dtype: torch.dtype, device: torch.device) -> Tensor:
    """``(257, 64)`` weights: Kaldi's triangles (mel-domain, HTK mel) are VGGish's, on the same FFT bins."""
    # vtln_low/vtln_high are Kaldi's defaults; unused without warping (factor 1.0)
    matrix, _ = _mel_matrix(
        _NUM_BANDS, _N_FFT, float(_SAMPLE_RATE), _MEL_MIN_HZ, _MEL_MAX_HZ, 100.0, -500.0, 1.0, dtype, device
    )
    return matrix


def _log_mel(waveform: Tensor) -> Tensor:
    """``(time,)`` -> ``(n_frames, 64)`` with ``n_frames = 1 + (time - 400) // 160``."""
    # A 400-sample window centred in a 512-point frame starts 56 samples in: padding both ends by 56 zeros makes
    # frame t window samples [160 t, 160 t + 400) of the input, zero-padded to 512 (the magnitude ignores the shift).
    offset = (_N_FFT - _WINDOW_LENGTH) // 2
    window = _window(waveform.dtype, waveform.device)
    magnitude = spectrogram(waveform, offset, window, _N_FFT, _HOP_LENGTH, _WINDOW_LENGTH, 1.0, False, center=False)
    mel = magnitude.transpose(-1, -2) @ _mel_filterbank(magnitude.dtype, magnitude.device)
    return torch.log(mel + _LOG_OFFSET)


class VGGishInputProcessor:
    r"""Converts a 16 kHz waveform into the log-mel examples VGGish takes.

    A waveform shorter than one example (15600 samples) gives no example (torchaudio fails there);
    samples after the last whole example are dropped.

    Shape:
        input ``(time,)``; output ``(n_example, 1, 96, 64)`` with
        ``n_example = (1 + (time - 400) // 160) // 96``.
    """

    def __call__(self, input: Tensor) -> Tensor:
        """Log-mel examples of a waveform.

        Args:
            input: ``(time,)`` waveform sampled at 16 kHz.

        Returns:
            Tensor: ``(n_example, 1, 96, 64)`` examples to pass to :class:`VGGish`.
        """
        check_float("input", input, fn="VGGishInputProcessor")
        if input.dim() != 1:
            raise ValueError(
                f"VGGishInputProcessor: input must be a 1-D waveform (time,), got shape {list(input.shape)}"
            )
        n_frames = 1 + (input.shape[0] - _WINDOW_LENGTH) // _HOP_LENGTH if input.shape[0] >= _WINDOW_LENGTH else 0
        n_examples = n_frames // _EXAMPLE_FRAMES
        if n_examples == 0:
            return input.new_zeros(0, 1, _EXAMPLE_FRAMES, _NUM_BANDS)
        # only the samples the whole examples need
        used = (n_examples * _EXAMPLE_FRAMES - 1) * _HOP_LENGTH + _WINDOW_LENGTH
        waveform = input[:used]
        if waveform.dtype in (torch.float16, torch.bfloat16):  # half precision: computed in float32
            waveform = waveform.float()
        log_mel = _log_mel(waveform).to(input.dtype)
        return log_mel.reshape(n_examples, 1, _EXAMPLE_FRAMES, _NUM_BANDS)
