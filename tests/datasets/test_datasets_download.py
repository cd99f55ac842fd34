"""Downloads against a local HTTP server: resume, retry, checksum before extraction, safe and atomic extraction."""

import dataclasses
import io
import os
import stat
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _dataset_fixtures import make_librispeech, make_tar, overrides, server, sha256, tar_of_folder  # noqa: F401

from torchsound.datasets import LIBRISPEECH, _download, librispeech

DEV_CLEAN = "http://www.openslr.org/resources/12/dev-clean.tar.gz"


def _librispeech_archive(tmp_path) -> Path:
    src = tmp_path / "src"
    make_librispeech(src, "dev-clean")
    return tar_of_folder(tmp_path / "dev-clean.tar.gz", src / "LibriSpeech", "LibriSpeech")


def _use_checksum(monkeypatch, checksum):
    """Point LIBRISPEECH's dev-clean entry at the fixture's checksum (the URL stays the official one)."""
    corpus = librispeech.CORPUS
    res = dataclasses.replace(corpus.subsets["dev-clean"][0], checksum=checksum)
    subsets = dict(corpus.subsets, **{"dev-clean": (res,)})
    monkeypatch.setattr(librispeech, "CORPUS", dataclasses.replace(corpus, subsets=subsets))


def test_good_archive_downloads_once(tmp_path, server, overrides, monkeypatch):
    archive = _librispeech_archive(tmp_path)
    overrides.set_url_override(DEV_CLEAN, server.add("dev-clean.tar.gz", archive.read_bytes()))
    _use_checksum(monkeypatch, sha256(archive))
    root = tmp_path / "root"
    ds = LIBRISPEECH(root, url="dev-clean", download=True)
    assert len(ds) == 3 and ds[0][2].startswith("TEXT OF 103")
    assert len(server.requests_for("dev-clean.tar.gz")) == 1
    again = LIBRISPEECH(root, url="dev-clean", download=True)  # found on disk: no second download
    assert len(again) == 3
    assert len(server.requests_for("dev-clean.tar.gz")) == 1
    assert not [p for p in os.listdir(root) if p.startswith(".") or p.endswith(".part")]


def test_truncated_transfer_resumes_with_range(tmp_path, server, overrides):
    payload = os.urandom(300_000)
    url = server.add("blob.bin", payload)
    server.truncate_once("blob.bin", 70_000)
    dest = tmp_path / "blob.bin"
    overrides.download_file(url, dest, checksum=_sha(payload), progress=False)
    assert dest.read_bytes() == payload
    ranges = server.requests_for("blob.bin")
    assert ranges[0] is None and len(ranges) == 2
    resumed_from = int(ranges[1].split("=")[1].rstrip("-"))
    assert 0 < resumed_from <= 70_000


def test_partial_file_from_an_earlier_run_is_resumed(tmp_path, server, overrides):
    payload = os.urandom(50_000)
    url = server.add("blob.bin", payload)
    dest = tmp_path / "blob.bin"
    Path(str(dest) + ".part").write_bytes(payload[:12_345])
    overrides.download_file(url, dest, checksum=_sha(payload), progress=False)
    assert dest.read_bytes() == payload
    assert server.requests_for("blob.bin") == ["bytes=12345-"]


def test_server_without_range_support_restarts(tmp_path, server, overrides):
    payload = os.urandom(20_000)
    url = server.add("blob.bin", payload)
    server.httpd.ranges = False
    dest = tmp_path / "blob.bin"
    Path(str(dest) + ".part").write_bytes(b"garbage")
    overrides.download_file(url, dest, checksum=_sha(payload), progress=False)
    assert dest.read_bytes() == payload


def test_transient_errors_are_retried(tmp_path, server, overrides):
    payload = b"x" * 1000
    url = server.add("blob.bin", payload)
    server.fail_first("blob.bin", 2)
    dest = tmp_path / "blob.bin"
    overrides.download_file(url, dest, checksum=_sha(payload), progress=False)
    assert dest.read_bytes() == payload and len(server.requests_for("blob.bin")) == 3


def test_retries_give_up(tmp_path, server, overrides):
    url = server.add("blob.bin", b"x")
    server.fail_first("blob.bin", 10)
    with pytest.raises(RuntimeError, match="after 3 attempt"), pytest.warns(_download.UnverifiedDownloadWarning):
        overrides.download_file(url, tmp_path / "blob.bin", retries=2, progress=False)
    assert not (tmp_path / "blob.bin").exists()


def test_not_found_is_not_retried(tmp_path, server, overrides):
    with pytest.raises(RuntimeError, match="404"), pytest.warns(_download.UnverifiedDownloadWarning):
        overrides.download_file(f"{server.base}/missing", tmp_path / "m", progress=False)
    assert len(server.requests_for("missing")) == 1


def test_wrong_checksum_raises_and_extracts_nothing(tmp_path, server, overrides):
    archive = _librispeech_archive(tmp_path)
    overrides.set_url_override(DEV_CLEAN, server.add("dev-clean.tar.gz", archive.read_bytes()))
    root = tmp_path / "root"
    with pytest.raises(_download.ChecksumError, match="sha256 checksum mismatch"):
        LIBRISPEECH(root, url="dev-clean", download=True)  # the official checksum cannot match the fixture
    assert sorted(os.listdir(root)) == []  # no archive, no .part, nothing extracted


def test_md5_checksums_are_recognised(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    _download.verify_checksum(path, "900150983cd24fb0d6963f7d28e17f72")  # md5("abc"), from RFC 1321
    with pytest.raises(_download.ChecksumError, match="md5"):
        _download.verify_checksum(path, "0" * 32)


def test_mirror_environment_variable(tmp_path, server, overrides, monkeypatch):
    server.add("dev-clean.tar.gz", b"mirrored")
    monkeypatch.setenv(_download.MIRROR_ENV, server.base + "/")
    assert _download.resolve_url(DEV_CLEAN) == f"{server.base}/dev-clean.tar.gz"
    with pytest.warns(_download.UnverifiedDownloadWarning):
        overrides.download_file(DEV_CLEAN, tmp_path / "a", progress=False)
    assert (tmp_path / "a").read_bytes() == b"mirrored"


def test_override_hook_is_public():
    import torchsound.datasets as D

    assert D.set_url_override is _download.set_url_override and D.clear_url_overrides is _download.clear_url_overrides


def test_override_callable_and_errors(overrides):
    overrides.set_url_override(lambda url: url.replace("http://a/", "http://b/") if url.startswith("http://a/") else None)
    assert overrides.resolve_url("http://a/x") == "http://b/x"
    assert overrides.resolve_url("http://c/x") == "http://c/x"
    with pytest.raises(ValueError, match="new_url"):
        overrides.set_url_override("http://a/x")
    with pytest.raises(TypeError, match="url_or_mapping"):
        overrides.set_url_override(42)


def test_download_asset(tmp_path, server, overrides):
    key = "tutorial-assets/x.wav"
    overrides.set_url_override(f"{_download._ASSET_BASE}/{key}", server.add("x.wav", b"RIFF...."))
    with pytest.warns(_download.UnverifiedDownloadWarning, match="x.wav without a checksum"):  # hash="" as in torchaudio
        path = _download.download_asset(key, path=tmp_path / "x.wav", progress=False)
    assert Path(path).read_bytes() == b"RIFF...."
    assert _download.download_asset(key, path=tmp_path / "x.wav") == path  # reused, no second request
    assert len(server.requests_for("x.wav")) == 1
    from torchsound.utils import download_asset

    assert download_asset is _download.download_asset


# --------------------------------------------------------------------------- extraction


def _symlink_tar(path, name, target, extra=None):
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        tar.addfile(info)
        if extra:
            data = b"owned"
            info = tarfile.TarInfo(extra)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda p: make_tar(p, {"ok.txt": b"fine", "../evil.txt": b"owned"}), r"contains '\.\.'"),
        (lambda p: make_tar(p, {"a/../../evil.txt": b"owned"}), r"contains '\.\.'"),
        (lambda p: make_tar(p, {"/tmp/evil-abs.txt": b"owned"}), "absolute path"),
        (lambda p: _symlink_tar(p, "link", "../outside"), "points outside"),
        (lambda p: _symlink_tar(p, "a/b/link", "../../../outside"), "points outside"),
        (lambda p: _symlink_tar(p, "etc", "/etc", extra="etc/evil"), "absolute path"),
        (lambda p: _symlink_tar(p, "up", "..", extra="up/evil.txt"), "points outside"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink-out", "deep-symlink-out", "symlink-abs", "symlink-dir-escape"],
)
def test_malicious_tar_is_refused(tmp_path, build, match):
    archive = build(tmp_path / "evil.tar")
    target = tmp_path / "sandbox" / "target"
    target.mkdir(parents=True)
    before = _listing(tmp_path)
    with pytest.raises(_download.UnsafeArchiveError, match=match):
        _download.extract_archive(archive, target)
    assert _listing(tmp_path) == before  # nothing written anywhere (the temp folder is gone too)
    assert not Path("/tmp/evil-abs.txt").exists()


def _chained_links_tar(path):
    """Each link looks inside by its name, but d/l is the root on disk, so d/l/m -> .. leaves it."""
    with tarfile.open(path, "w") as tar:
        for name, target in [("d/l", ".."), ("d/l/m", "..")]:
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        data = b"owned"
        info = tarfile.TarInfo("d/l/m/evil.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def test_chained_symlinks_are_refused(tmp_path):
    target = tmp_path / "sandbox" / "target"
    target.mkdir(parents=True)
    before = _listing(tmp_path)
    with pytest.raises(_download.UnsafeArchiveError, match="resolves outside the target"):
        _download.extract_archive(_chained_links_tar(tmp_path / "chain.tar"), target)
    assert _listing(tmp_path) == sorted(before + ["chain.tar"])

    archive = tmp_path / "chain.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, link in [("d/l", ".."), ("d/l/m", "..")]:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, link)
        zf.writestr("d/l/m/evil.txt", b"owned")
    with pytest.raises(_download.UnsafeArchiveError, match="resolves outside the target"):
        _download.extract_archive(archive, target)
    assert _listing(tmp_path) == sorted(before + ["chain.tar", "chain.zip"])


def test_malicious_zip_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        zf.writestr("../evil.txt", b"owned")
    target = tmp_path / "target"
    with pytest.raises(_download.UnsafeArchiveError, match=r"contains '\.\.'"):
        _download.extract_archive(archive, target)
    assert _listing(tmp_path) == ["evil.zip"]  # the target is not even created


def test_zip_symlink_out_is_refused(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("link")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "../../outside")
    with pytest.raises(_download.UnsafeArchiveError, match="points outside"):
        _download.extract_archive(archive, tmp_path / "t")


def test_inside_links_and_all_formats_extract(tmp_path):
    files = {"corpus/a.txt": b"A", "corpus/sub/b.txt": b"B"}
    for mode, ext in [("w", "tar"), ("w:gz", "tar.gz"), ("w:bz2", "tar.bz2")]:
        archive = make_tar(tmp_path / f"x.{ext}", files, mode)
        out = tmp_path / f"out-{ext}"
        _download.extract_archive(archive, out)
        assert (out / "corpus" / "sub" / "b.txt").read_bytes() == b"B"
    with tarfile.open(tmp_path / "link.tar", "w") as tar:
        info = tarfile.TarInfo("corpus/sub/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "../a.txt"
        tar.addfile(info)
    _download.extract_archive(tmp_path / "link.tar", tmp_path / "out-tar")
    assert (tmp_path / "out-tar" / "corpus" / "sub" / "link").read_bytes() == b"A"
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    _download.extract_archive(tmp_path / "x.zip", tmp_path / "out-zip")
    assert (tmp_path / "out-zip" / "corpus" / "a.txt").read_bytes() == b"A"


def test_extraction_merges_into_existing_corpus_folder(tmp_path):
    make_tar(tmp_path / "one.tar.gz", {"LibriSpeech/dev-clean/x.txt": b"1", "LibriSpeech/README": b"r"})
    make_tar(tmp_path / "two.tar.gz", {"LibriSpeech/test-clean/y.txt": b"2", "LibriSpeech/README": b"r"})
    _download.extract_archive(tmp_path / "one.tar.gz")
    _download.extract_archive(tmp_path / "two.tar.gz")
    assert (tmp_path / "LibriSpeech" / "dev-clean" / "x.txt").exists()
    assert (tmp_path / "LibriSpeech" / "test-clean" / "y.txt").exists()


def test_interrupted_extraction_leaves_no_corpus(tmp_path, server, overrides, monkeypatch):
    archive = _librispeech_archive(tmp_path)
    broken = archive.read_bytes()[:-200]  # a damaged archive, whose (published) checksum matches
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(broken)
    overrides.set_url_override(DEV_CLEAN, server.add("dev-clean.tar.gz", broken))
    _use_checksum(monkeypatch, sha256(cut))
    root = tmp_path / "root"
    with pytest.raises(RuntimeError, match="dev-clean.tar.gz: damaged archive"):
        LIBRISPEECH(root, url="dev-clean", download=True)
    assert not (root / "LibriSpeech").exists()
    assert not [p for p in os.listdir(root) if p.startswith(".extracting")]


def test_existing_archive_is_verified_before_extraction(tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    make_tar(root / "dev-clean.tar.gz", {"LibriSpeech/dev-clean/x.txt": b"tampered"})
    with pytest.raises(_download.ChecksumError):
        LIBRISPEECH(root, url="dev-clean", download=True)
    assert not (root / "LibriSpeech").exists()


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_stale_partial_file_is_refetched_once(tmp_path, server, overrides):
    payload = os.urandom(10_000)
    url = server.add("blob.bin", payload)
    dest = tmp_path / "blob.bin"
    Path(str(dest) + ".part").write_bytes(os.urandom(4_000))  # from an older version of the file
    overrides.download_file(url, dest, checksum=_sha(payload), progress=False)
    assert dest.read_bytes() == payload
    assert server.requests_for("blob.bin") == ["bytes=4000-", None]


def test_default_asset_location_is_torch_hub(monkeypatch, tmp_path):
    import torch.hub

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    assert _download._asset_cache() == tmp_path / "hub" / "torchaudio"


def test_progress_bar_is_shown(tmp_path, server, overrides, capsys):
    payload = os.urandom(3 * 1024 * 1024)
    url = server.add("big.bin", payload)
    overrides.download_file(url, tmp_path / "big.bin", checksum=_sha(payload))
    err = capsys.readouterr().err
    assert "big.bin" in err and "3.00M" in err  # tqdm's bar: file name and total size


# --------------------------------------------------------------------------- unverified downloads


def test_unverified_download_warns_and_discards_an_old_partial_file(tmp_path, server, overrides):
    payload = os.urandom(20_000)
    url = server.add("blob.bin", payload)
    dest = tmp_path / "blob.bin"
    Path(str(dest) + ".part").write_bytes(payload[:5_000])  # even a true prefix: nothing could show it
    with pytest.warns(_download.UnverifiedDownloadWarning, match=r"without a checksum: the file is unverified"):
        overrides.download_file(url, dest, progress=False)
    assert dest.read_bytes() == payload
    assert server.requests_for("blob.bin") == [None]  # fetched whole, no Range


def test_unverified_download_cut_short_restarts_without_a_validator(tmp_path, server, overrides):
    payload = os.urandom(200_000)
    url = server.add("blob.bin", payload)
    server.truncate_once("blob.bin", 70_000)
    with pytest.warns(_download.UnverifiedDownloadWarning):
        overrides.download_file(url, tmp_path / "blob.bin", progress=False)
    assert (tmp_path / "blob.bin").read_bytes() == payload
    assert server.requests_for("blob.bin") == [None, None]  # the fixture server sends no ETag: no resume


class _ValidatingHandler(BaseHTTPRequestHandler):
    """Serves one changing file with a strong ETag; honours Range only under a matching If-Range (RFC 9110)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        srv.log.append((self.headers.get("Range"), self.headers.get("If-Range")))
        data, etag = srv.data, srv.etag
        rng, cond = self.headers.get("Range"), self.headers.get("If-Range")
        start = 0
        if rng and cond == etag:
            start = int(rng[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut is not None:  # send part, drop the connection, then let the file change (or not)
            self.wfile.write(body[: srv.cut])
            self.wfile.flush()
            self.close_connection = True
            srv.cut = None
            if srv.next_version is not None:
                srv.data, srv.etag = srv.next_version
            return
        self.wfile.write(body)


@pytest.fixture
def validating_server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ValidatingHandler)
    httpd.daemon_threads = True
    httpd.log, httpd.cut, httpd.next_version = [], None, None
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("changes", [False, True], ids=["same-file", "file-changed"])
def test_unverified_download_resumes_only_under_if_range(tmp_path, overrides, validating_server, changes):
    old, new = os.urandom(100_000), os.urandom(100_000)
    validating_server.data, validating_server.etag = old, '"v1"'
    validating_server.cut = 30_000
    validating_server.next_version = (new, '"v2"') if changes else None
    url = "http://{}:{}/blob.bin".format(*validating_server.server_address[:2])
    with pytest.warns(_download.UnverifiedDownloadWarning):
        overrides.download_file(url, tmp_path / "blob.bin", progress=False)
    assert validating_server.log == [(None, None), ("bytes=30000-", '"v1"')]
    # A changed file comes whole (200), never as the old file's head glued to the new file's tail.
    assert (tmp_path / "blob.bin").read_bytes() == (new if changes else old)


# --------------------------------------------------------------------------- extraction limits and modes


def _gzip_tar_bomb(path, size: int) -> Path:
    """A .tar.gz holding one file of ``size`` zero bytes, made of repeated gzip members (instant to build)."""
    import gzip as gz

    header = tarfile.TarInfo("bomb/zeros.bin")
    header.size = size
    block = gz.compress(bytes(1 << 20), compresslevel=9)
    with open(path, "wb") as f:
        f.write(gz.compress(header.tobuf(format=tarfile.GNU_FORMAT)))
        for _ in range(size >> 20):
            f.write(block)
        f.write(gz.compress(bytes(1024)))  # the end-of-archive blocks
    return Path(path)


def _no_output(tmp_path, target):
    assert not target.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".extracting")]


def test_archive_bomb_is_stopped_at_its_header(tmp_path, monkeypatch):
    bomb = _gzip_tar_bomb(tmp_path / "bomb.tar.gz", 1 << 30)  # ~1 MB expanding to 1 GiB
    assert bomb.stat().st_size < (1 << 30) / 200
    with tarfile.open(bomb) as tar:  # the reference reader agrees on what it holds
        assert tar.getmember("bomb/zeros.bin").size == 1 << 30
    read = []
    original = tarfile.TarFile.extractfile
    monkeypatch.setattr(tarfile.TarFile, "extractfile", lambda *a, **k: read.append(a) or original(*a, **k))
    with pytest.raises(_download.UnsafeArchiveError,
                       match=r"bomb.tar.gz: the archive expands to more than 200 times its own size .*"
                             r"max_ratio=.* TORCHSOUND_EXTRACT_MAX_RATIO"):
        _download.extract_archive(bomb, tmp_path / "out")
    _no_output(tmp_path, tmp_path / "out")
    # Raising the limit (argument or environment) lets a trusted archive through; checked on a smaller one.
    small = _gzip_tar_bomb(tmp_path / "small.tar.gz", 300 << 20)
    with pytest.raises(_download.UnsafeArchiveError, match="times its own size"):
        _download.extract_archive(small, tmp_path / "out")
    monkeypatch.setenv("TORCHSOUND_EXTRACT_MAX_RATIO", "1e6")
    _download.extract_archive(small, tmp_path / "out")
    assert (tmp_path / "out" / "bomb" / "zeros.bin").stat().st_size == 300 << 20


def test_entry_and_size_limits_stop_extraction_early(tmp_path, monkeypatch):
    archive = make_tar(tmp_path / "many.tar", {f"c/{i}.txt": b"x" for i in range(3000)}, "w")
    headers = []
    original = tarfile.TarFile.next
    monkeypatch.setattr(tarfile.TarFile, "next", lambda self: headers.append(1) or original(self))
    with pytest.raises(_download.UnsafeArchiveError, match=r"many.tar: the archive expands to more than 100 entries"):
        _download.extract_archive(archive, tmp_path / "out", max_entries=100)
    assert len(headers) < 200  # stopped near the 101st header (opening probes read a few), not after all 3000
    _no_output(tmp_path, tmp_path / "out")
    monkeypatch.setenv("TORCHSOUND_EXTRACT_MAX_ENTRIES", "100")
    with pytest.raises(_download.UnsafeArchiveError, match="TORCHSOUND_EXTRACT_MAX_ENTRIES"):
        _download.extract_archive(archive, tmp_path / "out")
    _download.extract_archive(archive, tmp_path / "out", max_entries=5000)  # the argument wins
    assert len(os.listdir(tmp_path / "out" / "c")) == 3000
    monkeypatch.delenv("TORCHSOUND_EXTRACT_MAX_ENTRIES")

    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"d/{i}.bin", bytes(1 << 20))
    monkeypatch.setenv("TORCHSOUND_EXTRACT_MAX_BYTES", str(2 << 20))
    with pytest.raises(_download.UnsafeArchiveError, match=f"big.zip: the archive expands to more than {2 << 20} bytes"):
        _download.extract_archive(tmp_path / "big.zip", tmp_path / "zout")
    _no_output(tmp_path, tmp_path / "zout")
    monkeypatch.setenv("TORCHSOUND_EXTRACT_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="TORCHSOUND_EXTRACT_MAX_BYTES must be a number, got 'lots'"):
        _download.extract_archive(tmp_path / "big.zip", tmp_path / "zout")
    with pytest.raises(ValueError, match="max_entries must be a positive number, got 0"):
        _download.extract_archive(tmp_path / "big.zip", tmp_path / "zout", max_entries=0)


def test_zip_entry_larger_than_declared_is_damage(tmp_path):
    # A zip whose central directory understates a file's size: zipfile stops at the declared size and the
    # CRC check fails, so the limits (computed from declared sizes) cannot be dodged this way.
    with zipfile.ZipFile(tmp_path / "liar.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x/big.bin", bytes(100_000))
    data = bytearray((tmp_path / "liar.zip").read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # uncompressed size in the central directory
    (tmp_path / "liar.zip").write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="liar.zip: damaged archive"):
        _download.extract_archive(tmp_path / "liar.zip", tmp_path / "out")
    _no_output(tmp_path, tmp_path / "out")


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_folders_and_joined_files_follow_the_umask(tmp_path, umask):
    archive = make_tar(tmp_path / "x.tar.gz", {"corpus/a.txt": b"A"})
    old = os.umask(umask)
    try:
        _download.extract_archive(archive, tmp_path / "out")
        (tmp_path / "p1").write_bytes(b"ab")
        (tmp_path / "p2").write_bytes(b"cd")
        parts = [f"file://{tmp_path / 'p1'}", f"file://{tmp_path / 'p2'}"]  # already there: only joined
        _download.download_parts(parts, ["", ""], tmp_path / "joined", progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o777 & ~umask
    assert stat.S_IMODE((tmp_path / "joined").stat().st_mode) == 0o666 & ~umask
    assert (tmp_path / "joined").read_bytes() == b"abcd"
