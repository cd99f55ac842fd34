"""Waveform-DSP benchmark: torchsound against julius, soxr, scipy.signal and the sox binary, same inputs.

Run: ``.venv/bin/python benchmarks/bench_dsp.py``. Prints a markdown table of median times and
ratios (ours / peer; < 1 means torchsound is faster). Torch's thread count is left at its default.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time

import numpy as np
import scipy.signal
import soundfile
import torch

import torchsound.functional as F


def median_time(fn, repeats=7, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def sox_phaser(data: np.ndarray, rate: int) -> None:
    """The sox binary on the same data (float WAV in, float WAV out): includes file I/O and process start."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        soundfile.write(src, data.T, rate, subtype="FLOAT")
        subprocess.run(["sox", "-D", src, "-e", "floating-point", "-b", "32", dst, "phaser", "0.4", "0.74", "3", "0.4", "0.5", "-s"],
                       check=True, capture_output=True)


def main() -> None:
    import julius
    import soxr

    torch.manual_seed(0)
    rows = []

    def add(name, ours, peer_name, peer, repeats=7):
        t_ours = median_time(ours, repeats)
        t_peer = median_time(peer, repeats)
        rows.append((name, t_ours, peer_name, t_peer, t_ours / t_peer))

    # Resampling: 8 x 10 s at 44.1 kHz -> 16 kHz.
    x44 = torch.randn(8, 441000) * 0.1
    x44_np = x44.numpy()
    add("resample 44.1k->16k, default (8 x 10 s)", lambda: F.resample(x44, 44100, 16000),
        "julius.resample_frac", lambda: julius.resample_frac(x44, 44100, 16000))
    add("resample 44.1k->16k, quality='hq' (8 x 10 s)", lambda: F.resample(x44, 44100, 16000, quality="hq"),
        "soxr HQ, looped over channels", lambda: [soxr.resample(c, 44100, 16000, "HQ") for c in x44_np])
    add("resample 44.1k->16k, quality='vhq' (8 x 10 s)", lambda: F.resample(x44, 44100, 16000, quality="vhq"),
        "soxr VHQ, looped over channels", lambda: [soxr.resample(c, 44100, 16000, "VHQ") for c in x44_np], repeats=5)
    # Upsampling and small integer ratios (8 x 10 s of input each).
    x16k = torch.randn(8, 160000) * 0.1
    x16k_np = x16k.numpy()
    x8k = torch.randn(8, 80000) * 0.1
    add("resample 16k->44.1k, default (8 x 10 s)", lambda: F.resample(x16k, 16000, 44100),
        "julius.resample_frac", lambda: julius.resample_frac(x16k, 160, 441))
    add("resample 16k->44.1k, quality='hq' (8 x 10 s)", lambda: F.resample(x16k, 16000, 44100, quality="hq"),
        "soxr HQ, looped over channels", lambda: [soxr.resample(c, 16000, 44100, "HQ") for c in x16k_np])
    add("resample 8k->16k, default (8 x 10 s)", lambda: F.resample(x8k, 8000, 16000),
        "julius.resample_frac", lambda: julius.resample_frac(x8k, 1, 2))
    add("resample 16k->48k, quality='hq' (8 x 10 s)", lambda: F.resample(x16k, 16000, 48000, quality="hq"),
        "soxr HQ, looped over channels", lambda: [soxr.resample(c, 16000, 48000, "HQ") for c in x16k_np])

    # IIR filtering: a biquad (2nd-order Butterworth low-pass) at 16 kHz.
    b, a = scipy.signal.butter(2, 1000 / 8000)
    a_t, b_t = torch.tensor(a, dtype=torch.float32), torch.tensor(b, dtype=torch.float32)
    x16 = torch.randn(8, 160000) * 0.1
    x16_np = x16.numpy()
    add("biquad lfilter (8 x 10 s @ 16 kHz)", lambda: F.lfilter(x16, a_t, b_t),
        "scipy.signal.lfilter", lambda: scipy.signal.lfilter(b, a, x16_np, axis=-1))
    long = torch.randn(16000 * 600) * 0.1
    long_np = long.numpy()
    add("biquad lfilter (1 x 10 min @ 16 kHz)", lambda: F.lfilter(long, a_t, b_t),
        "scipy.signal.lfilter", lambda: scipy.signal.lfilter(b, a, long_np), repeats=5)
    b8, a8 = scipy.signal.butter(8, 0.3)
    a8_t, b8_t = torch.tensor(a8, dtype=torch.float32), torch.tensor(b8, dtype=torch.float32)
    add("8th-order lfilter (8 x 10 s @ 16 kHz)", lambda: F.lfilter(x16, a8_t, b8_t),
        "scipy.signal.lfilter", lambda: scipy.signal.lfilter(b8, a8, x16_np, axis=-1))
    add("filtfilt biquad (8 x 10 s @ 16 kHz)", lambda: F.filtfilt(x16, a_t, b_t),
        "scipy.signal.filtfilt", lambda: scipy.signal.filtfilt(b, a, x16_np, axis=-1))

    # FFT convolution with a 1 s impulse response.
    rir = torch.randn(8, 16000) * 0.01
    rir_np = rir.numpy()
    add("fftconvolve, 1 s IR (8 x 10 s)", lambda: F.fftconvolve(x16, rir),
        "scipy.signal.fftconvolve", lambda: scipy.signal.fftconvolve(x16_np, rir_np, axes=-1))

    # Phaser (a modulated feedback delay line), 2 x 10 s at 16 kHz.
    stereo = x16[:2]
    add("phaser (2 x 10 s @ 16 kHz)", lambda: F.phaser(stereo, 16000),
        "sox binary (incl. WAV I/O)", lambda: sox_phaser(stereo.numpy(), 16000), repeats=5)

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}\n")
    print("| operation | torchsound (ms) | peer | peer (ms) | ratio ours/peer |")
    print("|---|---:|---|---:|---:|")
    for name, t_ours, peer_name, t_peer, ratio in rows:
        print(f"| {name} | {t_ours * 1e3:.1f} | {peer_name} | {t_peer * 1e3:.1f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
