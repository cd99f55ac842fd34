"""kaldi_io against kaldiio: it writes, we read; we write, it reads. Bit-exact. Plus bad input."""

import io
import os

import kaldiio
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchsound import kaldi_io
from torchsound.kaldi_io import KaldiFormatError


def _matrices(rng):
    return {
        "utt-a": rng.standard_normal((7, 5)).astype(np.float32),
        "utt-b": (rng.standard_normal((1, 3)) * 1e6).astype(np.float64),
        "empty": np.zeros((0, 4), np.float32),
        "utt_c": rng.standard_normal((40, 13)).astype(np.float32) * 10,
    }


def _vectors(rng):
    return {"v1": rng.standard_normal(9).astype(np.float32), "v2": rng.standard_normal(3), "v3": np.zeros(0, np.float32)}


def _ints(rng):
    return {"ali1": rng.integers(-(2**31), 2**31 - 1, 50).astype(np.int32), "ali2": np.zeros(0, np.int32), "x": np.array([7], np.int32)}


def _same(ours: torch.Tensor, theirs: np.ndarray):
    theirs = np.asarray(theirs)
    assert ours.dtype == torch.from_numpy(np.array(theirs)).dtype
    assert ours.shape == theirs.shape
    assert ours.numpy().tobytes() == np.ascontiguousarray(theirs).tobytes()  # bit-exact


# ----------------------------------------------------------------------------- kaldiio writes, we read


@pytest.mark.parametrize("text", [False, True])
def test_read_kaldiio_matrices_and_scp(tmp_path, text):
    data = _matrices(np.random.default_rng(0))
    if text:  # kaldiio reads text back as float32 and cannot write an empty text matrix
        data = {k: v.astype(np.float32) for k, v in data.items() if v.size}
    ark, scp = str(tmp_path / "m.ark"), str(tmp_path / "m.scp")
    kaldiio.save_ark(ark, data, scp=scp, text=text)
    theirs = dict(kaldiio.load_ark(ark))
    ours = list(kaldi_io.read_mat_ark(ark))
    assert [k for k, _ in ours] == list(data)
    for key, value in ours:
        _same(value, theirs[key])
    for key, value in kaldi_io.read_mat_scp(scp):
        _same(value, theirs[key])


@pytest.mark.parametrize("method", [1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("rows", [3, 6, 50])
def test_read_kaldiio_compressed_matrices(tmp_path, method, rows):
    rng = np.random.default_rng(method * 100 + rows)
    values = rng.standard_normal((rows, 11)).astype(np.float32) * 4
    if method == 4:
        values = np.round(values * 1000)
    elif method == 6:
        values = np.minimum(np.round(np.abs(values) * 20), 255)  # unsigned bytes
    elif method == 7:
        values = rng.random((rows, 11)).astype(np.float32)
    ark, scp = str(tmp_path / "c.ark"), str(tmp_path / "c.scp")
    kaldiio.save_ark(ark, {"a": values, "b": values[::-1].copy()}, scp=scp, compression_method=method)
    with open(ark, "rb") as f:
        token = f.read(16).split(b"\0B", 1)[1].split(b" ")[0]
    assert token in (b"CM", b"CM2", b"CM3")
    theirs = dict(kaldiio.load_ark(ark))
    for key, value in kaldi_io.read_mat_ark(ark):
        _same(value, theirs[key])
        np.testing.assert_allclose(value.numpy(), values if key == "a" else values[::-1], atol=float(np.ptp(values)) / 50)
    for key, value in kaldi_io.read_mat_scp(scp):
        _same(value, theirs[key])


def test_read_kaldiio_vectors(tmp_path):
    rng = np.random.default_rng(1)
    vectors, ints = _vectors(rng), _ints(rng)
    kaldiio.save_ark(str(tmp_path / "v.ark"), vectors, scp=str(tmp_path / "v.scp"))
    kaldiio.save_ark(str(tmp_path / "i.ark"), ints)
    for key, value in kaldi_io.read_vec_flt_ark(str(tmp_path / "v.ark")):
        _same(value, vectors[key])
    for key, value in kaldi_io.read_vec_flt_scp(str(tmp_path / "v.scp")):
        _same(value, vectors[key])
    got = list(kaldi_io.read_vec_int_ark(str(tmp_path / "i.ark")))
    assert [k for k, _ in got] == list(ints)
    for key, value in got:
        _same(value, ints[key])


def test_read_kaldiio_text_vectors(tmp_path):
    vec = np.random.default_rng(2).standard_normal(6).astype(np.float32)
    kaldiio.save_ark(str(tmp_path / "v.ark"), {"v": vec, "i": np.arange(4, dtype=np.int32)}, text=True)
    (key, value), = [kv for kv in kaldi_io.read_vec_flt_ark(io.BytesIO((tmp_path / "v.ark").read_bytes().split(b"\n")[0] + b"\n"))]
    assert key == "v" and value.dtype == torch.float64  # text vectors read as float64, like torchaudio
    _same(value.float(), dict(kaldiio.load_ark(str(tmp_path / "v.ark")))["v"])
    ints = dict(kaldi_io.read_vec_int_ark(io.BytesIO(b"i  [ 0 1 2 3 ]\nj 4 5 \nk \n")))
    assert ints["i"].tolist() == [0, 1, 2, 3] and ints["j"].tolist() == [4, 5] and ints["k"].tolist() == []


# ----------------------------------------------------------------------------- we write, kaldiio reads


@pytest.mark.parametrize("binary", [True, False])
def test_kaldiio_reads_our_matrices(tmp_path, binary):
    data = _matrices(np.random.default_rng(3))
    if not binary:
        data = {k: v.astype(np.float32) for k, v in data.items() if v.size}
    ark, scp = tmp_path / "ours.ark", tmp_path / "ours.scp"
    kaldi_io.write_mat_ark(str(ark), {k: torch.from_numpy(v) for k, v in data.items()}, scp=str(scp), binary=binary)
    theirs = list(kaldiio.load_ark(str(ark)))
    assert [k for k, _ in theirs] == list(data)
    for key, value in theirs:
        assert value.dtype == data[key].dtype and value.tobytes() == data[key].tobytes()
    indexed = kaldiio.load_scp(str(scp))
    for key in data:
        assert indexed[key].tobytes() == data[key].tobytes()
    assert [k for k, _ in kaldi_io.read_mat_scp(str(scp))] == list(data)


def test_kaldiio_reads_our_vectors(tmp_path):
    rng = np.random.default_rng(4)
    vectors, ints = _vectors(rng), _ints(rng)
    kaldi_io.write_vec_flt_ark(str(tmp_path / "v.ark"), vectors, scp=str(tmp_path / "v.scp"))
    kaldi_io.write_vec_int_ark(str(tmp_path / "i.ark"), list(ints.items()), scp=str(tmp_path / "i.scp"))
    for key, value in kaldiio.load_ark(str(tmp_path / "v.ark")):
        assert value.dtype == vectors[key].dtype and value.tobytes() == vectors[key].tobytes()
    for key, value in kaldiio.load_scp(str(tmp_path / "v.scp")).items():
        assert value.tobytes() == vectors[key].tobytes()
    for key, value in kaldiio.load_ark(str(tmp_path / "i.ark")):
        assert value.dtype == np.int32 and value.tobytes() == ints[key].tobytes()
    for key, value in kaldiio.load_scp(str(tmp_path / "i.scp")).items():
        assert value.tobytes() == ints[key].tobytes()


def test_text_round_trip_is_bit_exact(tmp_path):
    rng = np.random.default_rng(5)
    m32 = rng.standard_normal((4, 3)).astype(np.float32) * 1e-20
    m64 = rng.standard_normal((2, 2)) * 1e300
    kaldi_io.write_mat_ark(str(tmp_path / "t.ark"), {"a": m32, "b": m64}, binary=False)
    got = dict(kaldi_io.read_mat_ark(str(tmp_path / "t.ark")))
    assert got["a"].numpy().tobytes() == m32.tobytes()
    assert got["b"].dtype == torch.float32  # text matrices read as float32, like torchaudio/kaldiio
    v64 = rng.standard_normal(5)
    kaldi_io.write_vec_flt_ark(str(tmp_path / "v.ark"), {"v": v64}, binary=False)
    assert dict(kaldi_io.read_vec_flt_ark(str(tmp_path / "v.ark")))["v"].numpy().tobytes() == v64.tobytes()
    ints = np.array([-5, 0, 2**31 - 1], np.int32)
    kaldi_io.write_vec_int_ark(str(tmp_path / "i.ark"), {"i": ints}, binary=False)
    assert (tmp_path / "i.ark").read_bytes() == b"i -5 0 2147483647 \n"  # Kaldi's text int-vector form
    assert dict(kaldi_io.read_vec_int_ark(str(tmp_path / "i.ark")))["i"].tolist() == ints.tolist()


def test_scp_ranges_prefixes_and_file_objects(tmp_path):
    m = np.arange(20, dtype=np.float32).reshape(5, 4)
    ark = tmp_path / "r.ark"
    kaldi_io.write_mat_ark(str(ark), {"m": m}, scp=str(tmp_path / "r.scp"))
    offset = (tmp_path / "r.scp").read_text().split(":")[-1].strip()
    (tmp_path / "ranges.scp").write_text(f"rows {ark}:{offset}[1:2]\nboth {ark}:{offset}[1:3,0:1]\nall {ark}:{offset}\n")
    got = dict(kaldi_io.read_mat_scp(f"scp:{tmp_path / 'ranges.scp'}"))
    assert got["rows"].tolist() == m[1:3].tolist() and got["both"].tolist() == m[1:4, 0:2].tolist()
    assert got["all"].tolist() == m.tolist()
    with open(ark, "rb") as f:
        assert dict(kaldi_io.read_mat_ark(f))["m"].tolist() == m.tolist()
    assert dict(kaldi_io.read_mat_ark(f"ark:{ark}"))["m"].tolist() == m.tolist()
    buffer = io.BytesIO()
    kaldi_io.write_mat_ark(buffer, [("m", m)])
    assert buffer.getvalue() == ark.read_bytes()


def test_kaldi_write_specifiers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    kaldi_io.write_mat_ark("ark,scp:f.ark,f.scp", {"u": m})
    assert kaldiio.load_scp("f.scp")["u"].tobytes() == m.tobytes()
    assert (tmp_path / "f.scp").read_text() == "u f.ark:2\n"
    kaldi_io.write_mat_ark("ark,t,scp:t.ark,t.scp", {"u": m})
    assert (tmp_path / "t.ark").read_bytes() == b"u  [\n  0 1 2 \n  3 4 5 ]\n"  # Kaldi's text layout
    assert dict(kaldi_io.read_mat_scp("t.scp"))["u"].tolist() == m.tolist()
    with pytest.raises(ValueError, match="names no scp file"):
        kaldi_io.write_mat_ark("ark,scp:only.ark", {"u": m})
    with pytest.raises(ValueError, match="scp= names another"):
        kaldi_io.write_mat_ark("ark,scp:a.ark,a.scp", {"u": m}, scp="b.scp")


def test_writes_are_atomic(tmp_path):
    ark = tmp_path / "a.ark"
    ark.write_bytes(b"old")

    def items():
        yield "good", np.zeros((1, 1), np.float32)
        yield "bad key", np.zeros((1, 1), np.float32)

    with pytest.raises(ValueError, match="keys must be non-empty strings without whitespace, got 'bad key'"):
        kaldi_io.write_mat_ark(str(ark), items())
    assert ark.read_bytes() == b"old" and sorted(os.listdir(tmp_path)) == ["a.ark"]
    kaldi_io.write_mat_ark(str(tmp_path / "b.ark"), {"k": np.zeros((1, 1), np.float32)}, scp=str(tmp_path / "b.scp"))
    umask = os.umask(0)
    os.umask(umask)
    for name in ("b.ark", "b.scp"):  # not the 0600 of a temporary file
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_writer_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"'m' must be 2-D, got shape \(3,\)"):
        kaldi_io.write_mat_ark(str(tmp_path / "x.ark"), {"m": np.zeros(3, np.float32)})
    with pytest.raises(TypeError, match="'m' must be float32 or float64, got int64"):
        kaldi_io.write_mat_ark(str(tmp_path / "x.ark"), {"m": np.zeros((2, 2), np.int64)})
    with pytest.raises(TypeError, match="'i' must hold integers, got float32"):
        kaldi_io.write_vec_int_ark(str(tmp_path / "x.ark"), {"i": np.zeros(2, np.float32)})
    with pytest.raises(ValueError, match="values outside int32"):
        kaldi_io.write_vec_int_ark(str(tmp_path / "x.ark"), {"i": np.array([2**40])})
    with pytest.raises(ValueError, match="needs an ark file with a name"):
        kaldi_io.write_mat_ark(io.BytesIO(), {"m": np.zeros((1, 1), np.float32)}, scp=str(tmp_path / "x.scp"))


# ----------------------------------------------------------------------------- bad input


def _binary_ark(tmp_path):
    path = tmp_path / "feats.ark"
    kaldiio.save_ark(str(path), {"a": np.ones((4, 3), np.float32), "b": np.ones((2, 2), np.float64)})
    return path


def test_truncated_archive_names_file_and_offset(tmp_path):
    data = _binary_ark(tmp_path).read_bytes()
    bad = tmp_path / "cut.ark"
    for cut in (1, 3, 6, 9, 14, 20, len(data) - 1):
        bad.write_bytes(data[:cut])
        with pytest.raises(KaldiFormatError, match=r"cut\.ark: .* at byte \d+"):
            list(kaldi_io.read_mat_ark(str(bad)))


def test_corrupt_header_is_not_allocated(tmp_path):
    bad = tmp_path / "huge.ark"
    header = b"key \0BFM \x04" + np.int32(2**31 - 1).tobytes() + b"\x04" + np.int32(2**31 - 1).tobytes()
    bad.write_bytes(header + b"\0" * 16)
    with pytest.raises(KaldiFormatError, match=r"huge\.ark: FM data needs 18446744056529682436 bytes but only 16 remain .* at byte 19"):
        list(kaldi_io.read_mat_ark(str(bad)))
    for token in (b"CM ", b"CM2 ", b"CM3 "):
        bad.write_bytes(b"k \0B" + token + np.float32(0).tobytes() * 2 + np.int32(2**30).tobytes() * 2)
        with pytest.raises(KaldiFormatError, match="needs .* bytes but only 0 remain"):
            list(kaldi_io.read_mat_ark(str(bad)))
    bad.write_bytes(b"k \0B\x04" + np.int32(-3).tobytes())
    with pytest.raises(KaldiFormatError, match="negative size -3"):
        list(kaldi_io.read_vec_int_ark(str(bad)))


class _Pipe(io.RawIOBase):
    """A non-seekable binary stream, like a pipe."""

    def __init__(self, data):
        self._data = io.BytesIO(data)
        self.name = "<pipe>"

    def readable(self):
        return True

    def readinto(self, b):
        return self._data.readinto(b)


def test_non_seekable_streams(tmp_path):
    data = _binary_ark(tmp_path).read_bytes()
    assert [k for k, _ in kaldi_io.read_mat_ark(_Pipe(data))] == ["a", "b"]
    header = b"key \0BFM \x04" + np.int32(2**31 - 1).tobytes() + b"\x04" + np.int32(2**31 - 1).tobytes()
    with pytest.raises(KaldiFormatError, match=r"<pipe>: truncated FM data: needs \d+ bytes, the file ends after 4 at byte 19"):
        list(kaldi_io.read_mat_ark(_Pipe(header + b"abcd")))


def test_non_kaldi_files(tmp_path, sample_file):
    with pytest.raises(KaldiFormatError, match=r"speech\.flac: .* at byte 0"):
        list(kaldi_io.read_mat_ark(sample_file))
    wrong = tmp_path / "text.ark"
    wrong.write_bytes(b"key hello world\n")
    with pytest.raises(KaldiFormatError, match=r"text\.ark: expected a Kaldi matrix .* found b'h' at byte 4"):
        list(kaldi_io.read_mat_ark(str(wrong)))
    wrong.write_bytes(b"key  [ 1 2\n 3 ]\n")
    with pytest.raises(KaldiFormatError, match=r"rows differ in length \(2 and 1\) at byte 11"):
        list(kaldi_io.read_mat_ark(str(wrong)))
    wrong.write_bytes(b"key  [ 1 2 \n 3 4 ")
    with pytest.raises(KaldiFormatError, match=r"truncated text matrix: the file ends inside it at byte 12"):
        list(kaldi_io.read_mat_ark(str(wrong)))
    wrong.write_bytes(b"key  [ 1 x ]\n")
    with pytest.raises(KaldiFormatError, match="not a number"):
        list(kaldi_io.read_mat_ark(str(wrong)))
    vectors = tmp_path / "v.ark"
    kaldi_io.write_vec_flt_ark(str(vectors), {"v": np.ones(3, np.float32)})
    with pytest.raises(KaldiFormatError, match=r"expected a matrix, found a vector \(FV\) at byte 4"):
        list(kaldi_io.read_mat_ark(str(vectors)))
    (tmp_path / "bad.scp").write_text("onlykey\n")
    with pytest.raises(KaldiFormatError, match=r"bad\.scp: line 1: expected 'key rxfilename'"):
        list(kaldi_io.read_mat_scp(str(tmp_path / "bad.scp")))
    (tmp_path / "far.scp").write_text(f"k {vectors}:999\n")
    with pytest.raises(KaldiFormatError, match=r"v\.ark: offset 999 is past the end of the file \(24 bytes\)"):
        list(kaldi_io.read_vec_flt_scp(str(tmp_path / "far.scp")))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="is a pipe"):
        list(kaldi_io.read_mat_ark("ark:gunzip -c feats.ark.gz |"))
    path = _binary_ark(tmp_path)
    with open(path, "r") as f, pytest.raises(TypeError, match="binary mode"):
        list(kaldi_io.read_mat_ark(f))
    with pytest.raises(TypeError, match="path or a binary file object, got int"):
        list(kaldi_io.read_mat_ark(3))


class _Endless(io.RawIOBase):
    """A stream that never ends (like /dev/zero or a stuck producer), after a prefix."""

    def __init__(self, prefix, fill):
        self._prefix, self._fill = prefix, fill

    def readable(self):
        return True

    def readinto(self, b):
        data = (self._prefix + self._fill * len(b))[: len(b)]
        self._prefix = self._prefix[len(data) :]
        b[: len(data)] = data
        return len(data)


def test_endless_streams_end_in_an_error(monkeypatch):
    monkeypatch.setattr(kaldi_io, "_MAX_LINE", 1 << 16)
    with pytest.raises(KaldiFormatError, match=r"text matrix: a line longer than 65536 bytes.* at byte 3"):
        list(kaldi_io.read_mat_ark(_Endless(b"k [", b"1 ")))
    with pytest.raises(KaldiFormatError, match="key longer than 65536 bytes: not a Kaldi archive at byte 0"):
        list(kaldi_io.read_mat_ark(_Endless(b"", b"\0")))
    with pytest.raises(KaldiFormatError, match="text int vector: a line longer"):
        list(kaldi_io.read_vec_int_ark(_Endless(b"k ", b"7 ")))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=64), st.sampled_from(["read_mat_ark", "read_vec_flt_ark", "read_vec_int_ark"]))
def test_garbage_never_crashes_or_hangs(data, reader):
    try:
        for _ in getattr(kaldi_io, reader)(io.BytesIO(b"k \0B" + data)):
            pass
        for _ in getattr(kaldi_io, reader)(io.BytesIO(data)):
            pass
    except KaldiFormatError as err:
        assert "at byte" in str(err)
