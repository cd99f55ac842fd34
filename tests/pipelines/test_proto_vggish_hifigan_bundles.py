"""Prototype bundles VGGISH and HIFIGAN_VOCODER_V3_LJSPEECH against torchaudio 2.8's prototype (the oracle):
models, input processor and mel transform on the same weights and signals, static attributes, and weights
loaded from random files in the published layout in a temporary TORCH_HOME."""

import pickle

import pytest
import torch

from torchsound.pipelines import _assets
from torchsound.prototype import pipelines
from torchsound.prototype.models import hifigan_vocoder
from torchsound.prototype.pipelines._vggish import VGGish, VGGishInputProcessor

HIFIGAN_URL = f"{_assets.TORCHAUDIO_URL}/models/hifigan_vocoder_v3_ljspeech.pth"


@pytest.fixture(scope="module")
def theirs():
    """torchaudio 2.8's ``prototype.pipelines`` (the oracle)."""
    from _oracle import torchaudio28

    torchaudio28()
    import torchaudio.prototype.pipelines as oracle_pipelines

    return oracle_pipelines


def _tone(freq, seconds, sample_rate):
    t = torch.arange(int(seconds * sample_rate), dtype=torch.float64) / sample_rate
    return (0.5 * torch.sin(2 * torch.pi * freq * t)).float()


def _sweep(seconds, sample_rate, f0=20.0):
    # exponential sine sweep from f0 to 0.45 * sample_rate
    t = torch.arange(int(seconds * sample_rate), dtype=torch.float64) / sample_rate
    k = torch.log(torch.tensor(0.45 * sample_rate / f0)) / seconds
    return (0.5 * torch.sin(2 * torch.pi * f0 * (torch.exp(k * t) - 1) / k)).float()


def _assert_same_log_mel(got, want, tolerance):
    """Compare ``log(mel + 0.01)`` as ``mel + 0.01``: float32 FFT rounding is absolute on the mel values
    (~eps * log2(n_fft) * peak), and the log of a near-empty band (mel << 0.01) magnifies it 100-fold."""
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(got.exp(), want.exp(), **tolerance("float32_fft"))


def _signals():
    """A few 16 kHz test signals of lengths with and without a partial last example."""
    g = torch.Generator().manual_seed(3)
    return {
        "noise": torch.rand(2 * 16000 + 777, generator=g) - 0.5,
        "tone": _tone(440.0, 1.0, 16000),
        "sweep": _sweep(3.0, 16000),
        "quiet": 1e-3 * torch.randn(15600, generator=g),  # exactly one example
    }


# --------------------------------------------------------------------------- VGGish model


@pytest.fixture(scope="module")
def vggish_oracle(theirs):
    """torchaudio's VGGish with its random initial weights (72M parameters: built once)."""
    return theirs.VGGishBundle.VGGish().eval()


def _vggish_with(state, cls=VGGish):
    """Our VGGish holding ``state`` (built on meta, so no time goes into an initialisation that is overwritten)."""
    with torch.device("meta"):
        model = cls()
    model.load_state_dict(state, strict=True, assign=True)
    return model.eval()


def test_vggish_layout_full_size(theirs):
    with torch.device("meta"):
        ours, oracle = VGGish(), theirs.VGGishBundle.VGGish()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in oracle.state_dict().items()
    ]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_vggish_outputs_match_torchaudio(vggish_oracle, dtype, tolerance):
    oracle = vggish_oracle.to(dtype)
    try:
        ours = _vggish_with(oracle.state_dict())
        examples = torch.randn(3, 1, 96, 64, dtype=dtype)
        with torch.no_grad():
            got, want = ours(examples), oracle(examples)
        assert got.shape == (3, 128) and got.dtype == dtype
        assert want.abs().max() > 0  # the final ReLU leaves something to compare
        torch.testing.assert_close(got, want, **tolerance("float64" if dtype == torch.float64 else "float32"))
        scripted = torch.jit.script(ours)  # torchaudio's VGGish scripts too
        with torch.no_grad():
            torch.testing.assert_close(scripted(examples), got, rtol=0, atol=0)
    finally:
        vggish_oracle.float()


def test_vggish_bad_input_shape():
    with torch.device("meta"):  # the check comes before any computation
        model = VGGish()
    with pytest.raises(
        ValueError, match=r"VGGish: expected input of shape \(n_example, 1, 96, 64\), got \[2, 1, 95, 64\]"
    ):
        model(torch.randn(2, 1, 95, 64))
    with pytest.raises(ValueError, match=r"got \[96, 64\]"):
        model(torch.randn(96, 64))


# --------------------------------------------------------------------------- VGGish input processor


@pytest.mark.parametrize("name", list(_signals()))
def test_input_processor_matches_torchaudio_float32(theirs, name, tolerance):
    x = _signals()[name]
    got = VGGishInputProcessor()(x)
    want = theirs.VGGishBundle.VGGishInputProcessor()(x)
    assert got.dtype == torch.float32
    _assert_same_log_mel(got, want, tolerance)


@pytest.mark.parametrize("name", list(_signals()))
def test_input_processor_matches_torchaudio_float64(theirs, name, tolerance):
    # The oracle builds its window and mel matrix in the default dtype: in float64 it is the same math in float64.
    x = _signals()[name].double()
    got = VGGishInputProcessor()(x)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        want = theirs.VGGishBundle.VGGishInputProcessor()(x)
    finally:
        torch.set_default_dtype(previous)
    assert got.dtype == want.dtype == torch.float64
    torch.testing.assert_close(got, want, **tolerance("float64"))


def test_input_processor_speech(theirs, speech, tolerance):
    waveform, sample_rate = speech
    assert sample_rate == pipelines.VGGISH.sample_rate
    x = waveform[0]
    got = VGGishInputProcessor()(x)
    _assert_same_log_mel(got, theirs.VGGishBundle.VGGishInputProcessor()(x), tolerance)
    assert got.shape[0] == (1 + (x.shape[0] - 400) // 160) // 96


@pytest.mark.parametrize("length", [400, 15599, 15600, 15760, 2 * 15600 + 159])
def test_input_processor_example_count(theirs, length, tolerance):
    x = torch.randn(length)
    got = VGGishInputProcessor()(x)
    want = theirs.VGGishBundle.VGGishInputProcessor()(x)
    _assert_same_log_mel(got, want, tolerance)


@pytest.mark.parametrize("length", [0, 1, 399])
def test_input_processor_short_input_gives_no_example(length):
    # torchaudio raises inside torch.as_strided here; a waveform shorter than one example has none.
    got = VGGishInputProcessor()(torch.randn(length, dtype=torch.float64))
    assert got.shape == (0, 1, 96, 64) and got.dtype == torch.float64


def test_input_processor_errors():
    with pytest.raises(
        ValueError, match=r"VGGishInputProcessor: input must be a 1-D waveform \(time,\), got shape \[1, 16000\]"
    ):
        VGGishInputProcessor()(torch.randn(1, 16000))
    with pytest.raises(
        TypeError, match=r"VGGishInputProcessor: input must be a floating-point tensor, got torch.int16"
    ):
        VGGishInputProcessor()(torch.zeros(16000, dtype=torch.int16))


def test_input_processor_half_precision_computed_in_float32(tolerance):
    x = _signals()["noise"]
    got = VGGishInputProcessor()(x.half())
    assert got.dtype == torch.float16
    torch.testing.assert_close(got.float(), VGGishInputProcessor()(x.half().float()), **tolerance("float16"))


# --------------------------------------------------------------------------- VGGISH bundle


def test_vggish_bundle_static_attributes(theirs):
    assert pipelines.VGGISH.sample_rate == theirs.VGGISH.sample_rate == 16000
    assert isinstance(pipelines.VGGISH, pipelines.VGGishBundle)
    assert isinstance(pipelines.VGGISH.get_input_processor(), pipelines.VGGishBundle.VGGishInputProcessor)
    assert issubclass(pipelines.VGGishBundle.VGGish, VGGish)


def test_vggish_get_model_from_cache(vggish_oracle, torch_home, tolerance):
    # torchaudio 2.8's own VGGISH.get_model() fails (NameError in its loader): the file it would read is
    # torchaudio.utils.download_asset("models/vggish.pt"), a plain state_dict of its VGGish.
    oracle = vggish_oracle
    path = _assets.asset_path("models/vggish.pt")
    assert path == torch_home / "hub" / "torchaudio" / "models" / "vggish.pt"
    path.parent.mkdir(parents=True)
    torch.save(oracle.state_dict(), path)

    model = pipelines.VGGISH.get_model()
    assert isinstance(model, pipelines.VGGishBundle.VGGish) and not model.training
    by_hand = _vggish_with(torch.load(path, weights_only=True))
    examples = pipelines.VGGISH.get_input_processor()(_signals()["noise"])
    with torch.no_grad():
        got = model(examples)
        torch.testing.assert_close(got, by_hand(examples), rtol=0, atol=0)
        torch.testing.assert_close(got, oracle(examples), **tolerance("float32"))


def test_vggish_missing_weights_fail_clearly(torch_home):
    path = torch_home / "hub" / "torchaudio" / "models" / "vggish.pt"
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        pipelines.VGGISH.get_model()
    message = str(info.value)
    assert "vggish.pt is not in the cache" in message
    assert f"{_assets.TORCHAUDIO_URL}/models/vggish.pt" in message and str(path) in message


# --------------------------------------------------------------------------- HiFi-GAN bundle


def test_hifigan_bundle_static_attributes(theirs):
    ours, oracle = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH, theirs.HIFIGAN_VOCODER_V3_LJSPEECH
    assert isinstance(ours, pipelines.HiFiGANVocoderBundle)
    assert ours.sample_rate == oracle.sample_rate == 22050
    assert ours._path == oracle._path
    assert ours._vocoder_params == oracle._vocoder_params
    assert ours._mel_params == oracle._mel_params
    assert ours._sample_rate == oracle._sample_rate


def _write_random_vocoder(theirs):
    """torchaudio's V3 vocoder with random weights, saved where torch.hub would keep the published file."""
    oracle = theirs.HIFIGAN_VOCODER_V3_LJSPEECH
    import torchaudio.prototype.models as oracle_models

    model = oracle_models.hifigan_vocoder(**oracle._vocoder_params).eval()
    with torch.no_grad():
        for t in model.state_dict().values():
            t.copy_(torch.randn_like(t) * 0.05)
    path = _assets.checkpoint_path(HIFIGAN_URL)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model, path


def test_hifigan_get_vocoder_from_cache(theirs, torch_home, tolerance):
    oracle_model, path = _write_random_vocoder(theirs)
    assert path == torch_home / "hub" / "checkpoints" / "hifigan_vocoder_v3_ljspeech.pth"
    bundle = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH
    vocoder = bundle.get_vocoder()
    assert not vocoder.training
    by_hand = hifigan_vocoder(**bundle._vocoder_params).eval()
    by_hand.load_state_dict(torch.load(path, weights_only=True))
    mel = torch.randn(2, 80, 5)
    with torch.no_grad():
        got = vocoder(mel)
        torch.testing.assert_close(got, by_hand(mel), rtol=0, atol=0)
        torch.testing.assert_close(got, oracle_model(mel), **tolerance("float32"))
    assert got.shape == (2, 1, 5 * 256)
    # torch.hub's keywords: no progress bar, a file under another name and folder
    other = torch_home / "elsewhere"
    other.mkdir()
    path.rename(other / "v3.pth")
    again = bundle.get_vocoder(dl_kwargs={"progress": False, "model_dir": str(other), "file_name": "v3.pth"})
    with torch.no_grad():
        torch.testing.assert_close(again(mel), got, rtol=0, atol=0)


def test_hifigan_missing_weights_fail_clearly(torch_home):
    path = torch_home / "hub" / "checkpoints" / "hifigan_vocoder_v3_ljspeech.pth"
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_vocoder()
    message = str(info.value)
    assert "hifigan_vocoder_v3_ljspeech.pth is not in the cache" in message
    assert HIFIGAN_URL in message and str(path) in message


class _RunsCode:
    def __reduce__(self):  # unpickling would call exec: weights_only=True must refuse it first
        return (exec, ("import builtins; builtins._torchsound_p3_ran = True",))


def test_hifigan_refuses_pickled_code(torch_home):
    import builtins

    path = _assets.checkpoint_path(HIFIGAN_URL)
    path.parent.mkdir(parents=True)
    torch.save({"conv_pre.weight": torch.zeros(1), "payload": _RunsCode()}, path, pickle_module=pickle)
    with pytest.raises(_assets.UnsafeCheckpointError, match=r"hifigan_vocoder_v3_ljspeech.pth: refused to load"):
        pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_vocoder()
    assert not hasattr(builtins, "_torchsound_p3_ran")


def test_hifigan_wrong_checkpoint_rejected(torch_home):
    path = _assets.checkpoint_path(HIFIGAN_URL)
    path.parent.mkdir(parents=True)
    torch.save(VGGish().state_dict(), path)
    with pytest.raises(RuntimeError, match=r"state_dict for HiFiGANVocoder:(.|\n)*Missing key\(s\)"):
        pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_vocoder()


# --------------------------------------------------------------------------- HiFi-GAN mel transform


def _hifigan_signals():
    g = torch.Generator().manual_seed(5)
    return {
        "noise": 0.3 * torch.randn(2, 22050 + 100, generator=g),
        "sweep": _sweep(0.5, 22050).unsqueeze(0),
        "quiet": 1e-4 * torch.randn(1, 4096, generator=g),  # mel values below the 1e-5 floor
    }


def test_mel_transform_layout_matches_torchaudio(theirs):
    ours = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    oracle = theirs.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
        (k, v.shape) for k, v in oracle.state_dict().items()
    ]
    for name in ["sample_rate", "hop_size", "n_fft", "win_length", "f_min", "f_max", "n_mels", "pad_size"]:
        assert getattr(ours, name) == getattr(oracle, name), name


@pytest.mark.parametrize("name", list(_hifigan_signals()))
def test_mel_transform_matches_torchaudio(theirs, name, tolerance):
    x = _hifigan_signals()[name]
    ours = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    oracle = theirs.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    got, want = ours(x), oracle(x)
    assert got.shape == want.shape == (x.shape[0], 80, x.shape[-1] // 256)
    # our Slaney filterbank is built in float64 and rounded, torchaudio's in float32: ~1e-7 apart
    torch.testing.assert_close(got, want, **tolerance("float32_fft"))
    # on torchaudio's own filterbank and window, the steps after them agree to rounding, float32 and float64
    ours.load_state_dict(oracle.state_dict())
    torch.testing.assert_close(ours(x), want, **tolerance("float32"))
    torch.testing.assert_close(ours.double()(x.double()), oracle.double()(x.double()), **tolerance("float64"))


def test_mel_transform_batch_and_script(theirs, tolerance):
    ours = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    x = 0.3 * torch.randn(2, 3, 5000, dtype=torch.float64)
    ours = ours.double()
    batched = ours(x)
    assert batched.shape == (2, 3, 80, 5000 // 256)
    loop = torch.stack([torch.stack([ours(x[i, j]) for j in range(3)]) for i in range(2)])
    torch.testing.assert_close(batched, loop, **tolerance("float64"))
    scripted = torch.jit.script(ours)  # torchaudio's transform scripts too
    torch.testing.assert_close(scripted(x), batched, rtol=0, atol=0)


def test_vocoder_on_mel_transform(theirs, torch_home):
    # The round trip the bundle is for: waveform -> mel -> waveform of frames * 256 samples.
    _write_random_vocoder(theirs)
    bundle = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH
    mel = bundle.get_mel_transform()(_hifigan_signals()["noise"][:, :2560])
    with torch.no_grad():
        audio = bundle.get_vocoder()(mel)
    assert mel.shape == (2, 80, 10) and audio.shape == (2, 1, 2560)


# --------------------------------------------------------------------------- devices and round trips


def test_front_ends_follow_the_device(device, tolerance):
    # Every available device (CUDA where present) gives the CPU's result on the input's device.
    x = _signals()["noise"]
    on_device = VGGishInputProcessor()(x.to(device))
    assert on_device.device == x.to(device).device
    _assert_same_log_mel(on_device.cpu(), VGGishInputProcessor()(x), tolerance)
    mel = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_mel_transform()
    y = _hifigan_signals()["noise"]
    want = mel(y)
    got = mel.to(device)(y.to(device))
    assert got.device == y.to(device).device
    torch.testing.assert_close(got.cpu(), want, **tolerance("float32_fft"))


def test_vggish_round_trips(vggish_oracle):
    import copy
    import io

    # the bundle's nested class pickles by its qualified name
    model = _vggish_with(vggish_oracle.state_dict(), pipelines.VGGishBundle.VGGish)
    examples = torch.randn(1, 1, 96, 64)
    buffer = io.BytesIO()
    torch.save(model, buffer)
    buffer.seek(0)
    with torch.no_grad():
        want = model(examples)
        for other in [pickle.loads(pickle.dumps(model)), copy.deepcopy(model), torch.load(buffer, weights_only=False)]:
            assert type(other) is type(model)
            torch.testing.assert_close(other(examples), want, rtol=0, atol=0)


def test_vggish_get_model_trains(vggish_oracle, torch_home):
    # built on meta and given the file's tensors: parameters are real, trainable and independent of the file
    path = _assets.asset_path("models/vggish.pt")
    path.parent.mkdir(parents=True)
    torch.save(vggish_oracle.state_dict(), path)
    model = pipelines.VGGISH.get_model()
    assert all(p.device.type == "cpu" and p.requires_grad and p.dtype == torch.float32 for p in model.parameters())
    model.train()
    model(torch.randn(2, 1, 96, 64)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_hifigan_get_vocoder_equals_torchaudios_on_the_same_file(theirs, torch_home, tolerance):
    # torchaudio's own get_vocoder finds the file through torch.hub's cache under the same TORCH_HOME
    _write_random_vocoder(theirs)
    ours = pipelines.HIFIGAN_VOCODER_V3_LJSPEECH.get_vocoder()
    oracle = theirs.HIFIGAN_VOCODER_V3_LJSPEECH.get_vocoder(dl_kwargs={"progress": False})
    mel = torch.randn(1, 80, 4)
    with torch.no_grad():
        torch.testing.assert_close(ours(mel), oracle(mel), **tolerance("float32"))
