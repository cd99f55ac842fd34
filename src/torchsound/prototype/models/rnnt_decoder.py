"""Beam search for RNN-T models with TCPGen contextual biasing, with torchaudio 2.8's prototype interface and
results.

The search is :class:`torchsound.models.RNNTBeamSearch`'s (hypotheses expanding at a frame, hypotheses done with
it, merged by log-add-exp), with two changes. Each hypothesis also carries its node in the biasing trie
(:mod:`torchsound.prototype.models.rnnt`), advanced with every emitted piece. With ``biasing=True`` the token
distribution at a step mixes the model's with TCPGen's: with ``p = softmax(logits / temperature)``, the TCPGen
distribution ``q`` (last entry: out of the list) and the generation probability ``g`` (zero on a node without
children), a non-blank piece ``k`` gets ``q_k (1 - p_blank) g + p_k (1 - g + q_ook g)``, the blank keeps ``p_blank``.
The blank must be the last output (and the last piece of the model's ``charlist``).
"""

from __future__ import annotations

from typing import Callable, List, Optional, Tuple

import torch
from torch import Tensor

from ...models.rnnt import RNNT
from ...models.rnnt_decoder import _BeamSearch, _tokens
from .rnnt import TrieNode

__all__ = ["Hypothesis", "RNNTBeamSearchBiasing"]

Hypothesis = Tuple[List[int], Tensor, List[List[Tensor]], float, list]
Hypothesis.__doc__ = """A hypothesis of the biasing beam search: ``(tokens, predictor output, predictor state, score,
trie node)``; the tokens start with the blank (or the last token of the hypothesis a streaming call continues), the
score is a log-probability."""


class RNNTBeamSearchBiasing(_BeamSearch):
    """Beam search decoder for an RNN-T model, with TCPGen biasing over a trie of biasing words.

    Args:
        model (RNNT): the model; with ``biasing=True`` one built by
            :func:`~torchsound.prototype.models.conformer_rnnt_biasing` with TCPGen (``biasing=True``,
            ``DBaverage=False``).
        blank (int): index of the blank token (the hypotheses' first token); it is the joiner's last output.
        temperature (float, optional): divides the joiner's logits before the softmax. (Default: ``1.0``)
        hypo_sort_key (Callable[[Hypothesis], float] or None, optional): ranks hypotheses at the end of each
            frame; ``None``: score divided by (number of tokens + 1). (Default: ``None``)
        step_max_tokens (int, optional): most tokens emitted at one encoder frame. (Default: ``100``)
        trie (list, optional): root of the biasing trie (``[children, word_id, word_range]`` nodes).
            (Default: ``None``)
        biasing (bool, optional): mix in TCPGen's distribution; otherwise a plain beam search. (Default: ``False``)

    Shape:
        ``forward(input, length, beam_width)``: input ``(T, D)`` or ``(1, T, D)``, length ``()`` or ``(1,)``
        -> the ``beam_width`` best hypotheses.

        ``infer(input, length, beam_width, state, hypothesis)``: one segment of a stream (models with a
        streaming transcriber), same shapes -> (hypotheses, transcriber state for the next call).
    """

    def __init__(
        self,
        model: RNNT,
        blank: int,
        temperature: float = 1.0,
        hypo_sort_key: Optional[Callable[[Hypothesis], float]] = None,
        step_max_tokens: int = 100,
        trie: Optional[TrieNode] = None,
        biasing: bool = False,
    ) -> None:
        if biasing:
            if not hasattr(model, "pointer_gate"):
                raise ValueError(
                    "RNNTBeamSearchBiasing: biasing=True needs a model with TCPGen (conformer_rnnt_biasing with "
                    f"biasing=True, DBaverage=False); got {type(model).__name__} without it"
                )
            if not trie:
                raise ValueError(f"RNNTBeamSearchBiasing: biasing=True needs the trie's root node; got {trie!r}")
        super().__init__(model, blank, temperature, hypo_sort_key, step_max_tokens)
        self.resettrie = trie or []
        self.dobiasing = biasing

    def _initial_hypos(self, hypo: Optional[Hypothesis], device: torch.device) -> List[Hypothesis]:
        """One hypothesis: the predictor run on the blank, or (continuing a stream) on ``hypo``'s last token from
        ``hypo``'s state; score 0 and the trie's root, as torchaudio."""
        token = self.blank if hypo is None else _tokens(hypo)[-1]
        state = None if hypo is None else hypo[2]
        out, _, state = self.model.predict(
            torch.tensor([[token]], device=device), torch.tensor([1], device=device), state
        )
        return [([token], out[0].detach(), state, 0.0, self.resettrie)]

    def _rescored(self, hypo: Hypothesis, score: float) -> Hypothesis:
        return (_tokens(hypo), hypo[1], hypo[2], score, hypo[4])

    def _extended(
        self, parent: Hypothesis, token: int, out: Tensor, state: List[List[Tensor]], score: float
    ) -> Hypothesis:
        """``parent`` one ``token`` longer, its trie node advanced over the token."""
        node = self.model.get_tcpgen_step(token, parent[4], self.resettrie) if self.dobiasing else self.resettrie
        return (_tokens(parent) + [token], out, state, score, node)

    def _trie_mask(self, node) -> Tensor:
        """``0`` at the pieces ``node`` continues with, ``1`` elsewhere (the out-of-list entry included)."""
        mask = torch.ones(self.model.nchars + 1)
        mask[list(node[0].keys())] = 0
        return mask

    def _log_probs(self, frame: Tensor, hypos: List[Hypothesis], device: torch.device) -> Tensor:
        """Token log-probabilities of every hypothesis at one encoder frame: ``(len(hypos), num_symbols)``."""
        if not self.dobiasing:
            return super()._log_probs(frame, hypos, device)
        one = torch.tensor([1], device=device)
        ones = torch.tensor([1] * len(hypos), device=device)
        predicted = torch.stack([h[1] for h in hypos])
        masks = torch.stack([self._trie_mask(h[4]) for h in hypos]).to(frame.device).unsqueeze(1)
        no_children = torch.tensor([len(h[4][0]) == 0 for h in hypos]).to(frame.device)
        last_tokens = torch.tensor([_tokens(h)[-1] for h in hypos]).unsqueeze(-1).to(frame.device)
        hptr, tcpgen_dist = self.model.forward_tcpgen(last_tokens, masks, frame)
        logits, _, activation = self.model.join(frame, one, predicted, ones, hptr=hptr)
        p_gen = torch.sigmoid(self.model.pointer_gate(torch.cat([activation, hptr], dim=-1)))
        p_gen = p_gen.masked_fill(no_children.view(-1, 1, 1, 1), 0)
        probs = torch.softmax(logits / self.temperature, dim=3)
        p_blank = probs[..., -1:]
        # TCPGen's pieces without the blank's entry (the second last), then the out-of-list entry.
        pointed = torch.cat([tcpgen_dist[..., :-2], tcpgen_dist[..., -1:]], dim=-1) * (1.0 - p_blank)
        mixed = pointed[..., :-1] * p_gen + probs[..., :-1] * (1 - p_gen + tcpgen_dist[..., -1:] * p_gen)
        return torch.log(torch.cat([mixed, p_blank], dim=-1))[:, 0, 0]

    def infer(
        self,
        input: Tensor,
        length: Tensor,
        beam_width: int,
        state: Optional[List[List[Tensor]]] = None,
        hypothesis: Optional[Hypothesis] = None,
    ) -> Tuple[List[Hypothesis], List[List[Tensor]]]:
        """Beam search over one segment of a stream, continuing from the previous call's transcriber ``state`` and
        best ``hypothesis`` (``None`` at the start). As torchaudio's, a continued search restarts from that
        hypothesis' last token (its earlier tokens are not repeated), with score 0 and the trie's root.

        Returns:
            ``(hypotheses, state)``: the ``beam_width`` best hypotheses and the transcriber state.
        """
        # Only the type of ``hypothesis`` differs from the shared search's (one hypothesis, as torchaudio's).
        return super().infer(input, length, beam_width, state, hypothesis)
