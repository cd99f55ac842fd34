"""Dataset listing and item loading speed.

1. Opening a 100,000-utterance LibriSpeech-layout fixture (empty .flac files, real .trans.txt files):
   ``LIBRISPEECH(root, url=...)`` against torchaudio's listing method (``sorted(p.stem for p in
   Path(subset).glob("*/*/*.flac"))``, what torchaudio 2.8 runs in its constructor; torchaudio itself
   is not installed here, so its listing code path is reproduced inline).
2. ``get_metadata`` on 2,000 items (transcript lookup, no audio).
3. ``__getitem__`` on 300 real 1-second FLAC items against reading the same files with soundfile directly.

Run: ``.venv/bin/python benchmarks/bench_datasets.py``. Prints a markdown table of medians and ratios
(ours / peer; < 1 means we are faster). The issue's target: opening 100,000 items in under 2 s.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from torchsound.datasets import LIBRISPEECH


def _median_time(fn, repeats=5, warmup=1):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _make_listing_fixture(root: Path, speakers=250, chapters=4, utterances=100) -> int:
    subset = root / "LibriSpeech" / "train-clean-100"
    count = 0
    for s in range(speakers):
        for c in range(chapters):
            chapter = subset / str(1000 + s) / str(100 + c)
            chapter.mkdir(parents=True)
            lines = []
            for u in range(utterances):
                fileid = f"{1000 + s}-{100 + c}-{u:04d}"
                (chapter / f"{fileid}.flac").touch()
                lines.append(f"{fileid} SOME WORDS OF UTTERANCE {u}\n")
                count += 1
            (chapter / f"{1000 + s}-{100 + c}.trans.txt").write_text("".join(lines))
    return count


def _make_audio_fixture(root: Path, items=300) -> None:
    rng = np.random.default_rng(0)
    chapter_size = 50
    for i in range(items):
        spk, ch, utt = 10 + i // chapter_size, 1, i % chapter_size
        chapter = root / "LibriSpeech" / "dev-clean" / str(spk) / str(ch)
        chapter.mkdir(parents=True, exist_ok=True)
        sf.write(str(chapter / f"{spk}-{ch}-{utt:04d}.flac"), rng.uniform(-0.5, 0.5, 16000), 16000, subtype="PCM_16")
        with open(chapter / f"{spk}-{ch}.trans.txt", "a") as f:
            f.write(f"{spk}-{ch}-{utt:04d} HELLO\n")


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        count = _make_listing_fixture(root)
        print(f"fixture: {count} empty .flac files in {time.perf_counter() - t0:.1f} s")
        subset = root / "LibriSpeech" / "train-clean-100"

        ours = _median_time(lambda: LIBRISPEECH(root, url="train-clean-100"))
        peer = _median_time(lambda: sorted(str(p.stem) for p in Path(subset).glob("*/*/*.flac")))
        assert len(LIBRISPEECH(root, url="train-clean-100")) == count
        rows.append((f"open LIBRISPEECH, {count:,} items", ours, "pathlib glob + sort (torchaudio's listing)", peer))

        ds = LIBRISPEECH(root, url="train-clean-100")
        step = len(ds) // 2000
        ours = _median_time(lambda: [ds.get_metadata(i) for i in range(0, len(ds), step)], repeats=3)
        rows.append(("get_metadata x 2,000", ours, "", None))

        _make_audio_fixture(root)
        audio = LIBRISPEECH(root, url="dev-clean")
        paths = [os.path.join(root, "LibriSpeech", audio.get_metadata(i)[0]) for i in range(len(audio))]
        ours = _median_time(lambda: [audio[i] for i in range(len(audio))], repeats=7)
        peer = _median_time(lambda: [sf.read(p, dtype="float32") for p in paths], repeats=7)
        rows.append((f"__getitem__ x {len(audio)} (1 s FLAC)", ours, "soundfile.read of the same files", peer))

    print("\n| task | ours (s) | peer | peer (s) | ratio ours/peer |")
    print("|---|---:|---|---:|---:|")
    for task, ours, peer_name, peer in rows:
        ratio = f"{ours / peer:.2f}" if peer else "-"
        peer_s = f"{peer:.3f}" if peer else "-"
        print(f"| {task} | {ours:.3f} | {peer_name or '-'} | {peer_s} | {ratio} |")


if __name__ == "__main__":
    main()
