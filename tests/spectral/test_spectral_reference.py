"""STFT, inverse STFT, filterbanks, mel spectrogram and MFCC against librosa and scipy."""

import librosa
import numpy as np
import pytest
import scipy.fft
import scipy.signal
import torch
from conftest import make_noise, tol

import torchsound.functional as F
import torchsound.transforms as T


@pytest.mark.parametrize("n_fft,hop,win_length", [(400, 160, 400), (512, 128, 400), (256, 100, 256)])
@pytest.mark.parametrize("pad_mode", ["reflect", "constant"])
def test_spectrogram_complex_matches_librosa_stft(n_fft, hop, win_length, pad_mode):
    x = make_noise(seconds=0.5)
    window = torch.hann_window(win_length)
    ours = F.spectrogram(x, 0, window, n_fft, hop, win_length, None, False, pad_mode=pad_mode)
    ref = librosa.stft(x.numpy()[0].astype(np.float64), n_fft=n_fft, hop_length=hop, win_length=win_length,
                       window=window.numpy().astype(np.float64), center=True, pad_mode=pad_mode)
    assert ours.dtype == torch.complex64
    torch.testing.assert_close(ours[0], torch.from_numpy(ref).to(torch.complex64), **tol("float32_fft"))


def test_spectrogram_matches_torch_stft_exactly_enough_and_power():
    x = make_noise(num_channels=3, seconds=0.3)
    w = torch.hann_window(400)
    ref = torch.stft(x, 400, 160, 400, w, center=True, pad_mode="reflect", return_complex=True)
    ours = F.spectrogram(x, 0, w, 400, 160, 400, None, False)
    torch.testing.assert_close(ours, ref, **tol("float32"))
    torch.testing.assert_close(F.spectrogram(x, 0, w, 400, 160, 400, 2.0, False), ref.abs() ** 2, **tol("float32_fft"))
    torch.testing.assert_close(F.spectrogram(x, 0, w, 400, 160, 400, 1.0, False), ref.abs(), **tol("float32_fft"))
    torch.testing.assert_close(F.spectrogram(x, 0, w, 400, 160, 400, 1.5, False), ref.abs() ** 1.5, **tol("float32_fft"))


def test_spectrogram_matches_scipy_signal_stft():
    # scipy scales by 1 / sum(window) and pads with zeros ("zeros" boundary); no window-norm option.
    x = make_noise(seconds=0.25).double()
    n_fft, hop = 256, 64
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    ours = F.spectrogram(x, 0, window, n_fft, hop, n_fft, None, False, center=True, pad_mode="constant")
    _, _, ref = scipy.signal.stft(x.numpy()[0], nperseg=n_fft, noverlap=n_fft - hop, window=window.numpy(),
                                  boundary="zeros", padded=False, detrend=False, return_onesided=True)
    ref = ref * window.sum().item()
    n = min(ours.shape[-1], ref.shape[-1])
    torch.testing.assert_close(ours[0, :, :n], torch.from_numpy(ref[:, :n]), **tol("float64"))


@pytest.mark.parametrize("normalized", [True, "window", "frame_length"])
def test_spectrogram_normalizations(normalized):
    x = make_noise(seconds=0.2)
    w = torch.hann_window(300)
    plain = F.spectrogram(x, 0, w, 400, 100, 300, None, False)
    ours = F.spectrogram(x, 0, w, 400, 100, 300, None, normalized)
    scale = 400**-0.5 if normalized == "frame_length" else 1 / w.pow(2).sum().sqrt()
    torch.testing.assert_close(ours, plain * scale, **tol("float32"))


def test_pad_and_onesided_false():
    x = make_noise(seconds=0.2)
    w = torch.hann_window(256)
    ours = F.spectrogram(x, 7, w, 256, 64, 256, None, False, onesided=False)
    ref = torch.stft(torch.nn.functional.pad(x, (7, 7)), 256, 64, 256, w, onesided=False, return_complex=True)
    torch.testing.assert_close(ours, ref, **tol("float32_fft"))


def test_real_stft_path_matches_fft_path():
    x = make_noise(num_channels=2, seconds=0.3)
    for power in (1.0, 2.0):
        a = T.Spectrogram(400, hop_length=160, power=power)(x)
        b = T.Spectrogram(400, hop_length=160, power=power, real_stft=True)(x)
        torch.testing.assert_close(b, a, rtol=tol("float32_fft")["rtol"], atol=1e-4 * float(a.max()))


@pytest.mark.parametrize("center", [True, False])
def test_inverse_spectrogram_matches_librosa_istft_and_reconstructs(center):
    x = make_noise(num_channels=2, seconds=0.3).double()
    n_fft, hop = 512, 128
    w = torch.hann_window(n_fft, dtype=torch.float64)
    spec = F.spectrogram(x, 0, w, n_fft, hop, n_fft, None, False, center=center)
    length = x.shape[-1] if center else None
    ours = F.inverse_spectrogram(spec, length, 0, w, n_fft, hop, n_fft, False, center=center)
    ref = librosa.istft(spec.numpy(), n_fft=n_fft, hop_length=hop, window=w.numpy(), center=center, length=length)
    if center:
        torch.testing.assert_close(ours, x, **tol("float64"))
        torch.testing.assert_close(ours, torch.from_numpy(ref), **tol("float64"))
    else:  # edges without full overlap differ by convention; compare the fully overlapped interior
        torch.testing.assert_close(ours[..., n_fft:-n_fft], torch.from_numpy(ref)[..., n_fft:ours.shape[-1] - n_fft],
                                   **tol("float64"))
        torch.testing.assert_close(ours[..., n_fft:-n_fft], x[..., n_fft:ours.shape[-1] - n_fft], **tol("float64"))


def test_inverse_spectrogram_pad_and_window_norm():
    x = make_noise(seconds=0.2)
    w = torch.hann_window(400)
    spec = F.spectrogram(x, 5, w, 400, 100, 400, None, True)
    y = F.inverse_spectrogram(spec, x.shape[-1], 5, w, 400, 100, 400, True)
    torch.testing.assert_close(y, x, **tol("float32_fft"))


@pytest.mark.parametrize("mel_scale,norm", [("htk", None), ("htk", "slaney"), ("slaney", None), ("slaney", "slaney")])
@pytest.mark.parametrize("sr,n_fft,n_mels,fmin,fmax", [(22050, 2048, 128, 0.0, 11025.0), (16000, 400, 80, 20.0, 7600.0)])
def test_melscale_fbanks_matches_librosa(mel_scale, norm, sr, n_fft, n_mels, fmin, fmax):
    ours = F.melscale_fbanks(n_fft // 2 + 1, fmin, fmax, n_mels, sr, norm, mel_scale)
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=mel_scale == "htk",
                              norm="slaney" if norm else None, dtype=np.float64)
    assert ours.shape == (n_fft // 2 + 1, n_mels) and ours.dtype == torch.float32
    torch.testing.assert_close(ours.double(), torch.from_numpy(ref.T), rtol=tol("float32")["rtol"], atol=1e-7 * ref.max())


def test_linear_fbanks_direct():
    ours = F.linear_fbanks(201, 100.0, 7000.0, 20, 16000).double()
    freqs = np.linspace(0, 8000, 201)
    edges = np.linspace(100.0, 7000.0, 22)
    ref = np.zeros((201, 20))
    for m in range(20):  # direct triangle definition
        lo, c, hi = edges[m], edges[m + 1], edges[m + 2]
        ref[:, m] = np.clip(np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)), 0, None)
    torch.testing.assert_close(ours, torch.from_numpy(ref), **tol("float32"))


@pytest.mark.parametrize("norm", [None, "ortho"])
def test_create_dct_matches_scipy(norm):
    dct = F.create_dct(13, 40, norm).double()
    x = np.random.default_rng(0).standard_normal((5, 40))
    ref = scipy.fft.dct(x, type=2, norm=norm, axis=-1)[:, :13]
    torch.testing.assert_close(torch.from_numpy(x) @ dct, torch.from_numpy(ref), **tol("float32"))


LIBROSA_MEL = dict(n_fft=2048, hop_length=512, pad_mode="constant", norm="slaney", mel_scale="slaney")


def test_melspectrogram_recipe_matches_librosa(speech):
    x, sr = speech
    x = x[:, : sr * 2]
    ours = T.MelSpectrogram(sr, **LIBROSA_MEL)(x)[0]
    ref = librosa.feature.melspectrogram(y=x.numpy()[0], sr=sr)
    torch.testing.assert_close(ours, torch.from_numpy(ref), rtol=tol("float32_fft")["rtol"], atol=1e-5 * ref.max())


def test_melspectrogram_htk_matches_librosa_power1():
    x = make_noise(seconds=0.5)
    ours = T.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40, power=1.0)(x)[0]
    ref = librosa.feature.melspectrogram(y=x.numpy()[0], sr=16000, n_fft=400, hop_length=160, n_mels=40, power=1.0,
                                         htk=True, norm=None, pad_mode="reflect")
    torch.testing.assert_close(ours, torch.from_numpy(ref), rtol=tol("float32_fft")["rtol"], atol=1e-5 * ref.max())


def test_mfcc_recipe_matches_librosa(speech):
    x, sr = speech
    x = x[:, : sr * 2]
    ours = T.MFCC(sr, n_mfcc=20, melkwargs=LIBROSA_MEL)(x)[0]
    ref = librosa.feature.mfcc(y=x.numpy()[0], sr=sr, n_mfcc=20)
    torch.testing.assert_close(ours, torch.from_numpy(ref), **tol("float32_db"))


def test_amplitude_to_db_matches_librosa():
    s = torch.rand(1, 64, 50) ** 4
    ours = F.amplitude_to_DB(s, 10.0, 1e-10, 0.0, 80.0)
    ref = librosa.power_to_db(s.numpy(), ref=1.0, amin=1e-10, top_db=80.0)
    torch.testing.assert_close(ours, torch.from_numpy(ref), **tol("float32_db"))
    mag = s.sqrt()
    ours = T.AmplitudeToDB("magnitude", top_db=None)(mag)
    ref = librosa.amplitude_to_db(mag.numpy(), ref=1.0, amin=1e-5, top_db=None)  # same as 20log10(max(x,1e-10))
    mask = mag > 1e-5
    torch.testing.assert_close(ours[mask], torch.from_numpy(ref)[mask], **tol("float32_db"))
    torch.testing.assert_close(F.DB_to_amplitude(F.amplitude_to_DB(s, 10.0, 1e-10, 0.0), 1.0, 1.0), s.clamp_min(1e-10),
                               **tol("float32_fft"))
    torch.testing.assert_close(F.DB_to_amplitude(ours, 1.0, 0.5), torch.from_numpy(librosa.db_to_amplitude(ref)),
                               **tol("float32_fft"))


def test_lfcc_direct():
    x = make_noise(seconds=0.3)
    ours = T.LFCC(16000, n_filter=64, n_lfcc=20, speckwargs={"n_fft": 512, "hop_length": 160})(x)
    spec = torch.stft(x, 512, 160, window=torch.hann_window(512), return_complex=True).abs() ** 2
    fb = F.linear_fbanks(257, 0.0, 8000.0, 64, 16000)
    energies = torch.from_numpy(librosa.power_to_db((fb.T @ spec).numpy(), top_db=80.0))
    ref = torch.from_numpy(scipy.fft.dct(energies.numpy(), type=2, norm="ortho", axis=-2)[..., :20, :])
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-2)


def test_blockwise_long_input_path_equals_one_block(monkeypatch):
    import torchsound.functional._spectral as spectral

    x = make_noise(num_channels=2, seconds=0.5)
    w = torch.hann_window(400)
    whole_complex = torch.stft(x, 400, 160, 400, w, return_complex=True)
    mel = T.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40)
    whole_mel = mel.mel_scale(mel.spectrogram(x))
    monkeypatch.setattr(spectral, "_BLOCK_ELEMENTS", 400 * 2 * 7)  # 7 frames a block: many uneven blocks
    torch.testing.assert_close(F.spectrogram(x, 0, w, 400, 160, 400, None, False), whole_complex, **tol("float32"))
    torch.testing.assert_close(F.spectrogram(x, 0, w, 400, 160, 400, 2.0, False), whole_complex.abs() ** 2,
                               **tol("float32_fft"))
    torch.testing.assert_close(mel(x), whole_mel, **tol("float32_fft"))
    real = T.MelSpectrogram(16000, n_fft=400, hop_length=160, n_mels=40, real_stft=True)(x)
    torch.testing.assert_close(real, whole_mel, rtol=tol("float32_fft")["rtol"], atol=1e-4 * float(whole_mel.max()))


@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
@pytest.mark.parametrize("blocked", [False, True])
def test_every_pad_mode_matches_torch_stft(monkeypatch, pad_mode, blocked):
    import torchsound.functional._spectral as spectral

    if blocked:
        monkeypatch.setattr(spectral, "_BLOCK_ELEMENTS", 256 * 3 * 5)
    x = make_noise(num_channels=3, seconds=0.2)
    w = torch.hann_window(256)
    ref = torch.stft(x, 256, 64, 256, w, center=True, pad_mode=pad_mode, return_complex=True)
    torch.testing.assert_close(F.spectrogram(x, 0, w, 256, 64, 256, None, False, pad_mode=pad_mode), ref, **tol("float32"))


def test_banded_filterbank_projection_equals_dense():
    import torchsound.functional._spectral as spectral

    value = torch.rand(2, 37, 201, dtype=torch.float64)
    empty_group = F.melscale_fbanks(201, 0.0, 8000.0, 64, 16000).double()
    empty_group[:, 16:32] = 0  # a whole group of empty filters
    banks = [F.melscale_fbanks(201, 0.0, 8000.0, 80, 16000, "slaney", "slaney"), F.linear_fbanks(201, 0.0, 8000.0, 64, 16000),
             F.melscale_fbanks(201, 0.0, 8000.0, 128, 16000), empty_group]
    for fb in banks:
        fb = fb.double()
        plan = spectral._band_plan(fb)
        assert plan is not None
        torch.testing.assert_close(spectral._project(value, fb, plan), value @ fb, **tol("float64"))
    assert spectral._band_plan(_dense_chroma_bank()) is None  # dense: keeps the plain matmul


def _dense_chroma_bank():
    import torchsound.prototype.functional as PF

    return PF.chroma_filterbank(16000, 201, 36)
