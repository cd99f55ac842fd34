"""atomic_output: complete files or none, killed writers leave no pile of temporary files, links stay links."""

import os
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
import soundfile
import torch

import torchsound
from conftest import make_noise
from torchsound._internal.atomic import atomic_output, temp_path

# A save that stops for good in the middle of writing its data (after 4 MiB), so it can be killed there.
_STALLED_SAVE = textwrap.dedent("""
    import sys, time, torch, torchsound
    from torchsound.io import _wav

    def stalled_write(f, *args, **kwargs):
        f.write(b"RIFF" + bytes(4 << 20))
        f.flush()
        print("writing", flush=True)
        time.sleep(600)

    _wav.write = stalled_write
    torchsound.save(sys.argv[1], torch.zeros(1, 16000), 16000)
""")


def _kill_mid_save(path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _STALLED_SAVE, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL


def _temps(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_killed_saves_leave_at_most_one_temp_file_which_the_next_save_removes(tmp_path):
    path = tmp_path / "x.wav"
    torchsound.save(path, torch.zeros(1, 8), 16000)
    for _ in range(3):  # killed again and again: the same name is reused, nothing piles up
        _kill_mid_save(path)
        assert _temps(tmp_path) == [".x.wav.torchsound.tmp"]
        assert os.path.getsize(tmp_path / ".x.wav.torchsound.tmp") >= 4 << 20
        assert soundfile.info(str(path)).frames == 8  # the destination is untouched
    x = make_noise(1, 0.01)
    torchsound.save(path, x, 16000, encoding="PCM_F")
    assert _temps(tmp_path) == []
    got, _ = soundfile.read(path, dtype="float32")
    assert torch.equal(torch.from_numpy(got), x[0])


def test_a_concurrent_writer_of_the_same_path_gets_its_own_temp_file(tmp_path):
    path = tmp_path / "out.txt"
    with atomic_output(path, "w") as first:
        first.write("first")
        assert _temps(tmp_path) == [".out.txt.torchsound.tmp"]
        with atomic_output(path, "w") as second:  # the fixed name is locked: a unique one instead
            second.write("second")
            names = _temps(tmp_path)
            assert len(names) == 2 and ".out.txt.torchsound.tmp" in names
        assert path.read_text() == "second"
    assert path.read_text() == "first"
    assert _temps(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_output(path, "w") as f:
            f.write("half")
            raise RuntimeError("boom")
    assert path.read_text() == "old" and _temps(tmp_path) == []


def test_temp_name_after_a_finished_write_is_not_reused_as_the_file(tmp_path):
    # A writer that opened the fixed name just before another renamed it must not truncate the renamed file.
    path = tmp_path / "out.txt"
    fd = os.open(temp_path(str(path)), os.O_WRONLY | os.O_CREAT, 0o666)
    os.write(fd, b"renamed")
    os.close(fd)
    os.replace(temp_path(str(path)), path)  # what a finished writer does
    with atomic_output(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new"


@pytest.mark.skipif(not hasattr(os, "umask"), reason="POSIX permissions")
def test_permissions_follow_the_umask_or_the_replaced_file(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "new.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o640
    (tmp_path / "new.txt").chmod(0o604)
    with atomic_output(tmp_path / "new.txt", "w") as f:
        f.write("y")
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o604


def test_symlink_is_followed_and_kept(tmp_path):
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    with atomic_output(tmp_path / "link.txt", "w") as f:
        f.write("new")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "new"
    assert _temps(tmp_path) == []


def test_errors_name_the_destination(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"x\.txt: folder .*missing does not exist"):
        with atomic_output(tmp_path / "missing" / "x.txt", "w"):
            pass
    (tmp_path / "dir").mkdir()
    with pytest.raises(IsADirectoryError, match=r"dir: is a folder; cannot write a file there"):
        with atomic_output(tmp_path / "dir", "w"):
            pass
    with pytest.raises(TypeError, match="uri must be a path or a writable file-like object, got int"):
        with atomic_output(3, "w"):
            pass
