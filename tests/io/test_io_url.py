"""http(s):// sources for load, info and StreamReader, against a server the test starts on 127.0.0.1."""

import functools
import http.server
import socket
import threading
import time

import pytest
import soundfile
import torch

import torchsound
from conftest import make_sweep
from torchsound.io import StreamReader
from torchsound.io._source import AudioFileError


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("www")
    x = make_sweep(0.5, 16000, f0=100, f1=4000).float().repeat(2, 1) * 0.5
    for fmt in ("wav", "flac", "mp3"):
        torchsound.save(folder / f"x.{fmt}", x, 16000)
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the folder; /half-close/NAME and /half-stall/NAME send half of NAME (with its full length announced),
    then close the connection or go silent for 3 s: a network failing mid-stream."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        kind, _, name = self.path.strip("/").partition("/")
        if kind not in ("half-close", "half-stall"):
            return super().do_GET()
        data = open(f"{self.directory}/{name}", "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        if kind == "half-stall":
            time.sleep(3)


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_load_and_info_from_url_equal_the_file(server, fmt):
    folder, base = server
    url = f"{base}/x.{fmt}"
    got, sr = torchsound.load(url)
    expected = soundfile.read(str(folder / f"x.{fmt}"), dtype="float32", always_2d=True)[0]
    assert sr == 16000
    if fmt == "mp3":  # the reference decoder for MP3 here is our own path load (libsndfile's MP3 length differs)
        expected = torchsound.load(folder / f"x.{fmt}")[0].T.numpy()
    torch.testing.assert_close(got, torch.from_numpy(expected).T, rtol=0, atol=0)
    meta = torchsound.info(url)
    assert (meta.sample_rate, meta.num_channels, meta.num_frames) == (16000, 2, got.shape[1])


def test_stream_reader_from_url(server):
    folder, base = server
    reader = StreamReader(f"{base}/x.flac")
    reader.add_basic_audio_stream(frames_per_chunk=1000)
    out = torch.cat([c for (c,) in reader.stream()])
    expected = soundfile.read(str(folder / "x.flac"), dtype="float32")[0]
    torch.testing.assert_close(out, torch.from_numpy(expected), rtol=0, atol=0)


def test_not_found_names_the_url_and_status(server):
    _, base = server
    with pytest.raises(AudioFileError, match=r"/missing\.wav: the server answered HTTP 404"):
        torchsound.load(f"{base}/missing.wav")
    with pytest.raises(AudioFileError, match=r"/missing\.wav: cannot open with FFmpeg .*404 Not Found"):
        StreamReader(f"{base}/missing.wav")  # FFmpeg streams the URL itself


def test_network_down_is_a_clear_error():
    with socket.socket() as s:  # a port nobody listens on: connection refused, as with the network down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(AudioFileError, match=r"cannot connect .*is the network up\?"):
        torchsound.info(f"http://127.0.0.1:{port}/x.wav")


def test_silent_server_times_out(monkeypatch):
    # Listens but never answers: the read must give up after TORCHSOUND_HTTP_TIMEOUT seconds.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        monkeypatch.setenv("TORCHSOUND_HTTP_TIMEOUT", "0.5")
        with pytest.raises(AudioFileError, match=r"no answer within 0\.5 s"):
            torchsound.load(f"http://127.0.0.1:{s.getsockname()[1]}/x.wav")
        with pytest.raises(AudioFileError, match=r"x\.wav: cannot open with FFmpeg .*timed out"):
            StreamReader(f"http://127.0.0.1:{s.getsockname()[1]}/x.wav")  # FFmpeg's rw_timeout, from the same setting
    monkeypatch.setenv("TORCHSOUND_HTTP_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="TORCHSOUND_HTTP_TIMEOUT must be a positive number"):
        torchsound.load("http://127.0.0.1:1/x.wav")


@pytest.mark.parametrize("kind", ["half-close", "half-stall"])
def test_stream_reader_url_failing_midway_raises(server, kind, monkeypatch):
    # StreamReader hands the URL to FFmpeg (streamed as it arrives): a connection that breaks or goes silent
    # halfway is an error naming the URL and the position, never a silently shorter stream.
    monkeypatch.setenv("TORCHSOUND_HTTP_TIMEOUT", "0.5")
    _, base = server
    url = f"{base}/{kind}/x.wav"
    with pytest.raises(AudioFileError, match=rf"{url}: decoding failed at frame \d+ "):
        reader = StreamReader(url)
        reader.add_basic_audio_stream(frames_per_chunk=1000)
        for _ in reader.stream():
            pass
    with pytest.raises(AudioFileError, match=rf"{url}: "):  # load/info: the same URL fetched whole
        torchsound.load(url)
