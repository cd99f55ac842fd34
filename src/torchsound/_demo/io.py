"""Demo step for audio I/O: load the bundled sample, report it, and write WAV/FLAC/MP3 round trips."""

from __future__ import annotations

import os
from typing import List


def run(sample_path: str, out_dir: str) -> List[str]:
    import torch

    import torchsound

    meta = torchsound.info(sample_path)
    waveform, sample_rate = torchsound.load(sample_path)
    lines = [
        f"loaded {os.path.basename(sample_path)}: {meta.encoding} {meta.bits_per_sample}-bit, {sample_rate} Hz, "
        f"{meta.num_channels} channel(s), {meta.num_frames} frames ({meta.num_frames / sample_rate:.2f} s)",
    ]
    folder = os.path.join(out_dir, "io")
    os.makedirs(folder, exist_ok=True)
    for name, kwargs in [("speech.wav", {}), ("speech_24bit.flac", {"bits_per_sample": 24}),
                         ("speech_128k.mp3", {"compression": 128})]:
        path = os.path.join(folder, name)
        torchsound.save(path, waveform, sample_rate, **kwargs)
        back, _ = torchsound.load(path)
        n = min(back.shape[-1], waveform.shape[-1])
        err = (back[..., :n] - waveform[..., :n]).abs().max().item()
        same_length = "same length" if back.shape[-1] == waveform.shape[-1] else f"{back.shape[-1]} frames"
        lines.append(f"wrote {path} ({os.path.getsize(path)} bytes); read back: {same_length}, max |diff| {err:.2e}")
    del torch
    return lines
