"""Where pretrained weights live and how they are fetched and loaded: offline first, verified, safe.

Files are looked up where torch.hub and torchaudio put them, so weights a torchaudio user already
has are found without any download:

- checkpoints fetched with ``torch.hub.load_state_dict_from_url``:
  ``<torch.hub.get_dir()>/checkpoints/<file name of the URL>``;
- torchaudio assets (``torchaudio.utils.download_asset``): ``<torch.hub.get_dir()>/torchaudio/<key>``;

where ``torch.hub.get_dir()`` is ``$TORCH_HOME/hub`` (``$TORCH_HOME`` defaults to
``$XDG_CACHE_HOME/torch``, then ``~/.cache/torch``) unless ``torch.hub.set_dir`` changed it.

A missing file is downloaded through the datasets' downloader (progress bar, resume, checksum,
atomic rename). Without network the first attempt fails and :class:`WeightsNotFoundError` says
which file is needed, its URL and where to put it: there is no long retry loop. Files are read
with ``torch.load(..., weights_only=True)``: a pickle that would run code is refused
(:class:`UnsafeCheckpointError`) before any of it runs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import urllib.error
import urllib.parse
import warnings
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

import torch

from ..datasets import _download

__all__ = [
    "TORCHAUDIO_URL",
    "WeightsNotFoundError",
    "UnsafeCheckpointError",
    "torch_home",
    "hub_dir",
    "checkpoint_path",
    "asset_path",
    "fetch_checkpoint",
    "fetch_asset",
    "load_state_dict",
    "load_checkpoint_from_url",
    "load_asset_state_dict",
    "load_state_dict_with_dl_kwargs",
    "record_fetches",
]

TORCHAUDIO_URL = "https://download.pytorch.org/torchaudio"

# Seconds the first connection attempt may take: long enough for a slow server, short enough that
# a machine without network learns it at once. Later attempts (after bytes arrived) use the
# downloader's own timeout and retries.
CONNECT_TIMEOUT = 10.0


class WeightsNotFoundError(FileNotFoundError):
    """A weights file is not in the cache and could not be downloaded.

    The message names the file, the URL to download it from and the path to put it at.
    """


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint file holds a pickle that ``torch.load(weights_only=True)`` refuses (it would run code)."""


# --------------------------------------------------------------------------- locations


def torch_home() -> Path:
    """``$TORCH_HOME``, else ``$XDG_CACHE_HOME/torch``, else ``~/.cache/torch`` (read at each call)."""
    home = os.environ.get("TORCH_HOME")
    if not home:
        home = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache")), "torch")
    return Path(os.path.expanduser(home))


def hub_dir() -> Path:
    """torch.hub's folder: ``torch.hub.get_dir()`` (``torch_home()/hub`` unless ``torch.hub.set_dir`` was called)."""
    import torch.hub

    return Path(torch.hub.get_dir())


def _url_file_name(url: str) -> str:
    if not isinstance(url, str) or not url:
        raise ValueError(f"`url` must be a non-empty string, got {url!r}")
    name = os.path.basename(urllib.parse.urlparse(url).path)
    if not name or name in (".", ".."):
        raise ValueError(f"`url` must end with a file name, got {url!r}")
    return name


def checkpoint_path(url: str, *, model_dir: Union[str, os.PathLike, None] = None, file_name: Optional[str] = None) -> Path:
    """Where ``torch.hub.load_state_dict_from_url(url)`` keeps ``url``'s file.

    ``<hub_dir()>/checkpoints/<file name of the URL path>``; ``model_dir`` and ``file_name`` replace the
    folder and the name as they do for ``load_state_dict_from_url``.
    """
    name = _url_file_name(url) if file_name is None else _check_file_name(file_name)
    folder = Path(os.fspath(model_dir)) if model_dir is not None else hub_dir() / "checkpoints"
    return folder / name


def _check_file_name(file_name: str) -> str:
    if not isinstance(file_name, str) or not file_name or os.path.basename(file_name) != file_name or file_name in (".", ".."):
        raise ValueError(f"`file_name` must be a plain file name, got {file_name!r}")
    return file_name


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"`key` must be a non-empty string such as 'models/conv_tasnet_base_libri2mix.pt', got {key!r}")
    parts = key.replace("\\", "/").split("/")
    if key.startswith("/") or ".." in parts or "" in parts:
        raise ValueError(f"`key` must be a relative path without '..' or empty parts, got {key!r}")
    return key


def asset_path(key: str) -> Path:
    """Where ``torchaudio.utils.download_asset(key)`` keeps the asset: ``<hub_dir()>/torchaudio/<key>``."""
    return hub_dir() / "torchaudio" / Path(_check_key(key))


def asset_url(key: str) -> str:
    """The URL torchaudio publishes asset ``key`` at."""
    return f"{TORCHAUDIO_URL}/{_check_key(key)}"


# --------------------------------------------------------------------------- fetching


def _not_found(path: Path, url: str, reason: str) -> WeightsNotFoundError:
    return WeightsNotFoundError(
        f"{path.name} is not in the cache and could not be downloaded ({reason}). "
        f"Download {url} and place it at {path}"
    )


def _reason(err: BaseException) -> str:
    cause = err.__cause__ if isinstance(err, RuntimeError) and err.__cause__ is not None else err
    if isinstance(cause, urllib.error.HTTPError):
        return f"HTTP {cause.code} {cause.reason}"
    if isinstance(cause, urllib.error.URLError):
        return f"no connection: {cause.reason}"
    return f"{type(cause).__name__}: {cause}"


class _Recorded(Exception):
    """Raised by a fetch inside :func:`record_fetches`, once the file's URL and path are noted."""


_recording: Optional[list] = None


@contextlib.contextmanager
def record_fetches():
    """Note, instead of fetching, the files that code inside asks for: a list of ``(url, path, cached)``.

    Each fetch inside the block appends its entry and raises an internal exception that stops the calling
    method (catch it with ``except Exception``); nothing is downloaded or loaded. Used by ``torchsound weights``
    to say where a bundle's files go.
    """
    global _recording
    saved, _recording = _recording, []
    try:
        yield _recording
    finally:
        _recording = saved


def _fetch(url: str, path: Path, sha256: Optional[str], progress: bool) -> Path:
    if _recording is not None:
        _recording.append((url, path, path.is_file()))
        raise _Recorded(f"{path.name}: noted, not fetched")
    if path.is_file():
        _download.verify_checksum(path, sha256)
        return path
    part = Path(str(path) + ".part")
    # The downloader warns that a file without a checksum is unverified: said once the file has arrived
    # (an offline user gets the one error below, not a warning about a download that never happened).
    with warnings.catch_warnings(record=True) as unverified:  # (and any other warning, passed on below)
        warnings.simplefilter("always", _download.UnverifiedDownloadWarning)
        try:
            # One quick attempt: a machine without network (or a server without the file) fails here.
            _download.download_file(url, path, checksum=sha256, progress=progress, retries=0, timeout=CONNECT_TIMEOUT)
        except _download.ChecksumError:
            raise
        except (RuntimeError, OSError) as first:
            if not part.exists() or not _download._is_transient(first.__cause__ or first):
                raise _not_found(path, url, _reason(first)) from first
            # The transfer had begun: a dropped connection is worth the downloader's retries and resume.
            try:
                _download.download_file(url, path, checksum=sha256, progress=progress)
            except _download.ChecksumError:
                raise
            except (RuntimeError, OSError) as err:
                raise _not_found(path, url, _reason(err)) from err
    said = False
    for record in unverified:
        if not issubclass(record.category, _download.UnverifiedDownloadWarning):
            warnings.warn_explicit(record.message, record.category, record.filename, record.lineno)
        elif not said:
            said = True
            warnings.warn(f"{path.name} was downloaded from {url} without a checksum: the file is unverified",
                          _download.UnverifiedDownloadWarning, stacklevel=3)
    return path


def fetch_checkpoint(
    url: str,
    *,
    sha256: Optional[str] = None,
    progress: bool = True,
    model_dir: Union[str, os.PathLike, None] = None,
    file_name: Optional[str] = None,
) -> Path:
    """The local file for checkpoint ``url``: the cached one (verified when ``sha256`` is given), else downloaded.

    Args:
        url: the published file's URL (overrides from ``torchsound.datasets._download.set_url_override`` apply).
        sha256: its sha256 (or a prefix); None skips the check.
        progress: show a progress bar while downloading.
        model_dir, file_name: as for ``torch.hub.load_state_dict_from_url``.

    Raises:
        WeightsNotFoundError: not cached and the download failed (names the file, the URL and the path).
        ChecksumError: the file does not match ``sha256``.

    Shape:
        Not applicable (returns a path).
    """
    return _fetch(url, checkpoint_path(url, model_dir=model_dir, file_name=file_name), sha256, progress)


def fetch_asset(key: str, *, sha256: Optional[str] = None, progress: bool = True) -> Path:
    """The local file for torchaudio asset ``key`` (e.g. ``"models/conv_tasnet_base_libri2mix.pt"``), fetched if needed.

    Same rules as :func:`fetch_checkpoint`; the URL is ``f"{TORCHAUDIO_URL}/{key}"``.

    Shape:
        Not applicable (returns a path).
    """
    return _fetch(asset_url(key), asset_path(key), sha256, progress)


# --------------------------------------------------------------------------- loading


def load_state_dict(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """``torch.load(path, map_location="cpu", weights_only=True)``, with errors that name the file.

    Raises:
        UnsafeCheckpointError: the file holds a pickle that would run code (nothing of it runs).
        WeightsNotFoundError: the file does not exist.
        RuntimeError: the file is not a readable checkpoint.

    Shape:
        Not applicable (returns the stored object, usually a ``{name: tensor}`` dict).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise WeightsNotFoundError(f"{path}: no such checkpoint file")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(err)
        if "global" not in reason.lower():  # no refused class or function: a damaged or foreign file
            raise RuntimeError(f"{path}: not a readable checkpoint ({reason})") from None
        raise UnsafeCheckpointError(
            f"{path}: refused to load: the file holds objects that torch.load(weights_only=True) does not allow, "
            f"and loading them would run code from the file ({reason}). Load it yourself only if you trust its source"
        ) from None
    except (RuntimeError, EOFError, ValueError, OSError) as err:
        raise RuntimeError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err})") from err


def _unpickler_reason(err: BaseException) -> str:
    """The line of torch's long weights_only message that says what was refused."""
    text = str(err)
    at = text.find("WeightsUnpickler error:")
    if at < 0:
        return text.strip().splitlines()[0] if text.strip() else type(err).__name__
    rest = text[at + len("WeightsUnpickler error:"):].strip()
    return rest.split("\n\n")[0].strip().split(". Please use")[0]


def load_checkpoint_from_url(url: str, *, sha256: Optional[str] = None, progress: bool = True,
                             model_dir: Union[str, os.PathLike, None] = None, file_name: Optional[str] = None) -> Dict[str, Any]:
    """``load_state_dict(fetch_checkpoint(url, ...))``."""
    return load_state_dict(fetch_checkpoint(url, sha256=sha256, progress=progress, model_dir=model_dir, file_name=file_name))


def load_asset_state_dict(key: str, *, sha256: Optional[str] = None, progress: bool = True) -> Dict[str, Any]:
    """``load_state_dict(fetch_asset(key, ...))``."""
    return load_state_dict(fetch_asset(key, sha256=sha256, progress=progress))


# The keywords torchaudio's ``get_model(dl_kwargs=...)`` passes on to torch.hub.load_state_dict_from_url.
_DL_KWARGS = ("model_dir", "map_location", "progress", "check_hash", "file_name", "weights_only")
_HASH_IN_NAME = re.compile(r"-([a-f0-9]*)\.")  # torch.hub.HASH_REGEX: "name-<sha256 prefix>.ext"


def load_state_dict_with_dl_kwargs(url: str, dl_kwargs: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Load checkpoint ``url`` taking torchaudio's ``dl_kwargs`` (torch.hub.load_state_dict_from_url's keywords).

    ``model_dir``, ``file_name``, ``progress`` and ``map_location`` act as in torch.hub; ``check_hash`` verifies
    the sha256 prefix in the file name (``name-<hash>.ext``); ``weights_only=False`` is refused (weights are
    always loaded with ``weights_only=True``).
    """
    kwargs = dict(dl_kwargs or {})
    unknown = sorted(set(kwargs) - set(_DL_KWARGS))
    if unknown:
        raise TypeError(f"`dl_kwargs` accepts {', '.join(_DL_KWARGS)}; got unexpected {', '.join(unknown)}")
    if kwargs.get("weights_only", True) is not True:
        raise ValueError("`dl_kwargs['weights_only']` must be True: torchsound loads weights with weights_only=True only")
    sha256 = None
    if kwargs.get("check_hash"):
        name = kwargs.get("file_name") or _url_file_name(url)
        match = _HASH_IN_NAME.search(name)
        sha256 = match.group(1) if match and match.group(1) else None
    state = load_checkpoint_from_url(url, sha256=sha256, progress=kwargs.get("progress", True),
                                     model_dir=kwargs.get("model_dir"), file_name=kwargs.get("file_name"))
    map_location = kwargs.get("map_location")
    if map_location is not None:
        state = _move(state, map_location)
    return state


def _move(obj: Any, map_location: Any) -> Any:
    if isinstance(map_location, (str, torch.device)):
        if isinstance(obj, torch.Tensor):
            return obj.to(map_location)
        if isinstance(obj, dict):
            return type(obj)((k, _move(v, map_location)) for k, v in obj.items())
        if isinstance(obj, (list, tuple)):
            return type(obj)(_move(v, map_location) for v in obj)
        return obj
    raise TypeError(f"`dl_kwargs['map_location']` must be a device or a device string, got {type(map_location).__name__}")
