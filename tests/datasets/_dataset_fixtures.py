"""Fixture builders for the dataset tests: tiny corpora in each corpus's real on-disk layout,
archives, and a local HTTP server (Range support, scripted failures).

Audio is written with soundfile and read back with soundfile as the reference; the datasets read it
with torchsound.load.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest
import soundfile as sf
import torch

_rng = np.random.default_rng(1234)


def write_audio(path, *, rate=16000, frames=None, channels=1, fmt=None, subtype="PCM_16") -> torch.Tensor:
    """Write a short random signal; return what soundfile reads back, as (channels, time) float32."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = frames if frames is not None else int(_rng.integers(40, 120))
    data = _rng.uniform(-0.5, 0.5, size=(frames, channels))
    sf.write(str(path), data, rate, format=fmt, subtype=subtype)
    back, back_rate = sf.read(str(path), dtype="float32", always_2d=True)
    assert back_rate == rate
    return torch.from_numpy(back.T.copy())


def write_text(path, text: str, encoding="utf-8") -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assert_waveform(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- LibriSpeech family


def make_librispeech(root, subset="dev-clean", folder="LibriSpeech", layout=None, ext=".flac") -> Dict[str, tuple]:
    """``root/folder/subset/spk/ch/spk-ch-utt.flac`` + ``spk-ch.trans.txt``; returns id -> (wave, text)."""
    layout = layout or {(19, 198): [0, 1], (103, 1240): [5]}
    items = {}
    for (spk, ch), utts in layout.items():
        chapter = Path(root, folder, subset, str(spk), str(ch))
        lines = []
        for utt in utts:
            fileid = f"{spk}-{ch}-{utt:04d}"
            wave = write_audio(chapter / f"{fileid}{ext}")
            text = f"TEXT OF {spk} {ch} NUMBER {utt} HELLO WORLD"
            items[fileid] = (wave, text)
            lines.append(f"{fileid} {text}\n")
        write_text(chapter / f"{spk}-{ch}.trans.txt", "".join(lines))
    return dict(sorted(items.items()))


# --------------------------------------------------------------------------- archives


def make_tar(path, files: Dict[str, bytes], mode="w:gz") -> Path:
    path = Path(path)
    with tarfile.open(path, mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def tar_of_folder(path, folder, arcname, mode="w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        tar.add(folder, arcname=arcname)
    return Path(path)


def zip_of_folder(path, folder, arcname) -> Path:
    folder = Path(folder)
    with zipfile.ZipFile(path, "w") as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, os.path.join(arcname, p.relative_to(folder)))
    return Path(path)


# --------------------------------------------------------------------------- HTTP server


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        srv = self.server
        path = self.path.split("?")[0]
        srv.requests.append((path, self.headers.get("Range")))
        if srv.fail_first.get(path, 0) > 0:
            srv.fail_first[path] -= 1
            self.send_error(503, "try again")
            return
        data = srv.files.get(path)
        if data is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and srv.ranges:
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = srv.truncate.pop(path, None)
        if cut is not None and cut < len(body):
            # Send part of the body, then drop the connection mid-transfer.
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class FileServer:
    """Serves ``files`` (path -> bytes) on 127.0.0.1; scriptable failures; records requests."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.files = {}
        self.httpd.requests = []
        self.httpd.truncate = {}
        self.httpd.fail_first = {}
        self.httpd.ranges = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, name: str, data: bytes) -> str:
        self.httpd.files["/" + name] = data
        return f"{self.base}/{name}"

    def requests_for(self, name: str) -> List:
        return [r for p, r in self.httpd.requests if p == "/" + name]

    def truncate_once(self, name: str, nbytes: int) -> None:
        self.httpd.truncate["/" + name] = nbytes

    def fail_first(self, name: str, times: int) -> None:
        self.httpd.fail_first["/" + name] = times

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = FileServer()
    yield srv
    srv.close()


@pytest.fixture
def overrides(monkeypatch):
    """URL overrides cleared after the test; retries made fast; no mirror variable from outside."""
    from torchsound.datasets import _download

    monkeypatch.delenv(_download.MIRROR_ENV, raising=False)
    monkeypatch.setattr(_download, "RETRY_BACKOFF", 0.01)
    _download.clear_url_overrides()
    yield _download
    _download.clear_url_overrides()


def serve_as(monkeypatch, server, overrides, module, url: str, data: bytes, attr: str = "CORPUS") -> None:
    """Serve ``data`` for the official ``url`` and make ``module.<attr>`` expect its sha256 (URL unchanged)."""
    import dataclasses

    name = url.rstrip("/").rsplit("/", 1)[-1]
    overrides.set_url_override(url, server.add(name, data))
    digest = hashlib.sha256(data).hexdigest()
    corpus = getattr(module, attr)
    subsets = {k: tuple(dataclasses.replace(r, checksum=digest) if r.url == url else r for r in v) for k, v in corpus.subsets.items()}
    monkeypatch.setattr(module, attr, dataclasses.replace(corpus, subsets=subsets))
