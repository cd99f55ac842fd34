"""torchsound.sox_effects against the sox binary, on the same audio.

    .venv/bin/python benchmarks/bench_sox.py

Workload: 8 signals x 10 s at 44.1 kHz (the bundled speech, resampled and tiled). torchsound runs
each chain once on the whole batch (8, 1, time) in memory, on the CPU, with torch's default
threads. sox runs the same chain on the 8 files one after the other, with float32 WAV in and out.

Reported per chain (medians of several runs after a warm-up):
- ``sox (process)``: wall time of the 8 ``sox`` processes, process start and file I/O included;
- ``sox (effects)``: the same minus the time of 8 ``sox in.wav out.wav`` runs with no effect
  (process start, reading and writing), i.e. sox's time in the effects alone;
- ratios ours / sox: < 1 means torchsound is faster.

The main chain puts ``speed`` before ``rate`` (speed relabels the rate, rate resamples once), as
an augmentation pipeline does; the sox command line then needs no extra conversion.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import soundfile
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from torchsound.sox_effects import apply_effects_tensor  # noqa: E402
from torchsound.utils import sample_path  # noqa: E402

RATE = 44100
BATCH = 8
SECONDS = 10
REPEATS = 5

MAIN_CHAIN = [["gain", "-3"], ["highpass", "80"], ["lowpass", "8k"], ["rate", "16k"], ["speed", "1.1"], ["reverb"]]  # the chain, in its order
PER_EFFECT = {
    "rate": [["rate", "16k"]],
    "speed": [["speed", "1.1"], ["rate", "44100"]],
    "tempo": [["tempo", "1.1"]],
    "pitch": [["pitch", "200"], ["rate", "44100"]],
    "reverb": [["reverb"]],
    "gain": [["gain", "-3"]],
    "trim": [["trim", "1", "5"]],
    "silence": [["silence", "1", "0.1", "1%", "-1", "0.3", "1%"]],
    "highpass": [["highpass", "80"]],
    "lowpass": [["lowpass", "8k"]],
}


def make_batch() -> torch.Tensor:
    from torchsound import functional as F

    data, sr = soundfile.read(sample_path(), dtype="float32")
    x = F.resample(torch.from_numpy(data)[None], sr, RATE)
    reps = -(-SECONDS * RATE // x.shape[-1])
    x = x.repeat(1, reps)[:, : SECONDS * RATE]
    # eight different signals: shifted, scaled copies
    return torch.stack([x.roll(i * 12345, -1) * (0.5 + 0.05 * i) for i in range(BATCH)])


def median_time(fn, repeats=REPEATS) -> float:
    fn()  # warm-up (kernel caches, first-call costs)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def sox_runner(files, out_dir, chain):
    args = [str(a) for e in chain for a in e]

    def run():
        for i, path in enumerate(files):
            subprocess.run(["sox", "-D", "-V1", path, "-e", "floating-point", "-b", "32", os.path.join(out_dir, f"o{i}.wav"),
                            *args], check=True)

    return run


def main() -> None:
    batch = make_batch()
    torch.set_num_threads(torch.get_num_threads())  # default threads, stated for the record
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, x in enumerate(batch):
            path = os.path.join(tmp, f"in{i}.wav")
            soundfile.write(path, x[0].numpy(), RATE, subtype="FLOAT")
            files.append(path)
        baseline = median_time(sox_runner(files, tmp, []))
        rows = []
        for name, chain in list(PER_EFFECT.items()) + [("main chain", MAIN_CHAIN)]:
            if name == "silence":  # cuts differ per signal, so one call per signal
                ours = median_time(lambda chain=chain: [apply_effects_tensor(x, RATE, chain) for x in batch])
            else:
                ours = median_time(lambda chain=chain: apply_effects_tensor(batch, RATE, chain))
            sox_total = median_time(sox_runner(files, tmp, chain))
            sox_effects = max(sox_total - baseline, 1e-4)
            rows.append((name, " ".join(" ".join(e) for e in chain), ours, sox_total, sox_effects))
    print(f"sox_effects vs sox {subprocess.run(['sox', '--version'], capture_output=True, text=True).stdout.split()[-1]}: "
          f"{BATCH} x {SECONDS} s at {RATE} Hz, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"sox no-effect baseline (8 processes, read+write) {baseline * 1000:.0f} ms\n")
    print("| effect | chain | torchsound (ms) | sox (process) (ms) | sox (effects) (ms) | ratio vs process | ratio vs effects |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, chain, ours, total, effects in rows:
        print(f"| {name} | `{chain}` | {ours * 1000:.0f} | {total * 1000:.0f} | {effects * 1000:.0f} | "
              f"{ours / total:.2f} | {ours / effects:.2f} |")


if __name__ == "__main__":
    main()
