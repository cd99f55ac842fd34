"""The weights loader: torch.hub's and torchaudio's cache paths, downloads from a 127.0.0.1 server
(progress, resume, checksum, atomic write), the fast offline error, and weights_only refusal of pickled code."""

from __future__ import annotations

import hashlib
import os
import pickle
import warnings
from pathlib import Path

import pytest
import torch
import torch.hub
from _dataset_fixtures import server  # noqa: F401  (127.0.0.1 file server fixture)

from torchsound.datasets import _download
from torchsound.pipelines import _assets

WAV2VEC2_URL = f"{_assets.TORCHAUDIO_URL}/models/wav2vec2_fairseq_base_ls960.pth"


def _state():
    g = torch.Generator().manual_seed(1)
    return {"a.weight": torch.randn(3, 4, generator=g), "b.bias": torch.randn(5, generator=g, dtype=torch.float64)}


def _bytes_of(state) -> bytes:
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def _assert_state_equal(actual, expected):
    assert list(actual) == list(expected)
    for k in expected:
        torch.testing.assert_close(actual[k], expected[k], rtol=0, atol=0)


# --------------------------------------------------------------------------- locations


def test_torch_home_follows_torch_hub_conventions(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert _assets.torch_home() == Path(torch.hub._get_torch_home()) == tmp_path / "th"
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert _assets.torch_home() == Path(torch.hub._get_torch_home()) == tmp_path / "xdg" / "torch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _assets.torch_home() == Path(torch.hub._get_torch_home()) == tmp_path / "home" / ".cache" / "torch"
    assert _assets.hub_dir() == Path(torch.hub.get_dir()) == _assets.torch_home() / "hub"


def test_hub_set_dir_is_followed(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    torch.hub.set_dir(str(tmp_path / "elsewhere"))
    assert _assets.checkpoint_path(WAV2VEC2_URL) == tmp_path / "elsewhere" / "checkpoints" / "wav2vec2_fairseq_base_ls960.pth"
    assert _assets.asset_path("models/x.pt") == tmp_path / "elsewhere" / "torchaudio" / "models" / "x.pt"


def test_checkpoint_path_is_where_torch_hub_finds_the_file(torch_home, dead_url):
    # torch.hub loads a file already at its cache path without downloading; the URL points at a closed
    # port, so it can only succeed if our path is torch.hub's.
    url = f"{dead_url}/models/some_model.pth?download=1"
    path = _assets.checkpoint_path(url)
    assert path == torch_home / "hub" / "checkpoints" / "some_model.pth"
    path.parent.mkdir(parents=True)
    torch.save(_state(), path)
    _assert_state_equal(torch.hub.load_state_dict_from_url(url, weights_only=True), _state())
    _assert_state_equal(_assets.load_checkpoint_from_url(url), _state())
    # torch.hub's model_dir / file_name keywords
    other = torch_home / "mine"
    path2 = _assets.checkpoint_path(url, model_dir=other, file_name="renamed.pt")
    assert path2 == other / "renamed.pt"
    other.mkdir()
    torch.save(_state(), path2)
    _assert_state_equal(torch.hub.load_state_dict_from_url(url, model_dir=str(other), file_name="renamed.pt", weights_only=True), _state())
    _assert_state_equal(_assets.load_state_dict_with_dl_kwargs(url, {"model_dir": str(other), "file_name": "renamed.pt"}), _state())


def test_asset_path_is_torchaudios(torch_home, torchaudio28):
    key = "models/conv_tasnet_base_libri2mix.pt"
    path = _assets.asset_path(key)
    assert path == torch_home / "hub" / "torchaudio" / "models" / "conv_tasnet_base_libri2mix.pt"
    assert path == torchaudio28.utils.download._get_local_path(key)
    torch.save(_state(), path)  # _get_local_path made the folder
    # torchaudio's download_asset returns a cached file without fetching (the network is unreachable here)
    with pytest.warns(UserWarning):
        assert Path(torchaudio28.utils.download_asset(key)) == path
    assert _assets.fetch_asset(key) == path
    _assert_state_equal(_assets.load_asset_state_dict(key), _state())
    assert _assets.asset_url(key) == f"https://download.pytorch.org/torchaudio/{key}"


@pytest.mark.parametrize("key", ["", "/etc/passwd", "models/../../x", "a//b", 3])
def test_bad_asset_keys(torch_home, key):
    with pytest.raises(ValueError, match="`key` must be"):
        _assets.asset_path(key)


@pytest.mark.parametrize("url", ["", "https://host/", "https://host/dir/.."])
def test_bad_urls(torch_home, url):
    with pytest.raises(ValueError, match="`url` must"):
        _assets.checkpoint_path(url)


def test_bad_file_name(torch_home):
    with pytest.raises(ValueError, match="`file_name` must be a plain file name"):
        _assets.checkpoint_path(WAV2VEC2_URL, file_name="../x.pt")


# --------------------------------------------------------------------------- downloads


def test_download_writes_the_cache_once_with_progress(torch_home, server, capsys):  # noqa: F811
    data = _bytes_of(_state())
    _download.set_url_override(WAV2VEC2_URL, server.add("w.pth", data))
    path = _assets.fetch_checkpoint(WAV2VEC2_URL, sha256=hashlib.sha256(data).hexdigest())
    assert path == torch_home / "hub" / "checkpoints" / "wav2vec2_fairseq_base_ls960.pth"
    assert path.read_bytes() == data
    assert "wav2vec2_fairseq_base_ls960.pth" in capsys.readouterr().err  # tqdm's bar is labelled with the file
    assert os.listdir(path.parent) == [path.name]  # no .part left behind
    _assert_state_equal(_assets.load_checkpoint_from_url(WAV2VEC2_URL), _state())  # from the cache
    assert len(server.requests_for("w.pth")) == 1


def test_asset_download(torch_home, server):  # noqa: F811
    key = "pipeline-assets/some_file.pt"
    data = _bytes_of(_state())
    _download.set_url_override(f"{_assets.TORCHAUDIO_URL}/{key}", server.add("asset.pt", data))
    with pytest.warns(_download.UnverifiedDownloadWarning, match="some_file.pt was downloaded from .* without a checksum") as seen:
        _assert_state_equal(_assets.load_asset_state_dict(key, progress=False), _state())
    assert len([w for w in seen if issubclass(w.category, _download.UnverifiedDownloadWarning)]) == 1
    assert _assets.asset_path(key).read_bytes() == data


def test_cut_transfer_resumes(torch_home, server):  # noqa: F811
    data = os.urandom(200_000)
    _download.set_url_override(WAV2VEC2_URL, server.add("w.pth", data))
    server.truncate_once("w.pth", 60_000)
    path = _assets.fetch_checkpoint(WAV2VEC2_URL, sha256=hashlib.sha256(data).hexdigest(), progress=False)
    assert path.read_bytes() == data
    ranges = server.requests_for("w.pth")
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")
    assert 0 < int(ranges[1][6:].rstrip("-")) <= 60_000


def test_checksum_mismatch_leaves_nothing(torch_home, server):  # noqa: F811
    _download.set_url_override(WAV2VEC2_URL, server.add("w.pth", b"not the published file"))
    with pytest.raises(_download.ChecksumError, match="sha256 checksum mismatch"):
        _assets.fetch_checkpoint(WAV2VEC2_URL, sha256="ab" * 32, progress=False)
    folder = torch_home / "hub" / "checkpoints"
    assert not folder.exists() or os.listdir(folder) == []


def test_cached_file_is_verified_when_a_checksum_is_given(torch_home):
    path = _assets.checkpoint_path(WAV2VEC2_URL)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"something else")
    with pytest.raises(_download.ChecksumError, match="wav2vec2_fairseq_base_ls960.pth"):
        _assets.fetch_checkpoint(WAV2VEC2_URL, sha256="ab" * 32)
    assert _assets.fetch_checkpoint(WAV2VEC2_URL, sha256=hashlib.sha256(b"something else").hexdigest()[:10]) == path


def test_check_hash_in_file_name(torch_home):
    url = "https://example.org/weights/model-0123abcd.pth"
    path = _assets.checkpoint_path(url)
    path.parent.mkdir(parents=True)
    torch.save(_state(), path)
    with pytest.raises(_download.ChecksumError, match="0123abcd"):
        _assets.load_state_dict_with_dl_kwargs(url, {"check_hash": True})
    _assert_state_equal(_assets.load_state_dict_with_dl_kwargs(url, {"check_hash": False, "progress": False}), _state())


def test_dl_kwargs_errors(torch_home):
    with pytest.raises(TypeError, match="unexpected hash_prefix"):
        _assets.load_state_dict_with_dl_kwargs(WAV2VEC2_URL, {"hash_prefix": "x"})
    with pytest.raises(ValueError, match="weights_only"):
        _assets.load_state_dict_with_dl_kwargs(WAV2VEC2_URL, {"weights_only": False})


def _count_attempts(monkeypatch):
    """Count connection attempts; fail the test if the downloader would sleep before a retry."""
    attempts = []
    real = _download._fetch_into

    def counting(*args, **kwargs):
        attempts.append(args[0])
        return real(*args, **kwargs)

    def no_sleep(seconds):
        raise AssertionError(f"the downloader slept {seconds} s before a retry: offline must fail at once")

    monkeypatch.setattr(_download, "_fetch_into", counting)
    monkeypatch.setattr(_download.time, "sleep", no_sleep)
    return attempts


def test_offline_fails_at_once_naming_file_url_and_path(torch_home, monkeypatch):
    attempts = _count_attempts(monkeypatch)
    path = torch_home / "hub" / "checkpoints" / "wav2vec2_fairseq_base_ls960.pth"
    with pytest.raises(_assets.WeightsNotFoundError) as info, warnings.catch_warnings():
        warnings.simplefilter("error")  # the error alone: no warning about an unverified download that never happened
        _assets.load_checkpoint_from_url(WAV2VEC2_URL)
    message = str(info.value)
    assert message.startswith("wav2vec2_fairseq_base_ls960.pth is not in the cache and could not be downloaded (no connection")
    assert f"Download {WAV2VEC2_URL} and place it at {path}" in message
    assert isinstance(info.value, FileNotFoundError)
    assert len(attempts) == 1 and attempts[0].startswith("http://127.0.0.1:")  # one try, at the closed port
    assert not path.exists() and not Path(str(path) + ".part").exists()


def test_offline_asset_error(torch_home, monkeypatch):
    attempts = _count_attempts(monkeypatch)
    key = "models/conv_tasnet_base_libri2mix.pt"
    with pytest.raises(_assets.WeightsNotFoundError, match=r"conv_tasnet_base_libri2mix.pt is not in the cache .* Download "
                       r"https://download.pytorch.org/torchaudio/models/conv_tasnet_base_libri2mix.pt and place it at .*"
                       r"hub/torchaudio/models/conv_tasnet_base_libri2mix.pt"):
        _assets.fetch_asset(key, progress=False)
    assert len(attempts) == 1


def test_missing_on_server_is_not_retried(torch_home, server, monkeypatch):  # noqa: F811
    attempts = _count_attempts(monkeypatch)
    _download.set_url_override(WAV2VEC2_URL, f"{server.base}/missing.pth")
    with pytest.raises(_assets.WeightsNotFoundError, match=r"could not be downloaded \(HTTP 404"):
        _assets.fetch_checkpoint(WAV2VEC2_URL, sha256="ab" * 32, progress=False)
    assert len(attempts) == 1 and len(server.requests_for("missing.pth")) == 1


# --------------------------------------------------------------------------- safe loading


class _Payload:
    """Unpickling this runs code: it writes a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "code ran"))


def test_pickled_code_is_refused_and_never_runs(torch_home):
    marker = torch_home / "marker.txt"
    path = _assets.checkpoint_path(WAV2VEC2_URL)
    path.parent.mkdir(parents=True)
    torch.save({"weight": torch.zeros(2), "evil": _Payload(marker)}, path)
    assert not marker.exists()
    with pytest.raises(_assets.UnsafeCheckpointError, match=r"wav2vec2_fairseq_base_ls960.pth: refused to load: .*run code .*Unsupported global"):
        _assets.load_checkpoint_from_url(WAV2VEC2_URL)
    assert not marker.exists()
    # the file really does run code when loaded unsafely: the check above can fail
    torch.load(path, weights_only=False)
    assert marker.read_text() == "code ran"


def test_plain_pickle_with_code_is_refused(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(_Payload(marker), protocol=2))  # torch.load reads protocol 2 pickles
    with pytest.raises(_assets.UnsafeCheckpointError, match="plain.pkl: refused to load"):
        _assets.load_state_dict(path)
    assert not marker.exists()
    pickle.loads(path.read_bytes())
    assert marker.exists()


def test_unreadable_and_missing_files(tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises((RuntimeError,), match=r"bad.pth: not a readable checkpoint \(Unsupported operand"):
        _assets.load_state_dict(bad)
    with pytest.raises(_assets.WeightsNotFoundError, match="nope.pth: no such checkpoint file"):
        _assets.load_state_dict(tmp_path / "nope.pth")


def test_loads_to_cpu_as_torch_load(tmp_path):
    path = tmp_path / "w.pth"
    torch.save(_state(), path)
    _assert_state_equal(_assets.load_state_dict(path), torch.load(path, weights_only=True))


def test_record_fetches_notes_without_fetching(torch_home, monkeypatch):
    attempts = _count_attempts(monkeypatch)
    key = "models/x.pt"
    _assets.asset_path(key).parent.mkdir(parents=True)
    torch.save(_state(), _assets.asset_path(key))
    with _assets.record_fetches() as seen:
        with pytest.raises(Exception, match="noted, not fetched"):
            _assets.load_checkpoint_from_url(WAV2VEC2_URL)
        with pytest.raises(Exception, match="noted, not fetched"):
            _assets.load_asset_state_dict(key)
    assert seen == [(WAV2VEC2_URL, _assets.checkpoint_path(WAV2VEC2_URL), False),
                    (_assets.asset_url(key), _assets.asset_path(key), True)]
    assert attempts == []
    _assert_state_equal(_assets.load_asset_state_dict(key), _state())  # outside the block: loads again
