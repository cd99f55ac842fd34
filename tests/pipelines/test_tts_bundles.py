"""Tacotron2 TTS bundles against torchaudio 2.8's (the oracle): static facts, text processors, vocoders, weights.

Weights: random tensors in the published layout are written into a temporary ``$TORCH_HOME`` (the ``torch_home``
fixture of tests/pipelines/conftest.py, where downloads fail fast); the bundle's ``get_*`` must give the model
built and loaded by hand. Full-size layouts are compared with torchaudio's on the ``meta`` device; runs use
small configurations swapped into a copy of the bundle with ``dataclasses.replace``.
"""

from __future__ import annotations

import dataclasses
import inspect
import pickle
import time
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from _oracle import torchaudio28

import torchsound
from torchsound.pipelines import _assets
from torchsound.pipelines._tts import _text, _vocoders

NAMES = [
    "TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH",
    "TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH",
    "TACOTRON2_WAVERNN_CHAR_LJSPEECH",
    "TACOTRON2_WAVERNN_PHONE_LJSPEECH",
]
MODELS_URL = "https://download.pytorch.org/torchaudio/models"

# Small configurations for runs (the published ones are checked on meta).
SMALL_TACO = dict(
    mask_padding=False, n_mels=80, n_frames_per_step=1, symbol_embedding_dim=16, encoder_embedding_dim=16,
    encoder_n_convolution=1, encoder_kernel_size=3, decoder_rnn_dim=16, decoder_max_step=6, decoder_dropout=0.1,
    decoder_early_stopping=True, attention_rnn_dim=16, attention_hidden_dim=8, attention_location_n_filter=4,
    attention_location_kernel_size=3, attention_dropout=0.1, prenet_dim=8, postnet_n_convolution=2,
    postnet_kernel_size=3, postnet_embedding_dim=8, gate_threshold=0.5,
)
SMALL_WRNN = dict(
    upsample_scales=[2, 3], n_classes=2**8, hop_length=6, n_res_block=1, n_rnn=8, n_fc=8, kernel_size=5,
    n_freq=80, n_hidden=4, n_output=8,
)


def oracle_tts():
    return torchaudio28().pipelines._tts


def ours(name):
    return getattr(torchsound.pipelines, name)


def theirs(name):
    return getattr(torchaudio28().pipelines, name)


def params(fn) -> list:
    """Parameter names, kinds and defaults (annotations name each library's own classes)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def random_state(model: torch.nn.Module, seed: int) -> dict:
    """Random weights in the model's layout (batch-norm variances positive)."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for k, v in model.state_dict().items():
        if not v.is_floating_point():
            state[k] = v.clone()
        elif k.endswith("running_var"):
            state[k] = torch.rand(v.shape, generator=gen, dtype=v.dtype) + 0.5
        else:
            state[k] = torch.randn(v.shape, generator=gen, dtype=v.dtype) * 0.3
    return state


# --------------------------------------------------------------------------- static facts


@pytest.mark.parametrize("name", NAMES)
def test_bundle_fields_equal_torchaudio(name):
    a, b = ours(name), theirs(name)
    fa = {f.name: getattr(a, f.name) for f in dataclasses.fields(a)}
    fb = {f.name: getattr(b, f.name) for f in dataclasses.fields(b)}
    assert fa == fb
    assert type(a).__name__ == type(b).__name__
    assert isinstance(a, torchsound.pipelines.Tacotron2TTSBundle)


@pytest.mark.parametrize("name", NAMES)
def test_full_size_layouts_equal_torchaudio(name):
    a, b = ours(name), theirs(name)
    ta = torchaudio28()
    with torch.device("meta"):
        pairs = [(torchsound.models.Tacotron2(**a._tacotron2_params), ta.models.Tacotron2(**b._tacotron2_params))]
        if "WAVERNN" in name:
            pairs.append((torchsound.models.WaveRNN(**a._wavernn_params), ta.models.WaveRNN(**b._wavernn_params)))
    for m_ours, m_theirs in pairs:
        sa = {k: tuple(v.shape) for k, v in m_ours.state_dict().items()}
        sb = {k: tuple(v.shape) for k, v in m_theirs.state_dict().items()}
        assert list(sa) == list(sb) and sa == sb


def test_interface_signatures_equal_torchaudio():
    ours_cls, theirs_cls = torchsound.pipelines.Tacotron2TTSBundle, torchaudio28().pipelines.Tacotron2TTSBundle
    for method in ("get_text_processor", "get_vocoder", "get_tacotron2"):
        assert params(getattr(ours_cls, method)) == params(getattr(theirs_cls, method))
    for nested, members in (("TextProcessor", ("__call__", "tokens")), ("Vocoder", ("__call__", "sample_rate"))):
        a, b = getattr(ours_cls, nested), getattr(theirs_cls, nested)
        assert inspect.isabstract(a) and sorted(a.__abstractmethods__) == sorted(b.__abstractmethods__)
        assert params(a.__call__) == params(b.__call__)
        assert isinstance(inspect.getattr_static(a, "tokens" if nested == "TextProcessor" else "sample_rate"), property)
        assert set(members) <= set(a.__abstractmethods__)


@pytest.mark.parametrize("name", NAMES)
def test_bundle_methods_take_the_interface_signature(name):
    # torchaudio's character processor omits dl_kwargs and its Griffin-Lim get_vocoder takes **_; ours all take
    # the interface's keyword-only dl_kwargs, which accepts every call torchaudio's documented interface allows.
    bundle, iface = ours(name), torchsound.pipelines.Tacotron2TTSBundle
    for method in ("get_text_processor", "get_vocoder", "get_tacotron2"):
        assert params(getattr(type(bundle), method)) == params(getattr(iface, method))


# --------------------------------------------------------------------------- character processor

TEXTS = [
    "Hello World!",
    "Text-to-speech!",
    "Hello, T T S !",
    "MiXeD CaSe: with (parens); and 'quotes'?",
    "digits 0123 and symbols @#$%^&* are dropped",
    "unicode: café, naïve, 東京, emoji 🙂",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines",
    "_underscore_ ... dots",
]


def test_char_processor_equals_torchaudio_on_varied_text():
    ours_p = ours("TACOTRON2_WAVERNN_CHAR_LJSPEECH").get_text_processor()
    theirs_p = theirs("TACOTRON2_WAVERNN_CHAR_LJSPEECH").get_text_processor()
    assert tuple(ours_p.tokens) == tuple(theirs_p.tokens)
    assert isinstance(ours_p, torchsound.pipelines.Tacotron2TTSBundle.TextProcessor)
    for batch in ([t] for t in TEXTS):
        got, want = ours_p(batch), theirs_p(batch)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    got, want = ours_p(TEXTS), theirs_p(TEXTS)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    # A single string is a batch of one.
    torch.testing.assert_close(ours_p(TEXTS[0]), theirs_p(TEXTS[0]), rtol=0, atol=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30), min_size=1, max_size=4))
def test_char_processor_equals_torchaudio_on_random_text(texts):
    ours_p = _text._EnglishCharProcessor()
    theirs_p = oracle_tts().impl._EnglishCharProcessor()
    (va, la), (vb, lb) = ours_p(texts), theirs_p(texts)
    torch.testing.assert_close(la, lb, rtol=0, atol=0)
    # torchaudio's indices turn float when every text encodes to nothing; ours stay int64.
    assert va.dtype == torch.int64
    torch.testing.assert_close(va, vb.to(torch.int64), rtol=0, atol=0)


def test_char_processor_bad_input():
    p = _text._EnglishCharProcessor()
    with pytest.raises(TypeError, match="`texts` must be a str or a list of str, got int"):
        p(3)
    with pytest.raises(TypeError, match="`texts`"):
        p(["ok", 5])
    with pytest.raises(TypeError, match="`dl_kwargs` must be a dict or None"):
        ours("TACOTRON2_WAVERNN_CHAR_LJSPEECH").get_text_processor(dl_kwargs=[1])


# --------------------------------------------------------------------------- vocoders


def test_griffinlim_vocoder_configuration_equals_torchaudio(tolerance):
    ours_v = ours("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder()
    theirs_v = theirs("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder()
    assert ours_v.sample_rate == theirs_v.sample_rate == 22050
    assert isinstance(ours_v, torchsound.pipelines.Tacotron2TTSBundle.Vocoder)
    assert isinstance(ours_v._inv_mel, torchsound.transforms.InverseMelScale)
    assert isinstance(ours_v._griffin_lim, torchsound.transforms.GriffinLim)
    assert list(ours_v.state_dict()) == list(theirs_v.state_dict())
    for attr in ("n_fft", "n_iter", "win_length", "hop_length", "power", "momentum", "rand_init", "length"):
        assert getattr(ours_v._griffin_lim, attr) == getattr(theirs_v._griffin_lim, attr), attr
    for attr in ("n_mels", "sample_rate", "f_min", "f_max"):
        assert getattr(ours_v._inv_mel, attr) == getattr(theirs_v._inv_mel, attr), attr
    torch.testing.assert_close(ours_v._griffin_lim.window, theirs_v._griffin_lim.window, rtol=0, atol=0)
    torch.testing.assert_close(ours_v._inv_mel.fb, theirs_v._inv_mel.fb, **tolerance("float32"))


def test_griffinlim_vocoder_equals_least_squares_then_torchaudio_griffinlim(tolerance):
    """exp -> minimum-norm least squares (numpy), clamped at 0 -> torchaudio's GriffinLim, in float64.

    torchsound's InverseMelScale returns the minimum-norm least-squares solution (see its docstring), so the
    reference is numpy's on the same filterbank. torchaudio's own vocoder differs from it by ~1e-5 of the peak
    in the linear spectrogram (its float32 filterbank rounds differently and its lstsq driver is not the
    minimum-norm one), which Griffin-Lim's 32 iterations amplify: the stages are compared instead.
    """
    import numpy as np

    ours_v = ours("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder().double()
    theirs_v = theirs("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder().double()
    # Tacotron2's output: natural-log mel magnitudes, here random in [-8, 1].
    mel = torch.rand(2, 80, 12, generator=torch.Generator().manual_seed(1), dtype=torch.float64) * 9 - 8
    lengths = torch.tensor([12, 9])
    fb = ours_v._inv_mel.fb.numpy()
    linear = np.stack([np.linalg.lstsq(fb.T, m, rcond=None)[0] for m in mel.exp().numpy()])
    linear = torch.from_numpy(linear).clamp(min=0)
    torch.manual_seed(5)  # Griffin-Lim's random initial phase
    got, got_len = ours_v(mel, lengths)
    torch.manual_seed(5)
    want = theirs_v._griffin_lim(linear)
    assert got.shape == want.shape == (2, 11 * 256)
    assert got_len is lengths
    torch.testing.assert_close(got, want, **tolerance("float64_accumulated"))
    assert not got.requires_grad
    # float32 in, float32 out.
    assert ours("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder()(mel.float())[0].dtype == torch.float32


@pytest.mark.parametrize("min_level_db", [-100, None])
def test_wavernn_vocoder_equals_torchaudio(min_level_db, tolerance):
    ta = torchaudio28()
    m_ours, m_theirs = torchsound.models.WaveRNN(**SMALL_WRNN), ta.models.WaveRNN(**SMALL_WRNN)
    state = random_state(m_theirs, 2)
    m_ours.load_state_dict(state), m_theirs.load_state_dict(state)
    # float32: torchaudio's WaveRNN.infer returns float32 samples whatever the model's dtype, and the vocoder's
    # truncating [-1, 1] -> class round trip flips on the last bit, so only float32 compares class for class.
    v_ours = _vocoders._WaveRNNVocoder(m_ours.eval(), min_level_db=min_level_db)
    v_theirs = oracle_tts().impl._WaveRNNVocoder(m_theirs.eval(), min_level_db=min_level_db)
    assert list(v_ours.state_dict()) == list(v_theirs.state_dict())
    mel = torch.rand(2, 80, 4, generator=torch.Generator().manual_seed(3)) * 9 - 8
    lengths = torch.tensor([4, 3])
    with torch.no_grad():
        torch.manual_seed(11)  # sampling
        got, got_len = v_ours(mel, lengths)
        torch.manual_seed(11)
        want, want_len = v_theirs(mel, lengths)
    assert got.shape == want.shape == (2, 4 * 6)
    assert got.dtype == want.dtype == torch.float32
    torch.testing.assert_close(got, want, **tolerance("float32"))
    torch.testing.assert_close(got_len, want_len, rtol=0, atol=0)


# --------------------------------------------------------------------------- weights through the cache


def write_checkpoint(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)


@pytest.mark.parametrize("name", NAMES)
def test_get_tacotron2_equals_loading_by_hand(torch_home, name, tolerance):
    n_symbol = ours(name)._tacotron2_params["n_symbol"]
    bundle = dataclasses.replace(ours(name), _tacotron2_params=dict(SMALL_TACO, n_symbol=n_symbol))
    url = f"{MODELS_URL}/{bundle._tacotron2_path}"
    path = _assets.checkpoint_path(url)
    assert path == torch_home / "hub" / "checkpoints" / bundle._tacotron2_path  # torch.hub's location
    reference = torchaudio28().models.Tacotron2(**bundle._tacotron2_params)
    state = random_state(reference, 4)
    write_checkpoint(path, state)

    model = bundle.get_tacotron2(dl_kwargs={"progress": False})
    assert isinstance(model, torchsound.models.Tacotron2) and not model.training
    reference.load_state_dict(state)
    reference.eval()
    tokens = torch.randint(1, n_symbol, (2, 7), generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([7, 5])
    with torch.no_grad():
        torch.manual_seed(3)  # the prenet's dropout stays on at inference
        got = model.infer(tokens, lengths)
        torch.manual_seed(3)
        want = reference.infer(tokens, lengths)
    torch.testing.assert_close(got, want, **tolerance("float32"))


@pytest.mark.parametrize("name", [n for n in NAMES if "WAVERNN" in n])
def test_get_vocoder_wavernn_equals_torchaudio_on_the_same_file(torch_home, name, tolerance):
    bundle = dataclasses.replace(ours(name), _wavernn_params=dict(SMALL_WRNN))
    url = f"{MODELS_URL}/{bundle._wavernn_path}"
    reference = torchaudio28().models.WaveRNN(**SMALL_WRNN)
    state = random_state(reference, 6)
    write_checkpoint(_assets.checkpoint_path(url), state)

    vocoder = bundle.get_vocoder()
    assert isinstance(vocoder, torchsound.pipelines.Tacotron2TTSBundle.Vocoder)
    assert vocoder.sample_rate == 22050 and not vocoder._model.training
    reference.load_state_dict(state)
    expected_vocoder = oracle_tts().impl._WaveRNNVocoder(reference.eval())
    mel = torch.rand(1, 80, 3, generator=torch.Generator().manual_seed(8)) * 9 - 8
    with torch.no_grad():
        torch.manual_seed(2)
        got, _ = vocoder(mel)
        torch.manual_seed(2)
        want, _ = expected_vocoder(mel)
    torch.testing.assert_close(got, want, **tolerance("float32"))


def test_griffinlim_bundles_need_no_file(torch_home):
    for name in ("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH", "TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH"):
        assert isinstance(ours(name).get_vocoder(), _vocoders._GriffinLimVocoder)
    assert list(torch_home.rglob("*")) == []


@pytest.mark.parametrize(
    "name, method, file_name",
    [
        ("TACOTRON2_WAVERNN_CHAR_LJSPEECH", "get_tacotron2", "tacotron2_english_characters_1500_epochs_wavernn_ljspeech.pth"),
        ("TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH", "get_tacotron2", "tacotron2_english_phonemes_1500_epochs_ljspeech.pth"),
        ("TACOTRON2_WAVERNN_PHONE_LJSPEECH", "get_vocoder", "wavernn_10k_epochs_8bits_ljspeech.pth"),
        ("TACOTRON2_WAVERNN_PHONE_LJSPEECH", "get_text_processor", "en_us_cmudict_forward.pt"),
    ],
)
def test_missing_file_fails_fast_naming_file_url_and_path(torch_home, name, method, file_name):
    url = _text.DEEP_PHONEMIZER_URL if file_name.endswith(".pt") else f"{MODELS_URL}/{file_name}"
    start = time.monotonic()
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        getattr(ours(name), method)()
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert file_name in message and url in message
    assert str(torch_home / "hub" / "checkpoints" / file_name) in message
    assert elapsed < 30, "must not retry for long"  # the contract is seconds; the bound only catches a retry loop


def test_unsafe_checkpoint_is_refused_without_running_code(torch_home, tmp_path):
    marker = tmp_path / "code_ran"
    bundle = ours("TACOTRON2_WAVERNN_CHAR_LJSPEECH")
    write_checkpoint(_assets.checkpoint_path(f"{MODELS_URL}/{bundle._tacotron2_path}"), {"x": _Evil(marker)})
    with pytest.raises(_assets.UnsafeCheckpointError, match=bundle._tacotron2_path):
        bundle.get_tacotron2()
    assert not marker.exists()


class _Evil:
    """Unpickling this runs code (touches a file)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


# --------------------------------------------------------------------------- phoneme processor (DeepPhonemizer)

PHONES = ["AA", "AE", "AH", "B", "D", "HH", "L", "OW", "W", "ER", "T", "S", "K", "EH", "P", "IY", "CH", "R"]


def make_deep_phonemizer_checkpoint(path: Path, seed: int = 0) -> None:
    """A small random DeepPhonemizer forward model saved as dp's trainer saves it (config, model, preprocessor...)."""
    from dp.model.model import ForwardTransformer
    from dp.preprocessing.text import Preprocessor

    config = {
        "preprocessing": {
            "languages": ["en_us"],
            "text_symbols": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "phoneme_symbols": [f"[{p}]" for p in PHONES],
            "char_repeats": 3,
            "lowercase": True,
            "n_val": 1,
        },
        "model": {"type": "transformer", "d_model": 16, "d_fft": 16, "layers": 1, "dropout": 0.0, "heads": 2},
        "training": {"store_phoneme_dict_in_model": True},
    }
    torch.manual_seed(seed)
    model = ForwardTransformer.from_config(config)
    checkpoint = {
        "config": config,
        "preprocessor": Preprocessor.from_config(config),
        "phoneme_dict": {"en_us": {"hello": "[HH][AH][L][OW]", "world": "[W][ER][L][D]"}},
        "step": 0,
        "model": model.state_dict(),
        "optimizer": None,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, path)


PHONE_TEXTS = ["Hello, T T S !", "Text-to-speech!", "hello world", "Speech synthesis (TTS): done; ok?", "a"]


def test_phone_processor_equals_torchaudio_with_a_built_checkpoint(torch_home):
    path = _assets.checkpoint_path(_text.DEEP_PHONEMIZER_URL)
    make_deep_phonemizer_checkpoint(path)
    ours_p = ours("TACOTRON2_WAVERNN_PHONE_LJSPEECH").get_text_processor()
    theirs_p = theirs("TACOTRON2_WAVERNN_PHONE_LJSPEECH").get_text_processor()
    assert tuple(ours_p.tokens) == tuple(theirs_p.tokens)
    for texts in [PHONE_TEXTS, PHONE_TEXTS[0], PHONE_TEXTS[2:3]]:
        got, want = ours_p(texts), theirs_p(texts)
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    # The dictionary entry is used: "hello world" -> HH AH L OW ' ' W ER L D.
    values, lengths = ours_p("hello world")
    assert [ours_p.tokens[i] for i in values[0, : lengths[0]]] == ["HH", "AH", "L", "OW", " ", "W", "ER", "L", "D"]


def test_phone_processor_refuses_a_checkpoint_with_code(torch_home, tmp_path):
    marker = tmp_path / "code_ran"
    path = _assets.checkpoint_path(_text.DEEP_PHONEMIZER_URL)
    path.parent.mkdir(parents=True)
    torch.save({"config": {}, "model": {}, "preprocessor": _Evil(marker)}, path)
    with pytest.raises(_assets.UnsafeCheckpointError, match="en_us_cmudict_forward.pt"):
        ours("TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH").get_text_processor()
    assert not marker.exists()


def test_phone_processor_rejects_a_file_that_is_not_a_phonemizer(torch_home):
    path = _assets.checkpoint_path(_text.DEEP_PHONEMIZER_URL)
    path.parent.mkdir(parents=True)
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="en_us_cmudict_forward.pt: not a DeepPhonemizer checkpoint"):
        ours("TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH").get_text_processor()
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(RuntimeError, match="en_us_cmudict_forward.pt: not a readable checkpoint"):
        ours("TACOTRON2_GRIFFINLIM_PHONE_LJSPEECH").get_text_processor()


def test_phone_processor_dl_kwargs(torch_home):
    with pytest.raises(TypeError, match="`dl_kwargs` accepts progress, hash_prefix; got unexpected model_dir"):
        ours("TACOTRON2_WAVERNN_PHONE_LJSPEECH").get_text_processor(dl_kwargs={"model_dir": "x"})
    make_deep_phonemizer_checkpoint(_assets.checkpoint_path(_text.DEEP_PHONEMIZER_URL))
    assert ours("TACOTRON2_WAVERNN_PHONE_LJSPEECH").get_text_processor(dl_kwargs={"progress": False})("a")[1].item() >= 0


def test_phone_processor_without_deep_phonemizer_names_the_extra(torch_home, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "dp", None)  # import dp -> ImportError
    with pytest.raises(ImportError, match=r"pip install 'torchsound\[pipelines\]'"):
        ours("TACOTRON2_WAVERNN_PHONE_LJSPEECH").get_text_processor()


def test_bundles_pickle():
    for name in NAMES:
        assert pickle.loads(pickle.dumps(ours(name))) == ours(name)


def test_end_to_end_equals_torchaudio_bundle_on_the_same_files(torch_home, tolerance):
    """Text -> Tacotron2 -> WaveRNN through both bundles, each loading the same cached files itself."""
    name = "TACOTRON2_WAVERNN_CHAR_LJSPEECH"
    small = dict(_tacotron2_params=dict(SMALL_TACO, n_symbol=38), _wavernn_params=dict(SMALL_WRNN))
    bundle_ours, bundle_theirs = dataclasses.replace(ours(name), **small), dataclasses.replace(theirs(name), **small)
    ta = torchaudio28()
    write_checkpoint(_assets.checkpoint_path(f"{MODELS_URL}/{bundle_ours._tacotron2_path}"),
                     random_state(ta.models.Tacotron2(**bundle_ours._tacotron2_params), 7))
    write_checkpoint(_assets.checkpoint_path(f"{MODELS_URL}/{bundle_ours._wavernn_path}"),
                     random_state(ta.models.WaveRNN(**SMALL_WRNN), 8))
    outputs = []
    for bundle in (bundle_ours, bundle_theirs):
        processor, tacotron2, vocoder = bundle.get_text_processor(), bundle.get_tacotron2(), bundle.get_vocoder()
        with torch.no_grad():
            torch.manual_seed(4)
            tokens, lengths = processor(["Hello world!", "TTS"])
            specgram, spec_lengths, _ = tacotron2.infer(tokens, lengths)
            waveforms, wave_lengths = vocoder(specgram, spec_lengths)
        outputs.append((tokens, lengths, specgram, spec_lengths, waveforms, wave_lengths))
    torch.testing.assert_close(outputs[0], outputs[1], **tolerance("float32"))


def test_vocoder_follows_the_module_device(device):
    """The vocoder's buffers move with ``.to(device)`` and its output stays there."""
    mel = torch.rand(1, 80, 6, generator=torch.Generator().manual_seed(0)) * 9 - 8
    cpu_vocoder = ours("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder()
    vocoder = ours("TACOTRON2_GRIFFINLIM_CHAR_LJSPEECH").get_vocoder().to(device)
    assert all(b.device.type == torch.device(device).type for b in vocoder.buffers())
    torch.manual_seed(1)
    want, _ = cpu_vocoder(mel)
    torch.manual_seed(1)
    got, _ = vocoder(mel.to(device))
    assert got.device.type == torch.device(device).type and got.shape == want.shape
    if torch.device(device).type == "cpu":
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    else:  # another generator draws the random initial phase there
        assert torch.isfinite(got).all()
