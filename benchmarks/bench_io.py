"""Audio loading speed: torchsound.load against soundfile and PyAV, on the same 60 s stereo 44.1 kHz files.

    .venv/bin/python benchmarks/bench_io.py

Every load produces float32 samples. "floor" is reading the same file's bytes with numpy
(np.fromfile): no decoder can beat it. Ratios are ours / peer (< 1: torchsound is faster).
Targets (issue 2): WAV at least 2x faster than soundfile (ratio <= 0.5); FLAC and MP3 no slower
than the faster of soundfile and PyAV (ratio <= 1).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

import av
import numpy as np
import soundfile

import torchsound

SECONDS, RATE = 60, 44100


def _signal() -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(SECONDS * RATE) / RATE
    tone = 0.3 * np.sin(2 * np.pi * 220 * t * (1 + 0.1 * np.sin(2 * np.pi * 0.2 * t)))
    return np.stack([tone, np.roll(tone, 100)], axis=1) + 0.02 * rng.standard_normal((len(t), 2))


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up (also warms the page cache)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def _pyav_float32(path: str) -> np.ndarray:
    with av.open(path) as container:
        stream = container.streams.audio[0]
        chunks = []
        for frame in container.decode(stream):
            data = frame.to_ndarray()
            chunks.append(data.T if frame.format.is_planar else data.reshape(-1, frame.layout.nb_channels))
    out = np.concatenate(chunks)
    if out.dtype == np.int16:
        out = out.astype(np.float32) * np.float32(2.0**-15)
    elif out.dtype == np.int32:
        out = out.astype(np.float32) * np.float32(2.0**-31)
    return out


def main() -> int:
    folder = tempfile.mkdtemp(prefix="bench_io_")
    x = _signal().astype(np.float32)
    files = {}
    for fmt, kwargs in [("wav", {"subtype": "PCM_16"}), ("flac", {"subtype": "PCM_16"}), ("mp3", {})]:
        files[fmt] = os.path.join(folder, f"a.{fmt}")
        soundfile.write(files[fmt], x, RATE, **kwargs)

    repeat = {"wav": 15, "flac": 5, "mp3": 5}
    rows = []
    for fmt, path in files.items():
        ours = _median_ms(lambda p=path: torchsound.load(p), repeat[fmt])
        sf_ms = _median_ms(lambda p=path: soundfile.read(p, dtype="float32"), repeat[fmt])
        av_ms = _median_ms(lambda p=path: _pyav_float32(p), repeat[fmt])
        floor = _median_ms(lambda p=path: np.fromfile(p, dtype=np.uint8), repeat[fmt])
        rows.append((fmt, os.path.getsize(path), ours, sf_ms, av_ms, floor))

    print(f"# torchsound.load, {SECONDS} s stereo {RATE} Hz (16-bit sources), float32 out; medians in ms\n")
    print("| format | MiB | torchsound | soundfile | PyAV | numpy floor | ours/soundfile | ours/PyAV | ours/floor |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt, size, ours, sf_ms, av_ms, floor in rows:
        print(f"| {fmt} | {size / 2**20:.1f} | {ours:.2f} | {sf_ms:.2f} | {av_ms:.2f} | {floor:.2f} | "
              f"{ours / sf_ms:.2f} | {ours / av_ms:.2f} | {ours / floor:.1f} |")
    for path in files.values():
        os.remove(path)
    os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
