"""Fixtures for pipeline tests: a temporary torch cache that never reaches the network.

``torch_home`` points ``$TORCH_HOME`` at a temporary folder (and undoes any ``torch.hub.set_dir``), so
``torchsound.pipelines._assets`` and ``torch.hub`` look there; tests write random weights in the published
layout at ``_assets.checkpoint_path(url)`` / ``_assets.asset_path(key)``. Every download URL without an
explicit override goes to a closed port on 127.0.0.1, so a missing file fails at once, offline.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

import pytest


def _reexport_root_helpers() -> None:
    """Make this module offer everything tests/conftest.py offers (tol, TOLERANCES, make_noise, ...).

    Test files anywhere import helpers with ``from conftest import tol``; pytest imports every conftest.py under
    the module name ``conftest``, so after this folder is collected, ``sys.modules["conftest"]`` is this file, for
    the folders collected after it too. The root file is loaded under another name and its helpers (not its
    fixtures, which pytest already registered) copied here.
    """
    path = Path(__file__).resolve().parent.parent / "conftest.py"
    spec = importlib.util.spec_from_file_location("_torchsound_tests_root_conftest", path)
    root = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(root)
    for name, value in vars(root).items():
        if name.startswith("__") or name in globals() or _is_fixture(value):
            continue
        globals()[name] = value


def _is_fixture(value) -> bool:
    return type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")


_reexport_root_helpers()

# The datasets' 127.0.0.1 file server (tests/datasets/_dataset_fixtures.py) serves the download tests here too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "datasets"))


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_url() -> str:
    """``http://127.0.0.1:<port>`` where nothing listens: a download from it fails at once."""
    return f"http://127.0.0.1:{closed_port()}"


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """A fresh, empty ``$TORCH_HOME`` (a Path); downloads refused fast unless a test overrides the URL."""
    import torch.hub

    from torchsound.datasets import _download

    home = tmp_path / "torch_home"
    home.mkdir()
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.delenv(_download.MIRROR_ENV, raising=False)
    monkeypatch.setattr(_download, "RETRY_BACKOFF", 0.01)
    dead = f"http://127.0.0.1:{closed_port()}"
    _download.clear_url_overrides()
    _download.set_url_override(lambda url: f"{dead}/{url.rstrip('/').rsplit('/', 1)[-1]}")
    yield home
    _download.clear_url_overrides()
