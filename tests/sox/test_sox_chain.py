"""The chain runner: API, layouts, batches, dtypes, errors, apply_effects_file, CLI and demo."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import torch
from soxoracle import run_sox

from _harness import check_batch_equals_loop, check_dtype_device, check_no_inplace
from conftest import snr_db
from torchsound import sox_effects
from torchsound.sox_effects import apply_effects_file, apply_effects_tensor, effect_names

CHAIN = [["gain", "-n", "-10"], ["highpass", "80"], ["lowpass", "3k"], ["echo", "0.8", "0.8", "20", "0.3"], ["reverb", "30", "50", "30"],
         ["channels", "1"], ["fade", "t", "0.05"]]


def test_api_surface():
    sox_effects.init_sox_effects()
    sox_effects.shutdown_sox_effects()
    names = effect_names()
    assert names == sorted(names)
    for name in ["rate", "speed", "tempo", "pitch", "reverb", "gain", "trim", "silence", "highpass", "lowpass"]:
        assert name in names
    for reporting in ["stat", "stats", "spectrogram", "noiseprof"]:
        assert reporting not in names


@pytest.mark.parametrize("name", ["stat", "stats", "spectrogram", "noiseprof"])
def test_reporting_effects_are_refused(name):
    with pytest.raises(ValueError, match=f"'{name}' is not supported"):
        apply_effects_tensor(torch.rand(1, 800), 8000, [[name]])


def test_unknown_effect_is_refused_never_passed_through():
    with pytest.raises(ValueError, match="'frobnicate' is not supported"):
        apply_effects_tensor(torch.rand(1, 800), 8000, [["gain", "-1"], ["frobnicate", "3"]])


def test_chain_matches_sox_and_keeps_layout(speech):
    x = speech[0][:, 4000:12000].double() * 0.5
    expected, rate = run_sox(x, 16000, CHAIN)
    got, got_rate = apply_effects_tensor(x, 16000, CHAIN)
    assert got_rate == rate and got.shape == expected.shape
    assert snr_db(expected, got) >= 50
    transposed, _ = apply_effects_tensor(x.T.contiguous(), 16000, CHAIN, channels_first=False)
    torch.testing.assert_close(transposed.T, got)


def test_harness_properties():
    fn = lambda x: apply_effects_tensor(x, 8000, [["gain", "-3"], ["highpass", "100"], ["echo", "0.8", "0.8", "5", "0.3"],
                                                  ["trim", "0", "700s"]])[0]
    x = torch.rand(3, 2, 1000) - 0.5
    check_no_inplace(fn, x)
    check_dtype_device(fn, x)
    check_dtype_device(fn, x.double())
    check_batch_equals_loop(fn, x, batch_dims=1)


@pytest.mark.parametrize("dtype,subtype", [(torch.int16, "PCM_16"), (torch.int32, "PCM_32"), (torch.uint8, "PCM_U8")])
def test_integer_input_keeps_its_dtype_as_torchaudio(tmp_path, dtype, subtype):
    # torchaudio returns the input's dtype; the sox binary on a WAV of that integer type is the reference
    info = torch.iinfo(dtype)
    pcm = torch.randint(info.min, info.max, (2, 800), dtype=torch.int64)
    pcm[:, :4] = torch.tensor([info.min, info.max, 0, 1])
    pcm = pcm.to(dtype)
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    numpy_dtype = {torch.int16: "int16", torch.int32: "int32", torch.uint8: "int16"}[dtype]
    data = (pcm.to(torch.int64) - 128) * 256 if dtype == torch.uint8 else pcm  # soundfile writes u8 from int16
    soundfile.write(src, data.numpy().T.astype(numpy_dtype), 8000, subtype=subtype)
    subprocess.run(["sox", "-D", "-V1", str(src), str(dst), "vol", "0.5"], check=True)
    expected = torch.from_numpy(soundfile.read(dst, dtype="int32" if dtype != torch.int16 else "int16", always_2d=True)[0].T.copy())
    if dtype == torch.uint8:
        expected = (expected.to(torch.int64) // 2**24 + 128).to(torch.uint8)
    for effects in ([["vol", "0.5"]], [["vol", "0.5"]] + [["gain", "0"]] * 2):
        got, rate = apply_effects_tensor(pcm, 8000, effects)
        assert got.dtype == dtype and rate == 8000
        assert (got.to(torch.int64) - expected.to(torch.int64)).abs().max() <= 1  # sox rounds halves up, we to even
    same, _ = apply_effects_tensor(pcm.T, 8000, [], channels_first=False)
    assert same.dtype == dtype and torch.equal(same, pcm.T) and same.data_ptr() != pcm.data_ptr()


@pytest.mark.parametrize("effects,match", [
    ([["gain"]], None),
    ("gain -3", "list of lists"),
    ([[]], "non-empty"),
    ([["speed", "-1"]], "speed.*'-1'"),
])
def test_chain_errors(effects, match):
    x = torch.rand(1, 8000) - 0.5
    if match is None:
        apply_effects_tensor(x, 8000, effects)  # gain without arguments is valid (0 dB)
        return
    with pytest.raises((ValueError, TypeError), match=match):
        apply_effects_tensor(x, 8000, effects)


def test_bad_tensor_and_rate():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        apply_effects_tensor(torch.rand(800), 8000, [["gain", "-1"]])
    with pytest.raises(ValueError, match="sample_rate"):
        apply_effects_tensor(torch.rand(1, 800), 0, [["gain", "-1"]])


def test_apply_effects_file_paths_and_file_objects(tmp_path, sample_file):
    effects = [["gain", "-3"], ["rate", "8k"], ["trim", "0", "1"]]
    wav, rate = apply_effects_file(sample_file, effects)
    assert rate == 8000 and wav.shape == (1, 8000) and wav.dtype == torch.float32
    with open(sample_file, "rb") as f:
        same, _ = apply_effects_file(io.BytesIO(f.read()), effects, channels_first=False)
    torch.testing.assert_close(same.T, wav)
    path = tmp_path / "pcm16.wav"
    data, sr = soundfile.read(sample_file, dtype="int16")
    soundfile.write(path, data, sr, subtype="PCM_16")
    pcm, _ = apply_effects_file(path, [["trim", "0", "100s"]], normalize=False)
    assert pcm.dtype == torch.int16 and torch.equal(pcm[0], torch.from_numpy(data[:100]))


def test_apply_effects_file_errors_name_the_file(tmp_path, sample_file):
    missing = tmp_path / "missing.wav"
    with pytest.raises(Exception, match="missing.wav"):
        apply_effects_file(missing, [["gain", "-1"]])
    with pytest.raises(ValueError, match="speech.flac.*trim.*'x'"):
        apply_effects_file(sample_file, [["trim", "x"]])
    empty, rate = apply_effects_file(sample_file, [["trim", "60"]])  # past the end: no audio, as sox gives
    assert empty.shape == (1, 0) and rate == 16000


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "torchsound", "effects", *args], capture_output=True, text=True)


def test_cli_follows_sox_order(tmp_path, sample_file):
    out = tmp_path / "out.wav"
    proc = _cli(sample_file, str(out), "--", "gain", "-3", "highpass", "80", "rate", "16k", "trim", "0", "0.5")
    assert proc.returncode == 0, proc.stderr
    data, rate = soundfile.read(out, always_2d=True)
    assert rate == 16000 and data.shape == (8000, 1)
    expected, _ = apply_effects_file(sample_file, [["gain", "-3"], ["highpass", "80"], ["rate", "16k"], ["trim", "0", "0.5"]])
    assert snr_db(expected[0].double().numpy(), data[:, 0]) > 60


def test_cli_errors(tmp_path, sample_file):
    proc = _cli(sample_file, str(tmp_path / "o.wav"), "--", "stats")
    assert proc.returncode == 1 and "'stats' is not supported" in proc.stderr
    proc = _cli(sample_file, str(tmp_path / "o.wav"), "--", "-3", "gain")
    assert proc.returncode == 1 and "not a sox effect name" in proc.stderr
    assert not os.path.exists(tmp_path / "o.wav")


def test_demo_step(tmp_path, sample_file):
    from torchsound._demo import sox as demo

    lines = demo.run(sample_file, str(tmp_path))
    written = tmp_path / "sample_augmented.wav"
    assert any(str(written) in line for line in lines)
    data, rate = soundfile.read(written)
    info = soundfile.info(sample_file)
    assert rate == 16000 and abs(len(data) - info.frames / 1.1) < 2 and abs(abs(data).max() - 10 ** (-3 / 20)) < 1e-3


def test_cli_lists_effects():
    proc = _cli("--list")
    assert proc.returncode == 0 and proc.stdout.split() == effect_names()


@pytest.mark.parametrize("channels_first", [True, False])
@pytest.mark.parametrize("effects", [[], [["gain", "0"]], [["trim", "0"]]], ids=["empty", "gain 0", "trim 0"])
def test_no_op_chain_returns_a_new_tensor(effects, channels_first):
    # torchaudio's libsox path always returned a new tensor equal to the input; sox -D is the reference
    x = torch.rand(2, 800, dtype=torch.float64) - 0.5
    expected, rate = run_sox(x, 8000, effects or [["gain", "0"]])
    source = x if channels_first else x.T
    got, got_rate = apply_effects_tensor(source, 8000, effects, channels_first=channels_first)
    assert got is not source and got.untyped_storage().data_ptr() != source.untyped_storage().data_ptr()
    got.zero_()  # writing to the result leaves the input alone
    assert x.abs().sum() > 0
    got, got_rate = apply_effects_tensor(source, 8000, effects, channels_first=channels_first)
    assert got_rate == rate == 8000
    torch.testing.assert_close(got if channels_first else got.T, expected, rtol=0, atol=1e-7)  # float32 WAV in sox


@pytest.mark.parametrize("rate", [np.int64(16000), np.int32(16000), np.float64(16000.0)], ids=lambda r: type(r).__name__)
def test_numpy_sample_rate_is_accepted(rate):
    x = torch.rand(1, 1600) - 0.5
    chain = [["highpass", "100"], ["rate", "8k"]]
    got, got_rate = apply_effects_tensor(x, rate, chain)
    expected, expected_rate = apply_effects_tensor(x, 16000, chain)
    assert got_rate == expected_rate == 8000 and type(got_rate) is int
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("rate", [np.bool_(True), "16000", np.int64(0)], ids=["bool", "str", "zero"])
def test_bad_sample_rate(rate):
    with pytest.raises(ValueError, match="sample_rate must be a positive number"):
        apply_effects_tensor(torch.rand(1, 100), rate, [])


def _tone(rate: int, channels: int) -> torch.Tensor:
    t = torch.arange(rate, dtype=torch.float64) / rate
    return (0.5 * torch.sin(2 * torch.pi * 440 * t)).repeat(channels, 1)


@pytest.mark.parametrize("chain,out_rate", [
    ([["trim", "2"]], None),
    ([["vad"]], None),
    ([["vad"], ["reverse"], ["vad"], ["reverse"]], None),
    ([["trim", "2"], ["channels", "1"], ["gain", "-n"], ["rate", "16k"]], 16000),
    ([["vad"], ["remix", "1", "1", "2"], ["tempo", "1.1"], ["compand", "0.1,0.2", "-60,-20"]], None),
], ids=lambda v: " ".join(" ".join(e) for e in v) if isinstance(v, list) else str(v))
def test_emptied_chain_is_empty_as_in_sox(chain, out_rate):
    # sox runs on: an emptied chain gives no samples, later effects still set the channels and rate
    x = _tone(8000, 2)
    expected, rate = run_sox(x, 8000, chain, out_rate=out_rate)
    got, got_rate = apply_effects_tensor(x, 8000, chain)
    assert expected.shape[-1] == 0
    assert got.shape == expected.shape  # the channel count sox wrote in the header
    assert got_rate == rate and got.dtype == x.dtype
