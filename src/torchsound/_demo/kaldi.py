"""Demo step: Kaldi fbank and MFCC of the sample, written as a Kaldi ark + scp pair and read back."""

from __future__ import annotations

import os
from typing import List


def run(sample: str, out_dir: str) -> List[str]:
    import torch

    import torchsound
    from torchsound import kaldi_io
    from torchsound.compliance import kaldi

    waveform, sample_rate = torchsound.load(sample)
    samples = waveform * 32768  # Kaldi's tools see 16-bit integer values
    # precise=True: Kaldi's numbers with float64-built tables (the default rounds as torchaudio does)
    fbank = kaldi.fbank(samples, num_mel_bins=80, sample_frequency=sample_rate, precise=True)
    mfcc = kaldi.mfcc(samples, sample_frequency=sample_rate, use_energy=True, precise=True)

    key = os.path.splitext(os.path.basename(sample))[0]
    ark = os.path.join(out_dir, "kaldi-fbank.ark")
    scp = os.path.join(out_dir, "kaldi-fbank.scp")
    kaldi_io.write_mat_ark(ark, {key: fbank, f"{key}-mfcc": mfcc}, scp=scp)
    back = dict(kaldi_io.read_mat_scp(scp))
    same = torch.equal(back[key], fbank) and torch.equal(back[f"{key}-mfcc"], mfcc)
    return [
        f"fbank (80 mel bins): {tuple(fbank.shape)} frames x bins, mean log-mel value {fbank.mean().item():.2f}",
        f"mfcc (13 cepstra, C0 = energy): {tuple(mfcc.shape)}",
        f"wrote {ark}",
        f"wrote {scp}",
        f"read back through the scp: {'identical' if same else 'DIFFERENT'}",
    ]
