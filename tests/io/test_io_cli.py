"""`torchsound info` and `torchsound convert`, run in-process through the CLI entry point."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise, tol
from torchsound._commands.io import convert_one
from torchsound.cli import main


@pytest.fixture
def files(tmp_path):
    paths = []
    for name, kwargs in [("a.wav", {"bits_per_sample": 24}), ("b.flac", {}), ("c.mp3", {})]:
        path = tmp_path / name
        torchsound.save(path, make_noise(2, 0.1, 16000), 16000, **kwargs)
        paths.append(str(path))
    return paths


def test_info_prints_a_table_and_reports_failures(files, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF")
    assert main(["info", *files, str(bad)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].split() == ["file", "encoding", "bits", "rate", "channels", "frames", "seconds"]
    for path, encoding, bits in zip(files, ["PCM_S", "FLAC", "MP3"], ["24", "16", "-"]):
        row = next(line for line in lines if line.startswith(path)).split()
        assert row[1:] == [encoding, bits, "16000", "2", str(soundfile.info(path).frames), "0.100"]
    assert "FAILED" in err and "bad.wav" in err and "truncated" in err


def test_convert_batch_keeps_going_after_a_failure(files, tmp_path, capsys):
    broken = tmp_path / "broken.flac"
    broken.write_bytes(b"fLaC" + bytes(100))
    out_dir = tmp_path / "out"
    code = main(["convert", *files, str(broken), "-o", str(out_dir), "--format", "wav", "--encoding", "PCM_S",
                 "--bits", "16", "--channels", "1", "--no-progress"])
    assert code == 1
    out, err = capsys.readouterr()
    assert "converted 3 of 4" in out and "FAILED" in err and "broken.flac" in err
    for src in files:
        stem = src.rsplit("/", 1)[1].rsplit(".", 1)[0]
        meta = soundfile.info(str(out_dir / f"{stem}.wav"))
        assert (meta.subtype, meta.channels, meta.frames) == ("PCM_16", 1, soundfile.info(src).frames)
        ref = soundfile.read(src, dtype="float64", always_2d=True)[0].mean(axis=1)
        got = soundfile.read(str(out_dir / f"{stem}.wav"), dtype="float64")[0]
        np.testing.assert_allclose(got, np.clip(np.round(ref * 32768), -32768, 32767) / 32768, atol=1.5 / 32768)


def test_convert_one_file_keeps_bit_depth_and_integers(files, tmp_path):
    dst = tmp_path / "x.flac"
    assert main(["convert", files[0], "-o", str(dst)]) == 0
    assert soundfile.info(str(dst)).subtype == "PCM_24"  # 24-bit WAV stays 24-bit
    a = soundfile.read(files[0], dtype="int32")[0]
    b = soundfile.read(str(dst), dtype="int32")[0]
    assert np.array_equal(a, b)


def test_convert_one_resamples_and_applies_gain(tmp_path):
    from torchsound.functional import resample

    src = tmp_path / "in.wav"
    x = make_noise(1, 0.2, 16000) * 0.5
    torchsound.save(src, x, 16000, encoding="PCM_F")
    dst = tmp_path / "out.wav"
    convert_one(str(src), str(dst), format="wav", encoding="PCM_F", bits=32, channels=None, sample_rate=8000, gain_db=-6.0)
    got, sr = torchsound.load(dst)
    assert sr == 8000
    torch.testing.assert_close(got, resample(x, 16000, 8000) * 10 ** (-6 / 20), **tol("float32"))


def test_convert_rejects_impossible_channel_maps(files, tmp_path):
    with pytest.raises(ValueError, match="only to mono, or from mono"):
        convert_one(files[0], str(tmp_path / "x.wav"), channels=3)


def test_python_dash_m_entry_point(files):
    out = subprocess.run([sys.executable, "-m", "torchsound", "info", files[1]], capture_output=True, text=True, check=True)
    assert "FLAC" in out.stdout
