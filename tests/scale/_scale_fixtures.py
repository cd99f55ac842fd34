"""Small corpora for the scale-out tests (tests/scale), written in real on-disk layouts."""

from __future__ import annotations

import os
from typing import List

import numpy as np
import soundfile


def write_corpus(folder, lengths=(8000, 9100, 12345, 16000, 7000, 11111), rate=16000, seed=0,
                 corrupt=None, channels=1) -> List[str]:
    """16-bit WAV files of noise with a tone, of unequal lengths; ``corrupt=i`` inserts a broken file at i."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i, n in enumerate(lengths):
        t = np.arange(n) / rate
        x = 0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t) + 0.05 * rng.standard_normal(n)
        x = np.stack([x] * channels, axis=1) if channels > 1 else x
        path = os.path.join(folder, f"utt{i:02d}.wav")
        soundfile.write(path, x.astype(np.float32), rate, subtype="PCM_16")
        paths.append(path)
    if corrupt is not None:
        bad = os.path.join(folder, "broken.wav")
        with open(bad, "wb") as f:
            f.write(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
        paths.insert(corrupt, bad)
    return paths


def write_librispeech(root, subset="dev-clean"):
    """A LibriSpeech subset with 2 chapters of 2 utterances: ``{fileid: transcript}``."""
    rng = np.random.default_rng(1)
    expected = {}
    for spk, chapter in ((19, 198), (26, 495)):
        folder = os.path.join(root, "LibriSpeech", subset, str(spk), str(chapter))
        os.makedirs(folder)
        lines = []
        for utt in range(2):
            fileid = f"{spk}-{chapter}-{utt:04d}"
            soundfile.write(os.path.join(folder, fileid + ".flac"),
                            (0.1 * rng.standard_normal(4000 + 800 * utt)).astype(np.float32), 16000, subtype="PCM_16")
            text = f"HELLO {spk} {chapter} {utt}"
            lines.append(f"{fileid} {text}")
            expected[fileid] = text
        with open(os.path.join(folder, f"{spk}-{chapter}.trans.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return expected


def random_chain(rng, row):
    """Per-row random augmentation: speed and gain drawn from the row's generator, back to 16 kHz."""
    return [["speed", f"{rng.uniform(0.9, 1.1):.4f}"], ["gain", f"{rng.uniform(-6.0, 0.0):.3f}"], ["rate", "16000"]]
