"""Emformer RNN-T bundles against torchaudio 2.8's (the oracle): static facts, feature extractors, token processor,
model and decoder loaded from a temporary ``$TORCH_HOME`` (the ``torch_home`` fixture of tests/pipelines/conftest.py).

Assets are written where torchaudio's ``download_asset`` keeps them (``<hub>/torchaudio/<key>``), so the oracle's own
bundle reads the same files: a random global-statistics JSON, a SentencePiece model trained here from a small text,
and random weights for a small Emformer RNN-T (the published size is compared on ``meta``).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import pickle
import sys
import time
from functools import partial
from pathlib import Path

import pytest
import torch

from _oracle import torchaudio28

import torchsound
from torchsound.pipelines import _assets
from torchsound.pipelines import rnnt_pipeline as ours_module

BUNDLES = [
    ("pipelines", "EMFORMER_RNNT_BASE_LIBRISPEECH"),
    ("prototype.pipelines", "EMFORMER_RNNT_BASE_MUSTC"),
    ("prototype.pipelines", "EMFORMER_RNNT_BASE_TEDLIUM3"),
]
IDS = [name for _, name in BUNDLES]

# A small Emformer RNN-T with the bundles' front end (80 mels, 16-frame segments, 4 frames of right context).
SMALL = dict(
    input_dim=80, encoding_dim=12, segment_length=16, right_context_length=4, time_reduction_input_dim=8,
    time_reduction_stride=4, transformer_num_heads=2, transformer_ffn_dim=10, transformer_num_layers=2,
    transformer_dropout=0.0, transformer_activation="gelu", transformer_left_context_length=8,
    transformer_max_memory_size=0, transformer_weight_init_scale_strategy="depthwise", transformer_tanh_on_mem=True,
    symbol_embedding_dim=8, num_lstm_layers=2, lstm_layer_norm=True, lstm_layer_norm_epsilon=1e-3, lstm_dropout=0.0,
)


def resolve(root, where: str, name: str):
    module = root
    for part in where.split("."):
        module = getattr(module, part)
    return getattr(module, name)


def ours(where, name):
    return resolve(torchsound, where, name)


def theirs(where, name):
    import importlib

    torchaudio28()
    return getattr(importlib.import_module(f"torchaudio.{where}"), name)


def params(fn) -> list:
    """Parameter names, kinds and defaults (annotations name each library's own classes)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


# --------------------------------------------------------------------------- static facts


@pytest.mark.parametrize("where, name", BUNDLES, ids=IDS)
def test_bundle_fields_and_properties_equal_torchaudio(where, name):
    a, b = ours(where, name), theirs(where, name)
    assert isinstance(a, torchsound.pipelines.RNNTBundle)
    fields = [f.name for f in dataclasses.fields(torchaudio28().pipelines.RNNTBundle)]
    assert [f.name for f in dataclasses.fields(a)] == fields
    for field in fields:
        if field == "_rnnt_factory_func":
            fa, fb = a._rnnt_factory_func, b._rnnt_factory_func
            assert (fa.func.__name__, fa.args, fa.keywords) == (fb.func.__name__, fb.args, fb.keywords)
            assert fa.func is torchsound.models.emformer_rnnt_base
        else:
            assert getattr(a, field) == getattr(b, field), field
    for prop in ("sample_rate", "n_fft", "n_mels", "hop_length", "segment_length", "right_context_length"):
        assert getattr(a, prop) == getattr(b, prop), prop
    assert a.__doc__ and "RNNTBundle" in a.__doc__


@pytest.mark.parametrize("where, name", BUNDLES, ids=IDS)
def test_full_size_model_layout_equals_torchaudio(where, name):
    with torch.device("meta"):
        m_ours, m_theirs = ours(where, name)._rnnt_factory_func(), theirs(where, name)._rnnt_factory_func()
    sa = {k: tuple(v.shape) for k, v in m_ours.state_dict().items()}
    sb = {k: tuple(v.shape) for k, v in m_theirs.state_dict().items()}
    assert list(sa) == list(sb) and sa == sb


def test_signatures_equal_torchaudio():
    a, b = torchsound.pipelines.RNNTBundle, torchaudio28().pipelines.RNNTBundle
    for method in ("get_decoder", "get_feature_extractor", "get_streaming_feature_extractor", "get_token_processor",
                   "_get_model"):
        assert params(getattr(a, method)) == params(getattr(b, method)), method
    for prop in ("sample_rate", "n_fft", "n_mels", "hop_length", "segment_length", "right_context_length"):
        assert isinstance(inspect.getattr_static(a, prop), property)
    for nested in ("FeatureExtractor", "TokenProcessor"):
        na, nb = getattr(a, nested), getattr(b, nested)
        assert inspect.isabstract(na) and na.__abstractmethods__ == nb.__abstractmethods__
        assert params(na.__call__) == params(nb.__call__)
    ta_impl = sys.modules[torchaudio28().pipelines.RNNTBundle.__module__]
    assert params(ours_module._SentencePieceTokenProcessor.__call__) == params(ta_impl._SentencePieceTokenProcessor.__call__)
    assert params(ours_module._ModuleFeatureExtractor.forward) == params(ta_impl._ModuleFeatureExtractor.forward)


def test_gain_equals_torchaudio():
    ta_impl = sys.modules[torchaudio28().pipelines.RNNTBundle.__module__]
    assert ours_module._GAIN == ta_impl._gain  # bit for bit


# --------------------------------------------------------------------------- assets in the cache


def write_global_stats(bundle, seed=0) -> Path:
    gen = torch.Generator().manual_seed(seed)
    blob = {"mean": (torch.randn(80, generator=gen) * 3 + 10).tolist(),
            "invstddev": (torch.rand(80, generator=gen) * 0.5 + 0.1).tolist()}
    path = _assets.asset_path(bundle._global_stats_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(blob))
    return path


CORPUS = """he hoped there would be stew for dinner turnips and carrots and bruised potatoes
and fat mutton pieces to be ladled out in thick peppered flour fattened sauce
stuff it into you his belly counselled him after early nightfall the yellow lamps
would light up here and there the squalid quarter of the brothels
hello bertie any good in your mind number ten fresh nelly is waiting on you good night husband
"""


def write_sentencepiece_model(bundle, tmp_path: Path) -> Path:
    """A small BPE SentencePiece model trained here (torchaudio's default special ids: unk 0, bos 1, eos 2)."""
    import sentencepiece as spm

    text = tmp_path / "corpus.txt"
    text.write_text(CORPUS * 4)
    prefix = tmp_path / "spm_tiny"
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(prefix), vocab_size=60, model_type="bpe",
                                   minloglevel=2)
    path = _assets.asset_path(bundle._sp_model_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(Path(f"{prefix}.model").read_bytes())
    return path


def waveform(speech, seconds=1.5):
    """The bundled speech sample (16 kHz) with a quiet stretch: features then cover both log-compression pieces."""
    x = speech[0][0, : int(seconds * 16000)].clone()
    x[4000:6000] *= 1e-4
    return x


@pytest.mark.parametrize("streaming", [False, True], ids=["full", "streaming"])
@pytest.mark.parametrize("where, name", BUNDLES, ids=IDS)
def test_feature_extractors_equal_torchaudio(torch_home, speech, tolerance, where, name, streaming):
    method = "get_streaming_feature_extractor" if streaming else "get_feature_extractor"
    write_global_stats(ours(where, name), seed=len(name))
    fe_ours = getattr(ours(where, name), method)()
    fe_theirs = getattr(theirs(where, name), method)()
    assert isinstance(fe_ours, torchsound.pipelines.RNNTBundle.FeatureExtractor)
    assert list(fe_ours.state_dict()) == list(fe_theirs.state_dict())
    # Our mel filterbank is the float64 one rounded once; torchaudio's float32 construction is off by up to 5e-6.
    for key, value in fe_theirs.state_dict().items():
        torch.testing.assert_close(fe_ours.state_dict()[key], value, **tolerance("float32_fft"))
    # Our mel filterbank is float64-accurate; torchaudio's float32 one is off by up to 5e-6, which moves single
    # features by up to 2e-5. Given our filterbank, torchaudio's pipeline must give our features.
    fe_theirs.load_state_dict(fe_ours.state_dict())
    x = waveform(speech)
    with torch.no_grad():
        got, got_len = fe_ours(x)
        want, want_len = fe_theirs(x.clone())
    assert got.shape == want.shape and got.shape[1] == 80
    assert int(got_len) == got.shape[0] and got_len.shape == (1,)
    torch.testing.assert_close(got_len, want_len, rtol=0, atol=0)
    # The log of float32 mel powers (torch.stft there, framing + rfft here); normalized by invstddev <= 0.6.
    torch.testing.assert_close(got, want, **tolerance("float32_fft"))
    # Both pieces of the log compression are exercised (values at and below e, and above).
    log_mel = ours_module._PiecewiseLinearLog(ours_module._GAIN)(fe_ours.pipeline[0](x).T)
    assert (log_mel < 1).any() and (log_mel > 1).any()
    # Centered frames, plus the right context of zero frames appended after normalization (full context only).
    assert got.shape[0] == len(x) // 160 + 1 + (0 if streaming else 4)
    if not streaming:
        assert torch.count_nonzero(got[-4:]) == 0


def test_feature_extractor_scripts_and_rejects_batches(torch_home, speech, tolerance):
    bundle = torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH
    write_global_stats(bundle)
    fe = bundle.get_feature_extractor()
    x = waveform(speech, 0.5)
    scripted = torch.jit.script(fe)
    got, want = scripted(x), fe(x)
    torch.testing.assert_close(got, want, **tolerance("float32"))  # TorchScript may fuse: rounding only
    with pytest.raises(ValueError, match=r"`input` must be a 1-D waveform \(time,\), got shape \[2, 8000\]"):
        fe(torch.zeros(2, 8000))


def test_piecewise_linear_log_equals_torchaudio_near_the_knots():
    ta_impl = sys.modules[torchaudio28().pipelines.RNNTBundle.__module__]
    e = torch.tensor(2.718281828459045, dtype=torch.float64)
    x = torch.cat([torch.linspace(0, 40, 4001, dtype=torch.float64), e * torch.tensor([0.999999, 1, 1.000001]),
                   torch.exp(e) * torch.tensor([0.999999, 1, 1.000001], dtype=torch.float64)])
    got = ours_module._PiecewiseLinearLog(1.0)(x)
    want = ta_impl._piecewise_linear_log(x.clone())
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_bad_global_stats_file_names_it(torch_home):
    bundle = torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH
    path = _assets.asset_path(bundle._global_stats_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"mean": [0.0]}')
    with pytest.raises(ValueError, match="global_stats_rnnt_librispeech.json: not a global statistics file"):
        bundle.get_feature_extractor()


@pytest.mark.parametrize("where, name", BUNDLES, ids=IDS)
def test_token_processor_equals_torchaudio(torch_home, tmp_path, where, name):
    write_sentencepiece_model(ours(where, name), tmp_path)
    tp_ours = ours(where, name).get_token_processor()
    tp_theirs = theirs(where, name).get_token_processor()
    assert isinstance(tp_ours, torchsound.pipelines.RNNTBundle.TokenProcessor)
    assert tp_ours.post_process_remove_list == tp_theirs.post_process_remove_list == {0, 2, -1}
    gen = torch.Generator().manual_seed(0)
    cases = [[], [5], [1, 0, 2, 7, 8], [4096 % 60, 3, 3, 59]]
    cases += [torch.randint(0, 60, (n,), generator=gen).tolist() for n in (3, 10, 25, 40)]
    for tokens in cases:
        for lstrip in (True, False):
            assert tp_ours(tokens, lstrip=lstrip) == tp_theirs(tokens, lstrip=lstrip), (tokens, lstrip)
        assert tp_ours(tokens) == tp_theirs(tokens)
    # The pieces are real words: decoding an encoding (after a start token) gives the text back.
    sp = tp_ours.sp_model
    assert tp_ours([0] + sp.encode("he hoped there would be stew")) == "he hoped there would be stew"


def test_token_processor_without_sentencepiece_names_the_extra(torch_home, tmp_path, monkeypatch):
    write_sentencepiece_model(torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH, tmp_path)
    monkeypatch.setitem(sys.modules, "sentencepiece", None)
    with pytest.raises(ImportError, match=r"pip install 'torchsound\[pipelines\]'"):
        torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH.get_token_processor()


# --------------------------------------------------------------------------- model and decoder


def small_bundles(where, name):
    """Copies of ours and torchaudio's bundle that build the small model (same file, same blank)."""
    a, b = ours(where, name), theirs(where, name)
    num_symbols = a._blank + 1
    small_a = dataclasses.replace(
        a, _rnnt_factory_func=partial(torchsound.models.emformer_rnnt_model, num_symbols=num_symbols, **SMALL))
    small_b = dataclasses.replace(
        b, _rnnt_factory_func=partial(torchaudio28().models.emformer_rnnt_model, num_symbols=num_symbols, **SMALL))
    return small_a, small_b


def write_random_model(bundle, seed=0, blank_bias=0.0) -> dict:
    torch.manual_seed(seed)
    model = bundle._rnnt_factory_func()
    gen = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(v.shape, generator=gen) * 0.2 if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    # Favour the blank so that a beam search emits a few tokens, not step_max_tokens at every frame.
    state["joiner.linear.bias"][bundle._blank] += blank_bias
    path = _assets.asset_path(bundle._rnnt_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return state


@pytest.mark.parametrize("where, name", BUNDLES, ids=IDS)
def test_get_model_equals_loading_by_hand(torch_home, tolerance, where, name):
    small_ours, small_theirs = small_bundles(where, name)
    state = write_random_model(small_theirs)
    assert _assets.asset_path(small_ours._rnnt_path) == torch_home / "hub" / "torchaudio" / small_ours._rnnt_path
    model = small_ours.get_model()
    assert isinstance(model, torchsound.models.RNNT) and not model.training
    reference = small_theirs._rnnt_factory_func()
    reference.load_state_dict(state)
    reference.eval()
    gen = torch.Generator().manual_seed(1)
    sources = torch.randn(2, 40, 80, generator=gen)
    lengths = torch.tensor([40, 29])
    targets = torch.randint(0, small_ours._blank, (2, 5), generator=gen)
    target_lengths = torch.tensor([5, 3])
    with torch.no_grad():
        got = model(sources, lengths, targets, target_lengths)
        want = reference(sources, lengths, targets, target_lengths)
    torch.testing.assert_close(got, want, **tolerance("float32"))
    # torchaudio's private name works too.
    torch.testing.assert_close(small_ours._get_model().state_dict(), model.state_dict(), rtol=0, atol=0)


def hypotheses_equal(got, want, tolerance):
    assert len(got) == len(want)
    for a, b in zip(got, want):
        assert a[0] == b[0]  # tokens
        torch.testing.assert_close(torch.tensor(a[3]), torch.tensor(b[3]), **tolerance("float32"))  # score


@pytest.mark.parametrize("where, name", BUNDLES[:2], ids=IDS[:2])
def test_decoding_equals_torchaudio(torch_home, speech, tolerance, where, name):
    """Features -> beam search, full-context and streaming (the RNNTBundle docstring's loop)."""
    small_ours, small_theirs = small_bundles(where, name)
    write_random_model(small_theirs, seed=2, blank_bias=6.0)
    write_global_stats(small_ours, seed=3)
    decoder_ours, decoder_theirs = small_ours.get_decoder(), small_theirs.get_decoder()
    assert isinstance(decoder_ours, torchsound.models.RNNTBeamSearch)
    assert decoder_ours.blank == decoder_theirs.blank == small_ours._blank
    x = waveform(speech, 0.8)
    with torch.no_grad():
        features, length = small_ours.get_feature_extractor()(x)
        ref_features, ref_length = small_theirs.get_feature_extractor()(x)
        got = decoder_ours(features, length, 3)
        want = decoder_theirs(ref_features, ref_length, 3)
    hypotheses_equal(got, want, tolerance)
    assert 0 < max(len(h[0]) for h in got) < 60  # tokens were emitted (the search is not all blanks)

    hop = small_ours.hop_length
    segment = small_ours.segment_length * hop
    with_context = segment + small_ours.right_context_length * hop
    fe_ours, fe_theirs = small_ours.get_streaming_feature_extractor(), small_theirs.get_streaming_feature_extractor()
    state_a = state_b = hypo_a = hypo_b = None
    for start in range(0, len(x), segment):
        chunk = torch.nn.functional.pad(x[start : start + with_context], (0, max(0, with_context - len(x[start:]))))
        with torch.no_grad():
            fa, la = fe_ours(chunk)
            fb, lb = fe_theirs(chunk)
            hyps_a, state_a = decoder_ours.infer(fa, la, 3, state=state_a, hypothesis=hypo_a)
            hyps_b, state_b = decoder_theirs.infer(fb, lb, 3, state=state_b, hypothesis=hypo_b)
        hypotheses_equal(hyps_a, hyps_b, tolerance)
        hypo_a, hypo_b = hyps_a, hyps_b  # infer seeds its search with a list of hypotheses


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "method, field",
    [
        ("get_model", "_rnnt_path"),
        ("get_decoder", "_rnnt_path"),
        ("get_feature_extractor", "_global_stats_path"),
        ("get_streaming_feature_extractor", "_global_stats_path"),
        ("get_token_processor", "_sp_model_path"),
    ],
)
@pytest.mark.parametrize("where, name", [BUNDLES[0], BUNDLES[2]], ids=[IDS[0], IDS[2]])
def test_missing_file_fails_fast_naming_file_url_and_path(torch_home, where, name, method, field):
    bundle = ours(where, name)
    key = getattr(bundle, field)
    start = time.monotonic()
    with pytest.raises(_assets.WeightsNotFoundError) as info:
        getattr(bundle, method)()
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert Path(key).name in message
    assert f"https://download.pytorch.org/torchaudio/{key}" in message
    assert str(torch_home / "hub" / "torchaudio" / key) in message
    assert elapsed < 30, "must not retry for long"  # the contract is seconds; the bound only catches a retry loop


class _Evil:
    """Unpickling this runs code (touches a file)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_unsafe_checkpoint_is_refused_without_running_code(torch_home, tmp_path):
    marker = tmp_path / "code_ran"
    bundle = torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH
    path = _assets.asset_path(bundle._rnnt_path)
    path.parent.mkdir(parents=True)
    torch.save({"weight": _Evil(marker)}, path)
    with pytest.raises(_assets.UnsafeCheckpointError, match="emformer_rnnt_base_librispeech.pt"):
        bundle.get_model()
    assert not marker.exists()


def test_bundles_pickle():
    for where, name in BUNDLES:
        bundle = ours(where, name)
        copy = pickle.loads(pickle.dumps(bundle))
        assert dataclasses.replace(copy, _rnnt_factory_func=None) == dataclasses.replace(bundle, _rnnt_factory_func=None)
        assert copy._rnnt_factory_func.keywords == bundle._rnnt_factory_func.keywords


def test_feature_extractor_follows_the_module_device(torch_home, speech, device, tolerance):
    bundle = torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH
    write_global_stats(bundle)
    x = waveform(speech, 0.5)
    want, want_len = bundle.get_feature_extractor()(x)
    got, got_len = bundle.get_feature_extractor().to(device)(x.to(device))
    assert got.device.type == torch.device(device).type
    torch.testing.assert_close(got_len, want_len, rtol=0, atol=0)  # a CPU tensor, as torchaudio's
    torch.testing.assert_close(got.cpu(), want, **tolerance("float32_fft"))
