"""`save` refuses what no file can hold, clearly and before any encoder runs; what it writes loads back.

References: soundfile (libsndfile) reads what we write; encoder crashes are tested in a subprocess so
that a regression fails the test instead of killing pytest.
"""

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise

RATE = {"opus": 48000}


def _run_save(code: str, tmp_path) -> subprocess.CompletedProcess:
    """Run ``code`` (with torch and torchsound imported) in a fresh interpreter inside ``tmp_path``."""
    script = "import sys, torch, torchsound\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


# ----------------------------------------------------------------------------- non-finite samples

@pytest.mark.parametrize("fmt", ["wav", "flac", "ogg", "opus", "aiff", "sph"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_samples_are_refused_before_encoding(tmp_path, fmt, bad):
    x = make_noise(2, 0.05, RATE.get(fmt, 16000))
    x[1, 7] = bad
    with pytest.raises(ValueError, match=r"non-finite sample\(s\) \(NaN or inf\), the first at channel 1, frame 7"):
        torchsound.save(tmp_path / f"x.{fmt}", x, RATE.get(fmt, 16000))
    assert _leftovers(tmp_path) == []  # no file, no temporary file
    buffer = io.BytesIO()
    with pytest.raises(ValueError, match="non-finite"):
        torchsound.save(buffer, x.T, RATE.get(fmt, 16000), channels_first=False, format=fmt)
    assert buffer.getvalue() == b""


def test_mp3_with_nan_raises_instead_of_aborting(tmp_path):
    # LAME aborts the whole process on NaN: run it where an abort cannot take pytest down.
    done = _run_save("""
        x = torch.zeros(1, 16000); x[0, 100] = float("nan")
        try:
            torchsound.save("x.mp3", x, 16000)
        except ValueError as err:
            print("refused:", err)
    """, tmp_path)
    assert done.returncode == 0, f"process died (rc {done.returncode}): {done.stderr[-2000:]}"
    assert "refused: save: src has 1 non-finite sample(s)" in done.stdout
    assert _leftovers(tmp_path) == []


def test_finite_float16_and_float64_still_save(tmp_path):
    x = make_noise(1, 0.05)
    for dtype in (torch.float16, torch.float64):
        torchsound.save(tmp_path / "x.wav", x.to(dtype), 16000, encoding="PCM_F")
        got, _ = soundfile.read(tmp_path / "x.wav", dtype="float32")
        np.testing.assert_array_equal(got, x.to(dtype).float()[0].numpy())


# ----------------------------------------------------------------------------- empty tensors

@pytest.mark.parametrize("fmt", ["wav", "aiff", "au", "caf", "w64", "sph"])
def test_no_frames_writes_a_valid_empty_file_where_the_format_allows(tmp_path, fmt):
    path = tmp_path / f"x.{fmt}"
    torchsound.save(path, torch.zeros(2, 0), 16000)
    ref = soundfile.info(str(path))  # an independent reader accepts it
    assert (ref.frames, ref.channels, ref.samplerate) == (0, 2, 16000)
    got, rate = torchsound.load(path)
    assert got.shape == (2, 0) and rate == 16000


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "opus"])
def test_no_frames_is_refused_for_compressed_formats(tmp_path, fmt):
    with pytest.raises(ValueError, match=f"no frames; {fmt.upper()} files cannot hold an empty stream"):
        torchsound.save(tmp_path / f"x.{fmt}", torch.zeros(1, 0), RATE.get(fmt, 16000))
    assert _leftovers(tmp_path) == []


# ----------------------------------------------------------------------------- dtypes and header limits

def test_int64_is_refused_with_the_rule(tmp_path):
    with pytest.raises(TypeError, match=r"got torch.int64 \(64-bit full scale would make small integers silent"):
        torchsound.save(tmp_path / "x.wav", torch.arange(4).reshape(1, 4), 16000)
    with pytest.raises(TypeError, match="got torch.complex64"):
        torchsound.save(tmp_path / "x.wav", torch.zeros(1, 4, dtype=torch.complex64), 16000)
    assert _leftovers(tmp_path) == []


def test_int8_is_full_scale_8_bit(tmp_path):
    x = torch.tensor([[-128, -1, 0, 1, 127]], dtype=torch.int8)
    torchsound.save(tmp_path / "x.wav", x, 16000, bits_per_sample=16)
    got, _ = soundfile.read(tmp_path / "x.wav", dtype="int16")
    np.testing.assert_array_equal(got, x[0].numpy().astype(np.int16) * 256)


def test_wav_header_limits_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"WAV stores at most 65535 channels \(a 16-bit header field\), got 65536"):
        torchsound.save(tmp_path / "x.wav", torch.zeros(65536, 1), 16000)
    with pytest.raises(ValueError, match=r"sample_rate 2147483648 is too high for WAV .* at most 2147483647 Hz"):
        torchsound.save(tmp_path / "x.wav", torch.zeros(1, 1), 2**31)
    with pytest.raises(ValueError, match=r"sample_rate 1073741824 .* 2 channel\(s\) of 16 bits.* at most 1073741823 Hz"):
        torchsound.save(tmp_path / "x.wav", torch.zeros(2, 1), 2**30)
    assert _leftovers(tmp_path) == []
    # The largest sample rate the header holds is written and read back exactly.
    torchsound.save(tmp_path / "x.wav", torch.zeros(1, 1), 2**31 - 1)
    assert soundfile.info(str(tmp_path / "x.wav")).samplerate == 2**31 - 1


@pytest.mark.parametrize("fmt, channels, rate, match", [
    ("flac", 9, 16000, "flac stores at most 8 channels, got 9"),
    ("flac", 1, 655351, "flac supports sample rates up to 655350 Hz"),
    ("flac", 1, 2**31, "flac supports sample rates up to 655350 Hz"),
    ("mp3", 3, 16000, "mp3 stores at most 2 channels"),
    ("mp3", 1, 96000, "mp3 supports sample rates 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 Hz only"),
    ("opus", 1, 44100, r"opus supports sample rates 8000, 12000, 16000, 24000, 48000 Hz only, got sample_rate=44100; "
                       r"resample first, e.g. to 48000"),
    ("aiff", 1025, 16000, "libsndfile's aiff writer stores at most 1024 channels"),
])
def test_codec_limits_are_clear_errors(tmp_path, fmt, channels, rate, match):
    with pytest.raises(ValueError, match=match):
        torchsound.save(tmp_path / f"x.{fmt}", torch.zeros(channels, 10), rate)
    assert _leftovers(tmp_path) == []


def test_vorbis_past_its_limits_raises_instead_of_crashing(tmp_path):
    # libvorbis (through libsndfile) segfaults at 256 channels or above 200 kHz: a subprocess keeps pytest alive.
    done = _run_save("""
        for channels, rate in [(256, 16000), (1, 256000)]:
            try:
                torchsound.save("x.ogg", torch.zeros(channels, 100), rate)
            except ValueError as err:
                print("refused:", err)
        torchsound.save("ok.ogg", torch.zeros(255, 100), 200000)
        print("saved")
    """, tmp_path)
    assert done.returncode == 0, f"process died (rc {done.returncode}): {done.stderr[-2000:]}"
    assert "refused: save: ogg stores at most 255 channels, got 256" in done.stdout
    assert "refused: save: ogg supports sample rates up to 200000 Hz, got sample_rate=256000" in done.stdout
    assert "saved" in done.stdout
    assert soundfile.info(str(tmp_path / "ok.ogg")).channels == 255


def test_2000_channel_wav_round_trips(tmp_path):
    x = make_noise(2000, 0.002, 16000)
    torchsound.save(tmp_path / "x.wav", x, 16000, encoding="PCM_F")
    from scipy.io import wavfile  # libsndfile reads at most 1024 channels

    rate, ref = wavfile.read(tmp_path / "x.wav")
    assert rate == 16000 and ref.shape == (32, 2000) and ref.dtype == np.float32
    np.testing.assert_array_equal(ref.T, x.numpy())
    got, rate = torchsound.load(tmp_path / "x.wav")
    assert rate == 16000
    torch.testing.assert_close(got, x, rtol=0, atol=0)


# ----------------------------------------------------------------------------- NIST, symlinks, read-only folders

def test_nist_to_a_file_object_reads_back(tmp_path):
    x = make_noise(2, 0.05)
    buffer = io.BytesIO()
    torchsound.save(buffer, x, 16000, format="NIST")
    assert buffer.getvalue().startswith(b"NIST_1A")
    ref, rate = soundfile.read(io.BytesIO(buffer.getvalue()), dtype="int16", always_2d=True)
    assert rate == 16000
    expected = torch.clamp(torch.round(x.double() * 32768), -32768, 32767).to(torch.int16)  # 16-bit PCM default
    np.testing.assert_array_equal(ref.T, expected.numpy())
    got, rate = torchsound.load(io.BytesIO(buffer.getvalue()))
    torch.testing.assert_close(got, expected.float() / 32768, rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"format 'nist' cannot store FLOAT samples .* it stores: PCM_S8, PCM_16"):
        torchsound.save(io.BytesIO(), x, 16000, format="nist", encoding="PCM_F")


def test_save_over_a_symlink_writes_its_target(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "real.wav"
    torchsound.save(target, torch.zeros(1, 10), 16000)
    link = tmp_path / "link.wav"
    link.symlink_to(os.path.join("data", "real.wav"))
    x = make_noise(1, 0.01)
    torchsound.save(link, x, 16000, encoding="PCM_F")
    assert link.is_symlink() and os.readlink(link) == os.path.join("data", "real.wav")
    ref, _ = soundfile.read(target, dtype="float32")
    np.testing.assert_array_equal(ref, x[0].numpy())
    assert _leftovers(tmp_path / "data") == ["real.wav"] and _leftovers(tmp_path) == ["data", "link.wav"]


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_read_only_folder_error_names_the_destination(tmp_path):
    import shutil
    import tempfile
    from pathlib import Path

    base = Path(tempfile.mkdtemp())  # pytest's own folders are private to their owner
    base.chmod(0o755)
    folder = base / "ro"
    folder.mkdir(mode=0o555)
    try:
        _check_read_only_folder(tmp_path, folder)
    finally:
        shutil.rmtree(base)


def _check_read_only_folder(tmp_path, folder):
    # root writes anywhere: the child then drops to an unprivileged user, after a first save has
    # imported everything (the interpreter's files may not be readable by that user).
    code = """
        import os
        torchsound.save(sys.argv[2], torch.zeros(1, 10), 16000)
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
        try:
            torchsound.save(sys.argv[1], torch.zeros(1, 10), 16000)
        except PermissionError as err:
            print("refused:", err)
    """
    script = "import sys, torch, torchsound\n" + textwrap.dedent(code)
    dest = str(folder / "out.wav")
    done = subprocess.run([sys.executable, "-c", script, dest, str(tmp_path / "warm.wav")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"refused: [Errno 13] cannot write {dest} (in folder {folder}): Permission denied" in done.stdout
    assert ".tmp" not in done.stdout
    assert _leftovers(folder) == []
