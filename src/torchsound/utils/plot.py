"""Plots of audio (extra ``plot``: matplotlib). Used by ``torchsound plot`` and the demo."""

from __future__ import annotations

import os
from typing import Optional

import torch

from .._internal.atomic import atomic_output
from .._internal.optional import require


def mel_band_centres(n_mels: int, sample_rate: int) -> torch.Tensor:
    """Centre frequency (Hz) of each of ``n_mels`` htk mel bands spanning 0 to Nyquist: ``(n_mels,)`` float64."""
    from torchsound.functional._filterbanks import _hz_to_mel, _mel_to_hz

    top = _hz_to_mel(torch.tensor(float(sample_rate // 2), dtype=torch.float64), "htk")
    mels = torch.linspace(0.0, float(top), n_mels + 2, dtype=torch.float64)[1:-1]
    return _mel_to_hz(mels, "htk")


def plot_waveform_and_mel(
    waveform: torch.Tensor, sample_rate: int, path: Optional[str] = None, *, title: str = "", n_mels: int = 80
):
    """Draw the first channel of ``waveform`` over its mel spectrogram in dB (25 ms windows, 10 ms hop).

    Axes are labelled in seconds and Hz. With ``path``, the figure is written there (format from
    the extension, atomically) and closed, and ``path`` is returned; without it, the matplotlib
    figure is returned.

    Shape:
        waveform: ``(time,)`` or ``(channel, time)``.
    """
    matplotlib = require("matplotlib", "plotting")
    if path is not None:
        matplotlib.use("Agg")
    plt = require("matplotlib.pyplot", "plotting")
    from torchsound.transforms import AmplitudeToDB, MelSpectrogram

    mono = (waveform[0] if waveform.dim() > 1 else waveform).detach().float().cpu()
    window = max(16, round(0.025 * sample_rate))
    hop = max(1, round(0.010 * sample_rate))
    # Zero-padded FFT: enough bins that no narrow low mel band is empty, even at 8 kHz.
    n_fft = max(1024, 1 << (window - 1).bit_length())
    mel = MelSpectrogram(sample_rate, n_fft=n_fft, win_length=window, hop_length=hop, n_mels=n_mels)(mono)
    db = AmplitudeToDB("power", top_db=80.0)(mel)
    centres = mel_band_centres(n_mels, sample_rate)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    t = torch.arange(mono.shape[-1]) / sample_rate
    top.plot(t.numpy(), mono.numpy(), linewidth=0.5)
    top.set_ylabel("Amplitude")
    top.set_title(title or "Waveform and mel spectrogram")
    frames = torch.arange(db.shape[-1] + 1) * hop / sample_rate - hop / (2 * sample_rate)
    # Rows span 0 Hz, the midpoints between band centres, and Nyquist (where the top band ends).
    band_edges = torch.cat([torch.zeros(1, dtype=centres.dtype), (centres[1:] + centres[:-1]) / 2,
                            torch.tensor([sample_rate / 2], dtype=centres.dtype)])
    mesh = bottom.pcolormesh(frames.numpy(), band_edges.numpy(), db.numpy(), shading="flat", cmap="magma")
    bottom.set_yscale("symlog", linthresh=1000)  # linear below 1 kHz, logarithmic above: like the mel scale
    bottom.set_ylim(band_edges[0].item(), band_edges[-1].item())
    ticks = [f for f in (0, 250, 500, 1000, 2000, 4000, 8000, 16000) if f <= band_edges[-1].item()]
    bottom.set_yticks(ticks, [str(f) for f in ticks])
    bottom.set_ylabel("Frequency (Hz)")
    bottom.set_xlabel("Time (s)")
    bottom.set_xlim(0, mono.shape[-1] / sample_rate)
    fig.colorbar(mesh, ax=[top, bottom], label="Power (dB)", shrink=0.6)
    if path is None:
        return fig
    with atomic_output(path) as f:
        fig.savefig(f, dpi=100, format=os.path.splitext(path)[1][1:] or "png")
    plt.close(fig)
    return path
