"""Functional edge cases of issue 13, each against torchaudio 2.8 (the oracle) or an independent reference."""

from __future__ import annotations

import importlib
import warnings

import librosa
import pytest
import torch
from conftest import tol

import torchsound.functional as F
import torchsound.prototype.functional as PF
import torchsound.prototype.transforms as PT
import torchsound.transforms as T

# ----------------------------------------------------------------------------- add_noise


@pytest.mark.parametrize(
    "wave_shape, noise_shape, snr_shape",
    [
        ((2, 3, 100), (2, 3, 100), (2, 3)),
        ((2, 3, 100), (1, 1, 100), (2, 3)),  # one noise for the whole batch
        ((2, 3, 100), (2, 1, 100), (1, 3)),  # noise per item, SNR per channel
        ((1, 3, 100), (2, 3, 100), (2, 3)),  # the noise's batch widens the output, as torch broadcasting does
        ((4, 100), (1, 100), (1,)),
    ],
)
def test_add_noise_broadcasts_like_torchaudio(wave_shape, noise_shape, snr_shape, torchaudio28):
    waveform, noise = torch.randn(wave_shape), torch.randn(noise_shape)
    snr = torch.rand(snr_shape) * 20
    ours = F.add_noise(waveform, noise, snr)
    ref = torchaudio28.functional.add_noise(waveform, noise, snr)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, **tol("float32"))
    lengths = torch.randint(10, 101, snr_shape)
    torch.testing.assert_close(
        F.add_noise(waveform, noise, snr, lengths), torchaudio28.functional.add_noise(waveform, noise, snr, lengths),
        **tol("float32"),
    )
    torch.testing.assert_close(T.AddNoise()(waveform, noise, snr), ref, **tol("float32"))


def test_add_noise_rejects_what_does_not_broadcast():
    with pytest.raises(ValueError, match=r"noise shape \[3, 100\] does not broadcast with the waveform's \[2, 2, 100\]"):
        F.add_noise(torch.randn(2, 2, 100), torch.randn(3, 100), torch.ones(2, 2))
    with pytest.raises(ValueError, match=r"noise must have the waveform's length"):
        F.add_noise(torch.randn(2, 100), torch.randn(2, 99), torch.ones(2))


# ----------------------------------------------------------------------------- spectrogram(hop_length=None)


@pytest.mark.parametrize("win_length", [400, None])
@pytest.mark.parametrize("power", [2.0, None])
def test_spectrogram_hop_length_none_is_torch_stft_default(win_length, power, torchaudio28):
    """torchaudio passes None through to torch.stft, which uses n_fft // 4 (and win_length = n_fft)."""
    x = torch.randn(2, 1000)
    args = (0, torch.hann_window(400), 400, None, win_length, power, False)
    ours = F.spectrogram(x, *args)
    ref = torchaudio28.functional.spectrogram(x, *args)
    assert ours.shape == ref.shape == (2, 201, 1 + 1000 // 100)
    torch.testing.assert_close(ours, ref, **tol("float32_fft"))


# ----------------------------------------------------------------------------- filterbanks


@pytest.mark.parametrize("norm, mel_scale", [(None, "htk"), ("slaney", "slaney"), (None, "slaney")])
def test_melscale_fbanks_f_min_above_f_max(norm, mel_scale, torchaudio28):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn about empty filters
        ours = F.melscale_fbanks(201, 5000.0, 4000.0, 10, 16000, norm, mel_scale)
        ref = torchaudio28.functional.melscale_fbanks(201, 5000.0, 4000.0, 10, 16000, norm, mel_scale)
    torch.testing.assert_close(ours, ref, **tol("float32_fft"))
    assert ours.abs().sum() > 0  # not an empty bank: the reversed corners still make triangles
    if norm == "slaney" and mel_scale == "slaney":  # librosa builds the same bank (transposed)
        expected = librosa.filters.mel(sr=16000, n_fft=400, n_mels=10, fmin=5000.0, fmax=4000.0, htk=False)
        torch.testing.assert_close(ours.T, torch.from_numpy(expected), **tol("float32_fft"))


def test_melscale_fbanks_equal_edges_is_an_error():
    with pytest.raises(ValueError, match=r"f_min must differ from f_max \(4000.0\), got 4000.0"):
        F.melscale_fbanks(201, 4000.0, 4000.0, 10, 16000)


@pytest.mark.parametrize("bark_scale", ["traunmuller", "schroeder", "wang"])
@pytest.mark.parametrize("n_freqs, f_min, f_max, n_barks", [(201, 0.0, 8000.0, 128), (201, 100.0, 6000.0, 40), (10, 0.0, 8000.0, 5)])
def test_barkscale_fbanks_match_torchaudio(bark_scale, n_freqs, f_min, f_max, n_barks, torchaudio28):
    """Including torchaudio's Traunmueller inverse, which skips the >20.1 Bark correction when a corner is < 2 Bark."""
    oracle = importlib.import_module("torchaudio.prototype.functional")
    ours = PF.barkscale_fbanks(n_freqs, f_min, f_max, n_barks, 16000, bark_scale)
    ref = oracle.barkscale_fbanks(n_freqs, f_min, f_max, n_barks, 16000, bark_scale)
    # torchaudio builds the bank in float32, we in float64: a triangle value differs by up to ~3e-5
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-4)


# ----------------------------------------------------------------------------- vad


@pytest.mark.parametrize("pre_trigger_time", [0.0, 0.3, 2.0])
@pytest.mark.parametrize("kind", ["zeros", "quiet_noise", "short"])
def test_vad_without_trigger_keeps_pre_trigger_buffer(kind, pre_trigger_time, torchaudio28):
    """No trigger: torchaudio returns the first pre_trigger_time seconds (all of a shorter input), empty by default."""
    g = torch.Generator().manual_seed(3)
    x = {
        "zeros": torch.zeros(2, 12000),
        "quiet_noise": 1e-4 * torch.randn(1, 12000, generator=g),
        "short": torch.zeros(1, 500),
    }[kind]
    ours = F.vad(x, 16000, pre_trigger_time=pre_trigger_time)
    ref = torchaudio28.functional.vad(x, 16000, pre_trigger_time=pre_trigger_time)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref)
    torch.testing.assert_close(T.Vad(16000, pre_trigger_time=pre_trigger_time)(x), ref)


def test_vad_with_trigger_still_matches(torchaudio28):
    g = torch.Generator().manual_seed(4)
    x = torch.cat([torch.zeros(1000), 0.3 * torch.randn(8000, generator=g)]).unsqueeze(0)
    for pre in (0.0, 0.3):
        torch.testing.assert_close(F.vad(x, 16000, pre_trigger_time=pre), torchaudio28.functional.vad(x, 16000, pre_trigger_time=pre))


# ----------------------------------------------------------------------------- rnnt_loss


def _rnnt_data(dtype=torch.float64):
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(2, 6, 4, 5, dtype=dtype, generator=g).requires_grad_(True)
    targets = torch.randint(1, 5, (2, 3), dtype=torch.int32, generator=g)
    return logits, targets, torch.tensor([6, 5], dtype=torch.int32), torch.tensor([3, 2], dtype=torch.int32)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("fused_log_softmax", [True, False])
def test_rnnt_loss_gradcheck_with_undefined_output_gradients(reduction, fused_log_softmax):
    """gradcheck's undefined-gradient pass (backward called with None grad_outputs) and finite differences."""
    logits, targets, logit_lengths, target_lengths = _rnnt_data()
    if not fused_log_softmax:
        logits = torch.log_softmax(logits.detach(), -1).requires_grad_(True)

    def loss(x):
        return F.rnnt_loss(x, targets, logit_lengths, target_lengths, 0, -1.0, reduction, fused_log_softmax)

    assert torch.autograd.gradcheck(loss, (logits,), check_undefined_grad=True)


def test_rnnt_loss_backward_through_part_of_the_losses():
    """Only item 0's loss is used: item 1's logits get an exact zero gradient; with clamp too (custom backward)."""
    for clamp in (-1.0, 0.5):
        logits, targets, logit_lengths, target_lengths = _rnnt_data()
        costs = F.rnnt_loss(logits, targets, logit_lengths, target_lengths, blank=0, clamp=clamp, reduction="none")
        costs[0].backward()
        assert logits.grad[1].abs().sum() == 0 and logits.grad[0].abs().sum() > 0
        # item 0's gradient equals the one of its loss computed alone
        alone = logits.detach()[:1].requires_grad_(True)
        F.rnnt_loss(alone, targets[:1], logit_lengths[:1], target_lengths[:1], blank=0, clamp=clamp, reduction="sum").backward()
        torch.testing.assert_close(logits.grad[:1], alone.grad, **tol("float64"))
        if clamp > 0:
            assert logits.grad.abs().max() <= clamp


def test_rnnt_loss_without_grad():
    logits, targets, logit_lengths, target_lengths = _rnnt_data(torch.float32)
    with torch.no_grad():
        value = F.rnnt_loss(logits, targets, logit_lengths, target_lengths, clamp=0.5)
    torch.testing.assert_close(value, F.rnnt_loss(logits.detach(), targets, logit_lengths, target_lengths))
    assert not value.requires_grad


# ----------------------------------------------------------------------------- InverseBarkScale


@pytest.mark.parametrize("n_stft, n_barks", [(5, 10), (10, 5), (201, 40)])
def test_inverse_bark_scale_on_under_and_overdetermined_banks(n_stft, n_barks, torchaudio28):
    """More Bark bands than bins (rank-deficient) or fewer: like the oracle we return a non-negative spectrogram
    of shape (..., n_stft, time); ours re-projects onto the input Bark spectrogram at least as closely as
    torchaudio's SGD does (non-negative least squares solved to convergence, no random start)."""
    oracle = importlib.import_module("torchaudio.prototype.transforms")
    spec = torch.rand(2, n_stft, 6, generator=torch.Generator().manual_seed(6))
    bark_scale = oracle.BarkScale(n_barks=n_barks, sample_rate=16000, n_stft=n_stft)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        barkspec = bark_scale(spec)
        ours = PT.InverseBarkScale(n_stft, n_barks=n_barks, sample_rate=16000)(barkspec)
        ref = oracle.InverseBarkScale(n_stft, n_barks=n_barks, sample_rate=16000)(barkspec)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype and bool((ours >= 0).all())

    def residual(estimate):
        return float((bark_scale(estimate) - barkspec).norm() / barkspec.norm())

    assert residual(ours) <= residual(ref)
    assert residual(ours) < 1e-4
