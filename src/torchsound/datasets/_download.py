"""Fetch, verify and safely extract dataset archives.

- ``download_file`` streams to ``<dest>.part`` with a tqdm bar, resumes a partial file with an
  HTTP ``Range`` request, retries transient failures with exponential backoff, verifies the
  checksum (sha256 or md5) and only then renames the file to ``dest``.
- ``extract_archive`` checks every entry of a tar/tar.gz/tar.bz2/zip before writing anything
  (no absolute paths, no ``..``, no links leaving the target, no device files), extracts into a
  temporary folder next to the target and renames the result into place, so an interrupted
  extraction never leaves a corpus that looks complete.
- URLs can be redirected for mirrors and tests: ``set_url_override`` (exact URL or a callable),
  or the environment variable ``TORCHSOUND_DATASET_MIRROR`` (a base URL that replaces everything
  up to the file name).
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import lzma
import os
import shutil
import socket
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Union

__all__ = [
    "ChecksumError",
    "UnsafeArchiveError",
    "set_url_override",
    "clear_url_overrides",
    "resolve_url",
    "download_file",
    "verify_checksum",
    "extract_archive",
    "download_and_extract",
    "download_parts",
    "download_asset",
]

MIRROR_ENV = "TORCHSOUND_DATASET_MIRROR"
_CHUNK = 1 << 20
RETRIES = 5  # attempts after the first one, for transient failures
RETRY_BACKOFF = 1.0  # seconds before the first retry; doubles each time

_overrides: Dict[str, str] = {}
_override_fn: Optional[Callable[[str], Optional[str]]] = None


class ChecksumError(RuntimeError):
    """A downloaded or existing file does not match its published checksum."""


class UnsafeArchiveError(RuntimeError):
    """An archive entry would write outside the extraction folder (or is a device/odd file)."""


# --------------------------------------------------------------------------- URL overrides


def set_url_override(url_or_mapping: Union[str, Dict[str, str], Callable[[str], Optional[str]], None], new_url: str = "") -> None:
    """Redirect downloads, for mirrors and tests.

    ``set_url_override(url, new_url)`` redirects one URL; ``set_url_override({url: new_url, ...})``
    several; ``set_url_override(fn)`` installs ``fn(url) -> new_url or None`` consulted for every
    URL; ``set_url_override(None)`` removes the callable. Exact entries win over the callable,
    which wins over the ``TORCHSOUND_DATASET_MIRROR`` environment variable.
    """
    global _override_fn
    if url_or_mapping is None:
        _override_fn = None
    elif callable(url_or_mapping):
        _override_fn = url_or_mapping
    elif isinstance(url_or_mapping, dict):
        _overrides.update(url_or_mapping)
    elif isinstance(url_or_mapping, str):
        if not new_url:
            raise ValueError("set_url_override: `new_url` must be a non-empty URL when `url_or_mapping` is a URL")
        _overrides[url_or_mapping] = new_url
    else:
        raise TypeError(f"set_url_override: `url_or_mapping` must be a URL, a dict, a callable or None, got {type(url_or_mapping).__name__}")


def clear_url_overrides() -> None:
    """Forget every override installed with ``set_url_override``."""
    global _override_fn
    _overrides.clear()
    _override_fn = None


def resolve_url(url: str) -> str:
    """The URL actually fetched for ``url`` after overrides and the mirror variable."""
    if url in _overrides:
        return _overrides[url]
    if _override_fn is not None:
        new = _override_fn(url)
        if new:
            return new
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror:
        return mirror.rstrip("/") + "/" + url.rstrip("/").rsplit("/", 1)[-1]
    return url


# --------------------------------------------------------------------------- checksums


def _hash_kind(expected: str) -> str:
    # The official lists give md5 (32 hex digits) for a few corpora and sha256 for the rest;
    # torchaudio also accepts a sha256 prefix, which we accept too.
    return "md5" if len(expected) == 32 else "sha256"


def file_digest(path: Union[str, os.PathLike], kind: str = "sha256") -> str:
    digest = hashlib.new(kind)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_checksum(path: Union[str, os.PathLike], expected: Optional[str]) -> None:
    """Raise ``ChecksumError`` unless ``path``'s sha256 (or md5, for 32-digit values) matches.

    ``expected`` may be a prefix of the sha256 digest (torchaudio's ``hash_prefix``); an empty
    value skips the check.
    """
    if not expected:
        return
    expected = expected.lower()
    kind = _hash_kind(expected)
    actual = file_digest(path, kind)
    if not actual.startswith(expected):
        raise ChecksumError(f"{kind} checksum mismatch for {os.fspath(path)}: expected {expected}, got {actual}")


# --------------------------------------------------------------------------- download

_TRANSIENT = (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError)


def _is_transient(err: BaseException) -> bool:
    if isinstance(err, urllib.error.HTTPError):
        return err.code >= 500 or err.code in (408, 429)
    return isinstance(err, _TRANSIENT)


def download_file(
    url: str,
    dest: Union[str, os.PathLike],
    *,
    checksum: Optional[str] = None,
    progress: bool = True,
    retries: Optional[int] = None,
    backoff: Optional[float] = None,
    timeout: float = 60.0,
) -> str:
    """Download ``url`` to ``dest`` (through any override), resuming and retrying; verify; rename.

    A partial download is kept as ``dest + ".part"`` and resumed by the next call. On a checksum
    mismatch the partial file is deleted and ``ChecksumError`` is raised (after one fresh retry when
    the mismatch may come from a stale partial file); ``dest`` is only ever created complete and
    verified. Returns ``dest``.
    """
    dest = os.fspath(dest)
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = dest + ".part"
    source = resolve_url(url)
    retries = RETRIES if retries is None else retries
    backoff = RETRY_BACKOFF if backoff is None else backoff
    stale_possible = os.path.exists(part)  # left by an earlier run, perhaps of a file since replaced
    while True:
        _fetch_with_retries(source, part, dest, progress=progress, timeout=timeout, retries=retries, backoff=backoff)
        try:
            verify_checksum(part, checksum)
            break
        except ChecksumError:
            os.remove(part)
            if not stale_possible:
                raise
            stale_possible = False
    os.replace(part, dest)
    return dest


def _fetch_with_retries(source: str, part: str, dest: str, *, progress: bool, timeout: float, retries: int, backoff: float) -> None:
    attempt = 0
    while True:
        try:
            _fetch_into(source, part, progress=progress, timeout=timeout, label=os.path.basename(dest))
            return
        except Exception as err:  # noqa: BLE001 - classify, then retry or re-raise
            attempt += 1
            if not _is_transient(err) or attempt > retries:
                raise RuntimeError(f"downloading {source} to {dest} failed after {attempt} attempt(s): {err}") from err
            time.sleep(backoff * 2 ** (attempt - 1))


def _fetch_into(url: str, part: str, *, progress: bool, timeout: float, label: str) -> None:
    """One attempt: append to ``part`` from where it stops (Range), or restart if unsupported."""
    have = os.path.getsize(part) if os.path.exists(part) else 0
    request = urllib.request.Request(url, headers={"User-Agent": "torchsound"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing left to fetch: the part file is already whole
            return
        raise
    with response:
        if have and response.status != 206:  # server ignored Range: start over
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024, desc=label, leave=False)
        try:
            # read1 hands over what arrived even when the connection then drops, so it is kept for resuming.
            read = getattr(response, "read1", response.read)
            with open(part, "ab" if have else "wb") as out:
                got = have
                while True:
                    block = read(_CHUNK)
                    if not block:
                        break
                    out.write(block)
                    got += len(block)
                    if bar is not None:
                        bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
    if total is not None and got < total:
        # The server closed the connection early: a transient failure, resumed on retry.
        raise http.client.IncompleteRead(b"", total - got)


# --------------------------------------------------------------------------- extraction


def _check_member_path(name: str, archive: str) -> str:
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: entry {name!r} has an absolute path; refusing to extract")
    parts = [p for p in normalized.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchiveError(f"{archive}: entry {name!r} contains '..'; refusing to extract")
    return "/".join(parts)


def _check_link(name: str, target: str, archive: str, *, hard: bool) -> None:
    # Symlink targets are relative to the link's folder; hard-link targets to the archive root.
    if target.startswith("/") or (len(target) > 1 and target[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: link {name!r} points to absolute path {target!r}; refusing to extract")
    base = [] if hard else name.split("/")[:-1]
    depth = list(base)
    for part in target.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not depth:
                raise UnsafeArchiveError(f"{archive}: link {name!r} -> {target!r} points outside the target; refusing to extract")
            depth.pop()
        else:
            depth.append(part)


def _safe_tar_members(tar: tarfile.TarFile, archive: str) -> list:
    members = []
    for member in tar.getmembers():
        name = _check_member_path(member.name, archive)
        if member.issym() or member.islnk():
            _check_link(name, member.linkname, archive, hard=member.islnk())
        elif not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"{archive}: entry {member.name!r} is a device or special file; refusing to extract")
        members.append(member)
    return members


def _zip_is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _ensure_inside(root_real: str, path: str, archive: str, what: str) -> None:
    # Resolving on disk catches chains the names alone cannot show, e.g. a link inside the archive that
    # turns a later entry's harmless-looking relative path into one that leaves the target.
    real = os.path.realpath(path)
    if real != root_real and not real.startswith(root_real + os.sep):
        raise UnsafeArchiveError(f"{archive}: {what} resolves outside the target; refusing to extract")


def _check_on_disk(dest: str, name: str, archive: str, *, symlink: Optional[str] = None, hardlink: Optional[str] = None) -> None:
    """Just before writing entry ``name``: its folder, itself, and any link target must stay in ``dest``."""
    root_real = os.path.realpath(dest)
    parent = os.path.realpath(os.path.join(dest, os.path.dirname(name)))
    _ensure_inside(root_real, parent, archive, f"entry {name!r}")
    _ensure_inside(root_real, os.path.join(parent, os.path.basename(name)), archive, f"entry {name!r}")
    if symlink is not None:
        _ensure_inside(root_real, os.path.join(parent, symlink), archive, f"link {name!r} -> {symlink!r}")
    if hardlink is not None:
        _ensure_inside(root_real, os.path.join(dest, hardlink), archive, f"link {name!r} -> {hardlink!r}")


def _extract_tar_checked(tar: tarfile.TarFile, dest: str, archive: str) -> None:
    members = _safe_tar_members(tar, archive)  # every name checked before anything is written
    extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    for member in members:
        name = _check_member_path(member.name, archive)
        if not name:
            continue
        _check_on_disk(dest, name, archive, symlink=member.linkname if member.issym() else None,
                       hardlink=member.linkname if member.islnk() else None)
        try:
            tar.extract(member, dest, **extra)
        except tarfile.TarError as err:  # the standard library's own extraction filter objected
            raise UnsafeArchiveError(f"{archive}: {err}; refusing to extract") from err


def _extract_zip_checked(zf: zipfile.ZipFile, dest: str, archive: str) -> None:
    infos = zf.infolist()
    links = {}
    for info in infos:  # every name checked before anything is written
        name = _check_member_path(info.filename, archive)
        if _zip_is_symlink(info):
            target = zf.read(info).decode("utf-8")
            _check_link(name, target, archive, hard=False)
            links[info.filename] = target
    for info in infos:
        name = _check_member_path(info.filename, archive)
        if not name:
            continue
        target = links.get(info.filename)
        _check_on_disk(dest, name, archive, symlink=target)
        if target is not None:
            os.makedirs(os.path.join(dest, os.path.dirname(name)), exist_ok=True)
            os.symlink(target, os.path.join(dest, name))
        else:
            zf.extract(info, dest)


def _merge_into(src: str, dst: str) -> None:
    """Move the tree ``src`` into ``dst``: whole folders are renamed in one step, existing ones merged."""
    for entry in sorted(os.listdir(src)):
        s, d = os.path.join(src, entry), os.path.join(dst, entry)
        if os.path.isdir(d) and not os.path.islink(d) and os.path.isdir(s) and not os.path.islink(s):
            _merge_into(s, d)
        else:
            if os.path.lexists(d):
                if os.path.isdir(d) and not os.path.islink(d):
                    shutil.rmtree(d)
                else:
                    os.remove(d)
            os.replace(s, d)


# What a truncated or corrupt tar/zip raises while it is decompressed or read.
_DAMAGED_ARCHIVE_ERRORS = (EOFError, tarfile.ReadError, tarfile.CompressionError, zipfile.BadZipFile,
                           gzip.BadGzipFile, zlib.error, lzma.LZMAError)


def extract_archive(archive: Union[str, os.PathLike], target: Union[str, os.PathLike, None] = None) -> str:
    """Extract a tar (any compression) or zip ``archive`` into ``target`` (default: its folder).

    Every entry is checked first; nothing is written when one is unsafe. The files land in a
    temporary folder next to ``target`` and are renamed into place at the end. Returns ``target``.
    """
    archive = os.fspath(archive)
    target = os.path.abspath(os.fspath(target) if target is not None else os.path.dirname(os.path.abspath(archive)))
    # The temporary folder sits next to the target (same file system) so the final step is a rename;
    # a target that does not exist yet only appears once it is complete.
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".extracting-", dir=parent)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _extract_zip_checked(zf, tmp, archive)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                _extract_tar_checked(tar, tmp, archive)
        else:
            raise ValueError(f"{archive}: not a tar or zip archive")
        if os.path.isdir(target):
            _merge_into(tmp, target)
        else:
            os.replace(tmp, target)
    except _DAMAGED_ARCHIVE_ERRORS as err:
        # A damaged archive (e.g. cut short) surfaces as a decompressor error: name the file.
        raise RuntimeError(f"{archive}: damaged archive, extraction stopped ({type(err).__name__}: {err})") from err
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def download_and_extract(
    url: str,
    root: Union[str, os.PathLike],
    *,
    checksum: Optional[str],
    archive_name: Optional[str] = None,
    extract_to: Union[str, os.PathLike, None] = None,
    progress: bool = True,
) -> str:
    """Download ``url`` into ``root`` unless the archive is already there, verify it, extract it.

    An archive already on disk is verified too before extraction. Returns the archive path.
    """
    root = os.fspath(root)
    archive = os.path.join(root, archive_name or url.rstrip("/").rsplit("/", 1)[-1])
    if os.path.isfile(archive):
        verify_checksum(archive, checksum)
    else:
        download_file(url, archive, checksum=checksum, progress=progress)
    extract_archive(archive, extract_to if extract_to is not None else root)
    return archive


def download_parts(urls: Iterable[str], checksums: Iterable[str], dest: Union[str, os.PathLike], *, progress: bool = True) -> str:
    """Download each part (verified), then join them into ``dest`` (written as a temp file, renamed)."""
    dest = os.fspath(dest)
    folder = os.path.dirname(os.path.abspath(dest))
    parts = []
    for url, checksum in zip(urls, checksums):
        part = os.path.join(folder, url.rstrip("/").rsplit("/", 1)[-1])
        if os.path.isfile(part):
            verify_checksum(part, checksum)
        else:
            download_file(url, part, checksum=checksum, progress=progress)
        parts.append(part)
    fd, tmp = tempfile.mkstemp(prefix=".joining-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out, _CHUNK)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return dest


# --------------------------------------------------------------------------- assets

_ASSET_BASE = "https://download.pytorch.org/torchaudio"


def _asset_cache() -> Path:
    import torch.hub

    return Path(torch.hub.get_dir()) / "torchaudio"


def download_asset(key: str, hash: str = "", path: Union[str, os.PathLike] = "", *, progress: bool = True) -> str:
    """Download torchaudio's asset ``key`` (e.g. ``"tutorial-assets/Lab41-SRI-...wav"``) and return its path.

    Args:
        key: the asset's path on ``download.pytorch.org/torchaudio``.
        hash: sha256 of the file (or a prefix); empty skips the check.
        path: where to store it; default ``<torch.hub.get_dir()>/torchaudio/<key>``. An existing file is reused.
        progress: show a progress bar.

    Shape:
        Not applicable (returns a file path).
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"download_asset: `key` must be a non-empty string, got {key!r}")
    target = os.fspath(path) if path else os.fspath(_asset_cache() / key)
    if os.path.exists(target):
        return target
    download_file(f"{_ASSET_BASE}/{key}", target, checksum=hash or None, progress=progress)
    return target
