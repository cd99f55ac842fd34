"""The demo step writes a Kaldi ark/scp pair that kaldiio reads back as the fbank of the sample."""

import kaldiio
import numpy as np
import soundfile

import _kaldi_reference as ref
from torchsound._demo import kaldi as demo


def test_demo_writes_kaldi_fbank(tmp_path, sample_file):
    lines = demo.run(sample_file, str(tmp_path))
    assert any("kaldi-fbank.ark" in line for line in lines) and lines[-1].endswith("identical")
    table = kaldiio.load_scp(str(tmp_path / "kaldi-fbank.scp"))
    assert sorted(table) == ["speech", "speech-mfcc"]
    samples, rate = soundfile.read(sample_file, dtype="float32")
    expected = ref.fbank(samples * 32768, num_mel_bins=80, sample_frequency=rate)
    np.testing.assert_allclose(table["speech"], expected, rtol=0, atol=1e-3)
