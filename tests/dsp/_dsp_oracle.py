"""Oracles for the DSP tests: the ``sox`` binary on tensors, and frequency responses by impulse."""

from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np
import soundfile
import torch


def sox(x: torch.Tensor, sample_rate: int, *effect: str, out_rate: int = None) -> np.ndarray:
    """Run ``sox`` on ``x`` (channel, time) through float32 WAV files; returns float64 (channel, time)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        soundfile.write(src, x.detach().double().numpy().T, sample_rate, subtype="FLOAT")
        args: list[str] = [str(a) for a in effect]
        rate = ["-r", str(out_rate)] if out_rate else []
        proc = subprocess.run(
            ["sox", "-D", "-V1", src, "-e", "floating-point", "-b", "32", *rate, dst, *args],
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stderr
        data, _ = soundfile.read(dst, dtype="float64", always_2d=True)
    return data.T.copy()


def response_db(filter_fn, freqs_hz, sample_rate: int, n: int = 1 << 15) -> np.ndarray:
    """Magnitude response (dB) of a linear filter ``filter_fn(impulse)`` at ``freqs_hz``, via scipy.signal.freqz."""
    import scipy.signal

    impulse = torch.zeros(1, n, dtype=torch.float64)
    impulse[0, 0] = 0.01  # small, so that torchaudio-style output clamping never engages
    h = filter_fn(impulse)[0].numpy() / 0.01
    _, resp = scipy.signal.freqz(h, worN=np.asarray(freqs_hz, dtype=np.float64), fs=sample_rate)
    return 20 * np.log10(np.abs(resp))
