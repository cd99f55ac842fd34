"""Environment-wide alias in a fresh venv: `torchsound alias install/status/remove`, spawned workers, the shim wheel.

The venv is new (python -m venv, no --system-site-packages); torchsound is installed into it from this repo with
pip --no-deps, and the main environment's packages (torch, numpy, soundfile, pip, hatchling) are reused through a
.pth line naming its site-packages folder, which keeps the test offline and fast.
"""

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _run(*cmd, check=True, env=None, **kw):
    env = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "TORCHSOUND_NO_ALIAS")},
           **(env or {})}
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=600, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", root)
    python = root / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "_main_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index", ROOT)
    where = _run(python, "-c", "import torchsound; print(torchsound.__file__)", cwd=root).stdout
    assert where.startswith(str(site)), where  # the venv's own copy, not the repo's
    return root, python, site


SPAWN = """
import torch
from torch.utils.data import DataLoader, Dataset

class Probe(Dataset):
    def __len__(self):
        return 2
    def __getitem__(self, i):
        import torchaudio, torchaudio.transforms, torchsound  # in the spawned worker
        assert torchaudio.transforms is torchsound.transforms
        return torch.tensor(float(torchaudio.__version__ == "2.8.0"))

if __name__ == "__main__":
    loader = DataLoader(Probe(), batch_size=2, num_workers=1, multiprocessing_context="spawn")
    print("workers:", [b.tolist() for b in loader])
"""


def test_alias_install_reaches_spawned_workers_and_remove_undoes_it(venv, tmp_path):
    root, python, site = venv
    torchsound_cli = root / "bin" / "torchsound"
    out = _run(torchsound_cli, "alias", "install").stdout
    assert str(site / "torchsound-alias.pth") in out
    assert "hook: " in _run(torchsound_cli, "alias", "status").stdout
    code = "import torchaudio.transforms as T, torchaudio, torchsound; print(torchaudio.__version__, T is torchsound.transforms)"
    assert _run(python, "-c", code, cwd=tmp_path).stdout.split() == ["2.8.0", "True"]
    (tmp_path / "spawn_probe.py").write_text(textwrap.dedent(SPAWN))
    assert "workers: [[1.0, 1.0]]" in _run(python, "spawn_probe.py", cwd=tmp_path).stdout
    off = _run(python, "-c", "import torchaudio", cwd=tmp_path, check=False, env={"TORCHSOUND_NO_ALIAS": "1"})
    assert off.returncode != 0 and "No module named 'torchaudio'" in off.stderr  # the per-process opt-out
    assert "removed" in _run(torchsound_cli, "alias", "remove").stdout
    gone = _run(python, "-c", "import torchaudio", cwd=tmp_path, check=False)
    assert gone.returncode != 0 and "No module named 'torchaudio'" in gone.stderr


def test_shim_wheel_satisfies_torchaudio_requirements(venv, tmp_path):
    root, python, site = venv
    out = _run(root / "bin" / "torchsound", "alias", "build-dist", tmp_path).stdout
    wheel = tmp_path / "torchaudio-2.8.0-py3-none-any.whl"
    assert str(wheel) in out
    _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel)
    check = """
        import importlib.metadata as md, torchaudio, torchsound, torchsound.compat
        from packaging.requirements import Requirement
        assert md.version("torchaudio") == "2.8.0" and torchaudio.__version__ == "2.8.0"
        assert torchaudio.transforms is torchsound.transforms
        # what speechbrain 1.1.2 and torch-audiomentations 0.12.0 declare
        assert all(Requirement(r).specifier.contains("2.8.0") for r in ["torchaudio>=2.7.1", "torchaudio>=0.9.0"])
        assert torchsound.compat.real_torchaudio() is None  # the shim is not a torchaudio to protect
        print("ok")
    """
    assert _run(python, "-c", textwrap.dedent(check), cwd=tmp_path).stdout.strip() == "ok"
    assert "torchsound's stand-in" in _run(root / "bin" / "torchsound", "alias", "status").stdout
    _run(python, "-m", "pip", "uninstall", "-q", "-y", "torchaudio")
    assert not (site / "torchsound-alias.pth").exists()
    assert _run(python, "-c", "import torchaudio", cwd=tmp_path, check=False).returncode != 0


def test_install_refuses_when_a_real_torchaudio_is_installed(venv, tmp_path):
    root, python, site = venv
    from _oracle import ORACLE_DIR

    (site / "zz_oracle.pth").write_text(str(ORACLE_DIR) + "\n")  # the real torchaudio 2.8, importable
    try:
        proc = _run(root / "bin" / "torchsound", "alias", "install", check=False)
        assert proc.returncode == 1 and "a torchaudio package is installed at" in proc.stdout
        assert "--force" in proc.stdout and not (site / "torchsound-alias.pth").exists()
    finally:
        (site / "zz_oracle.pth").unlink()
