"""torchaudio 2.8's ``cuda_ctc_decoder`` API on a PyTorch CTC prefix beam search that runs on any device.

torchaudio's version needs a CUDA build of its extension; this one runs where the log-probabilities are
(CPU, CUDA, ...), batched over the batch and vectorized over beam x vocabulary.
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import List, NamedTuple, Optional, Union

import torch

from ._beam_search import BeamSearch, collapse

__all__ = ["CUCTCHypothesis", "CUCTCDecoder", "cuda_ctc_decoder"]

_DEFAULT_BLANK_SKIP_THREASHOLD = 0.95


def _get_vocab_list(vocab_file) -> List[str]:
    # One token per line: its first whitespace-separated field.
    try:
        with open(vocab_file, encoding="utf-8") as f:
            return [line.split()[0] for line in f if line.strip()]
    except OSError as err:
        raise FileNotFoundError(f"cuda_ctc_decoder: cannot read tokens file {os.fspath(vocab_file)!r}: {err}") from err


class CUCTCHypothesis(NamedTuple):
    r"""A hypothesis of :class:`CUCTCDecoder`."""

    tokens: List[int]
    """Token ids of the hypothesis (blanks and repeats collapsed)."""

    words: List[str]
    """The tokens as strings (``vocab_list[i]`` for each id)."""

    score: float
    """log of the summed probability of the alignments in the beam that collapse to ``tokens``
    (frames skipped by ``blank_skip_threshold`` add nothing)."""


class CUCTCDecoder:
    """CTC prefix beam search decoder (torchaudio's CUDA decoder API; here on any device).

    Build it with :func:`cuda_ctc_decoder`.

    The beam keeps the ``beam_size`` prefixes of highest total probability; each prefix carries the
    probability of its alignments ending in blank and ending in its last token. Frames whose blank
    probability is at least ``blank_skip_threshold`` are taken as a certain blank: they move every prefix
    to its blank-ending form and add nothing to the score (torchaudio: "skip frames if
    log_prob(blank) > log(blank_skip_threshold)"). With ``blank_skip_threshold=1`` no frame is skipped
    (unless its blank probability is exactly 1) and scores are exact sums over the kept alignments.
    ``beam_size=1`` keeps the single most probable prefix, which can differ from the greedy (best path)
    decoding; ``ctc_decoder(..., beam_size=1)`` (max merging) is the greedy decoding.

    Args:
        vocab_list (List[str]): the tokens.
        blank_id (int): index of the blank token (Default: 0).
        beam_size (int): prefixes kept after each frame; at most ``len(vocab_list)`` (Default: 10).
        nbest (int): hypotheses returned per item (Default: 1).
        blank_skip_threshold (float): in [0, 1] (Default: 0.95).
        cuda_stream (torch.cuda.Stream or None): stream to run on for CUDA inputs (Default: the current one).
    """

    def __init__(
        self,
        vocab_list: List[str],
        blank_id: int = 0,
        beam_size: int = 10,
        nbest: int = 1,
        blank_skip_threshold: float = _DEFAULT_BLANK_SKIP_THREASHOLD,
        cuda_stream: Optional["torch.cuda.Stream"] = None,
    ) -> None:
        if cuda_stream is not None and not isinstance(cuda_stream, torch.cuda.Stream):
            raise TypeError(
                f"CUCTCDecoder: cuda_stream must be a torch.cuda.Stream or None, got {type(cuda_stream).__name__}"
            )
        if not isinstance(vocab_list, (list, tuple)) or not vocab_list:
            raise ValueError("CUCTCDecoder: vocab_list must be a non-empty list of tokens")
        for name, value in (("beam_size", beam_size), ("nbest", nbest)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CUCTCDecoder: {name} must be a positive int, got {value!r}")
        if isinstance(blank_id, bool) or not isinstance(blank_id, int) or not 0 <= blank_id < len(vocab_list):
            raise ValueError(
                f"CUCTCDecoder: blank_id must be an index into vocab_list (0..{len(vocab_list) - 1}), got {blank_id!r}"
            )
        if not (isinstance(blank_skip_threshold, (int, float)) and 0 <= blank_skip_threshold <= 1):
            raise ValueError(
                f"CUCTCDecoder: blank_skip_threshold must be between 0 and 1, got {blank_skip_threshold!r}"
            )
        self.blank_id = blank_id
        self.vocab_list = list(vocab_list)
        self.nbest = nbest
        self.blank_skip_threshold = math.log(blank_skip_threshold) if blank_skip_threshold > 0 else -math.inf
        self.beam_size = min(beam_size, len(vocab_list))  # as torchaudio: no more prefixes than tokens
        self.cuda_stream = cuda_stream

    def __call__(self, log_prob: torch.Tensor, encoder_out_lens: torch.Tensor) -> List[List[CUCTCHypothesis]]:
        """Decode a batch.

        Args:
            log_prob (Tensor): log-probabilities (log_softmax of the acoustic model), shape ``(batch, frame, num_tokens)``.
            encoder_out_lens (Tensor): valid frames of each item, integer, shape ``(batch,)``.

        Returns:
            List[List[CUCTCHypothesis]]: per item, up to ``nbest`` distinct hypotheses, best first.

        Shape:
            - log_prob: ``(batch, frame, num_tokens)`` on any device (the search runs there).
            - encoder_out_lens: ``(batch,)``, each in ``[0, frame]``.
        """
        if not isinstance(log_prob, torch.Tensor) or not log_prob.is_floating_point():
            what = log_prob.dtype if isinstance(log_prob, torch.Tensor) else type(log_prob).__name__
            raise TypeError(f"CUCTCDecoder: log_prob must be a floating-point tensor (float32), got {what}")
        if log_prob.ndim != 3:
            raise ValueError(
                f"CUCTCDecoder: log_prob must be 3D (batch, frame, num_tokens), got shape {tuple(log_prob.shape)}"
            )
        B, T, V = log_prob.shape
        if V != len(self.vocab_list):
            raise ValueError(
                f"CUCTCDecoder: log_prob must have {len(self.vocab_list)} tokens (len(vocab_list)), got {V}"
            )
        if (
            not isinstance(encoder_out_lens, torch.Tensor)
            or encoder_out_lens.is_floating_point()
            or encoder_out_lens.dtype == torch.bool
        ):
            raise TypeError("CUCTCDecoder: encoder_out_lens must be an integer tensor (int32)")
        if encoder_out_lens.shape != (B,):
            raise ValueError(
                f"CUCTCDecoder: encoder_out_lens must have shape ({B},), got {tuple(encoder_out_lens.shape)}"
            )
        lengths = encoder_out_lens.to("cpu", torch.long)
        if B and (int(lengths.min()) < 0 or int(lengths.max()) > T):
            raise ValueError(f"CUCTCDecoder: encoder_out_lens must lie in [0, {T}], got {lengths.tolist()}")

        search = BeamSearch(
            V,
            self.blank_id,
            self.beam_size,
            log_add=True,
            beam_over_states=False,
            blank_skip=self.blank_skip_threshold,
            dtype=torch.float64 if log_prob.dtype == torch.float64 else torch.float32,
        )
        stream = self.cuda_stream if log_prob.is_cuda else None
        with torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext():
            search.begin(B, log_prob.device)
            search.step(log_prob, lengths)
            search.end()
        out = []
        for b in range(B):
            hyps = []
            for labels, score in search.hypotheses(b, self.nbest):
                tokens, _ = collapse(labels, self.blank_id)
                hyps.append(CUCTCHypothesis(tokens=tokens, words=[self.vocab_list[i] for i in tokens], score=score))
            out.append(hyps)
        return out


def cuda_ctc_decoder(
    tokens: Union[str, List[str]],
    nbest: int = 1,
    beam_size: int = 10,
    blank_skip_threshold: float = _DEFAULT_BLANK_SKIP_THREASHOLD,
) -> CUCTCDecoder:
    """Build a :class:`CUCTCDecoder` (blank is token 0).

    Args:
        tokens (str or List[str]): tokens file (one per line, first field) or list.
        nbest (int): hypotheses returned per item (Default: 1).
        beam_size (int): prefixes kept after each frame (Default: 10).
        blank_skip_threshold (float): frames with blank probability at least this are skipped as a
            certain blank (Default: 0.95).

    Returns:
        CUCTCDecoder: the decoder.

    Example:
        >>> decoder = cuda_ctc_decoder("tokens.txt", blank_skip_threshold=0.95)
        >>> results = decoder(log_probs, encoder_out_lens)  # per item, nbest CUCTCHypothesis
    """
    if isinstance(tokens, (str, os.PathLike)):
        tokens = _get_vocab_list(tokens)
    return CUCTCDecoder(vocab_list=tokens, beam_size=beam_size, nbest=nbest, blank_skip_threshold=blank_skip_threshold)
