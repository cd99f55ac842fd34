"""Kaldi features: torchsound.compliance.kaldi against kaldi-native-fbank, and batched against a loop.

    .venv/bin/python benchmarks/bench_kaldi.py [--reps 7]

Prints a markdown table of median times and ratios (ours / peer; < 1 means torchsound is faster).
Input: the bundled speech sample tiled to 10 s at 16 kHz, at 16-bit integer scale as Kaldi sees it.
Where a CUDA device exists, the batched-versus-loop rows are repeated on it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import kaldi_native_fbank as knf
import numpy as np
import soundfile
import torch

from torchsound.compliance import kaldi
from torchsound.functional._spectral import _project
from torchsound.utils import sample_path

RATE = 16000
SECONDS = 10
BATCH = 32


def _clips():
    speech, rate = soundfile.read(sample_path(), dtype="float32")
    assert rate == RATE
    n = RATE * SECONDS
    tiled = np.resize(speech, n + BATCH * 997)
    # 32 different 10 s clips (shifted copies), (batch, 1, time)
    clips = np.stack([tiled[i * 997 : i * 997 + n] for i in range(BATCH)]) * 32768
    return torch.from_numpy(clips).unsqueeze(1)


def _time_pair(ours, peer, reps):
    """Median ms of each, measured alternately so both see the same load on a shared machine."""
    for fn in (ours, peer, ours, peer):  # warm-up
        fn()
    times = ([], [])
    for _ in range(reps):
        for fn, bucket in zip((ours, peer), times):
            t0 = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - t0)
    return statistics.median(times[0]) * 1e3, statistics.median(times[1]) * 1e3


def _knf_features(computer_factory, samples):
    computer = computer_factory()
    computer.accept_waveform(float(RATE), samples)
    computer.input_finished()
    return np.stack([computer.get_frame(i) for i in range(computer.num_frames_ready)])


def _kernel_floor(frames):
    """fbank's unavoidable kernels on the batch's frames (FFT, power, mel product, log), no framing.

    A batched call cannot beat the loop by more than this floor allows: both run these kernels.
    """
    bank, plan = kaldi._mel_matrix(80, 512, float(RATE), 20.0, 0.0, 100.0, -500.0, 1.0, torch.float32, torch.device("cpu"))
    for block in frames:  # block by block, as the batched path runs on CPU
        spectrum = torch.fft.rfft(block)
        power = spectrum.real.square() + spectrum.imag.square()
        _project(power, bank, plan).clamp_min(1e-7).log()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()

    clips = _clips()
    one = clips[0]  # (1, time)
    one_np = one[0].numpy().copy()

    fbank_opts = knf.FbankOptions()
    fbank_opts.frame_opts.dither = 0.0
    fbank_opts.mel_opts.num_bins = 80
    fbank_opts.energy_floor = 1.0
    mfcc_opts = knf.MfccOptions()
    mfcc_opts.frame_opts.dither = 0.0
    mfcc_opts.use_energy = False
    mfcc_opts.energy_floor = 1.0
    povey = kaldi._window("povey", 400, 400, 0.42, torch.float32, torch.device("cpu")).tolist()
    stft = knf.Stft(knf.StftConfig(n_fft=512, hop_length=160, win_length=400, center=False, window=povey))

    ours = {
        "fbank": lambda x: kaldi.fbank(x, num_mel_bins=80),
        "mfcc": lambda x: kaldi.mfcc(x),
        "spectrogram": lambda x: kaldi.spectrogram(x),
    }
    peers = {
        "fbank": ("kaldi-native-fbank OnlineFbank", lambda: _knf_features(lambda: knf.OnlineFbank(fbank_opts), one_np)),
        "mfcc": ("kaldi-native-fbank OnlineMfcc", lambda: _knf_features(lambda: knf.OnlineMfcc(mfcc_opts), one_np)),
        "spectrogram": ("kaldi-native-fbank Stft (same framing, no log)", lambda: stft(one_np)),
    }
    # same numbers first: the comparison is only meaningful if the outputs agree
    agree = np.abs(ours["fbank"](one).numpy() - peers["fbank"][1]()).max()

    # Warm up for a couple of seconds first: the first second or so of torch work in a fresh
    # process runs far slower here (thread pools, allocator, VM scheduling), whatever runs first.
    start = time.perf_counter()
    while time.perf_counter() - start < 2.0:
        for fn in ours.values():
            fn(one)
        ours["fbank"](clips[:4])

    rows = []
    for name, fn in ours.items():
        peer_name, peer = peers[name]
        t_ours, t_peer = _time_pair(lambda fn=fn: fn(one), peer, args.reps)
        rows.append((f"{name}, 1 x {SECONDS} s", t_ours, peer_name, t_peer))
    batch_reps = args.reps
    for name, fn in ours.items():
        # the loop stacks its results: the batched call returns them as one tensor too
        t_batch, t_loop = _time_pair(
            lambda fn=fn: fn(clips), lambda fn=fn: torch.stack([fn(clip) for clip in clips]), batch_reps
        )
        rows.append((f"{name}, {BATCH} x {SECONDS} s batched", t_batch, "torchsound, one call per clip, stacked", t_loop))
    short = clips[..., :RATE].contiguous()  # 1 s utterances: here the per-call cost matters
    t_batch, t_loop = _time_pair(
        lambda: ours["fbank"](short), lambda: torch.stack([ours["fbank"](clip) for clip in short]), batch_reps
    )
    rows.append((f"fbank, {BATCH} x 1 s batched", t_batch, "torchsound, one call per clip, stacked", t_loop))
    clips_np = [clip[0].numpy().copy() for clip in clips]
    t_batch, t_knf = _time_pair(
        lambda: ours["fbank"](clips),
        lambda: [_knf_features(lambda: knf.OnlineFbank(fbank_opts), c) for c in clips_np],
        batch_reps,
    )
    rows.append((f"fbank, {BATCH} x {SECONDS} s batched", t_batch, "kaldi-native-fbank, one clip at a time", t_knf))
    frames = torch.randn(BATCH, 1 + (RATE * SECONDS - 400) // 160, 512)  # (batch, frame, padded frame)
    t_batch, t_floor = _time_pair(lambda: ours["fbank"](clips), lambda: _kernel_floor(frames), batch_reps)
    rows.append((f"fbank, {BATCH} x {SECONDS} s batched", t_batch, "its FFT + power + mel + log kernels alone", t_floor))
    if torch.cuda.is_available():  # the batched path's real target: a loop there is bound by kernel launches
        gpu_clips = clips.cuda()

        def synced(fn):
            def run():
                fn()
                torch.cuda.synchronize()

            return run

        for name, fn in ours.items():
            fn(gpu_clips)  # build the cached window and filterbank on the device
            t_batch, t_loop = _time_pair(
                synced(lambda fn=fn: fn(gpu_clips)),
                synced(lambda fn=fn: torch.stack([fn(clip) for clip in gpu_clips])),
                batch_reps,
            )
            rows.append((f"{name}, {BATCH} x {SECONDS} s batched, CUDA", t_batch, "torchsound on CUDA, one call per clip, stacked", t_loop))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; fbank max |ours - knf| = {agree:.2e}\n")
    print("| case | torchsound (ms) | peer | peer (ms) | ratio ours/peer |")
    print("|---|---:|---|---:|---:|")
    for case, t_ours, peer_name, t_peer in rows:
        print(f"| {case} | {t_ours:.2f} | {peer_name} | {t_peer:.2f} | {t_ours / t_peer:.2f} |")


if __name__ == "__main__":
    main()
