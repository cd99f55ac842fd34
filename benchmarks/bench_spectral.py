"""Spectral features: torchsound against librosa and nnAudio on the same input, in one process.

Inputs: 8 clips x 10 s at 16 kHz, and one 10-minute clip; n_fft=400, hop=160, 80 mels (htk, no norm,
reflect padding: the same configuration for every library). Ours and each peer are timed in
alternation (so both see the same load on a shared machine). Prints median times and ratios
(ours / peer: < 1 means torchsound is faster), plus the largest relative difference to each peer
so a fast-but-wrong result shows. Also times torch.stft against the framing + rfft path ours uses.

    .venv/bin/python benchmarks/bench_spectral.py [--quick] [--threads N]

Why our STFT beats torch.stft here (same MKL FFT underneath): torch.stft pads with the
reflection_pad1d kernel, several times slower than two flipped slices and a concatenation (one
cheap pass); a power spectrum through abs() pays for hypot, about 9x slower than re*re + im*im as
one fused addcmul; and on long inputs every intermediate is signal-sized, so it leaves the cache and
faults in fresh pages on each call, where we go through the frames in cache-sized blocks. The mel
projection then skips the zeros of the triangular filterbank (band by band: ~5x fewer flops).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import librosa
import numpy as np
import torch

import torchsound.functional as F
import torchsound.transforms as T

SR, N_FFT, HOP, N_MELS, N_MFCC = 16000, 400, 160, 80, 13


def median_time(fn, reps: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_medians(ours, peer, reps: int):
    """Median times of two functions measured in alternation, so both see the same machine load."""
    ours()
    peer()
    ours_times, peer_times = [], []
    for _ in range(reps):
        for fn, times in ((ours, ours_times), (peer, peer_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(ours_times), statistics.median(peer_times)


def rel_diff(ours, ref) -> float:
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.abs(ours - ref).max() / np.abs(ref).max())


def nnaudio_layers():
    from nnAudio import features as nn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "spec": nn.STFT(n_fft=N_FFT, hop_length=HOP, window="hann", center=True, pad_mode="reflect",
                            output_format="Magnitude", verbose=False),
            "mel": nn.MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, htk=True, norm=None,
                                     center=True, pad_mode="reflect", verbose=False),
            "mfcc": nn.MFCC(sr=SR, n_mfcc=N_MFCC, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, htk=True, norm="ortho",
                            verbose=False),
        }


def run(label: str, x: torch.Tensor, reps: int, rows: list, with_griffinlim: bool) -> None:
    y = x.numpy()
    window = torch.hann_window(N_FFT)
    spec = T.Spectrogram(N_FFT, hop_length=HOP)
    mel = T.MelSpectrogram(SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    mfcc = T.MFCC(SR, n_mfcc=N_MFCC, melkwargs={"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS})
    nn = nnaudio_layers()
    mel_fb = mel.mel_scale.fb
    # nnAudio's MFCC cannot turn off its mel filters' area normalisation (its norm= is the DCT's),
    # so its output is checked against ours with norm="slaney" filters (same cost as `mfcc`).
    mfcc_slaney_norm = T.MFCC(SR, n_mfcc=N_MFCC, melkwargs={"n_fft": N_FFT, "hop_length": HOP, "n_mels": N_MELS,
                                                            "norm": "slaney"})

    def torch_stft_mel():  # the same pipeline through torch.stft, to show what the framing path buys
        s = torch.stft(x, N_FFT, HOP, window=window, center=True, pad_mode="reflect", return_complex=True)
        return (s.abs().pow(2).transpose(-1, -2) @ mel_fb).transpose(-1, -2)

    def librosa_mel():
        return librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, htk=True,
                                              norm=None, pad_mode="reflect")

    def librosa_spec():
        return np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP, pad_mode="reflect")) ** 2

    def librosa_mfcc():  # via S=: mfcc(y=...) cannot pass the mel filter's norm=None (name clash with the DCT's)
        return librosa.feature.mfcc(S=librosa.power_to_db(librosa_mel(), top_db=80.0), n_mfcc=N_MFCC)

    with torch.inference_mode():
        cases = [
            ("Spectrogram", lambda: spec(x), [("librosa.stft", librosa_spec), ("nnAudio STFT", lambda: nn["spec"](x) ** 2)]),
            ("MelSpectrogram", lambda: mel(x), [("librosa.melspectrogram", librosa_mel), ("nnAudio MelSpectrogram", lambda: nn["mel"](x)),
                                                ("torch.stft pipeline", torch_stft_mel)]),
            ("MFCC", lambda: mfcc(x), [("librosa.mfcc", librosa_mfcc),
                                       ("nnAudio MFCC", lambda: nn["mfcc"](x), lambda: mfcc_slaney_norm(x))]),
        ]
        if with_griffinlim:
            power = spec(x)
            magnitude = power.sqrt().numpy()
            gl = T.GriffinLim(N_FFT, n_iter=32, hop_length=HOP, rand_init=False, length=x.shape[-1])
            cases.append(("GriffinLim (32 it)", lambda: gl(power), [
                ("librosa.griffinlim", lambda: librosa.griffinlim(magnitude, n_iter=32, hop_length=HOP, n_fft=N_FFT,
                                                                  init=None, momentum=0.99, length=x.shape[-1],
                                                                  pad_mode="reflect"))]))
        for name, ours_fn, peers in cases:
            ours_out = ours_fn()
            for peer_name, peer_fn, *reference in peers:
                peer_out = peer_fn()
                compare = reference[0]() if reference else ours_out
                # Griffin-Lim takes seconds a call: fewer repetitions keep the script under 3 minutes
                n = max(3, reps // 3) if name.startswith("GriffinLim") else reps
                ours_t, peer_t = paired_medians(ours_fn, peer_fn, n)
                diff = rel_diff(compare, peer_out) if np.shape(peer_out) == tuple(compare.shape) else float("nan")
                rows.append((label, name, peer_name, ours_t, peer_t, diff))


def stft_investigation(x: torch.Tensor, reps: int) -> list:
    """torch.stft vs unfold + window + rfft for the complex STFT, same output layout."""
    window = torch.hann_window(N_FFT)
    lines = []
    for name, fn in [
        ("torch.stft", lambda: torch.stft(x, N_FFT, HOP, window=window, center=True, pad_mode="reflect", return_complex=True)),
        ("framing + rfft (ours)", lambda: F.spectrogram(x, 0, window, N_FFT, HOP, N_FFT, None, False)),
        ("real DFT matmul (export path)", lambda: F.spectrogram(x, 0, window, N_FFT, HOP, N_FFT, 2.0, False, real_stft=True)),
    ]:
        with torch.inference_mode():
            lines.append((name, median_time(fn, reps)))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: leave torch's default; librosa is single-threaded)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    reps = 3 if args.quick else 15
    g = torch.Generator().manual_seed(0)
    batch = torch.randn(8, 10 * SR, generator=g) * 0.1
    long = torch.randn(1, 600 * SR, generator=g) * 0.1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, librosa {librosa.__version__}")
    rows: list = []
    run("8 x 10 s", batch, reps, rows, with_griffinlim=True)
    run("1 x 10 min", long, max(3, reps // 3), rows, with_griffinlim=False)
    print("\n| input | transform | peer | ours (ms) | peer (ms) | ours/peer | max rel diff |")
    print("|---|---|---|---:|---:|---:|---:|")
    for label, name, peer, ours_t, peer_t, diff in rows:
        print(f"| {label} | {name} | {peer} | {ours_t * 1e3:.1f} | {peer_t * 1e3:.1f} | {ours_t / peer_t:.2f} | {diff:.1e} |")
    print("\nComplex STFT, 8 x 10 s (n_fft 400, hop 160):\n")
    print("| path | median (ms) |")
    print("|---|---:|")
    for name, t in stft_investigation(batch, reps):
        print(f"| {name} | {t * 1e3:.1f} |")


if __name__ == "__main__":
    main()
