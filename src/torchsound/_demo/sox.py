"""Demo step: an augmentation chain (speed, reverb, gain) on the sample, without libsox."""

from __future__ import annotations

import os
import time
from typing import List

CHAIN = [["speed", "1.1"], ["rate", "16000"], ["reverb", "50", "50", "80"], ["channels", "1"], ["gain", "-n", "-3"]]


def run(sample: str, out_dir: str) -> List[str]:
    import torchsound
    from torchsound.sox_effects import apply_effects_tensor

    waveform, rate = torchsound.load(sample)
    t0 = time.perf_counter()
    augmented, out_rate = apply_effects_tensor(waveform, rate, CHAIN)
    elapsed = time.perf_counter() - t0
    path = os.path.join(out_dir, "sample_augmented.wav")
    torchsound.save(path, augmented, out_rate)
    peak_db = 20 * float(augmented.abs().max().clamp_min(1e-12).log10())
    chain = " ".join(" ".join(effect) for effect in CHAIN)
    return [
        f"chain: {chain}",
        f"{waveform.shape[-1] / rate:.2f} s -> {augmented.shape[-1] / out_rate:.2f} s at {out_rate} Hz, "
        f"peak {peak_db:.1f} dBFS, {elapsed * 1000:.0f} ms",
        f"wrote {path}",
    ]
