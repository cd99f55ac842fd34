"""Run the ``sox`` binary on tensors: the oracle the sox-effects tests compare against."""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import List, Tuple

import numpy as np
import soundfile
import torch

from conftest import make_noise, make_sweep


def run_sox(x: torch.Tensor, sample_rate: int, effects: List[List[str]], out_rate=None) -> Tuple[torch.Tensor, int]:
    """``sox -D`` on ``x`` (channel, time) with float32 WAV in and out (no dither, no quantization).

    ``out_rate`` sets the output file's rate, so sox adds no rate conversion of its own after
    effects that change the rate (upsample, speed, ...)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
        soundfile.write(src, x.detach().double().numpy().T, sample_rate, subtype="FLOAT")
        args = [str(a) for e in effects for a in e]
        proc = subprocess.run(["sox", "-D", "-V1", src, "-e", "floating-point", "-b", "32",
                               *(["-r", str(out_rate)] if out_rate else []), dst, *args],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"sox failed on {args}: {proc.stderr}")
        data, rate = soundfile.read(dst, dtype="float64", always_2d=True)
    return torch.from_numpy(data.T.copy()), rate


def signal(kind: str, sample_rate: int, channels: int, speech=None, seconds: float = 0.5) -> torch.Tensor:
    """Test signals at ``sample_rate``: ``speech`` (the bundled sample), ``noise`` or ``sweep``; float64 (channel, time)."""
    n = int(seconds * sample_rate)
    if kind == "noise":
        x = make_noise(channels, seconds, sample_rate).double()
    elif kind == "sweep":
        x = make_sweep(seconds, sample_rate).repeat(channels, 1)
        if channels > 1:
            x[1:] = x[1:].roll(sample_rate // 50, -1) * 0.8
    else:
        wav, sr = speech
        wav = wav[:, 8000:8000 + int(seconds * sr) + 64].double()
        if sample_rate != sr:
            import scipy.signal

            wav = torch.from_numpy(scipy.signal.resample_poly(wav.numpy(), sample_rate, sr, axis=-1))
        wav = wav[:, :n] * (0.7 / wav.abs().max())
        x = wav.repeat(channels, 1)
        if channels > 1:
            x[1:] = x[1:].roll(sample_rate // 100, -1) * 0.6
    return x.contiguous()


# A representative grid: every signal, every rate, both layouts, without the full product.
GRID = [("speech", 16000, 1), ("noise", 8000, 2), ("sweep", 44100, 1), ("speech", 44100, 2), ("noise", 16000, 1),
        ("sweep", 8000, 2)]
GRID_IDS = [f"{k}-{r}-{c}ch" for k, r, c in GRID]


def log_mel_distance(reference: torch.Tensor, estimate: torch.Tensor, sample_rate: int, n_mels: int = 40) -> float:
    """Mean absolute difference in dB between log-mel spectrograms (librosa), floored 80 dB below the peak.

    For effects whose sample-level output depends on sox's internal segmenting (tempo, pitch, ...).
    """
    import librosa

    def logmel(x):
        mel = librosa.feature.melspectrogram(y=np.asarray(x, dtype=np.float64), sr=sample_rate, n_fft=1024,
                                             hop_length=256, n_mels=n_mels, fmax=sample_rate / 2)
        return 10 * np.log10(np.maximum(mel, 1e-12))

    ref, est = logmel(reference), logmel(estimate)
    floor = ref.max() - 80
    ref, est = np.maximum(ref, floor), np.maximum(est, floor)
    return float(np.mean(np.abs(ref - est)))


def full_scale_sine(sample_rate: int = 8000, channels: int = 2, freq: float = 800.0) -> torch.Tensor:
    """A one-second full-scale sine, float32-representable, float64 (channel, time): loud input on which sox
    saturates wherever an effect overshoots (torchaudio's own sox-effect tests use such a tone)."""
    t = torch.linspace(0, 1, sample_rate, dtype=torch.float64)
    return torch.sin(2 * np.pi * freq * t).float().double().repeat(channels, 1)


# Effects on a full-scale sine: (chain, input rate, output rate for sox or None, metric, bound), metric as in the
# table: "snr" (>= bound dB) or "logmel" (< bound dB). Pitch and speed change the rate: `rate` brings it back.
FULL_SCALE_CASES = [
    ([["mcompand", "0.005,0.1 -47,-40,-34,-34,-17,-33", "100", "0.003,0.05 -47,-40,-34,-34,-17,-33", "400",
       "0.000625,0.00125 -47,-40,-34,-34,-15,-33", "1600", "0.0001,0.025 -47,-40,-34,-34,-31,-31,-0,-30", "3000",
       "0,0.025 -38,-31,-28,-28,-0,-25"]], 8000, None, "snr", 30.0),
    ([["mcompand", "0.02,0.2 -60,-60,-30,-10,-20,-8 -3", "1k", "0.01,0.1 6:-40,-30,-10,-12 -2"]], 16000, None, "snr", 30.0),
    ([["pitch", "6.48"], ["rate", "8030"]], 8000, 8030, "logmel", 0.5),
    ([["pitch", "48.4"], ["rate", "8130"]], 8000, 8130, "logmel", 0.5),
    ([["pitch", "-300"], ["rate", "8000"]], 8000, 8000, "logmel", 0.5),
    ([["rate", "4567"]], 8000, 4567, "snr", 30.0),
    ([["rate", "44100"]], 8000, 44100, "snr", 30.0),
    ([["bend", ".35,180,.25", ".15,740,.53", "0,-540,.3"]], 8000, None, "logmel", 1.0),
    ([["bend", "0.1,300,0.2"]], 8000, None, "logmel", 1.0),
    ([["loudness"]], 8000, None, "snr", 50.0),
    ([["loudness", "-20", "75"]], 16000, None, "snr", 50.0),
    ([["divide"]], 8000, None, "snr", 50.0),
    ([["compand", "0.02,0.15", "-60,-60,-30,-10,-20,-8,-5,-8,-2,-8", "-8", "-7", "0.05"]], 8000, None, "snr", 30.0),
    ([["gain", "3"]], 8000, None, "snr", 50.0),
    ([["equalizer", "800", "1q", "6"]], 8000, None, "snr", 50.0),
]
