"""Shared fixtures and the one tolerance table of the suite.

Tolerances are keyed by what justifies them; tests look them up with ``tol("name")`` and pass
the result to ``torch.testing.assert_close(**tol(...))``. Add a row here, never an ad-hoc number.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

# name -> (rtol, atol). Why each value is what it is:
TOLERANCES = {
    # float64 math against a float64 reference: rounding only.
    "float64": (1e-10, 1e-12),
    # float64 phase accumulated over frames (phase vocoder, cumsum of ~30 wrapped increments of up to
    # hop * pi rad): rounding grows with the accumulated phase, ~1e-12 absolute on unit-scale spectra.
    "float64_accumulated": (1e-9, 1e-10),
    # float32 phase vocoder output (pitch_shift) against torchaudio's float32: both accumulate phase over frames
    # in float32 (hundreds of rad, ~1e-5 rad rounding each); torchaudio's own float32 result lies 2.3e-4 from
    # its float64 one on unit-scale noise, so two float32 implementations differ by that much.
    "float32_accumulated": (0.0, 5e-4),
    # float32 elementwise math against a float64 or float32 reference.
    "float32": (1e-5, 1e-6),
    # float32 outputs of a deep model against torchaudio's float32 model on the same weights, where the inference
    # fast paths (models/_onednn.py) sum convolution windows and products in another order: near-zero outputs of
    # unit-scale layers differ by a few 1e-6 absolute (measured up to 1.6e-6; the contract is ~2e-5).
    # The float64 comparisons, which run the plain ops, stay at the float64 row.
    "float32_model": (1e-5, 1e-5),
    # float32 cosine-similarity logits at temperature 0.1 (HuBERT pre-training): unit-scale cosines of float32
    # features, times 10, so float32 rounding reaches ~1e-6 absolute on logits near 0.
    "float32_logits": (1e-5, 1e-5),
    # float32 FFT (spectrogram, filterbank matmul): error grows ~ log2(n_fft) * eps * |x|.
    "float32_fft": (1e-4, 1e-5),
    # decibel / log outputs of float32 FFT features, compared in absolute dB.
    "float32_db": (1e-4, 1e-3),
    # half-precision inputs computed in float32 and rounded back.
    "float16": (1e-2, 1e-3),
    "bfloat16": (2e-2, 1e-2),
    # Kaldi features against kaldi-native-fbank (the contract: 1e-3 absolute).
    "kaldi": (0.0, 1e-3),
    # IIR filtering against scipy.signal.lfilter (the contract: 1e-5 rel / 1e-10 rel).
    "lfilter32": (1e-5, 1e-6),
    "lfilter64": (1e-10, 1e-12),
    # Two MP3 decoders on the same file (libsndfile's mpg123 vs FFmpeg's mp3float): their float
    # synthesis filterbanks round differently, by a few 1e-6 of full scale.
    "mp3_decoders": (0.0, 1e-4),
    # The same contract measured against the peak of the (peak-normalised) output: elementwise
    # relative error is meaningless at zero crossings of ill-conditioned (clustered-pole) filters.
    "lfilter32_peak": (1e-5, 1e-5),
    "lfilter64_peak": (1e-10, 1e-10),
    # Resampling and sox-style effects against the sox binary / torchaudio's algorithm in float32.
    "dsp32": (1e-4, 1e-5),
    # IIR filters in float32 against torchaudio 2.8, whose recursion runs in float32 (ours in float64): its
    # rounding reaches ~2e-5 on a 0.9-peak bass shelf.
    "iir32_torchaudio": (1e-4, 1e-4),
    # Image-source RIRs against pyroomacoustics, relative to the peak: pyroomacoustics evaluates its
    # fractional-delay sinc from a lookup table (granularity 20, linear interpolation): ~0.2 %.
    "rir_pyroomacoustics": (0.0, 5e-3),
    # Ray-tracing totals and integrated decay curves against pyroomacoustics on the same rays, divided by the
    # total: it traces in float32, so a ray grazing a microphone sphere's edge or a bin boundary can fall the
    # other way; each such ray moves at most 4 / (rays * radius^2), measured 7e-5 of the total with 2000 rays.
    "ray_tracing_pyroomacoustics": (0.0, 1e-3),
}


def tol(name: str) -> dict:
    """Keyword arguments for ``torch.testing.assert_close`` from the table above."""
    rtol, atol = TOLERANCES[name]
    return {"rtol": rtol, "atol": atol}


@pytest.fixture
def tolerance():
    return tol


def _devices():
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    return devices


@pytest.fixture(params=_devices())
def device(request):
    """Every available device: CPU always, CUDA where the machine has one."""
    return torch.device(request.param)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session")
def sample_file():
    from torchsound.utils import sample_path

    return sample_path()


@pytest.fixture(scope="session")
def speech(sample_file):
    """The bundled speech sample, read with soundfile (independent of torchsound.load): (1, time) float32, 16 kHz."""
    import soundfile

    data, sr = soundfile.read(sample_file, dtype="float32", always_2d=True)
    assert sr == 16000
    return torch.from_numpy(data.T.copy()), sr


def make_noise(num_channels: int = 1, seconds: float = 1.0, sample_rate: int = 16000, seed: int = 0) -> torch.Tensor:
    """Uniform white noise in [-0.5, 0.5): (channels, time) float32."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(num_channels, int(seconds * sample_rate), generator=g) - 0.5


def make_sweep(seconds: float = 1.0, sample_rate: int = 16000, f0: float = 20.0, f1=None, amplitude: float = 0.5) -> torch.Tensor:
    """Exponential sine sweep from f0 to f1 (default 0.45 * sample_rate): (1, time) float64."""
    f1 = f1 or 0.45 * sample_rate
    t = torch.arange(int(seconds * sample_rate), dtype=torch.float64) / sample_rate
    k = np.log(f1 / f0) / seconds
    phase = 2 * np.pi * f0 * (torch.exp(k * t) - 1) / k
    return (amplitude * torch.sin(phase)).unsqueeze(0)


def make_tone(freq: float, seconds: float = 1.0, sample_rate: int = 16000, amplitude: float = 0.5) -> torch.Tensor:
    """Pure sine: (1, time) float64."""
    t = torch.arange(int(seconds * sample_rate), dtype=torch.float64) / sample_rate
    return (amplitude * torch.sin(2 * np.pi * freq * t)).unsqueeze(0)


def snr_db(reference, estimate) -> float:
    """Signal-to-noise ratio of ``estimate`` against ``reference`` in dB (both array-like, same shape)."""
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    noise = np.sum((ref - est) ** 2)
    return float(10 * np.log10(np.sum(ref**2) / max(noise, 1e-300)))


def has_cuda() -> bool:
    return torch.cuda.is_available()


# Share the cores between pytest-xdist workers instead of oversubscribing them: with 2 workers
# of 2 torch threads each on 2 cores, small ops spend most of their time waiting for threads.
_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
torch.set_num_threads(max(1, (os.cpu_count() or 1) // _workers))


@pytest.fixture(scope="session")
def torchaudio28():
    """torchaudio 2.8's pure-Python code (see tests/_oracle.py)."""
    from _oracle import torchaudio28 as load

    return load()
