"""torchsound.utils.plot: the library side of `torchsound plot`."""

import librosa
import numpy as np
import torch

from torchsound.utils.plot import mel_band_centres, plot_waveform_and_mel


def test_mel_band_centres_match_librosa():
    expected = librosa.mel_frequencies(80 + 2, fmin=0.0, fmax=8000.0, htk=True)[1:-1]
    np.testing.assert_allclose(mel_band_centres(80, 16000).numpy(), expected, rtol=1e-10)


def test_returns_a_labelled_figure_without_a_path(speech):
    import matplotlib.pyplot as plt

    waveform, sr = speech
    fig = plot_waveform_and_mel(waveform[:, : sr], sr, title="one second")
    top, bottom = fig.axes[:2]
    assert (top.get_title(), top.get_ylabel()) == ("one second", "Amplitude")
    assert (bottom.get_xlabel(), bottom.get_ylabel()) == ("Time (s)", "Frequency (Hz)")
    assert bottom.get_xlim() == (0.0, 1.0)
    plt.close(fig)


def test_writes_the_file_atomically(tmp_path):
    out = tmp_path / "p.png"
    assert plot_waveform_and_mel(torch.zeros(8000) + 0.1, 8000, str(out)) == str(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]  # no temporary file left behind
