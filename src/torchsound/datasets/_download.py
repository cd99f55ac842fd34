"""Fetch, verify and safely extract dataset archives.

- ``download_file`` streams to ``<dest>.part`` with a tqdm bar, resumes a partial file with an
  HTTP ``Range`` request, retries transient failures with exponential backoff, verifies the
  checksum (sha256 or md5) and only then renames the file to ``dest``.
  Without a checksum (a URL outside the catalogue) the file is unverified: a warning says so, a
  ``.part`` left by an earlier run is discarded (nothing shows it belongs to the same file), and a
  transfer resumes within the call only where the server proves the file unchanged (``If-Range``
  with its ``ETag``/``Last-Modified``).
- ``extract_archive`` checks every entry of a tar/tar.gz/tar.bz2/zip before writing anything
  (no absolute paths, no ``..``, no links leaving the target, no device files; limits on the
  number of entries, their total size and its ratio to the archive's size, see
  :class:`ExtractionLimits`), extracts into a temporary folder next to the target and renames the
  result into place, so an interrupted extraction never leaves a corpus that looks complete.
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
import secrets
import shutil
import socket
import stat
import tarfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, Optional, Union

__all__ = [
    "ChecksumError",
    "UnsafeArchiveError",
    "UnverifiedDownloadWarning",
    "ExtractionLimits",
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
    """An archive entry would write outside the extraction folder (or is a device/odd file), or the
    archive passes an extraction limit (:class:`ExtractionLimits`)."""


class UnverifiedDownloadWarning(UserWarning):
    """A file was downloaded without a checksum to verify it against."""


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

    Without ``checksum`` nothing can verify the result: an :class:`UnverifiedDownloadWarning` says
    so, an existing ``.part`` is discarded instead of resumed, and a transfer cut short resumes only
    with ``If-Range``, so that a server whose file changed sends it whole again.
    """
    dest = os.fspath(dest)
    os.makedirs(os.path.dirname(os.path.abspath(dest)), exist_ok=True)
    part = dest + ".part"
    source = resolve_url(url)
    retries = RETRIES if retries is None else retries
    backoff = RETRY_BACKOFF if backoff is None else backoff
    verified = bool(checksum)
    if not verified:
        warnings.warn(f"downloading {source} to {dest} without a checksum: the file is unverified",
                      UnverifiedDownloadWarning, stacklevel=2)
        if os.path.exists(part):  # from an earlier run: nothing shows it is part of this file
            os.remove(part)
    stale_possible = os.path.exists(part)  # left by an earlier run, perhaps of a file since replaced
    while True:
        _fetch_with_retries(source, part, dest, progress=progress, timeout=timeout, retries=retries, backoff=backoff,
                            if_range=not verified)
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


def _fetch_with_retries(source: str, part: str, dest: str, *, progress: bool, timeout: float, retries: int, backoff: float,
                        if_range: bool = False) -> None:
    attempt = 0
    # With if_range, the validator (ETag or Last-Modified) of the response that started ``part``:
    # without one, a cut transfer restarts from zero.
    validator: Optional[Dict[str, Optional[str]]] = {} if if_range else None
    while True:
        try:
            _fetch_into(source, part, progress=progress, timeout=timeout, label=os.path.basename(dest), validator=validator)
            return
        except Exception as err:  # noqa: BLE001 - classify, then retry or re-raise
            attempt += 1
            if not _is_transient(err) or attempt > retries:
                raise RuntimeError(f"downloading {source} to {dest} failed after {attempt} attempt(s): {err}") from err
            time.sleep(backoff * 2 ** (attempt - 1))


def _validator_of(response) -> Optional[str]:
    """What ``If-Range`` can quote for this response: a strong ETag, else Last-Modified (RFC 9110 13.1.5)."""
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return response.headers.get("Last-Modified")


def _fetch_into(url: str, part: str, *, progress: bool, timeout: float, label: str,
                validator: Optional[Dict[str, Optional[str]]] = None) -> None:
    """One attempt: append to ``part`` from where it stops (Range), or restart if unsupported.

    With a ``validator`` dict (unverified downloads), resuming needs the validator of the response
    that began ``part``, sent as ``If-Range``: a server whose file changed then answers 200 with the
    whole file, which replaces ``part``.
    """
    have = os.path.getsize(part) if os.path.exists(part) else 0
    if validator is not None and not validator.get("value"):
        have = 0  # nothing shows the bytes we have belong to what the server sends now
    request = urllib.request.Request(url, headers={"User-Agent": "torchsound"})
    if have:
        request.add_header("Range", f"bytes={have}-")
        if validator is not None:
            request.add_header("If-Range", validator["value"])
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have and validator is None:  # nothing left to fetch: the part file is already whole
            return
        raise
    with response:
        if have and response.status != 206:  # server ignored Range (or the file changed): start over
            have = 0
        if validator is not None and not have:
            validator["value"] = _validator_of(response)
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

LIMIT_ENV = {"max_entries": "TORCHSOUND_EXTRACT_MAX_ENTRIES", "max_bytes": "TORCHSOUND_EXTRACT_MAX_BYTES",
             "max_ratio": "TORCHSOUND_EXTRACT_MAX_RATIO"}


@dataclass(frozen=True)
class ExtractionLimits:
    """What one archive may expand to; passing a limit stops extraction with :class:`UnsafeArchiveError`.

    The defaults are far above every corpus torchsound downloads (the largest archives hold a few
    hundred thousand files and expand at most a few times) and far below what an archive bomb does.
    Each limit is overridden by the argument of the same name of :func:`extract_archive`, else by an
    environment variable: ``TORCHSOUND_EXTRACT_MAX_ENTRIES``, ``TORCHSOUND_EXTRACT_MAX_BYTES``,
    ``TORCHSOUND_EXTRACT_MAX_RATIO``.

    Args:
        max_entries: files, folders and links in the archive.
        max_bytes: total size of the extracted files.
        max_ratio: extracted size over the archive file's size; checked once the extracted size
            passes ``ratio_floor`` bytes (small archives of text compress far better than audio).
        ratio_floor: extracted bytes always allowed whatever the ratio.
    """

    max_entries: int = 5_000_000
    max_bytes: int = 8 << 40  # 8 TiB
    max_ratio: float = 200.0
    ratio_floor: int = 256 << 20  # 256 MiB

    @classmethod
    def resolve(cls, **given) -> "ExtractionLimits":
        """The defaults, overridden by the environment, overridden by ``given`` values that are not None."""
        values = {}
        for name, env in LIMIT_ENV.items():
            value = given.get(name)
            if value is None and os.environ.get(env, "").strip():
                raw = os.environ[env].strip()
                try:
                    value = float(raw) if name == "max_ratio" else int(raw)
                except ValueError:
                    raise ValueError(f"environment variable {env} must be a number, got {raw!r}") from None
            if value is not None:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ValueError(f"extract_archive: {name} must be a positive number, got {value!r}")
                values[name] = value
        return cls(**values)


class _Budget:
    """Counts entries and bytes as an archive is read, raising as soon as a limit is passed."""

    def __init__(self, archive: str, limits: ExtractionLimits):
        self.archive, self.limits = archive, limits
        self.archive_size = max(os.path.getsize(archive), 1)
        self.entries = self.bytes = 0

    def add(self, size: int) -> None:
        lim = self.limits
        self.entries += 1
        self.bytes += max(size, 0)
        if self.entries > lim.max_entries:
            self._stop(f"more than {lim.max_entries} entries", "max_entries")
        if self.bytes > lim.max_bytes:
            self._stop(f"more than {lim.max_bytes} bytes once extracted", "max_bytes")
        if self.bytes > lim.ratio_floor and self.bytes > lim.max_ratio * self.archive_size:
            self._stop(f"more than {lim.max_ratio:g} times its own size ({self.archive_size} bytes) once extracted "
                       "(an archive bomb?)", "max_ratio")

    def _stop(self, what: str, name: str) -> None:
        raise UnsafeArchiveError(f"{self.archive}: the archive expands to {what}; extraction stopped. If the archive "
                                 f"is trusted, raise the limit: extract_archive(..., {name}=...) or the environment "
                                 f"variable {LIMIT_ENV[name]}")



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


def _safe_tar_members(tar: tarfile.TarFile, archive: str, budget: _Budget) -> list:
    members = []
    for member in tar:  # read one header at a time, so that a bomb stops early
        budget.add(member.size if member.isfile() else 0)
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


def _extract_tar_checked(tar: tarfile.TarFile, dest: str, archive: str, budget: _Budget) -> None:
    members = _safe_tar_members(tar, archive, budget)  # every name and size checked before anything is written
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


def _extract_zip_checked(zf: zipfile.ZipFile, dest: str, archive: str, budget: _Budget) -> None:
    infos = zf.infolist()
    links = {}
    for info in infos:  # every name and size checked before anything is written
        # zipfile stops each file at its declared size and checks its CRC, so a lie surfaces as damage.
        budget.add(info.file_size)
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


def extract_archive(archive: Union[str, os.PathLike], target: Union[str, os.PathLike, None] = None, *,
                    max_entries: Optional[int] = None, max_bytes: Optional[int] = None,
                    max_ratio: Optional[float] = None) -> str:
    """Extract a tar (any compression) or zip ``archive`` into ``target`` (default: its folder).

    Every entry is checked first; nothing is written when one is unsafe or the archive passes a
    limit (``max_entries``, ``max_bytes``, ``max_ratio``: see :class:`ExtractionLimits`; None takes the
    environment's value or the default). The files land in a temporary folder next to ``target``
    and are renamed into place at the end; a new ``target`` gets the permissions the umask gives a
    new folder. Returns ``target``.
    """
    archive = os.fspath(archive)
    target = os.path.abspath(os.fspath(target) if target is not None else os.path.dirname(os.path.abspath(archive)))
    budget = _Budget(archive, ExtractionLimits.resolve(max_entries=max_entries, max_bytes=max_bytes, max_ratio=max_ratio))
    # The temporary folder sits next to the target (same file system) so the final step is a rename;
    # a target that does not exist yet only appears once it is complete.
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".extracting-{secrets.token_hex(6)}")
    os.mkdir(tmp, 0o777)  # not mkdtemp's 0700: the umask decides, as for any new folder
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                _extract_zip_checked(zf, tmp, archive, budget)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tar:
                _extract_tar_checked(tar, tmp, archive, budget)
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
    tmp = os.path.join(folder, f".joining-{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)  # umask decides
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
