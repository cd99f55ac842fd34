"""models.decoder.ctc_decoder against torchaudio 2.8's ctc_decoder (the oracle drives flashlight-text itself).

Both of our backends are checked: flashlight-text (what ``backend="auto"`` picks when it is installed) and the
PyTorch search (``backend="torch"``, what runs without flashlight-text). Hypotheses (tokens, words, score,
timesteps) must equal the oracle's on the same emissions, lexicon-free, with a lexicon, with a tiny ARPA LM
read by KenLM, and with a custom Python LM.
"""

from __future__ import annotations

import importlib
import sys

import pytest
import torch

from conftest import tol
from torchsound.models import decoder as ours
from torchsound.models.decoder import _ctc_decoder

TOKENS = ["-", "|", "a", "b", "c"]
LEXICON = "ab a b |\nba b a |\ncab c a b |\nabc a b c |\n"
# A bigram word LM in ARPA text (KenLM reads it directly); log10 probabilities.
ARPA = """\\data\\
ngram 1=7
ngram 2=5

\\1-grams:
-1.0\t<unk>\t0
-99\t<s>\t-0.5
-0.7\t</s>\t0
-0.5\tab\t-0.3
-0.6\tba\t-0.3
-0.8\tcab\t-0.2
-0.9\tabc\t-0.2

\\2-grams:
-0.2\t<s> ab
-0.3\tab ba
-0.4\tba </s>
-0.3\tcab </s>
-0.25\tab abc

\\end\\
"""
# The same kind of LM over tokens, for lexicon-free decoding with KenLM.
TOKEN_ARPA = """\\data\\
ngram 1=7
ngram 2=3

\\1-grams:
-1.0\t<unk>\t0
-99\t<s>\t-0.5
-0.7\t</s>\t0
-0.5\ta\t-0.3
-0.6\tb\t-0.3
-0.8\tc\t-0.2
-0.4\t|\t-0.1

\\2-grams:
-0.2\t<s> a
-0.3\ta b
-0.25\tb |

\\end\\
"""


@pytest.fixture(scope="module")
def oracle(torchaudio28):
    return importlib.import_module("torchaudio.models.decoder")


def _emissions(batch=2, frames=40, tokens=5, seed=0, scale=2.0):  # 5 = len(TOKENS)
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(batch, frames, tokens, generator=g)).log_softmax(-1)


def _assert_same(got, want, exact=False):
    assert len(got) == len(want)
    for hyps, refs in zip(got, want):
        assert len(hyps) == len(refs)
        for h, r in zip(hyps, refs):
            assert h.tokens.dtype == r.tokens.dtype and h.timesteps.dtype == r.timesteps.dtype
            assert h.tokens.tolist() == r.tokens.tolist()
            assert h.timesteps.tolist() == r.timesteps.tolist()
            assert h.words == r.words
            if exact:
                assert h.score == r.score
            else:
                torch.testing.assert_close(torch.tensor(h.score), torch.tensor(r.score), **tol("float64"))


def test_names_match_torchaudio(oracle):
    assert sorted(ours.__all__) == sorted(oracle.__all__)
    import torchsound.models

    assert torchsound.models.decoder is ours


OPTIONS = [
    dict(),
    dict(nbest=5),
    dict(nbest=4, beam_size=3),
    dict(nbest=3, log_add=True),
    dict(nbest=3, beam_size=8, beam_threshold=2.0),
    dict(nbest=3, beam_size=8, beam_threshold=2.0, log_add=True),
    dict(nbest=2, beam_size_token=3, sil_score=-0.5),
    dict(nbest=2, beam_size=1),
]


@pytest.mark.parametrize("backend", ["auto", "torch"])
@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_lexicon_free_equals_torchaudio(oracle, backend, options):
    em = _emissions(batch=3, frames=50)
    lengths = torch.tensor([50, 31, 1])
    want = oracle.ctc_decoder(None, TOKENS, **options)(em, lengths)
    got = ours.ctc_decoder(None, TOKENS, backend=backend, **options)(em, lengths)
    _assert_same(got, want, exact=backend == "auto")


def test_lexicon_free_long_wav2vec2_vocabulary(oracle):
    # 29 tokens, beam 50 over 300 frames: the benchmark's setting, shorter.
    tokens = ["-", "|"] + [chr(ord("a") + i) for i in range(26)] + ["'"]
    em = _emissions(batch=2, frames=300, tokens=29, seed=5, scale=3.0)
    want = oracle.ctc_decoder(None, tokens, nbest=3)(em)
    _assert_same(ours.ctc_decoder(None, tokens, nbest=3, backend="torch")(em), want)


def test_tokens_file_and_blank_equal_to_silence(oracle, tmp_path):
    # Entries on one line share an index (flashlight's Dictionary); blank may double as silence.
    path = tmp_path / "tokens.txt"
    path.write_text("-\n|\na A\nb\nc\n")
    em = _emissions(frames=30)
    for kw in (dict(), dict(sil_token="-")):
        want = oracle.ctc_decoder(None, str(path), nbest=3, **kw)(em)
        _assert_same(ours.ctc_decoder(None, str(path), nbest=3, backend="torch", **kw)(em), want)
        _assert_same(ours.ctc_decoder(None, path, nbest=3, **kw)(em), want, exact=True)
    dec = ours.ctc_decoder(None, str(path), backend="torch")
    fl_dict = importlib.import_module("flashlight.lib.text.dictionary").Dictionary(str(path))
    assert dec.tokens_dict.index_size() == fl_dict.index_size() == 5
    assert dec.tokens_dict.get_index("A") == fl_dict.get_index("A") == 2
    assert [dec.tokens_dict.get_entry(i) for i in range(5)] == [fl_dict.get_entry(i) for i in range(5)]


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_idxs_to_tokens(oracle, backend):
    idxs = torch.tensor([1, 2, 4, 0, 1])
    assert ours.ctc_decoder(None, TOKENS, backend=backend).idxs_to_tokens(idxs) == oracle.ctc_decoder(
        None, TOKENS
    ).idxs_to_tokens(idxs)


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_incremental_equals_torchaudio(oracle, backend):
    em = _emissions(batch=1, frames=45, seed=3)[0]
    ref = oracle.ctc_decoder(None, TOKENS, nbest=3)
    ref.decode_begin()
    for chunk in em.split(10):
        ref.decode_step(chunk.contiguous())
    ref.decode_end()
    want = ref.get_final_hypothesis()

    dec = ours.ctc_decoder(None, TOKENS, nbest=3, backend=backend)
    for _ in range(2):  # a second utterance starts afresh
        dec.decode_begin()
        for chunk in em.split(10):
            dec.decode_step(chunk)
        dec.decode_end()
        _assert_same([dec.get_final_hypothesis()], [want], exact=backend == "auto")
    # The batch call gives the same.
    _assert_same(dec(em[None]), [want], exact=backend == "auto")


def _lexicon_files(tmp_path):
    lexicon = tmp_path / "lexicon.txt"
    lexicon.write_text(LEXICON)
    arpa = tmp_path / "lm.arpa"
    arpa.write_text(ARPA)
    return str(lexicon), str(arpa)


@pytest.mark.parametrize(
    "options",
    [dict(), dict(nbest=3, word_score=-0.5, lm_weight=1.0), dict(nbest=2, unk_score=-5.0, log_add=True)],
    ids=["default", "word_score", "unk_log_add"],
)
@pytest.mark.parametrize("with_lm", [False, True], ids=["no_lm", "kenlm_arpa"])
def test_lexicon_equals_torchaudio(oracle, tmp_path, options, with_lm):
    lexicon, arpa = _lexicon_files(tmp_path)
    lm = arpa if with_lm else None
    em = _emissions(batch=2, frames=40, seed=1)
    want = oracle.ctc_decoder(lexicon, TOKENS, lm=lm, **options)(em)
    got = ours.ctc_decoder(lexicon, TOKENS, lm=lm, **options)(em)
    _assert_same(got, want, exact=True)
    assert any(h.words for hyps in got for h in hyps)  # the lexicon produced words


def test_lexicon_free_kenlm_and_lm_dict_equal_torchaudio(oracle, tmp_path):
    arpa = tmp_path / "tokens.arpa"
    arpa.write_text(TOKEN_ARPA)
    em = _emissions(frames=30, seed=2)
    want = oracle.ctc_decoder(None, TOKENS, lm=str(arpa), nbest=2)(em)
    _assert_same(ours.ctc_decoder(None, TOKENS, lm=str(arpa), nbest=2)(em), want, exact=True)

    lexicon, word_arpa = _lexicon_files(tmp_path)
    lm_dict = tmp_path / "words.txt"
    lm_dict.write_text("<unk>\nab\nba\ncab\nabc\n")
    want = oracle.ctc_decoder(lexicon, TOKENS, lm=word_arpa, lm_dict=str(lm_dict), nbest=2)(em)
    _assert_same(ours.ctc_decoder(lexicon, TOKENS, lm=word_arpa, lm_dict=str(lm_dict), nbest=2)(em), want, exact=True)


def _bigram_lm(base, state_cls, num_tokens, seed=7):
    """A token bigram LM (random log-probabilities) on the given CTCDecoderLM / CTCDecoderLMState classes."""

    class BigramLM(base):
        def __init__(self):
            base.__init__(self)
            g = torch.Generator().manual_seed(seed)
            self.table = (
                torch.randn(num_tokens + 1, num_tokens + 1, generator=g, dtype=torch.float64).log_softmax(-1).tolist()
            )
            self.prev = {}
            self.calls = 0

        def start(self, start_with_nothing):
            state = state_cls()
            self.prev[state] = num_tokens  # the sentence start
            return state

        def score(self, state, token):
            self.calls += 1
            child = state.child(token)
            self.prev[child] = token
            return child, self.table[self.prev[state]][token]

        def finish(self, state):
            return state, self.table[self.prev[state]][num_tokens]

    return BigramLM()


@pytest.mark.parametrize(
    "options", [dict(nbest=3), dict(nbest=3, lm_weight=0.7, log_add=True, beam_size=6)], ids=["default", "log_add"]
)
def test_custom_lm_equals_torchaudio(oracle, options):
    em = _emissions(batch=2, frames=35, seed=4)
    lengths = torch.tensor([35, 20])
    ref_lm = _bigram_lm(oracle.CTCDecoderLM, oracle.CTCDecoderLMState, len(TOKENS))
    want = oracle.ctc_decoder(None, TOKENS, lm=ref_lm, **options)(em, lengths)
    for backend in ("auto", "torch"):
        lm = _bigram_lm(ours.CTCDecoderLM, ours.CTCDecoderLMState, len(TOKENS))
        got = ours.ctc_decoder(None, TOKENS, lm=lm, backend=backend, **options)(em, lengths)
        _assert_same(got, want, exact=backend == "auto")
        assert lm.calls > 0
    # Different from decoding without the LM (so the LM is really used).
    plain = oracle.ctc_decoder(None, TOKENS, **options)(em, lengths)
    assert [h.score for h in plain[0]] != [h.score for h in want[0]]


def test_without_flashlight_text(oracle, monkeypatch):
    """With flashlight-text absent: the pure-Python LM classes and the PyTorch search; lexicon/KenLM say which extra."""
    oracle_api = oracle.ctc_decoder, oracle.CTCDecoderLM, oracle.CTCDecoderLMState  # imported while flashlight is there
    for name in [m for m in sys.modules if m.startswith("flashlight")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "flashlight", None)  # import flashlight... -> ImportError
    monkeypatch.delitem(sys.modules, _ctc_decoder.__name__)
    monkeypatch.setattr(ours, "_ctc_decoder", _ctc_decoder)  # the import below rebinds it: restore it afterwards
    fallback = importlib.import_module(_ctc_decoder.__name__)
    monkeypatch.setitem(sys.modules, _ctc_decoder.__name__, _ctc_decoder)  # restore for later tests
    assert fallback._fl is None

    state = fallback.CTCDecoderLMState()
    child = state.child(3)
    assert state.child(3) is child and state.children == {3: child}
    assert state.compare(state) == 0 and state.compare(child) == -child.compare(state) != 0

    em = _emissions(batch=2, frames=30, seed=6)
    oracle_decoder, oracle_lm, oracle_state = oracle_api
    want = oracle_decoder(None, TOKENS, nbest=2)(em)
    _assert_same(fallback.ctc_decoder(None, TOKENS, nbest=2)(em), want)
    ref_lm = _bigram_lm(oracle_lm, oracle_state, len(TOKENS))
    lm = _bigram_lm(fallback.CTCDecoderLM, fallback.CTCDecoderLMState, len(TOKENS))
    _assert_same(
        fallback.ctc_decoder(None, TOKENS, lm=lm, nbest=2)(em), oracle_decoder(None, TOKENS, lm=ref_lm, nbest=2)(em)
    )

    with pytest.raises(ImportError, match=r"torchsound\[decoder\]"):
        fallback.ctc_decoder("lexicon.txt", TOKENS)
    with pytest.raises(ImportError, match=r"torchsound\[decoder\]"):
        fallback.ctc_decoder(None, TOKENS, lm="lm.bin")
    with pytest.raises(ImportError, match=r"torchsound\[decoder\]"):
        fallback.ctc_decoder(None, TOKENS, backend="flashlight")


@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_bad_input(tmp_path, backend):
    dec = ours.ctc_decoder(None, TOKENS, backend=backend)
    em = _emissions()
    with pytest.raises(ValueError, match=r"emissions must be 3D .*got shape \(40, 5\)"):
        dec(em[0])
    with pytest.raises(TypeError, match="emissions must be a floating-point tensor"):
        dec(em.to(torch.int64))
    with pytest.raises(TypeError, match="emissions must be a torch.Tensor"):
        dec(em.tolist())
    with pytest.raises(ValueError, match=r"one score per token \(5 tokens\), got 4"):
        dec(em[..., :4])
    with pytest.raises(ValueError, match=r"lengths must have shape \(2,\)"):
        dec(em, torch.tensor([40]))
    with pytest.raises(ValueError, match=r"lengths must lie in \[0, 40\]"):
        dec(em, torch.tensor([41, 3]))
    with pytest.raises(TypeError, match="lengths must be an integer tensor"):
        dec(em, torch.tensor([4.0, 3.0]))
    with pytest.raises(ValueError, match=r"emissions must be 2D .*got shape"):
        dec.decode_begin()
        dec.decode_step(em)
    with pytest.raises(ValueError, match="blank_token '-' is not in tokens"):
        ours.ctc_decoder(None, TOKENS[1:], backend=backend)
    path = tmp_path / "tokens.txt"
    path.write_text("<b>\n|\na\n")
    with pytest.raises(ValueError, match=r"blank_token '-' is not in tokens file .*tokens.txt"):
        ours.ctc_decoder(None, str(path), backend=backend)
    with pytest.raises(ValueError, match="sil_token '#' is not in tokens"):
        ours.ctc_decoder(None, TOKENS, sil_token="#", backend=backend)
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        ours.ctc_decoder(None, str(tmp_path / "missing.txt"), backend=backend)
    with pytest.raises(ValueError, match="beam_size must be a positive int, got 0"):
        ours.ctc_decoder(None, TOKENS, beam_size=0, backend=backend)
    with pytest.raises(ValueError, match="lm_dict must be None or str"):
        ours.ctc_decoder(None, TOKENS, lm_dict=3, backend=backend)
    with pytest.raises(TypeError, match="lm must be a KenLM file path, a CTCDecoderLM or None, got int"):
        ours.ctc_decoder(None, TOKENS, lm=3, backend=backend)


def test_backend_errors(tmp_path):
    lexicon, arpa = _lexicon_files(tmp_path)
    with pytest.raises(ValueError, match="backend must be 'auto', 'flashlight' or 'torch', got 'cuda'"):
        ours.ctc_decoder(None, TOKENS, backend="cuda")
    with pytest.raises(ValueError, match="lexicon decoding needs flashlight-text"):
        ours.ctc_decoder(lexicon, TOKENS, backend="torch")
    with pytest.raises(ValueError, match="KenLM file needs flashlight-text"):
        ours.ctc_decoder(None, TOKENS, lm=arpa, backend="torch")
    with pytest.raises(FileNotFoundError, match="lexicon file .*nope.txt"):
        ours.ctc_decoder(str(tmp_path / "nope.txt"), TOKENS)
    with pytest.raises(FileNotFoundError, match="language model file .*nope.bin"):
        ours.ctc_decoder(None, TOKENS, lm=str(tmp_path / "nope.bin"))
    if torch.cuda.is_available():
        with pytest.raises(ValueError, match="flashlight-text decodes CPU tensors"):
            ours.ctc_decoder(None, TOKENS, backend="flashlight")(_emissions().cuda())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_backend_on_cuda_equals_cpu():
    em = _emissions(batch=2, frames=40)
    dec = ours.ctc_decoder(None, TOKENS, nbest=3, backend="torch")
    _assert_same(dec(em.cuda(), torch.tensor([40, 22]).cuda()), dec(em, torch.tensor([40, 22])))


# ---------------------------------------------------------------- download_pretrained_files


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    """An empty TORCH_HOME; downloads go to a closed local port (fail at once, offline)."""
    import socket

    import torch.hub

    from torchsound.datasets import _download

    home = tmp_path / "torch_home"
    home.mkdir()
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    monkeypatch.delenv(_download.MIRROR_ENV, raising=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _download.clear_url_overrides()
    _download.set_url_override(lambda url: f"http://127.0.0.1:{port}/{url.rsplit('/', 1)[-1]}")
    yield home
    _download.clear_url_overrides()


@pytest.mark.parametrize("model", ["librispeech", "librispeech-3-gram", "librispeech-4-gram"])
def test_download_pretrained_files_from_cache(oracle, torch_home, model):
    # The oracle names the files (its _get_filenames); torchaudio's cache holds them under hub/torchaudio/<key>.
    keys = oracle._ctc_decoder._get_filenames(model)
    for key in keys:
        if key is not None:
            path = torch_home / "hub" / "torchaudio" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(key)
    files = ours.download_pretrained_files(model)
    assert type(files).__name__ == "PretrainedFiles" and files._fields == ("lexicon", "tokens", "lm")
    for got, key in zip(files, keys):
        assert got == (None if key is None else str(torch_home / "hub" / "torchaudio" / key))


@pytest.mark.filterwarnings("ignore:.*without a checksum")  # torchaudio publishes no checksum for these files
def test_download_pretrained_files_offline_error(torch_home):
    with pytest.raises(FileNotFoundError) as err:
        ours.download_pretrained_files("librispeech-4-gram")
    message = str(err.value)
    assert "https://download.pytorch.org/torchaudio/decoder-assets/librispeech-4-gram/lexicon.txt" in message
    assert str(torch_home / "hub" / "torchaudio" / "decoder-assets" / "librispeech-4-gram" / "lexicon.txt") in message
    with pytest.raises(ValueError, match="librispeech-5-gram not supported"):
        ours.download_pretrained_files("librispeech-5-gram")


def test_incremental_custom_lm_torch_equals_flashlight():
    # LM states carried across decode_step calls by the PyTorch search give flashlight-text's hypotheses.
    em = _emissions(batch=1, frames=33, seed=8)[0]
    results = []
    for backend in ("flashlight", "torch"):
        lm = _bigram_lm(ours.CTCDecoderLM, ours.CTCDecoderLMState, len(TOKENS))
        dec = ours.ctc_decoder(None, TOKENS, lm=lm, nbest=3, lm_weight=1.5, backend=backend)
        dec.decode_begin()
        for chunk in em.split(7):
            dec.decode_step(chunk)
        dec.decode_end()
        results.append(dec.get_final_hypothesis())
    _assert_same([results[1]], [results[0]])


def test_incremental_order_errors():
    dec = ours.ctc_decoder(None, TOKENS, backend="torch")
    with pytest.raises(RuntimeError, match="call decode_begin"):
        dec.decode_step(_emissions()[0])
    with pytest.raises(RuntimeError, match="call decode_begin"):
        dec.get_final_hypothesis()
