"""``torchsound features --kind fbank|kaldi-mfcc`` and the ``.ark`` output (an ark + scp pair)."""

import kaldiio
import numpy as np
import soundfile

import _kaldi_reference as ref
from torchsound import cli


def test_fbank_to_ark_and_scp(tmp_path, sample_file):
    out = tmp_path / "feats.ark"
    assert cli.main(["features", "--kind", "fbank", sample_file, sample_file, "-o", str(out), "--no-progress"]) == 0
    table = kaldiio.load_scp(str(tmp_path / "feats.scp"))
    assert list(table) == ["speech", "speech-2"]
    samples, rate = soundfile.read(sample_file, dtype="float32")
    expected = ref.fbank(samples * 32768, num_mel_bins=80, sample_frequency=rate, energy_floor=0.0)
    np.testing.assert_allclose(table["speech"], expected, rtol=0, atol=1e-3)
    assert [k for k, _ in kaldiio.load_ark(str(out))] == ["speech", "speech-2"]


def test_kaldi_mfcc_to_ark(tmp_path, sample_file):
    out = tmp_path / "mfcc.ark"
    assert cli.main(["features", "--kind", "kaldi-mfcc", sample_file, "-o", str(out), "--no-progress"]) == 0
    samples, rate = soundfile.read(sample_file, dtype="float32")
    expected = ref.mfcc(samples * 32768, sample_frequency=rate, use_energy=True, energy_floor=0.0)
    np.testing.assert_allclose(dict(kaldiio.load_ark(str(out)))["speech"], expected, rtol=0, atol=1e-3)
