"""Bad input raises a ValueError/TypeError naming the argument and the value."""

import pytest
import torch

import torchsound.functional as F
import torchsound.prototype.functional as PF
import torchsound.prototype.transforms as PT
import torchsound.transforms as T

W = torch.hann_window(400)
X = torch.randn(2, 1000)


def spec(x=X, **kw):
    args = dict(pad=0, window=W, n_fft=400, hop_length=100, win_length=400, power=2.0, normalized=False)
    args.update(kw)
    return F.spectrogram(x, **args)


def test_n_fft_larger_than_padded_signal():
    with pytest.raises(ValueError, match=r"n_fft=400 is larger than the signal \(300 samples\)"):
        spec(torch.randn(300), center=False)
    with pytest.raises(ValueError, match=r"n_fft=400 .*pad_mode='reflect', got 150 samples"):
        spec(torch.randn(150))
    with pytest.raises(ValueError, match="n_fft"):
        T.Spectrogram(400, center=False)(torch.randn(1, 399))


def test_hop_length_must_be_positive():
    for hop in (0, -160):
        with pytest.raises(ValueError, match=rf"hop_length must be positive, got {hop}"):
            spec(hop_length=hop)
        with pytest.raises(ValueError, match="hop_length must be positive"):
            T.Spectrogram(400, hop_length=hop)
        with pytest.raises(ValueError, match="hop_length must be positive"):
            T.MelSpectrogram(hop_length=hop)
    with pytest.raises(TypeError, match="hop_length must be an int, got float 1.5"):
        spec(hop_length=1.5)


def test_win_length_above_n_fft():
    with pytest.raises(ValueError, match=r"win_length must be in \[1, n_fft=256\], got 400"):
        spec(n_fft=256)
    with pytest.raises(ValueError, match="win_length must be in .*got 512"):
        T.Spectrogram(400, win_length=512)
    with pytest.raises(ValueError, match="window must be 1-D of length win_length=300"):
        spec(win_length=300)


def test_integer_waveform():
    pcm = (X * 1000).to(torch.int16)
    with pytest.raises(TypeError, match="waveform must be a floating-point tensor, got torch.int16"):
        spec(pcm)
    with pytest.raises(TypeError, match="waveform must be a floating-point tensor, got torch.int32"):
        T.MelSpectrogram()(pcm.int())
    with pytest.raises(TypeError, match="waveform must be a floating-point tensor"):
        F.detect_pitch_frequency(pcm, 16000)
    with pytest.raises(TypeError, match="waveform must be a floating-point tensor"):
        F.loudness(pcm, 16000)
    with pytest.raises(TypeError, match="specgram must be a floating-point tensor"):
        F.compute_deltas(pcm)


def test_unknown_string_modes():
    with pytest.raises(ValueError, match="mel_scale must be one of 'htk', 'slaney'; got 'mel'"):
        F.melscale_fbanks(201, 0.0, 8000.0, 40, 16000, mel_scale="mel")
    with pytest.raises(ValueError, match="norm must be one of None, 'slaney'; got 'ortho'"):
        T.MelScale(norm="ortho")
    with pytest.raises(ValueError, match="norm must be one of None, 'ortho'; got 'slaney'"):
        F.create_dct(13, 40, "slaney")
    with pytest.raises(ValueError, match="stype must be one of 'power', 'magnitude'; got 'amplitude'"):
        T.AmplitudeToDB("amplitude")
    with pytest.raises(ValueError, match="pad_mode must be one of .*; got 'zeros'"):
        spec(pad_mode="zeros")
    with pytest.raises(ValueError, match="pad_mode must be one of .*; got 'symmetric'"):
        T.MelSpectrogram(pad_mode="symmetric")
    with pytest.raises(ValueError, match="normalized must be one of .*got 'frame'"):
        spec(normalized="frame")
    with pytest.raises(ValueError, match="bark_scale must be one of .*got 'zwicker'"):
        PF.barkscale_fbanks(201, 0.0, 8000.0, 20, 16000, "zwicker")
    with pytest.raises(ValueError, match="driver must be one of .*got 'svd'"):
        T.InverseMelScale(201, driver="svd")
    with pytest.raises(ValueError, match="method must be one of 'lstsq', 'nnls'; got 'sgd'"):
        T.InverseMelScale(201, method="sgd")
    with pytest.raises(ValueError, match="mode must be one of .*got 'edge'"):
        F.compute_deltas(torch.randn(3, 10), mode="edge")


def test_complex_where_real_is_needed_and_reverse():
    c = torch.stft(X, 400, 100, window=W, return_complex=True)
    with pytest.raises(TypeError, match="waveform must be a real floating-point tensor, got complex dtype torch.complex64"):
        spec(c)
    with pytest.raises(TypeError, match="specgram must be a real floating-point tensor, got complex"):
        F.griffinlim(c, W, 400, 100, 400, 2.0, 4, 0.99, None, False)
    with pytest.raises(TypeError, match="x must be a real floating-point tensor, got complex"):
        F.amplitude_to_DB(c, 10.0, 1e-10, 0.0)
    real = c.abs()
    with pytest.raises(TypeError, match="spectrogram must be a complex tensor, got torch.float32"):
        F.inverse_spectrogram(real, None, 0, W, 400, 100, 400, False)
    with pytest.raises(TypeError, match="complex_specgrams must be a complex tensor, got torch.float32"):
        F.phase_vocoder(real, 1.2, torch.zeros(201, 1))
    with pytest.raises(TypeError, match="complex_specgrams must be a complex tensor"):
        T.TimeStretch(fixed_rate=1.2)(real)


def test_f_max_above_nyquist():
    with pytest.raises(ValueError, match=r"f_max must be at most the Nyquist frequency 8000.0, got 9000.0"):
        F.melscale_fbanks(201, 0.0, 9000.0, 40, 16000)
    with pytest.raises(ValueError, match="f_max must be at most the Nyquist frequency 8000.0, got 12000"):
        T.MelSpectrogram(16000, f_max=12000)
    with pytest.raises(ValueError, match="f_max must be at most the Nyquist"):
        F.linear_fbanks(201, 0.0, 8001.0, 20, 16000)
    with pytest.raises(ValueError, match="f_max must be at most the Nyquist"):
        PT.BarkScale(sample_rate=16000, f_max=9000.0)
    with pytest.raises(ValueError, match=r"f_min must differ from f_max \(4000.0\), got 4000.0"):
        F.melscale_fbanks(201, 4000.0, 4000.0, 40, 16000)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        T.GriffinLim(momentum=1.5)
    with pytest.raises(ValueError, match="n_mfcc must be at most n_mels=40, got 50"):
        T.MFCC(n_mfcc=50, melkwargs={"n_mels": 40})
    with pytest.raises(ValueError, match="dct_type must be 2"):
        T.MFCC(dct_type=3)
    with pytest.raises(ValueError, match="give a rate"):
        T.TimeStretch()(torch.randn(201, 10, dtype=torch.complex64))
    with pytest.raises(ValueError, match="win_length must be >= 3, got 2"):
        F.compute_deltas(torch.randn(3, 10), win_length=2)
    with pytest.raises(ValueError, match="at most 5 channels"):
        F.loudness(torch.randn(6, 16000), 16000)
    with pytest.raises(ValueError, match=r"axis must be 1 \(frequency\) or 2 \(time\) for a 3-D input, got 0"):
        F.mask_along_axis(torch.randn(2, 10, 10), 3, 0.0, 0)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.mask_along_axis_iid(torch.randn(10, 10), 3, 0.0, 1)
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        T.TimeMasking(10, p=1.5)
    with pytest.raises(ValueError, match="power must be positive, got -1"):
        spec(power=-1)
    with pytest.raises(ValueError, match="real_stft=True needs a real power"):
        spec(power=None, real_stft=True)
    with pytest.raises(ValueError, match="MelScale: specgram must have n_stft=201"):
        T.MelScale(40, n_stft=201)(torch.rand(257, 10))
    with pytest.raises(ValueError, match="expected 40 filter bands"):
        T.InverseMelScale(201, 40)(torch.rand(64, 10))
    with pytest.raises(ValueError, match="spectrogram must have 201 frequency bins"):
        F.inverse_spectrogram(torch.randn(257, 10, dtype=torch.complex64), None, 0, W, 400, 100, 400, False)
    with pytest.raises(ValueError, match="top_db must be non-negative, got -5"):
        T.AmplitudeToDB(top_db=-5)
