"""Demo step: mel spectrogram and MFCC of the sample, the features command's output, and the plot."""

from __future__ import annotations

import os
from typing import List


def run(sample: str, out_dir: str) -> List[str]:
    import torch

    import torchsound
    from torchsound._commands.features import extract, write_pt
    from torchsound.utils.plot import plot_waveform_and_mel
    from torchsound.transforms import MFCC, MelSpectrogram

    waveform, sample_rate = torchsound.load(sample)
    mel = MelSpectrogram(sample_rate, n_fft=400, hop_length=160, n_mels=80)(waveform)
    mfcc = MFCC(sample_rate, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 80})(waveform)
    loudest = int(mel[0].sum(0).argmax())

    features_path = os.path.join(out_dir, "mfcc.pt")
    write_pt(extract([sample], "mfcc", show_progress=False), features_path)
    same = torch.equal(torch.load(features_path), mfcc)
    png = plot_waveform_and_mel(waveform, sample_rate, os.path.join(out_dir, "spectrogram.png"),
                                title=os.path.basename(sample))
    return [
        f"mel spectrogram (80 bands, 25 ms / 10 ms): {tuple(mel.shape)}, loudest frame at {loudest * 160 / sample_rate:.2f} s",
        f"MFCC (13 coefficients): {tuple(mfcc.shape)}, mean C0 {mfcc[0, 0].mean().item():.1f}",
        f"wrote {features_path} (torchsound features --kind mfcc; {'equal to' if same else 'DIFFERENT from'} the transform)",
        f"wrote {png} (torchsound plot: waveform over mel spectrogram)",
    ]
