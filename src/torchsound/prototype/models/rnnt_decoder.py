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

from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from ...models.rnnt import RNNT
from ...models.rnnt_decoder import (
    _default_hypo_sort_key,
    _key,
    _score,
    _stack_states,
    _state_row,
    _tokens,
    _without_key,
)
from .rnnt import TrieNode

__all__ = ["Hypothesis", "RNNTBeamSearchBiasing"]

Hypothesis = Tuple[List[int], Tensor, List[List[Tensor]], float, list]
Hypothesis.__doc__ = """A hypothesis of the biasing beam search: ``(tokens, predictor output, predictor state, score,
trie node)``; the tokens start with the blank (or the last token of the hypothesis a streaming call continues), the
score is a log-probability."""


class RNNTBeamSearchBiasing(torch.nn.Module):
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
        super().__init__()
        if biasing:
            if not hasattr(model, "pointer_gate"):
                raise ValueError(
                    "RNNTBeamSearchBiasing: biasing=True needs a model with TCPGen (conformer_rnnt_biasing with "
                    f"biasing=True, DBaverage=False); got {type(model).__name__} without it"
                )
            if not trie:
                raise ValueError(f"RNNTBeamSearchBiasing: biasing=True needs the trie's root node; got {trie!r}")
        self.model = model
        self.blank = blank
        self.temperature = temperature
        self.resettrie = trie or []
        self.dobiasing = biasing
        self.hypo_sort_key = _default_hypo_sort_key if hypo_sort_key is None else hypo_sort_key
        self.step_max_tokens = step_max_tokens

    def _start(self, hypo: Optional[Hypothesis], device: torch.device) -> List[Hypothesis]:
        """One hypothesis: the predictor run on the blank, or (continuing a stream) on ``hypo``'s last token from
        ``hypo``'s state; score 0 and the trie's root, as torchaudio."""
        token = self.blank if hypo is None else _tokens(hypo)[-1]
        state = None if hypo is None else hypo[2]
        out, _, state = self.model.predict(
            torch.tensor([[token]], device=device), torch.tensor([1], device=device), state
        )
        return [([token], out[0].detach(), state, 0.0, self.resettrie)]

    def _trie_mask(self, node) -> Tensor:
        """``0`` at the pieces ``node`` continues with, ``1`` elsewhere (the out-of-list entry included)."""
        mask = torch.ones(self.model.nchars + 1)
        mask[list(node[0].keys())] = 0
        return mask

    def _log_probs(self, frame: Tensor, hypos: List[Hypothesis], device: torch.device) -> Tensor:
        """Token log-probabilities of every hypothesis at one encoder frame: ``(len(hypos), num_symbols)``."""
        one = torch.tensor([1], device=device)
        ones = torch.tensor([1] * len(hypos), device=device)
        predicted = torch.stack([h[1] for h in hypos])
        if not self.dobiasing:
            logits = self.model.join(frame, one, predicted, ones)[0]
            return torch.nn.functional.log_softmax(logits / self.temperature, dim=3)[:, 0, 0]

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

    def _finish_with_blank(
        self, done: List[Hypothesis], expanding: List[Hypothesis], log_probs: Tensor, by_key: Dict[str, Hypothesis]
    ) -> List[Hypothesis]:
        """Adds each expanding hypothesis plus a blank to ``done`` (merging equal token sequences); returns
        ``done`` sorted by ascending score."""
        for i, hypo in enumerate(expanding):
            blank_score = _score(hypo) + log_probs[i, -1]
            key = _key(hypo)
            if key in by_key:
                # torchaudio rounds the older score to float32 before adding; so do we, for the same hypotheses.
                done = _without_key(done, key)
                score = float(torch.tensor(_score(by_key[key])).logaddexp(blank_score))
            else:
                score = float(blank_score)
            merged: Hypothesis = (_tokens(hypo), hypo[1], hypo[2], score, hypo[4])
            done.append(merged)
            by_key[key] = merged
        order = torch.tensor([_score(h) for h in done]).sort()[1]
        return [done[int(i)] for i in order]

    def _extend_with_tokens(
        self, expanding: List[Hypothesis], done: List[Hypothesis], log_probs: Tensor, beam_width: int, device
    ) -> List[Hypothesis]:
        """The best ``beam_width`` one-token (non-blank) extensions that beat the ``beam_width``-th best done
        hypothesis, with the predictor and the trie node advanced over their new token."""
        scores = torch.tensor([_score(h) for h in expanding]).unsqueeze(1) + log_probs[:, :-1]
        best_scores, best_flat = scores.reshape(-1).topk(beam_width)
        num_tokens = scores.shape[1]
        bar = _score(done[-beam_width]) if len(done) >= beam_width else -float("inf")
        parents: List[Hypothesis] = []
        new_tokens: List[int] = []
        new_scores: List[float] = []
        for j in range(beam_width):
            score = float(best_scores[j])
            if score > bar:
                flat = int(best_flat[j])
                parents.append(expanding[flat // num_tokens])
                new_tokens.append(flat % num_tokens)
                new_scores.append(score)
        if not parents:
            return []
        out, _, states = self.model.predict(
            torch.tensor([[tok] for tok in new_tokens], device=device),
            torch.tensor([1] * len(parents), device=device),
            _stack_states(parents),
        )
        extended: List[Hypothesis] = []
        for i, parent in enumerate(parents):
            node = (
                self.model.get_tcpgen_step(new_tokens[i], parent[4], self.resettrie)
                if self.dobiasing
                else self.resettrie
            )
            extended.append(
                (_tokens(parent) + [new_tokens[i]], out[i].detach(), _state_row(states, i), new_scores[i], node)
            )
        return extended

    def _search(self, enc_out: Tensor, hypo: Optional[Hypothesis], beam_width: int) -> List[Hypothesis]:
        device = enc_out.device
        hypos = self._start(hypo, device)
        for t in range(enc_out.shape[1]):
            frame = enc_out[:, t : t + 1]
            expanding = hypos
            done: List[Hypothesis] = []
            by_key: Dict[str, Hypothesis] = {}
            emitted = 0
            while expanding:
                log_probs = self._log_probs(frame, expanding, device).cpu()
                done = self._finish_with_blank(done, expanding, log_probs, by_key)
                if emitted == self.step_max_tokens:
                    break
                expanding = self._extend_with_tokens(expanding, done, log_probs, beam_width, device)
                if expanding:
                    emitted += 1
            best = torch.tensor([self.hypo_sort_key(h) for h in done]).topk(beam_width)[1]
            hypos = [done[int(i)] for i in best]
        return hypos

    def _check(self, input: Tensor, length: Tensor) -> Tuple[Tensor, Tensor]:
        if input.dim() != 2 and not (input.dim() == 3 and input.shape[0] == 1):
            raise ValueError(
                f"RNNTBeamSearchBiasing: input must be of shape (T, D) or (1, T, D); got shape {list(input.shape)}"
            )
        if length.dim() > 1 or length.numel() != 1:
            raise ValueError(
                f"RNNTBeamSearchBiasing: length must be of shape () or (1,); got shape {list(length.shape)}"
            )
        if input.dim() == 2:
            input = input.unsqueeze(0)
        return input, length.reshape(1)

    def forward(self, input: Tensor, length: Tensor, beam_width: int) -> List[Hypothesis]:
        """Beam search over a whole sequence.

        Args:
            input (Tensor): frames, ``(T, D)`` or ``(1, T, D)``.
            length (Tensor): valid frames, ``()`` or ``(1,)``.
            beam_width (int): hypotheses kept.

        Returns:
            List[Hypothesis]: the ``beam_width`` best hypotheses, best first by ``hypo_sort_key``.
        """
        input, length = self._check(input, length)
        enc_out, _ = self.model.transcribe(input, length)
        return self._search(enc_out, None, beam_width)

    @torch.jit.export
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
        input, length = self._check(input, length)
        enc_out, _, state_out = self.model.transcribe_streaming(input, length, state)
        return self._search(enc_out, hypothesis, beam_width), state_out
