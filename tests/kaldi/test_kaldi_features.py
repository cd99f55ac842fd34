"""compliance.kaldi against kaldi-native-fbank: spectrogram, fbank and mfcc over an options grid."""

import numpy as np
import pytest
import torch
from conftest import make_noise, tol

import _kaldi_reference as ref
from torchsound.compliance import kaldi


@pytest.fixture(scope="module")
def speech_int16(request):
    """1.2 s of the bundled speech (voiced part) at int16 scale, as Kaldi usually gets it."""
    speech = request.getfixturevalue("speech")[0]
    return speech[0, 8000:27200] * 32768


def _noise(seconds=0.6, sample_rate=16000):
    return make_noise(1, seconds, sample_rate)[0] * 32768


def _signals(speech_int16):
    return {"speech": speech_int16, "noise": _noise()}


def _compare(ours, theirs):
    theirs = torch.from_numpy(np.asarray(theirs, dtype=np.float32))
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours.float(), theirs, **tol("kaldi"))


# Float32 FFTs (Kaldi's and ours) leave rounding noise far below a frame's energy: measured
# against a float64 computation, knf and we both drift by up to ~1e-2 in bins more than ~60 dB
# below the windowed frame energy (speech has near-empty bands there), and by < 5e-4 above.
# So bins within 52 dB of the frame energy must agree to 1e-3, the rest only roughly.
_MEANINGFUL_BELOW_ENERGY = 12.0  # natural-log units: exp(-12) ~ 52 dB


def _compare_spectrogram(ours, x, kw):
    theirs = torch.from_numpy(ref.spectrogram(x.numpy(), **kw)).float()
    plain = torch.from_numpy(ref.spectrogram(x.numpy(), **dict(kw, subtract_mean=False)))
    energy = torch.from_numpy(ref.spectrogram(x.numpy(), **dict(kw, subtract_mean=False, raw_energy=False)))[:, :1]
    meaningful = plain > energy - _MEANINGFUL_BELOW_ENERGY
    if kw.get("subtract_mean", False):  # a bin's mean mixes all frames: keep whole bins
        meaningful = meaningful.all(dim=0, keepdim=True).expand_as(meaningful)
    assert ours.shape == theirs.shape
    assert meaningful.float().mean() > 0.5, "the comparison would cover too few bins"
    torch.testing.assert_close(ours.float()[meaningful], theirs[meaningful], **tol("kaldi"))
    torch.testing.assert_close(ours.float(), theirs, rtol=0, atol=0.5)


@pytest.mark.parametrize("signal", ["speech", "noise"])
@pytest.mark.parametrize("feature", ["spectrogram", "fbank", "mfcc"])
def test_defaults_match_kaldi(speech_int16, signal, feature):
    x = _signals(speech_int16)[signal]
    ours = getattr(kaldi, feature)(x.unsqueeze(0))
    if feature == "spectrogram":
        _compare_spectrogram(ours, x, {})
    else:
        _compare(ours, getattr(ref, feature)(x.numpy()))


# A pairwise-style grid: every option takes a non-default value in some case, each rate
# (8, 16, 44.1 kHz) meets every window and both snip_edges values.
FRAME_GRID = [
    dict(window_type="hamming", snip_edges=False, sample_frequency=8000.0),
    dict(window_type="hanning", raw_energy=False, sample_frequency=44100.0),
    dict(window_type="rectangular", energy_floor=0.0, snip_edges=False),
    dict(window_type="blackman", blackman_coeff=0.4, preemphasis_coefficient=0.0, sample_frequency=16000.0),
    dict(window_type="povey", remove_dc_offset=False, round_to_power_of_two=False, sample_frequency=8000.0),
    dict(window_type="hamming", round_to_power_of_two=False, snip_edges=False, sample_frequency=44100.0),
    dict(window_type="blackman", subtract_mean=True, frame_length=20.0, frame_shift=5.0, snip_edges=False, sample_frequency=44100.0),
    dict(window_type="rectangular", preemphasis_coefficient=0.5, raw_energy=False, sample_frequency=8000.0, frame_shift=12.5),
]
MEL_GRID = [
    dict(use_energy=True, htk_compat=True, low_freq=100.0, high_freq=-400.0),
    dict(use_energy=True, num_mel_bins=40, high_freq=3500.0),
    dict(htk_compat=True, num_mel_bins=15, low_freq=0.0),
    dict(use_energy=True, raw_energy=False, energy_floor=0.0, high_freq=-1000.0, num_mel_bins=80),
    dict(num_mel_bins=64, low_freq=60.0),
    dict(use_energy=True, subtract_mean=True, num_mel_bins=30),
    dict(),
    dict(use_energy=True, htk_compat=True, num_mel_bins=26, low_freq=30.0),
]
CEPSTRAL_GRID = [
    dict(num_ceps=13, cepstral_lifter=0.0),
    dict(num_ceps=20, num_mel_bins=30, cepstral_lifter=15.0),
    dict(num_ceps=23),
    dict(num_ceps=5, cepstral_lifter=40.0),
]


def _fit_rate(x, kw):
    # The same samples read as another rate; trim to keep each case short.
    rate = kw.get("sample_frequency", 16000.0)
    return x[: int(rate * 0.5)] if rate < 16000 else x


@pytest.mark.parametrize("signal", ["speech", "noise"])
@pytest.mark.parametrize("case", range(len(FRAME_GRID)))
def test_spectrogram_options_grid(speech_int16, signal, case):
    kw = FRAME_GRID[case]
    x = _fit_rate(_signals(speech_int16)[signal], kw)
    _compare_spectrogram(kaldi.spectrogram(x.unsqueeze(0), **kw), x, kw)


@pytest.mark.parametrize("signal", ["speech", "noise"])
@pytest.mark.parametrize("case", range(len(FRAME_GRID)))
def test_fbank_options_grid(speech_int16, signal, case):
    kw = {**MEL_GRID[case], **FRAME_GRID[case]}
    x = _fit_rate(_signals(speech_int16)[signal], kw)
    _compare(kaldi.fbank(x.unsqueeze(0), **kw), ref.fbank(x.numpy(), **kw))


@pytest.mark.parametrize("signal", ["speech", "noise"])
@pytest.mark.parametrize("case", range(len(FRAME_GRID)))
def test_mfcc_options_grid(speech_int16, signal, case):
    mel = {k: v for k, v in MEL_GRID[case].items() if k != "num_mel_bins"}
    kw = {**mel, **CEPSTRAL_GRID[case % len(CEPSTRAL_GRID)], **FRAME_GRID[case]}
    x = _fit_rate(_signals(speech_int16)[signal], kw)
    _compare(kaldi.mfcc(x.unsqueeze(0), **kw), ref.mfcc(x.numpy(), **kw))


@pytest.mark.parametrize(
    "kw",
    [
        dict(vtln_warp=0.9),
        dict(vtln_warp=1.1, vtln_low=200.0, vtln_high=-800.0, num_mel_bins=40, snip_edges=False),
        dict(vtln_warp=0.85, sample_frequency=8000.0, window_type="hamming", low_freq=50.0),
        dict(vtln_warp=1.15, sample_frequency=44100.0, high_freq=-2000.0, vtln_high=-3000.0, round_to_power_of_two=False),
    ],
)
def test_fbank_vtln_warp(speech_int16, kw):
    x = _fit_rate(speech_int16, kw)
    _compare(kaldi.fbank(x.unsqueeze(0), **kw), ref.fbank(x.numpy(), **kw))


def test_fbank_linear_and_magnitude(speech_int16):
    x = speech_int16[:8000]
    for kw in (dict(use_log_fbank=False), dict(use_power=False), dict(use_power=False, use_log_fbank=False)):
        theirs = torch.from_numpy(ref.fbank(x.numpy(), **kw))
        ours = kaldi.fbank(x.unsqueeze(0), **kw)
        if kw.get("use_log_fbank", True):
            torch.testing.assert_close(ours, theirs, **tol("kaldi"))
        else:  # linear energies span many decades: compare relatively
            torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-3 * float(theirs.abs().max()) * 1e-3)


@pytest.mark.parametrize(
    "args",
    [
        (23, 512, 16000.0, 20.0, 0.0, 100.0, -500.0, 1.0),
        (80, 512, 16000.0, 20.0, -400.0, 100.0, -500.0, 1.0),
        (40, 256, 8000.0, 64.0, 3800.0, 100.0, -500.0, 0.9),
        (30, 2048, 44100.0, 0.0, 0.0, 300.0, -1000.0, 1.2),
    ],
)
def test_get_mel_banks_match_kaldi(args):
    bins, centers = kaldi.get_mel_banks(*args)
    theirs = ref.mel_banks(*args)
    assert bins.shape == (args[0], args[1] // 2) and bins.dtype == torch.float32
    torch.testing.assert_close(bins, torch.from_numpy(theirs[:, : args[1] // 2]), rtol=0, atol=1e-5)
    assert np.all(theirs[:, args[1] // 2] == 0)  # Kaldi gives the Nyquist bin no weight
    # each bin's peak lies at its center frequency
    width = args[2] / args[1]
    peak = bins.argmax(dim=1).double() * width
    assert torch.all((peak - centers.double()).abs() <= width)


def test_mel_scale_helpers_match_kaldi():
    import kaldi_native_fbank as knf

    freqs = [0.0, 20.0, 440.0, 1000.0, 7999.0, 22050.0]
    for f in freqs:
        assert kaldi.mel_scale_scalar(f) == pytest.approx(knf.MelBanks.mel_scale(f), rel=1e-5)  # knf uses float32 logf
        assert kaldi.inverse_mel_scale_scalar(kaldi.mel_scale_scalar(f)) == pytest.approx(f, abs=1e-9)
    t = torch.tensor(freqs, dtype=torch.float64)
    torch.testing.assert_close(kaldi.mel_scale(t), torch.tensor([kaldi.mel_scale_scalar(f) for f in freqs], dtype=torch.float64))
    torch.testing.assert_close(kaldi.inverse_mel_scale(kaldi.mel_scale(t)), t)


def _vtln_warp_direct(low_cut, high_cut, low, high, warp, f):
    """Kaldi's VtlnWarpFreq, one frequency at a time."""
    if f < low or f > high:
        return f
    lo, hi = low_cut * max(1.0, warp), high_cut * min(1.0, warp)
    scale = 1.0 / warp
    if f < lo:
        return low + (scale * lo - low) / (lo - low) * (f - low)
    if f < hi:
        return scale * f
    return high + (high - scale * hi) / (high - hi) * (f - high)


@pytest.mark.parametrize("warp", [0.8, 0.95, 1.0, 1.1, 1.25])
def test_vtln_warp_freq_matches_direct_formula(warp):
    args = (100.0, 7000.0, 20.0, 7600.0, warp)
    f = torch.linspace(0.0, 8000.0, 321, dtype=torch.float64)
    expected = torch.tensor([_vtln_warp_direct(*args, float(v)) for v in f], dtype=torch.float64)
    torch.testing.assert_close(kaldi.vtln_warp_freq(*args, f), expected, **tol("float64"))
    mel = kaldi.mel_scale(f[1:-1])
    torch.testing.assert_close(
        kaldi.vtln_warp_mel_freq(*args, mel), kaldi.mel_scale(expected[1:-1]), **tol("float64")
    )


def _spectrogram_direct(x, size, shift, padded, window, snip_edges, raw_energy, c=0.97, energy_floor=1.0):
    """Kaldi's SpectrogramComputer in float64 numpy, one frame at a time (no float32 FFT noise)."""
    n = len(x)
    if snip_edges:
        starts = range(0, n - size + 1, shift)
    else:
        starts = [t * shift + shift // 2 - size // 2 for t in range((n + shift // 2) // shift)]
    out = []
    for start in starts:
        idx = np.arange(start, start + size)
        idx = np.where(idx < 0, -idx - 1, idx)
        idx = np.where(idx >= n, 2 * n - 1 - idx, idx)
        frame = x[idx].astype(np.float64)
        frame = frame - frame.mean()
        energy = np.sum(frame**2)
        frame = frame - c * np.concatenate([[frame[0]], frame[:-1]])
        frame = frame * window
        if not raw_energy:
            energy = np.sum(frame**2)
        power = np.abs(np.fft.rfft(frame, n=padded)) ** 2
        row = np.log(np.maximum(power, ref.EPS))
        row[0] = max(np.log(max(energy, ref.EPS)), np.log(energy_floor))
        out.append(row)
    return np.array(out)


@pytest.mark.parametrize("snip_edges, raw_energy", [(True, True), (False, False)])
def test_float64_spectrogram_matches_direct_kaldi_everywhere(speech_int16, snip_edges, raw_energy):
    # The float32 comparison above leaves out bins drowned in rounding noise; in float64 every bin
    # must match a direct frame-by-frame implementation of Kaldi's algorithm.
    x = speech_int16[:6000].double()
    window = np.hamming(400)  # symmetric, Kaldi's "hamming"
    ours = kaldi.spectrogram(x.unsqueeze(0), window_type="hamming", snip_edges=snip_edges, raw_energy=raw_energy)
    expected = _spectrogram_direct(x.numpy(), 400, 160, 512, window, snip_edges, raw_energy)
    torch.testing.assert_close(ours, torch.from_numpy(expected), rtol=0, atol=1e-6)
