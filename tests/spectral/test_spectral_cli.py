"""``torchsound features`` / ``torchsound plot`` and the spectral demo step."""

import numpy as np
import pytest
import soundfile
import torch

import torchsound.transforms as T
from torchsound import cli
from torchsound._commands import features


@pytest.fixture
def two_files(tmp_path, speech):
    x, sr = speech
    paths = []
    for i, part in enumerate((x[:, : sr // 2], x[:, sr : 2 * sr])):
        path = tmp_path / f"clip{i}.wav"
        soundfile.write(path, part.numpy().T, sr, subtype="FLOAT")
        paths.append(str(path))
    return paths, [x[:, : sr // 2], x[:, sr : 2 * sr]], sr


def test_features_pt_several_inputs(tmp_path, two_files):
    paths, waves, sr = two_files
    out = tmp_path / "mfcc.pt"
    assert cli.main(["features", *paths, "--kind", "mfcc", "-o", str(out), "--no-progress"]) == 0
    saved = torch.load(out)
    assert list(saved) == ["clip0", "clip1"]
    mfcc = T.MFCC(sr, n_mfcc=13, melkwargs={"n_fft": 400, "hop_length": 160, "n_mels": 80})
    for key, wave in zip(saved, waves, strict=True):
        torch.testing.assert_close(saved[key], mfcc(wave))


@pytest.mark.parametrize("kind", ["mel", "lfcc", "spectrogram"])
def test_features_npy_single_input(tmp_path, two_files, kind):
    paths, waves, sr = two_files
    out = tmp_path / "f.npy"
    assert cli.main(["features", paths[0], "--kind", kind, "-o", str(out)]) == 0
    ref = features.FEATURE_KINDS[kind](waves[0], sr)
    np.testing.assert_allclose(np.load(out), ref.numpy(), rtol=1e-6, atol=1e-6)
    if kind == "mel":
        ref = T.MelSpectrogram(sr, n_fft=400, hop_length=160, n_mels=80)(waves[0])
        np.testing.assert_allclose(np.load(out), ref.numpy(), rtol=1e-6, atol=1e-6)


def test_features_npz_and_errors(tmp_path, two_files, capsys):
    paths, _, _ = two_files
    out = tmp_path / "f.npz"
    assert cli.main(["features", *paths, "-o", str(out), "--no-progress"]) == 0
    assert sorted(np.load(out).files) == ["clip0", "clip1"]
    assert cli.main(["features", paths[0], "--kind", "chroma", "-o", str(tmp_path / "x.pt")]) == 2
    err = capsys.readouterr().err  # other areas may register more kinds and formats: check ours are listed
    assert "--kind must be one of " in err and "got 'chroma'" in err
    assert all(kind in err for kind in ("mel", "mfcc", "lfcc", "spectrogram"))
    assert cli.main(["features", paths[0], "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "OUT must end with one of " in err and "x.csv" in err
    assert all(ext in err for ext in (".pt", ".npy", ".npz"))
    assert cli.main(["features", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "x.pt")]) == 1
    assert cli.main(["features", *paths, "-o", str(tmp_path / "x.npy"), "--no-progress"]) == 2
    assert "a .npy file holds one array, got 2 inputs" in capsys.readouterr().err
    with pytest.raises(ValueError, match="a .npy file holds one array, got 2 inputs"):
        features.write_npy({"a": torch.zeros(1), "b": torch.zeros(1)}, str(tmp_path / "x.npy"))
    assert not (tmp_path / "x.npy").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_feature_registry_accepts_new_kinds_and_writers(tmp_path, two_files):
    paths, waves, _ = two_files
    written = {}
    features.FEATURE_KINDS["peak"] = lambda w, rate: w.abs().amax(-1)
    features.OUTPUT_WRITERS[".peaks"] = lambda feats, path: written.update(feats)
    try:
        assert cli.main(["features", *paths, "--kind", "peak", "-o", str(tmp_path / "x.peaks"), "--no-progress"]) == 0
    finally:
        del features.FEATURE_KINDS["peak"], features.OUTPUT_WRITERS[".peaks"]
    torch.testing.assert_close(written["clip1"], waves[1].abs().amax(-1))


def test_plot_writes_png(tmp_path, two_files):
    import matplotlib.image

    paths, _, _ = two_files
    out = tmp_path / "spec.png"
    assert cli.main(["plot", paths[1], "-o", str(out)]) == 0
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_plot_axes_are_labelled(tmp_path, two_files, monkeypatch):
    import matplotlib.figure

    labels = {}
    original = matplotlib.figure.Figure.savefig

    def capture(fig, *args, **kwargs):
        labels["axes"] = [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes]
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", capture)
    paths, _, _ = two_files
    assert cli.main(["plot", paths[0], "-o", str(tmp_path / "p.png")]) == 0
    assert ("Time (s)", "Frequency (Hz)") in labels["axes"]
    assert any(y == "Amplitude" for _, y in labels["axes"])


def test_demo_step(tmp_path, sample_file):
    from torchsound._demo import spectral

    lines = spectral.run(sample_file, str(tmp_path))
    assert (tmp_path / "spectrogram.png").exists() and (tmp_path / "mfcc.pt").exists()
    assert any(str(tmp_path / "spectrogram.png") in line for line in lines)
    assert any("equal to the transform" in line for line in lines)
