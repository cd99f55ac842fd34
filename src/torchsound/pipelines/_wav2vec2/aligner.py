"""MMS_FA's tokenizer (characters to emission indices) and aligner (CTC forced alignment into token spans)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Dict, List

import torch
from torch import Tensor

from ...functional import TokenSpan, forced_align, merge_tokens


class ITokenizer(ABC):
    """Turns a normalised transcript (a list of words) into one list of token indices per word."""

    @abstractmethod
    def __call__(self, transcript: List[str]) -> List[List[int]]:
        ...


class IAligner(ABC):
    """Aligns tokenized words to an emission: one list of :class:`TokenSpan` per word."""

    @abstractmethod
    def __call__(self, emission: Tensor, tokens: List[List[int]]) -> List[List[TokenSpan]]:
        ...


class Tokenizer(ITokenizer):
    """Each character of each word, looked up in ``dictionary`` (a character missing from it raises ``KeyError``)."""

    def __init__(self, dictionary: Dict[str, int]):
        self.dictionary = dictionary

    def __call__(self, transcript: List[str]) -> List[List[int]]:
        return [[self.dictionary[char] for char in word] for word in transcript]


class Aligner(IAligner):
    """Forced alignment of all words at once (``functional.forced_align``), split back into words.

    Scores in the spans are probabilities (the exponential of the emission's log probabilities on the path).

    Shape:
        - emission: ``(time, classes)``, log probabilities
    """

    def __init__(self, blank: int):
        self.blank = blank

    def __call__(self, emission: Tensor, tokens: List[List[int]]) -> List[List[TokenSpan]]:
        if emission.ndim != 2:
            raise ValueError(f"`emission` must be 2D (time, classes), got shape {tuple(emission.shape)}")
        flat = [token for word in tokens for token in word]
        targets = torch.tensor([flat], dtype=torch.int32, device=emission.device)
        path, log_scores = forced_align(emission.unsqueeze(0), targets, blank=self.blank)
        spans = merge_tokens(path[0], log_scores[0].exp())
        out, start = [], 0
        for word in tokens:  # merge_tokens gives one span per target token, in order
            out.append(spans[start : start + len(word)])
            start += len(word)
        return out
