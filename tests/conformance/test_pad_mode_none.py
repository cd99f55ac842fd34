"""``pad_mode=None`` without centering, as encodec's discriminator builds its Spectrogram."""

import pytest
import torch

import torchsound.transforms as T
from conftest import tol


@pytest.mark.parametrize("cls", ["Spectrogram", "MelSpectrogram"])
def test_pad_mode_none_without_center_matches_torchaudio(torchaudio28, cls):
    torch.manual_seed(0)
    x = torch.randn(2, 4000)
    kwargs = dict(n_fft=256, hop_length=64, win_length=256, center=False, pad_mode=None)
    if cls == "MelSpectrogram":
        kwargs.update(sample_rate=16000, n_mels=32)
    else:
        kwargs.update(power=None, normalized=True)
    ours = getattr(T, cls)(**kwargs)
    theirs = getattr(torchaudio28.transforms, cls)(**kwargs)
    torch.testing.assert_close(ours(x), theirs(x), **tol("float32_fft"))
    torch.testing.assert_close(torch.jit.script(ours)(x), ours(x), **tol("float32"))


def test_inverse_spectrogram_pad_mode_none_without_center(torchaudio28):
    spec = torch.randn(1, 129, 40, dtype=torch.complex64)
    # A window without zeros at its ends: torch.istft refuses uncentered frames whose overlap-add has a zero.
    kwargs = dict(n_fft=256, hop_length=64, center=False, pad_mode=None, window_fn=torch.ones)
    torch.testing.assert_close(T.InverseSpectrogram(**kwargs)(spec), torchaudio28.transforms.InverseSpectrogram(**kwargs)(spec),
                               **tol("float32_fft"))


def test_pad_mode_none_with_center_is_a_clear_error():
    with pytest.raises(ValueError, match="pad_mode=None needs center=False"):
        T.Spectrogram(pad_mode=None)
    with pytest.raises(ValueError, match="pad_mode must be one of"):
        T.Spectrogram(center=False, pad_mode="mirror")
