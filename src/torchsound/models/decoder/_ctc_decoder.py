"""CTC beam search decoding with torchaudio 2.8's ``ctc_decoder`` API.

With flashlight-text installed (``pip install 'torchsound[decoder]'``) decoding runs in its C++ lexicon
and lexicon-free decoders, driven as torchaudio drives them, so hypotheses equal torchaudio's. Without
it, lexicon-free decoding (no LM or a custom :class:`CTCDecoderLM`) runs in the PyTorch beam search of
``_beam_search.py``, which follows flashlight-text's rules and gives the same hypotheses.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections import namedtuple
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import torch

from ._beam_search import BeamSearch, collapse

try:  # the C++ decoders; everything lexicon-free also works without them
    from flashlight.lib.text import decoder as _fl
    from flashlight.lib.text import dictionary as _fl_dict
except ImportError:  # pragma: no cover - exercised where flashlight-text is absent
    _fl = _fl_dict = None

__all__ = [
    "CTCHypothesis",
    "CTCDecoder",
    "CTCDecoderLM",
    "CTCDecoderLMState",
    "ctc_decoder",
    "download_pretrained_files",
]

_EXTRA = "pip install 'torchsound[decoder]'"
_PretrainedFiles = namedtuple("PretrainedFiles", ["lexicon", "tokens", "lm"])


def _need_flashlight(what: str):
    if _fl is None:
        raise ImportError(f"{what} needs flashlight-text; install it with: {_EXTRA}")
    return _fl


class CTCHypothesis(NamedTuple):
    r"""A hypothesis of :class:`CTCDecoder`."""

    tokens: torch.LongTensor
    """Token ids of the hypothesis, shape ``(L,)``. As in torchaudio they start and end with the silence
    token (the search starts and ends on it)."""

    words: List[str]
    """Words of the hypothesis (lexicon decoding only; empty without a lexicon)."""

    score: float
    """Score of the hypothesis: acoustic scores of its best alignment (or, with ``log_add=True``, the
    log-sum over the alignments kept in the beam) plus ``lm_weight`` times the LM score and the word,
    unknown-word and silence scores."""

    timesteps: torch.IntTensor
    """Frame of each token, shape ``(L,)``, counted as torchaudio does: 0 is the start (silence) and
    emission frame ``t`` is ``t + 1``."""


_LMStateBase = _fl.LMState if _fl is not None else object
_LMBase = _fl.LM if _fl is not None else object


class CTCDecoderLMState(_LMStateBase):
    """State of a language model: a node of a tree whose children are reached by token (or word) index.

    A custom LM usually returns ``state.child(index)`` from :meth:`CTCDecoderLM.score`, so each prefix has
    its own state. Subclasses flashlight-text's ``LMState`` when flashlight-text is installed.
    """

    if _fl is None:

        def __init__(self) -> None:
            self._children: Dict[int, "CTCDecoderLMState"] = {}

        @property
        def children(self) -> Dict[int, "CTCDecoderLMState"]:
            """Map of indices to child states."""
            return self._children

        def child(self, usr_index: int) -> "CTCDecoderLMState":
            """The child state for ``usr_index``, created on first use."""
            state = self._children.get(usr_index)
            if state is None:
                state = self._children[usr_index] = type(self)()
            return state

        def compare(self, state: "CTCDecoderLMState") -> int:
            """0 if ``state`` is this state, else -1 or 1 (an arbitrary but consistent order)."""
            return 0 if state is self else (-1 if id(self) < id(state) else 1)


class CTCDecoderLM(_LMBase):
    """Base class of custom language models for :func:`ctc_decoder`.

    Subclasses implement :meth:`start`, :meth:`score` and :meth:`finish` (and call ``CTCDecoderLM.__init__``).
    Without a lexicon, indices are token indices; with one, word indices of the word dictionary.
    """

    @abstractmethod
    def start(self, start_with_nothing: bool) -> CTCDecoderLMState:
        """The initial state (``start_with_nothing``: whether the sentence starts without silence)."""
        raise NotImplementedError

    @abstractmethod
    def score(self, state: CTCDecoderLMState, usr_token_idx: int) -> Tuple[CTCDecoderLMState, float]:
        """The state after ``usr_token_idx`` follows ``state``, and the log-probability of that step."""
        raise NotImplementedError

    @abstractmethod
    def finish(self, state: CTCDecoderLMState) -> Tuple[CTCDecoderLMState, float]:
        """The final state and the log-probability of ending the sentence after ``state``."""
        raise NotImplementedError


class _TokenDict:
    """Token <-> index map read like flashlight-text's ``Dictionary``: one index per line (or list item);
    several whitespace-separated spellings on a line share its index, the first being its entry."""

    def __init__(self, tokens: Union[str, os.PathLike, Sequence[str]]) -> None:
        if isinstance(tokens, (str, os.PathLike)):
            try:
                with open(tokens, encoding="utf-8") as f:
                    lines = [line.strip() for line in f]
            except OSError as err:
                raise FileNotFoundError(f"ctc_decoder: cannot read tokens file {os.fspath(tokens)!r}: {err}") from err
            lines = [line for line in lines if line]
        else:
            lines = [str(t) for t in tokens]
        self._entries: List[str] = []
        self._index: Dict[str, int] = {}
        for i, line in enumerate(lines):
            spellings = line.split() or [line]
            self._entries.append(spellings[0])
            for s in spellings:
                self._index.setdefault(s, i)

    def index_size(self) -> int:
        return len(self._entries)

    def get_index(self, entry: str) -> int:
        if entry not in self._index:
            raise ValueError(f"Unknown entry in dictionary: '{entry}'")
        return self._index[entry]

    def get_entry(self, idx: int) -> str:
        if not 0 <= idx < len(self._entries):
            raise ValueError(f"Unknown index in dictionary '{idx}'")
        return self._entries[idx]


def _token_index(tokens_dict, token: str, argument: str, tokens) -> int:
    try:
        return tokens_dict.get_index(token)
    except (ValueError, RuntimeError, IndexError) as err:
        where = f"tokens file {os.fspath(tokens)!r}" if isinstance(tokens, (str, os.PathLike)) else "tokens"
        raise ValueError(f"ctc_decoder: {argument} {token!r} is not in {where}") from err


def _check_emissions(emissions, ndim: int, num_tokens: int) -> None:
    if not isinstance(emissions, torch.Tensor):
        raise TypeError(f"CTCDecoder: emissions must be a torch.Tensor, got {type(emissions).__name__}")
    if emissions.ndim != ndim:
        shape = "(batch, frame, num_tokens)" if ndim == 3 else "(frame, num_tokens)"
        raise ValueError(f"CTCDecoder: emissions must be {ndim}D {shape}, got shape {tuple(emissions.shape)}")
    if not emissions.is_floating_point():
        raise TypeError(f"CTCDecoder: emissions must be a floating-point tensor (float32), got {emissions.dtype}")
    if emissions.shape[-1] != num_tokens:
        raise ValueError(
            f"CTCDecoder: emissions must have one score per token ({num_tokens} tokens), "
            f"got {emissions.shape[-1]} in shape {tuple(emissions.shape)}"
        )


def _check_lengths(lengths, batch: int, frames: int) -> torch.Tensor:
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"CTCDecoder: lengths must be a torch.Tensor or None, got {type(lengths).__name__}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        raise TypeError(f"CTCDecoder: lengths must be an integer tensor, got {lengths.dtype}")
    if lengths.shape != (batch,):
        raise ValueError(
            f"CTCDecoder: lengths must have shape ({batch},) (one per batch item), got {tuple(lengths.shape)}"
        )
    lengths = lengths.to("cpu", torch.long)
    if batch and (int(lengths.min()) < 0 or int(lengths.max()) > frames):
        raise ValueError(
            f"CTCDecoder: lengths must lie in [0, {frames}] (the number of frames), got {lengths.tolist()}"
        )
    return lengths


class CTCDecoder:
    """CTC beam search decoder (flashlight-text's, or the PyTorch one without a lexicon). Build it with :func:`ctc_decoder`.

    Shape:
        - emissions: ``(batch, frame, num_tokens)`` for ``__call__``, ``(frame, num_tokens)`` for :meth:`decode_step`.
        - lengths: ``(batch,)``.
    """

    def __init__(
        self,
        nbest: int,
        lexicon: Optional[Dict],
        word_dict,
        tokens_dict,
        lm,
        decoder_options,
        blank_token: str,
        sil_token: str,
        unk_word: str,
    ) -> None:
        """Decoder around flashlight-text objects, with torchaudio's signature (prefer :func:`ctc_decoder`).

        ``decoder_options`` is flashlight-text's ``LexiconDecoderOptions`` / ``LexiconFreeDecoderOptions``,
        or a dict of :class:`~torchsound.models.decoder._beam_search.BeamSearch` options for the PyTorch search.
        """
        self.nbest = nbest
        self.word_dict = word_dict
        self.tokens_dict = tokens_dict
        self.blank = tokens_dict.get_index(blank_token)
        self.sil = tokens_dict.get_index(sil_token)
        self.lm = lm  # flashlight keeps a raw pointer to the LM: the decoder must keep it alive
        self._search: Optional[BeamSearch] = None
        if isinstance(decoder_options, dict):  # the PyTorch search
            self.decoder = None
            self._options = dict(decoder_options)
            self._started = False
            return
        fl = _need_flashlight("CTCDecoder")
        if lexicon:
            trie = fl.Trie(tokens_dict.index_size(), self.sil)
            start = lm.start(False)
            for word, spellings in lexicon.items():
                word_idx = word_dict.get_index(word)
                _, word_score = lm.score(start, word_idx)
                for spelling in spellings:
                    trie.insert([tokens_dict.get_index(t) for t in spelling], word_idx, word_score)
            trie.smear(fl.SmearingMode.MAX)
            self.decoder = fl.LexiconDecoder(
                decoder_options, trie, lm, self.sil, self.blank, word_dict.get_index(unk_word), [], False
            )
        else:
            self.decoder = fl.LexiconFreeDecoder(decoder_options, lm, self.sil, self.blank, [])

    # ------------------------------------------------------------------ results

    def _hypothesis(self, labels: Sequence[int], score: float, words: Sequence[int] = ()) -> CTCHypothesis:
        # The path runs from the start (silence) through every frame to the end (silence again).
        tokens, frames = collapse(labels, self.blank, start=-1)  # -1: the first label always counts
        return CTCHypothesis(
            tokens=torch.LongTensor(tokens),
            words=[self.word_dict.get_entry(w) for w in words if w >= 0],
            score=score,
            timesteps=torch.IntTensor(frames),
        )

    def _from_flashlight(self, results) -> List[CTCHypothesis]:
        return [self._hypothesis(list(r.tokens), r.score, r.words) for r in results[: self.nbest]]

    def _from_search(self, b: int) -> List[CTCHypothesis]:
        return [
            self._hypothesis([self.sil, *labels, self.sil], score)
            for labels, score in self._search.hypotheses(b, self.nbest)
        ]

    def _new_search(self) -> BeamSearch:
        return BeamSearch(
            self.tokens_dict.index_size(),
            self.blank,
            beam_over_states=True,
            start_token=self.sil,
            sil=self.sil,
            lm=self.lm,
            **self._options,
        )

    # ------------------------------------------------------------------ incremental

    def decode_begin(self):
        """Start incremental decoding (:meth:`decode_step` calls, then :meth:`decode_end`)."""
        if self.decoder is not None:
            self.decoder.decode_begin()
        else:
            self._search = self._new_search()
            self._started = False

    def decode_step(self, emissions: torch.FloatTensor):
        """Decode more frames on top of the current state.

        Args:
            emissions (Tensor): scores of shape ``(frame, num_tokens)`` (log-probabilities of the
                acoustic model). CPU for flashlight-text; any device for the PyTorch search.

        Example:
            >>> decoder.decode_begin()
            >>> decoder.decode_step(emission1)
            >>> decoder.decode_step(emission2)
            >>> decoder.decode_end()
            >>> result = decoder.get_final_hypothesis()
        """
        _check_emissions(emissions, 2, self.tokens_dict.index_size())
        if self.decoder is not None:
            emissions = self._for_flashlight(emissions)
            T, N = emissions.size()
            self.decoder.decode_step(emissions.data_ptr(), T, N)
            return
        if self._search is None:
            raise RuntimeError("CTCDecoder.decode_step: call decode_begin() first")
        if not self._started:
            self._search.begin(1, emissions.device)
            self._started = True
        self._search.step(emissions[None])

    def decode_end(self):
        """Finish incremental decoding (adds the LM's end-of-sentence score)."""
        if self.decoder is not None:
            self.decoder.decode_end()
            return
        if self._search is None:
            raise RuntimeError("CTCDecoder.decode_end: call decode_begin() first")
        if not self._started:  # no frame at all
            self._search.begin(1, torch.device("cpu"))
            self._started = True
        self._search.end()

    def get_final_hypothesis(self) -> List[CTCHypothesis]:
        """The best hypotheses of the incremental decoding, best first (at most ``nbest``)."""
        if self.decoder is not None:
            return self._from_flashlight(self.decoder.get_all_final_hypothesis())
        if self._search is None or self._search.final is None:
            raise RuntimeError(
                "CTCDecoder.get_final_hypothesis: call decode_begin(), decode_step() and decode_end() first"
            )
        return self._from_search(0)

    # ------------------------------------------------------------------ batch

    @staticmethod
    def _for_flashlight(emissions: torch.Tensor) -> torch.Tensor:
        if emissions.device.type != "cpu":
            raise ValueError(
                f"CTCDecoder: flashlight-text decodes CPU tensors, got emissions on {emissions.device}; "
                "move them with .cpu() or build the decoder with backend='torch'"
            )
        return emissions.to(torch.float32).contiguous()

    def __call__(
        self, emissions: torch.FloatTensor, lengths: Optional[torch.Tensor] = None
    ) -> List[List[CTCHypothesis]]:
        """Decode a batch.

        Args:
            emissions (Tensor): scores of shape ``(batch, frame, num_tokens)``, usually log-probabilities.
            lengths (Tensor or None): valid frames of each item, shape ``(batch,)`` (None: all).

        Returns:
            List[List[CTCHypothesis]]: for each item, its best hypotheses, best first.
        """
        _check_emissions(emissions, 3, self.tokens_dict.index_size())
        B, T, N = emissions.shape
        if lengths is not None:
            lengths = _check_lengths(lengths, B, T)
        if self.decoder is not None:
            emissions = self._for_flashlight(emissions)
            if lengths is None:
                lengths = torch.full((B,), T, dtype=torch.long)
            out = []
            for b in range(B):
                ptr = emissions.data_ptr() + emissions.element_size() * b * emissions.stride(0)
                out.append(self._from_flashlight(self.decoder.decode(ptr, int(lengths[b]), N)))
            return out
        search = self._new_search()
        search.begin(B, emissions.device)
        search.step(emissions, lengths)
        search.end()
        self._search = search
        return [self._from_search(b) for b in range(B)]

    def idxs_to_tokens(self, idxs: torch.LongTensor) -> List:
        """The tokens of token ids ``idxs`` (shape ``(L,)``)."""
        return [self.tokens_dict.get_entry(int(i)) for i in idxs]


def ctc_decoder(
    lexicon: Optional[str],
    tokens: Union[str, List[str]],
    lm: Union[str, CTCDecoderLM] = None,
    lm_dict: Optional[str] = None,
    nbest: int = 1,
    beam_size: int = 50,
    beam_size_token: Optional[int] = None,
    beam_threshold: float = 50,
    lm_weight: float = 2,
    word_score: float = 0,
    unk_score: float = float("-inf"),
    sil_score: float = 0,
    log_add: bool = False,
    blank_token: str = "-",
    sil_token: str = "|",
    unk_word: str = "<unk>",
    *,
    backend: str = "auto",
) -> CTCDecoder:
    """Build a :class:`CTCDecoder` (torchaudio 2.8's arguments).

    Args:
        lexicon (str or None): lexicon file (a word, then its spelling in tokens, on each line); None for
            lexicon-free decoding.
        tokens (str or List[str]): tokens file or list; entries on one line of the file share an index.
        lm (str, CTCDecoderLM or None): KenLM model file (binary or ARPA), a custom :class:`CTCDecoderLM`, or None.
        lm_dict (str or None): the LM's word list, one per line in LM index order (default: from the lexicon).
        nbest (int): hypotheses returned per item (Default: 1).
        beam_size (int): hypotheses kept after each frame (Default: 50).
        beam_size_token (int or None): tokens tried at each frame, the best-scoring ones (Default: all).
        beam_threshold (float): hypotheses scoring more than this below the best are pruned (Default: 50).
        lm_weight (float): weight of the LM score (Default: 2).
        word_score (float): score added per word (lexicon decoding) (Default: 0).
        unk_score (float): score added per unknown word (Default: -inf).
        sil_score (float): score added per frame labelled silence (Default: 0).
        log_add (bool): merge alignments of a hypothesis by log-sum instead of max (Default: False).
        blank_token (str): the blank token (Default: "-").
        sil_token (str): the silence (word boundary) token (Default: "|").
        unk_word (str): the unknown word (Default: "<unk>").
        backend (str, keyword-only): ``"flashlight"`` (flashlight-text's C++ decoders), ``"torch"`` (the
            PyTorch search: lexicon-free, no LM or a custom :class:`CTCDecoderLM`, any device) or ``"auto"``
            (flashlight-text when installed, else the PyTorch search).

    Returns:
        CTCDecoder: the decoder.

    The ``nbest`` hypotheses are distinct search states, best first. As in torchaudio, two of them can show
    the same tokens when they differ only by a final silence (``[|, a, |]`` for both ``a`` and ``a|``).

    Example:
        >>> decoder = ctc_decoder(lexicon="lexicon.txt", tokens="tokens.txt", lm="kenlm.bin")
        >>> results = decoder(emissions)  # per batch item, a list of nbest CTCHypothesis
    """
    if lm_dict is not None and type(lm_dict) is not str:
        raise ValueError("lm_dict must be None or str type.")
    if backend not in ("auto", "flashlight", "torch"):
        raise ValueError(f"ctc_decoder: backend must be 'auto', 'flashlight' or 'torch', got {backend!r}")
    for name, value in (("nbest", nbest), ("beam_size", beam_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"ctc_decoder: {name} must be a positive int, got {value!r}")
    if beam_size_token is not None and (
        isinstance(beam_size_token, bool) or not isinstance(beam_size_token, int) or beam_size_token < 1
    ):
        raise ValueError(f"ctc_decoder: beam_size_token must be None or a positive int, got {beam_size_token!r}")
    if lm is not None and not isinstance(lm, (str, os.PathLike, CTCDecoderLM)):
        raise TypeError(f"ctc_decoder: lm must be a KenLM file path, a CTCDecoderLM or None, got {type(lm).__name__}")

    use_torch = backend == "torch" or (backend == "auto" and _fl is None)
    if use_torch:
        if lexicon:
            raise (ValueError if backend == "torch" else ImportError)(
                "ctc_decoder: lexicon decoding needs flashlight-text"
                + (f"; install it with: {_EXTRA}" if backend == "auto" else " (backend='flashlight')")
            )
        if isinstance(lm, (str, os.PathLike)):
            raise (ValueError if backend == "torch" else ImportError)(
                "ctc_decoder: a KenLM file needs flashlight-text"
                + (f"; install it with: {_EXTRA}" if backend == "auto" else " (backend='flashlight')")
            )
        tokens_dict = _TokenDict(tokens)
        _token_index(tokens_dict, blank_token, "blank_token", tokens)
        _token_index(tokens_dict, sil_token, "sil_token", tokens)
        options = dict(
            beam_size=beam_size,
            beam_size_token=beam_size_token or tokens_dict.index_size(),
            beam_threshold=beam_threshold,
            log_add=log_add,
            sil_score=sil_score,
            lm_weight=lm_weight,
        )
        return CTCDecoder(nbest, None, None, tokens_dict, lm, options, blank_token, sil_token, unk_word)

    fl = _need_flashlight("ctc_decoder(backend='flashlight')")
    if isinstance(tokens, (str, os.PathLike)) and not os.path.isfile(tokens):
        raise FileNotFoundError(f"ctc_decoder: tokens file {os.fspath(tokens)!r} does not exist")
    tokens_dict = _fl_dict.Dictionary(os.fspath(tokens) if isinstance(tokens, os.PathLike) else tokens)
    _token_index(tokens_dict, blank_token, "blank_token", tokens)
    _token_index(tokens_dict, sil_token, "sil_token", tokens)
    common = dict(
        beam_size=beam_size,
        beam_size_token=beam_size_token or tokens_dict.index_size(),
        beam_threshold=beam_threshold,
        lm_weight=lm_weight,
        sil_score=sil_score,
        log_add=log_add,
        criterion_type=fl.CriterionType.CTC,
    )
    if lexicon:
        if not os.path.isfile(lexicon):
            raise FileNotFoundError(f"ctc_decoder: lexicon file {os.fspath(lexicon)!r} does not exist")
        lexicon = _fl_dict.load_words(os.fspath(lexicon))
        options = fl.LexiconDecoderOptions(word_score=word_score, unk_score=unk_score, **common)
    else:
        options = fl.LexiconFreeDecoderOptions(**common)

    # Word dictionary: the LM's list, else the lexicon's words, else (lexicon-free KenLM) the tokens.
    word_dict = None
    if lm_dict is not None:
        word_dict = _fl_dict.Dictionary(lm_dict)
    elif lexicon:
        word_dict = _fl_dict.create_word_dict(lexicon)
    elif isinstance(lm, (str, os.PathLike)):
        entries = {tokens_dict.get_entry(i): [[tokens_dict.get_entry(i)]] for i in range(tokens_dict.index_size())}
        entries[unk_word] = [[unk_word]]
        word_dict = _fl_dict.create_word_dict(entries)

    if isinstance(lm, (str, os.PathLike)):
        if not os.path.isfile(lm):
            raise FileNotFoundError(f"ctc_decoder: language model file {os.fspath(lm)!r} does not exist")
        try:
            from flashlight.lib.text.decoder.kenlm import KenLM as kenlm
        except ImportError:
            kenlm = None
        if kenlm is None:
            raise ImportError(
                f"ctc_decoder: this flashlight-text build has no KenLM support; reinstall it with: {_EXTRA}"
            )
        lm = kenlm(os.fspath(lm), word_dict)
    elif lm is None:
        lm = fl.ZeroLM()
    return CTCDecoder(nbest, lexicon, word_dict, tokens_dict, lm, options, blank_token, sil_token, unk_word)


_PRETRAINED = ("librispeech", "librispeech-3-gram", "librispeech-4-gram")


def _get_filenames(model: str) -> _PretrainedFiles:
    if model not in _PRETRAINED:
        raise ValueError(
            f"{model} not supported. Must be one of ['librispeech-3-gram', 'librispeech-4-gram', 'librispeech']"
        )
    prefix = f"decoder-assets/{model}"
    return _PretrainedFiles(
        lexicon=f"{prefix}/lexicon.txt",
        tokens=f"{prefix}/tokens.txt",
        lm=f"{prefix}/lm.bin" if model != "librispeech" else None,
    )


def download_pretrained_files(model: str) -> _PretrainedFiles:
    """Paths of the pretrained lexicon, tokens and KenLM files for :func:`ctc_decoder`.

    Files are looked up in torchaudio's asset cache (``$TORCH_HOME/hub/torchaudio/decoder-assets/<model>/``)
    and downloaded there when missing; offline, the error names each file's URL and where to put it.

    Args:
        model (str): ``"librispeech-3-gram"``, ``"librispeech-4-gram"`` or ``"librispeech"`` (no LM).

    Returns:
        An object with attributes ``lexicon``, ``tokens`` and ``lm`` (None for ``"librispeech"``), each a path.
    """
    from ...pipelines import _assets

    files = _get_filenames(model)
    fetch = lambda key: None if key is None else str(_assets.fetch_asset(key))  # noqa: E731
    return _PretrainedFiles(lexicon=fetch(files.lexicon), tokens=fetch(files.tokens), lm=fetch(files.lm))
