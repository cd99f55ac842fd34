"""CTC beam search in PyTorch: batched, vectorized over beam x vocabulary, on any device.

One engine serves two decoders:

- ``ctc_decoder`` without flashlight-text (or with ``backend="torch"``): the lexicon-free search of
  flashlight-text. A hypothesis is a *state* ``(prefix, ends in blank)``; the beam keeps the
  ``beam_size`` best states; candidates reaching the same state are merged with ``max`` (the best
  alignment, flashlight's default) or ``logaddexp`` (``log_add=True``: the sum over alignments).
  The search starts from the silence token as the previous label, adds ``sil_score`` for every
  frame labelled silence, and prunes candidates more than ``beam_threshold`` below the frame's
  best one, with the same rules (and the same results) as flashlight-text.
- ``cuda_ctc_decoder``: the classic CTC *prefix* beam search. A hypothesis is a prefix holding
  both scores (ending in blank / in a token); the beam keeps the ``beam_size`` prefixes of highest
  total score ``logaddexp(p_blank, p_token)``, the log of the summed probability of every kept
  alignment that collapses to the prefix.

Prefixes are identified by a 64-bit rolling hash of their tokens (a collision needs two distinct
prefixes of the same beam with equal 64-bit hashes). Each step stores, per state, the state it came
from on its best alignment; following these back gives the best frame labels of each hypothesis
(its tokens and timesteps).

Shape conventions: ``B`` batch, ``T`` frames, ``V`` tokens, ``K`` beam slots.
"""

from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import torch

_NEG = float("-inf")
# Rolling hash of a prefix: h(p + [c]) = (h(p) xor (c + 1)) * _PRIME  (int64 arithmetic wraps).
_PRIME = 0x100000001B3
_EMPTY_HASH = 0x6A09E667F3BCC909  # an arbitrary start value
_NO_PARENT = 0x3C6EF372FE94F82B  # parent hash of the empty prefix: matches no live prefix in practice
_DEAD_HASH = -0x5BE0CD19137E2179  # hash and parent hash of an empty slot (distinct: an empty slot matches nothing)
_DEAD_PARENT = -0x1F83D9ABFB41BD6B


def _mix(h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    return torch.bitwise_xor(h, c + 1) * _PRIME


class BeamSearch:
    """Batched CTC beam search (see the module docstring for what is searched and what a score means).

    Args:
        num_tokens: vocabulary size ``V``.
        blank: index of the blank token.
        beam_size: states (``beam_over_states=True``) or prefixes kept after each frame.
        beam_size_token: only the ``beam_size_token`` best-scoring tokens of each frame are tried.
        beam_threshold: candidates scoring more than this below the frame's best one are dropped.
        log_add: merge candidates of the same hypothesis by ``logaddexp`` (else ``max``).
        beam_over_states: True for flashlight's state beam, False for the prefix beam.
        start_token: the label the search starts from (flashlight: silence); None: blank (nothing).
        sil: silence index for ``sil_score`` (None: no bonus).
        sil_score: added to every frame labelled ``sil``.
        lm: optional language model with ``start(bool)``, ``score(state, token) -> (state, float)``
            and ``finish(state) -> (state, float)`` (a ``CTCDecoderLM``), weighted by ``lm_weight``.
        blank_skip: frames whose blank score is at least this are taken as a certain blank: they
            move every prefix to its blank-ending form and add nothing to the score (None: never).
        dtype: the floating dtype scores are accumulated in.

    Shape:
        - emissions given to :meth:`step`: ``(B, T, V)`` scores (log-probabilities), on the search's device.
        - lengths: ``(B,)`` frames of each stream in this call (None: all ``T``).
    """

    def __init__(
        self,
        num_tokens: int,
        blank: int,
        beam_size: int,
        *,
        beam_size_token: Optional[int] = None,
        beam_threshold: float = math.inf,
        log_add: bool = True,
        beam_over_states: bool = False,
        start_token: Optional[int] = None,
        sil: Optional[int] = None,
        sil_score: float = 0.0,
        lm=None,
        lm_weight: float = 0.0,
        blank_skip: Optional[float] = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        self.V = int(num_tokens)
        self.blank = int(blank)
        self.K = int(beam_size)
        self.beam_size_token = self.V if beam_size_token is None else min(int(beam_size_token), self.V)
        self.beam_threshold = float(beam_threshold)
        self.log_add = bool(log_add)
        self.beam_over_states = bool(beam_over_states)
        self.start_token = self.blank if start_token is None else int(start_token)
        self.sil = sil
        self.sil_score = float(sil_score)
        self.lm = lm
        self.lm_weight = float(lm_weight)
        self.blank_skip = blank_skip
        self.dtype = dtype

    # ------------------------------------------------------------------ state

    def begin(self, batch_size: int, device: torch.device) -> None:
        """Start decoding ``batch_size`` independent streams."""
        B, K, V = batch_size, self.K, self.V
        f = dict(dtype=self.dtype, device=device)
        self.device = device
        # Scores of each slot's prefix: [..., 0] last frame blank, [..., 1] last frame a token.
        self.S = torch.full((B, K, 2), _NEG, **f)
        self.last = torch.full((B, K), self.blank, dtype=torch.long, device=device)  # prefix's last label
        self.hash = torch.full((B, K), _DEAD_HASH, dtype=torch.long, device=device)
        self.parent_hash = torch.full((B, K), _DEAD_PARENT, dtype=torch.long, device=device)
        self.hash[:, 0] = _EMPTY_HASH
        self.parent_hash[:, 0] = _NO_PARENT
        if self.start_token == self.blank:
            self.S[:, 0, 0] = 0.0
        else:  # flashlight starts as if the silence token had just been emitted (not part of the prefix)
            self.S[:, 0, 1] = 0.0
            self.last[:, 0] = self.start_token
        # Candidate layout of a frame: K * V entries (slot k, label c), the K slots' token states, then one
        # entry that is always -inf. Entry (k, blank) is prefix k's blank state, (k, c) the extension
        # prefix[k] + c; a prefix id is an entry, with prefix k itself at K * V + k.
        P = K * V + K
        i = torch.arange(P + 1, device=device)  # ids, and the -inf entry (a junk selection may pick it)
        ext = (i < K * V) & (i % V != self.blank)
        old = (i >= K * V) & (i < P)
        k_of = torch.where(old, i - K * V, torch.where(i < K * V, i // V, 0))
        # Where a prefix id's two states are (blank, token); P (the -inf entry) where it has none.
        self._state_entries = torch.stack(
            [torch.where(old, k_of * V + self.blank, P), torch.where(ext | old, i, P)], 1
        )  # (P + 1, 2)
        self._slot_label = torch.stack(
            [k_of, torch.where(ext, i % V, self.blank)], 1
        )  # (P + 1, 2): old slot, new label
        self._is_blank_col = ~(ext | old)
        self._neg_col = torch.full((B, 1), _NEG, **f)
        self._neg_slots = torch.full((B, K), _NEG, **f)
        self._zero_col = torch.zeros((B, 1), dtype=torch.long, device=device)
        self._labels = torch.arange(V, device=device)
        self._slot_state = 2 * torch.arange(K, device=device)  # state id = 2 * slot + ends_in_token
        self.active: List[Optional[torch.Tensor]] = []  # per frame: (B,) CPU bool of streams it moved, None: all
        self.parents: List[torch.Tensor] = []  # per frame: (B, 2K) state each state came from
        self.lasts: List[torch.Tensor] = []  # per frame: (B, K) last label of each slot
        self.lm_scores = None
        if self.lm is not None:
            self.lm_scores = torch.zeros((B, K, V), **f)
            self.lm_states = [[None] * K for _ in range(B)]
            self.lm_children = [[None] * K for _ in range(B)]
            for b in range(B):
                self._lm_slot(b, 0, self.lm.start(False))
        self.final = None

    def _lm_slot(self, b: int, k: int, state) -> None:
        """Put LM state ``state`` in slot ``k`` of stream ``b`` and score every token after it."""
        self.lm_states[b][k] = state
        children = [None] * self.V
        scores = [0.0] * self.V  # the blank column is the blank state: no LM score
        for c in range(self.V):
            if c != self.blank:
                children[c], scores[c] = self.lm.score(state, c)
        self.lm_children[b][k] = children
        # LM scores are single precision, as in flashlight-text's LM interface (same sums, same ranking).
        self.lm_scores[b, k] = torch.tensor(scores, dtype=torch.float32).to(self.dtype)

    # ------------------------------------------------------------------ search

    def step(self, emissions: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> None:
        """Decode ``emissions`` (B, T, V) frame by frame; stream ``b`` takes its first ``lengths[b]`` frames."""
        B, T, _ = emissions.shape
        em = emissions.to(self.dtype)
        if self.sil is not None and self.sil_score != 0.0:
            em = em.clone()
            em[..., self.sil] += self.sil_score
        if self.beam_size_token < self.V:  # tokens outside each frame's best beam_size_token are not tried
            top = emissions.topk(self.beam_size_token, dim=-1).indices
            keep = torch.zeros(em.shape, dtype=torch.bool, device=em.device).scatter_(-1, top, True)
            em = em.masked_fill(~keep, _NEG)
        if self.blank_skip is not None:  # a skipped frame is a certain blank scoring nothing
            skip = emissions[..., self.blank] >= self.blank_skip
            certain = torch.full_like(em[0, 0], _NEG)
            certain[self.blank] = 0.0
            em = torch.where(skip[..., None], certain, em)
        lengths = torch.full((B,), T, dtype=torch.long) if lengths is None else lengths.to("cpu", torch.long)
        shortest, longest = (int(lengths.min()), int(lengths.max())) if B else (0, 0)
        for t in range(min(T, longest)):
            active = None if t < shortest else lengths > t  # None: every stream moves
            self._frame(em[:, t], None if active is None else active.to(self.device))
            self.active.append(active)

    def _frame(self, e: torch.Tensor, active: Optional[torch.Tensor]) -> None:
        """One frame: e (B, V) scores; ``active`` (B,) bool or None for all streams."""
        S, last = self.S, self.last
        B, K, _ = S.shape
        V, KV = self.V, self.K * self.V
        lse = self.log_add

        # Every single-alignment candidate: X[b, k, s, c] = state (k, s) followed by label c.
        X = S[:, :, :, None] + e[:, None, None, :]  # (B, K, 2, V)
        if self.lm_scores is not None:
            X = X + (self.lm_weight * self.lm_scores)[:, :, None, :]
        stay = S[:, :, 1] + e.gather(1, last)  # a token state repeating its token: same prefix, no LM
        X[:, :, 1, :].masked_fill_(last[:, :, None] == self._labels, _NEG)
        pruned = self.beam_threshold != math.inf
        if pruned and lse:  # drop each candidate far below the frame's best one (before summing)
            floor = torch.maximum(X.amax((1, 2, 3)), stay.amax(1)) - self.beam_threshold
            X.masked_fill_(X < floor[:, None, None, None], _NEG)
            stay = stay.masked_fill(stay < floor[:, None], _NEG)

        # Merge the two source states of each (k, c); the best single alignment gives the origin.
        X0, X1 = X[:, :, 0], X[:, :, 1]  # (B, K, V) from the blank / the token state
        Xbest = torch.maximum(X0, X1)
        Y = torch.logaddexp(X0, X1) if lse else Xbest
        par = (self._slot_state[:, None] + (X1 > X0)).view(B, KV)
        Yf = Y.view(B, KV)

        # prefix[k] + c may already be prefix[j] (k = j's parent, c = j's last): fold it into j's token state.
        found, k_par = (self.parent_hash[:, :, None] == self.hash[:, None, :]).to(torch.uint8).max(2)  # (B, j)
        lost = found == 0
        idx = k_par * V + last
        folded = Yf.gather(1, idx).masked_fill_(lost, _NEG)
        folded_best = Xbest.view(B, KV).gather(1, idx).masked_fill_(lost, _NEG) if lse else folded
        tok = torch.logaddexp(stay, folded) if lse else torch.maximum(stay, folded)
        par_tok = torch.where(folded_best > stay, par.gather(1, idx), self._slot_state + 1)
        Yf = Yf.scatter_reduce(1, idx, self._neg_slots.masked_fill(lost, math.inf), "amin")

        cand = torch.cat([Yf, tok, self._neg_col], 1)  # (B, KV + K + 1) states, see begin() for the layout
        if pruned and not lse:  # with max merging, pruning merged candidates prunes the same alignments
            cand.masked_fill_(cand < cand.amax(1, keepdim=True) - self.beam_threshold, _NEG)
        if self.beam_over_states:  # flashlight: the K best states, then the prefixes owning one
            best = cand.topk(K, dim=1)
            cand = torch.full_like(cand, _NEG).scatter_(1, best.indices, best.values)
        rank = cand.masked_fill(self._is_blank_col, _NEG)  # a blank column ranks with its prefix
        b_state = cand[:, :KV].view(B, K, V)[:, :, self.blank]  # (B, K) each old prefix's blank state
        merge = torch.maximum if self.beam_over_states else torch.logaddexp
        rank[:, KV : KV + K] = merge(b_state, cand[:, KV : KV + K])
        top = rank.topk(K, dim=1)
        sel = top.indices  # (B, K) prefix ids of the new slots
        junk = top.values == _NEG
        k_old, c_new = self._slot_label[sel].unbind(2)
        is_ext = c_new != self.blank
        entries = self._state_entries[sel].view(B, 2 * K)

        n_S = cand.gather(1, entries).view(B, K, 2)
        n_par = torch.cat([par, par_tok, self._zero_col], 1).gather(1, entries)
        old_hash = self.hash.gather(1, k_old)
        n_hash = torch.where(is_ext, _mix(old_hash, c_new), old_hash).masked_fill_(junk, _DEAD_HASH)
        n_parent = torch.where(is_ext, old_hash, self.parent_hash.gather(1, k_old)).masked_fill_(junk, _DEAD_PARENT)
        n_last = torch.where(is_ext, c_new, last.gather(1, k_old))

        if active is not None:  # finished streams keep their beam unchanged
            a = active[:, None]
            n_S = torch.where(a[:, :, None], n_S, S)
            n_hash = torch.where(a, n_hash, self.hash)
            n_parent = torch.where(a, n_parent, self.parent_hash)
            n_last = torch.where(a, n_last, last)
        if self.lm_scores is not None:
            self._lm_update(k_old, c_new, is_ext, ~junk, active)
        self.S, self.last, self.hash, self.parent_hash = n_S, n_last, n_hash, n_parent
        self.parents.append(n_par)
        self.lasts.append(n_last)

    def _lm_update(self, k_old, c_new, is_ext, valid, active) -> None:
        """Move LM states to their new slots and score the new prefixes (Python: the LM is Python)."""
        k_old, c_new, is_ext, valid = (x.cpu().tolist() for x in (k_old, c_new, is_ext, valid))
        act = None if active is None else active.cpu().tolist()
        old_states, old_children, old_scores = self.lm_states, self.lm_children, self.lm_scores
        self.lm_scores = old_scores.clone()
        self.lm_states = [list(s) for s in old_states]
        self.lm_children = [list(c) for c in old_children]
        for b in range(len(k_old)):
            if act is not None and not act[b]:
                continue
            new_slots = []
            for j in range(self.K):
                k = k_old[b][j]
                if valid[b][j] and is_ext[b][j]:
                    new_slots.append((j, old_children[b][k][c_new[b][j]]))
                else:
                    self.lm_states[b][j] = old_states[b][k]
                    self.lm_children[b][j] = old_children[b][k]
                    self.lm_scores[b, j] = old_scores[b, k]
            for j, state in new_slots:
                self._lm_slot(b, j, state)

    def end(self) -> None:
        """Finish every stream: add the LM's end score, merge each prefix's two states, sort."""
        pb, pnb = self.S[:, :, 0], self.S[:, :, 1]
        if self.lm is not None:
            fin = torch.tensor(
                [[self.lm.finish(s)[1] if s is not None else 0.0 for s in row] for row in self.lm_states],
                dtype=torch.float32,
            ).to(self.device, self.dtype)
            pb = pb + self.lm_weight * fin
            pnb = pnb + self.lm_weight * fin
        if self.beam_threshold != math.inf:
            floor = (torch.maximum(pb.amax(1), pnb.amax(1)) - self.beam_threshold)[:, None]
            pb = pb.masked_fill(pb < floor, _NEG)
            pnb = pnb.masked_fill(pnb < floor, _NEG)
        if self.beam_over_states:
            score = torch.logaddexp(pb, pnb) if self.log_add else torch.maximum(pb, pnb)
        else:
            score = torch.logaddexp(pb, pnb)
        ends_in_token = (pnb > pb).long()
        order = score.argsort(dim=1, descending=True, stable=True)
        self.final = (score.gather(1, order), 2 * order + ends_in_token.gather(1, order))

    def hypotheses(self, b: int, nbest: int) -> List[Tuple[List[int], float]]:
        """Up to ``nbest`` hypotheses of stream ``b`` (after :meth:`end`): (frame labels of the best
        alignment, score), best first."""
        scores, states = self.final
        scores = scores[b].cpu().tolist()
        states = states[b].cpu().tolist()
        frames = [t for t, a in enumerate(self.active) if a is None or bool(a[b])]
        if frames:
            parents = torch.stack([self.parents[t][b] for t in frames]).cpu().tolist()
            lasts = torch.stack([self.lasts[t][b] for t in frames]).cpu().tolist()
        out = []
        for score, state in zip(scores[:nbest], states[:nbest]):
            if score == _NEG:
                break
            labels = [0] * len(frames)
            for i in range(len(frames) - 1, -1, -1):
                labels[i] = lasts[i][state // 2] if state % 2 else self.blank
                state = parents[i][state]
            out.append((labels, score))
        return out


def collapse(labels: Sequence[int], blank: int, start: Optional[int] = None) -> Tuple[List[int], List[int]]:
    """CTC collapse of frame ``labels`` (merge repeats, drop blanks) with each token's first frame.

    ``start`` is a label taken to precede frame 0 (it is not output)."""
    tokens, frames = [], []
    prev = blank if start is None else start
    for t, c in enumerate(labels):
        if c != blank and c != prev:
            tokens.append(c)
            frames.append(t)
        prev = c
    return tokens, frames
