"""`torchsound info` and `torchsound convert`, run in-process through the CLI entry point."""

import re
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


# ----------------------------------------------------------------------------- the CLI never destroys input

def _wavs(folder, names, rate=16000):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, name in enumerate(names):
        path = folder / name
        torchsound.save(path, make_noise(1, 0.05, rate, seed=i), rate)
        paths.append(path)
    return paths


def test_convert_refuses_to_overwrite_its_inputs(tmp_path, capsys, monkeypatch):
    paths = _wavs(tmp_path, ["a.wav", "b.wav"])
    before = [p.read_bytes() for p in paths]
    monkeypatch.chdir(tmp_path)
    for extra in ([], ["--force"]):  # not even with --force
        assert main(["convert", "a.wav", "b.wav", "-o", ".", "--sample-rate", "8000", "--no-progress", *extra]) == 2
        assert "a.wav is an input (a.wav); refusing to overwrite it" in capsys.readouterr().err
    assert main(["convert", "a.wav", "-o", str(tmp_path / "a.wav"), "--force"]) == 2  # the same file, spelled otherwise
    assert "refusing to overwrite it" in capsys.readouterr().err
    assert [p.read_bytes() for p in paths] == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav", "b.wav"]


def test_convert_refuses_colliding_outputs(tmp_path, capsys):
    a, b = _wavs(tmp_path / "a", ["x.wav"])[0], _wavs(tmp_path / "b", ["x.wav"])[0]
    assert main(["convert", str(a), str(b), "-o", str(tmp_path / "out") + "/", "--no-progress"]) == 2
    assert f"{a} and {b} would both be written to {tmp_path / 'out' / 'x.wav'}" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_convert_never_makes_an_audio_file_name_into_a_folder(tmp_path, capsys):
    paths = _wavs(tmp_path, ["a.wav", "b.wav"])
    assert main(["convert", *map(str, paths), "-o", str(tmp_path / "single.flac"), "--no-progress"]) == 2
    assert "2 inputs need an output folder, but OUT" in capsys.readouterr().err
    assert not (tmp_path / "single.flac").exists()


def test_convert_overwrites_existing_outputs_only_with_force(tmp_path, capsys):
    src = _wavs(tmp_path, ["a.wav"])[0]
    dst = tmp_path / "out.flac"
    dst.write_bytes(b"precious")
    assert main(["convert", str(src), "-o", str(dst)]) == 2
    assert f"{dst} exists; use --force to overwrite" in capsys.readouterr().err
    assert dst.read_bytes() == b"precious"
    assert main(["convert", str(src), "-o", str(dst), "--force"]) == 0
    assert np.array_equal(soundfile.read(dst, dtype="int16")[0], soundfile.read(src, dtype="int16")[0])


@pytest.mark.parametrize("options, match", [
    (["--bits", "13"], "cannot write wav with these options: bits_per_sample for WAV must be 8, 16, 24, 32 or 64, got 13"),
    (["--format", "flac", "--bits", "32"], "cannot write flac with these options: FLAC bits_per_sample must be 8, 16 or 24"),
    (["--format", "mp3", "--encoding", "PCM_S"], "cannot write mp3 with these options"),
    (["--channels", "0"], "--channels must be >= 1, got 0"),
    (["--format", "opus", "--sample-rate", "44100"],
     r"opus supports sample rates 8000, 12000, 16000, 24000, 48000 Hz only.* \(with this command: --sample-rate 48000\)"),
])
def test_convert_checks_option_values_before_reading_any_file(tmp_path, capsys, options, match):
    src = _wavs(tmp_path, ["a.wav"])[0]
    missing = tmp_path / "missing.wav"  # were any file read first, this would be the error
    assert main(["convert", str(src), str(missing), "-o", str(tmp_path / "out"), "--no-progress", *options]) == 2
    err = capsys.readouterr().err
    assert re.search(match, err) and "missing.wav" not in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_convert_to_opus_at_an_unsupported_rate_suggests_one(tmp_path, capsys):
    src = _wavs(tmp_path, ["a.wav"], rate=44100)[0]
    assert main(["convert", str(src), "-o", str(tmp_path / "a.opus")]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "resample first, e.g. to 48000" in err and "(with this command: --sample-rate 48000)" in err
    assert main(["convert", str(src), "-o", str(tmp_path / "a.opus"), "--sample-rate", "48000"]) == 0
    assert soundfile.info(str(tmp_path / "a.opus")).samplerate == 48000


def test_features_and_plot_report_bad_files_in_one_line_and_go_on(tmp_path, capsys):
    good = _wavs(tmp_path, ["a.wav", "b.wav"])
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    out = tmp_path / "f.pt"
    args = ["features", str(good[0]), str(bad), str(tmp_path / "gone.wav"), str(good[1]), "-o", str(out), "--no-progress"]
    assert main(args) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.err.splitlines() if line.strip()]
    assert len(failed) == 2 and failed[0].startswith(f"FAILED {bad}: ") and failed[1].startswith(f"FAILED {tmp_path / 'gone.wav'}: ")
    assert "Traceback" not in captured.err
    assert sorted(torch.load(out, weights_only=True)) == ["a", "b"]  # the good files were still written
    assert main(["plot", str(bad), "-o", str(tmp_path / "p.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"FAILED {bad}: ") and err.count("\n") == 1 and not (tmp_path / "p.png").exists()


@pytest.mark.parametrize("order", ["options-last", "options-first", "after-separator"])
def test_effects_takes_its_options_anywhere(tmp_path, order):
    import shutil

    src = _wavs(tmp_path, ["a.wav"])[0]
    out, ref = tmp_path / "out.wav", tmp_path / "ref.wav"
    chain = ["gain", "-n", "-6"]  # a sox option (-n: normalise) among the words
    argv = {"options-last": [str(src), str(out), *chain, "--bits", "24"],
            "options-first": ["--bits", "24", str(src), str(out), "--", *chain],
            "after-separator": [str(src), str(out), "--", *chain, "--bits=24"]}[order]
    assert main(["effects", *argv]) == 0
    sox = shutil.which("sox")
    assert sox, "the sox binary is a test dependency (.ci/run installs it)"
    subprocess.run([sox, str(src), "-b", "24", str(ref), *chain], check=True)
    got, rate = soundfile.read(out, dtype="float64")
    want, want_rate = soundfile.read(ref, dtype="float64")
    assert soundfile.info(str(out)).subtype == "PCM_24" and rate == want_rate == 16000 and len(got) == len(want)
    np.testing.assert_allclose(got, want, atol=1e-4)  # the tolerance of the sox effect tests (dsp32)


def test_effects_refuses_bad_options_and_its_own_input_before_reading(tmp_path, capsys):
    src = _wavs(tmp_path, ["a.wav"])[0]
    before = src.read_bytes()
    assert main(["effects", str(src), str(tmp_path / "o.wav"), "gain", "-3", "--bits", "13"]) == 1
    assert "bits_per_sample for WAV must be 8, 16, 24, 32 or 64, got 13" in capsys.readouterr().err
    assert main(["effects", str(src), str(src), "gain", "-3"]) == 1
    assert "is IN; refusing to overwrite the input" in capsys.readouterr().err
    assert main(["effects", str(src), str(tmp_path / "o.wav"), "gain", "-3", "--bogus"]) == 2
    assert "unknown option '--bogus'" in capsys.readouterr().err
    assert src.read_bytes() == before and not (tmp_path / "o.wav").exists()


def test_closed_pipe_ends_quietly(tmp_path):
    # `torchsound datasets list | head -1`: the reader leaves after one line.
    child = subprocess.Popen([sys.executable, "-m", "torchsound", "datasets", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    assert child.stdout.readline()
    child.stdout.close()
    err = child.stderr.read().decode()
    child.wait(timeout=120)
    assert err == "" and child.returncode == 141
