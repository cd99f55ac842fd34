"""compliance.kaldi: harness properties (batch == loop, dtype/device, gradcheck, compile) and errors."""

import functools

import pytest
import torch
import torch.utils._python_dispatch
from _harness import check_all, check_batch_equals_loop, check_compile, check_gradcheck, check_low_precision
from conftest import make_noise, tol

from torchsound.compliance import kaldi

FEATURES = {
    "spectrogram": kaldi.spectrogram,
    "fbank": functools.partial(kaldi.fbank, use_energy=True),
    "mfcc": functools.partial(kaldi.mfcc, use_energy=True, htk_compat=True),
}


def _clips(batch=3, seconds=0.25):
    return torch.stack([make_noise(1, seconds, 16000, seed=s) * 1000 for s in range(batch)])  # (batch, 1, time)


@pytest.mark.parametrize("name", FEATURES)
def test_harness(name, device):
    fn = FEATURES[name]
    x = _clips().to(device)
    small = make_noise(1, 0.03, 1000, seed=5).double() * 10  # 30 samples at 1 kHz: 25-sample frames
    gradfn = functools.partial(fn, sample_frequency=1000.0, frame_length=8.0, frame_shift=4.0)
    check_all(fn, x, grad_input=None, batch_tol=tol("float32_db"), low_precision=False)
    check_gradcheck(gradfn, small)
    # bfloat16's 8-bit mantissa quantises the input itself; single spectrogram bins far below a
    # frame's peak then move by more than the harness allows, the mel/cepstral sums do not.
    check_low_precision(fn, x, dtypes=(torch.float16,) if name == "spectrogram" else (torch.float16, torch.bfloat16))


@pytest.mark.parametrize("name", FEATURES)
def test_compile(name):
    check_compile(FEATURES[name], _clips(2), **tol("float32_db"))


def test_compile_centered_frames():
    check_compile(functools.partial(kaldi.fbank, snip_edges=False, window_type="hamming"), _clips(2), **tol("float32_db"))


@pytest.mark.parametrize("snip_edges", [True, False])
def test_batch_of_channels_and_nested_batches(snip_edges):
    x = torch.randn(2, 3, 2, 4000) * 100  # (batch, batch, channel, time)
    fn = functools.partial(kaldi.fbank, channel=1, snip_edges=snip_edges, num_mel_bins=40)
    check_batch_equals_loop(fn, x, batch_dims=2, **tol("float32_db"))
    out = fn(x)
    assert out.shape == (2, 3, (4000 + 80) // 160 if not snip_edges else 1 + (4000 - 400) // 160, 40)
    torch.testing.assert_close(out[1, 2], kaldi.fbank(x[1, 2, 1:2], snip_edges=snip_edges, num_mel_bins=40))


@pytest.mark.parametrize("fn", [kaldi.spectrogram, functools.partial(kaldi.fbank, num_mel_bins=80), kaldi.mfcc])
def test_batch_split_into_blocks_equals_loop(fn, monkeypatch):
    # A batch larger than one block runs block by block: the result must not change.
    x = _clips(batch=5)
    whole = fn(x)
    monkeypatch.setattr(kaldi, "_BLOCK_SAMPLES", 2 * x.shape[-1])  # blocks of 2, 2 and 1 clips
    torch.testing.assert_close(fn(x), whole, rtol=0, atol=0)
    check_batch_equals_loop(fn, x, **tol("float32_db"))


def test_banded_mel_product_equals_dense():
    # 80 bins take the banded product on CPU; it must equal the dense matrix product.
    x = _clips(batch=2).double()
    banded = kaldi.fbank(x, num_mel_bins=80, use_log_fbank=False, precise=True)  # precise: the float64-built bank
    power = kaldi.spectrogram(x, precise=True).exp()
    bank, plan = kaldi._mel_matrix(80, 512, 16000.0, 20.0, 0.0, 100.0, -500.0, 1.0, torch.float64, torch.device("cpu"))
    assert plan is not None
    torch.testing.assert_close(banded, power @ bank, rtol=1e-9, atol=0)


class _CountOps(torch.utils._python_dispatch.TorchDispatchMode):
    """Counts the tensor operations run: on an accelerator each is (at least) one kernel launch."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("name", FEATURES)
@pytest.mark.parametrize("snip_edges", [True, False])
def test_accelerator_batch_runs_as_many_kernels_as_one_clip(name, snip_edges):
    # Off CPU a batch must run as one pass, never clip by clip (that would be launch-bound), and
    # never sync with the host (.item()/.tolist() fail on the meta device, which stands in here).
    fn = functools.partial(FEATURES[name], snip_edges=snip_edges)
    fn(torch.zeros(1, 1, 16000, device="meta"))  # builds the cached window and filterbank
    counts = {}
    for batch in (1, 32):
        with _CountOps() as ops:
            out = fn(torch.zeros(batch, 1, 160000, device="meta"))
        counts[batch] = ops.count
        assert out.shape[0] == batch and out.device.type == "meta"
    assert counts[32] == counts[1]


def test_shapes_follow_torchaudio():
    x = torch.randn(2, 16000) * 100  # (channel, time), as torchaudio takes it
    assert kaldi.fbank(x).shape == (98, 23)
    assert kaldi.fbank(x, use_energy=True).shape == (98, 24)
    assert kaldi.mfcc(x).shape == (98, 13)
    assert kaldi.spectrogram(x).shape == (98, 257)
    assert kaldi.spectrogram(x, round_to_power_of_two=False).shape == (98, 201)
    torch.testing.assert_close(kaldi.fbank(x, channel=1), kaldi.fbank(x[1]))  # 1-D input is one channel
    torch.testing.assert_close(kaldi.fbank(x, channel=-1), kaldi.fbank(x[:1]))
    # snip_edges=False gives (time + shift // 2) // shift frames: none for a very short signal
    assert kaldi.fbank(x[:, :100], frame_length=5.0, frame_shift=20.0, snip_edges=False).shape == (0, 23)
    assert kaldi.mfcc(x[:, :100], frame_length=5.0, frame_shift=20.0, snip_edges=False, use_energy=True).shape == (0, 13)
    empty = kaldi.fbank(x, min_duration=2.0)
    assert empty.shape == (0,) and empty.dtype == x.dtype


def test_float64_input_stays_float64_and_matches_float32():
    x = make_noise(1, 0.3) * 3000
    y64 = kaldi.mfcc(x.double())
    assert y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), kaldi.mfcc(x), **tol("kaldi"))


def test_dither_is_random_and_small():
    x = make_noise(1, 0.3) * 3000
    torch.manual_seed(1)
    a = kaldi.fbank(x, dither=1.0)
    b = kaldi.fbank(x, dither=1.0)
    assert not torch.equal(a, b)
    torch.testing.assert_close(a, kaldi.fbank(x), rtol=0, atol=0.05)


@pytest.mark.parametrize(
    "options",
    [
        dict(remove_dc_offset=True, preemphasis=0.97),
        dict(remove_dc_offset=False, preemphasis=0.97),
        dict(remove_dc_offset=True, preemphasis=0.0),
        dict(remove_dc_offset=False, preemphasis=0.3),
    ],
)
@pytest.mark.parametrize("window_type", ["hamming", "rectangular", "povey"])
def test_fast_framing_equals_per_frame_processing(options, window_type):
    # The dither path processes frame by frame as Kaldi writes it; without dither a signal-level
    # rewrite runs. Both must give the same windowed frames and raw energies.
    x = torch.randn(2, 3000, dtype=torch.float64) * 100 + 30
    size, shift, padded = 400, 160, 512
    window = kaldi._window(window_type, size, padded, 0.42, torch.float64, torch.device("cpu"))
    fast = kaldi._windowed_frames_fast(x, size, shift, padded, window, need_raw_energy=True, **options)
    slow = kaldi._windowed_frames_per_frame(x, size, shift, padded, window, dither=0.0, need_raw_energy=True, **options)
    torch.testing.assert_close(fast[0], slow[0], **tol("float64"))
    torch.testing.assert_close(fast[1], slow[1], rtol=1e-10, atol=1e-6)


def test_cached_setup_is_reused():
    x = make_noise(1, 0.2) * 1000
    kaldi._mel_matrix_torchaudio.cache_clear()  # the default (torchaudio-rounding) path's filterbank
    kaldi.fbank(x, num_mel_bins=31)
    kaldi.fbank(x * 2, num_mel_bins=31)
    info = kaldi._mel_matrix_torchaudio.cache_info()
    assert info.misses == 1 and info.hits == 1


# ----------------------------------------------------------------------------- errors


def test_unknown_window_type():
    with pytest.raises(ValueError, match="window_type must be one of .*'hamming'.*got 'hann'"):
        kaldi.fbank(torch.randn(1, 4000), window_type="hann")


@pytest.mark.parametrize("fn", [kaldi.spectrogram, kaldi.fbank, kaldi.mfcc])
def test_frame_longer_than_signal(fn):
    with pytest.raises(ValueError, match=r"frame_length=25.0 ms is 400 samples .* longer than the waveform \(300 samples\)"):
        fn(torch.randn(1, 300))


@pytest.mark.parametrize("channel", [2, -2, 10])
def test_bad_channel(channel):
    with pytest.raises(ValueError, match=rf"channel must be -1 .* or in \[0, 1\] .* got {channel}"):
        kaldi.fbank(torch.randn(2, 4000), channel=channel)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(frame_length=0.1), "need at least 2"),
        (dict(frame_shift=0.01), "frame_shift=0.01 ms is less than one sample"),
        (dict(preemphasis_coefficient=1.5), "preemphasis_coefficient must be in"),
        (dict(sample_frequency=-1.0), "sample_frequency must be positive"),
        (dict(round_to_power_of_two=False, frame_length=25.0625), "must be even"),
        (dict(high_freq=9000.0), "high_freq must resolve"),
        (dict(low_freq=8000.0), "low_freq must be in"),
        (dict(vtln_warp=0.9, vtln_low=10.0), "VTLN needs"),
        (dict(num_mel_bins=2), "num_mel_bins must be >= 3, got 2"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kaldi.fbank(torch.randn(1, 4000), **kwargs)


def test_bad_inputs():
    with pytest.raises(TypeError, match="waveform must be a floating-point tensor"):
        kaldi.fbank(torch.zeros(1, 4000, dtype=torch.int16))
    with pytest.raises(ValueError, match="num_ceps must be <= num_mel_bins=23, got 24"):
        kaldi.mfcc(torch.randn(1, 4000), num_ceps=24)
    with pytest.raises(ValueError, match="0-d"):
        kaldi.spectrogram(torch.tensor(1.0))
    with pytest.raises(ValueError, match="window_length_padded must be even, got 511"):
        kaldi.get_mel_banks(23, 511, 16000.0, 20.0, 0.0, 100.0, -500.0, 1.0)
    with pytest.raises(ValueError, match="vtln_low_cutoff must be above low_freq"):
        kaldi.vtln_warp_freq(10.0, 7000.0, 20.0, 8000.0, 0.9, torch.ones(3))
