"""Beam search for :class:`~torchsound.models.RNNT`, with torchaudio 2.8's interface and results.

Per encoder frame the search keeps two sets: hypotheses still *expanding* at this frame (they may emit
more tokens) and hypotheses *done* with it (they emitted blank). Each round joins the frame with every
expanding hypothesis; all of them move to the done set with the blank's log-probability added (merging,
by log-add-exp, with a done hypothesis of the same tokens), and the best ``beam_width`` non-blank
extensions that beat the ``beam_width``-th best done score keep expanding. After the frame the done set
is cut to the ``beam_width`` best by ``hypo_sort_key``. The blank is scored as the joiner's last output.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from .rnnt import RNNT

__all__ = ["Hypothesis", "RNNTBeamSearch"]

Hypothesis = Tuple[List[int], Tensor, List[List[Tensor]], float]
Hypothesis.__doc__ = """A hypothesis of the RNN-T beam search: ``(tokens, predictor output, predictor state, score)``;
the tokens start with the blank, the score is a log-probability."""


def _tokens(hypo: Hypothesis) -> List[int]:
    return hypo[0]


def _score(hypo: Hypothesis) -> float:
    return hypo[3]


def _key(hypo: Hypothesis) -> str:
    return str(hypo[0])


def _default_hypo_sort_key(hypo: Hypothesis) -> float:
    # Score per emitted token (the leading blank counts too), so long hypotheses are not penalised.
    return _score(hypo) / (len(_tokens(hypo)) + 1)


def _without_key(hypos: List[Hypothesis], key: str) -> List[Hypothesis]:
    kept: List[Hypothesis] = []
    for h in hypos:
        if _key(h) != key:
            kept.append(h)
    return kept


def _stack_states(hypos: List[Hypothesis]) -> List[List[Tensor]]:
    """Predictor states of several hypotheses as one batch, layer by layer."""
    first = hypos[0][2]
    return [
        [torch.cat([h[2][layer][k] for h in hypos]) for k in range(len(first[layer]))] for layer in range(len(first))
    ]


def _state_row(states: List[List[Tensor]], row: int) -> List[List[Tensor]]:
    return [[part[row : row + 1] for part in layer] for layer in states]


class _BeamSearch(torch.nn.Module):
    """The search shared by :class:`RNNTBeamSearch` and the prototype ``RNNTBeamSearchBiasing``.

    A subclass with a longer hypothesis tuple overrides the hooks that make hypotheses (``_initial_hypos``,
    ``_rescored``, ``_extended``) and ``_log_probs``; everything else is this class's.
    """

    def __init__(
        self,
        model: RNNT,
        blank: int,
        temperature: float = 1.0,
        hypo_sort_key: Optional[Callable[[Hypothesis], float]] = None,
        step_max_tokens: int = 100,
    ) -> None:
        super().__init__()
        self.model = model
        self.blank = blank
        self.temperature = temperature
        self.hypo_sort_key = _default_hypo_sort_key if hypo_sort_key is None else hypo_sort_key
        self.step_max_tokens = step_max_tokens
        # Errors name the public class (a str attribute, so TorchScript keeps it).
        self._class_name = type(self).__name__

    def _initial_hypos(self, hypo: Optional[List[Hypothesis]], device: torch.device) -> List[Hypothesis]:
        """``hypo`` to continue, or the empty hypothesis: the predictor run on the blank."""
        if hypo is not None:
            return hypo
        out, _, state = self.model.predict(
            torch.tensor([[self.blank]], device=device), torch.tensor([1], device=device), None
        )
        return [([self.blank], out[0].detach(), state, 0.0)]

    def _rescored(self, hypo: Hypothesis, score: float) -> Hypothesis:
        """``hypo`` with a new score."""
        return (_tokens(hypo), hypo[1], hypo[2], score)

    def _extended(
        self, parent: Hypothesis, token: int, out: Tensor, state: List[List[Tensor]], score: float
    ) -> Hypothesis:
        """``parent`` one ``token`` longer, with the predictor's new output and state."""
        return (_tokens(parent) + [token], out, state, score)

    def _log_probs(self, frame: Tensor, hypos: List[Hypothesis], device: torch.device) -> Tensor:
        """Token log-probabilities of every hypothesis at one encoder frame: ``(len(hypos), num_symbols)``."""
        predicted = torch.stack([h[1] for h in hypos])
        logits, _, _ = self.model.join(
            frame, torch.tensor([1], device=device), predicted, torch.tensor([1] * len(hypos), device=device)
        )
        return torch.nn.functional.log_softmax(logits / self.temperature, dim=3)[:, 0, 0]

    def _finish_with_blank(
        self, done: List[Hypothesis], expanding: List[Hypothesis], log_probs: Tensor, by_key: Dict[str, Hypothesis]
    ) -> List[Hypothesis]:
        """Adds each expanding hypothesis plus a blank to ``done`` (merging equal token sequences); returns
        ``done`` sorted by ascending score."""
        for i, hypo in enumerate(expanding):
            blank_score = _score(hypo) + log_probs[i, -1]
            key = _key(hypo)
            if key in by_key:
                # Two paths to the same tokens: their probabilities add (torchaudio rounds the older score
                # to float32 first; so do we, to give the same hypotheses).
                done = _without_key(done, key)
                score = float(torch.tensor(_score(by_key[key])).logaddexp(blank_score))
            else:
                score = float(blank_score)
            merged = self._rescored(hypo, score)
            done.append(merged)
            by_key[key] = merged
        order = torch.tensor([_score(h) for h in done]).sort()[1]
        return [done[int(i)] for i in order]

    def _extend_with_tokens(
        self,
        expanding: List[Hypothesis],
        done: List[Hypothesis],
        log_probs: Tensor,
        beam_width: int,
        device: torch.device,
    ) -> List[Hypothesis]:
        """The best ``beam_width`` one-token (non-blank) extensions that beat the ``beam_width``-th best done
        hypothesis, with the predictor advanced over their new token."""
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
        extended: List[Hypothesis] = []
        if len(parents) == 0:
            return extended
        out, _, states = self.model.predict(
            torch.tensor([[tok] for tok in new_tokens], device=device),
            torch.tensor([1] * len(parents), device=device),
            _stack_states(parents),
        )
        for i, parent in enumerate(parents):
            extended.append(
                self._extended(parent, new_tokens[i], out[i].detach(), _state_row(states, i), new_scores[i])
            )
        return extended

    def _search(self, enc_out: Tensor, hypo: Optional[List[Hypothesis]], beam_width: int) -> List[Hypothesis]:
        device = enc_out.device
        hypos = self._initial_hypos(hypo, device)
        for t in range(enc_out.shape[1]):
            frame = enc_out[:, t : t + 1]
            expanding = hypos
            done: List[Hypothesis] = []
            by_key: Dict[str, Hypothesis] = {}
            emitted = 0
            while len(expanding) > 0:
                log_probs = self._log_probs(frame, expanding, device).cpu()
                done = self._finish_with_blank(done, expanding, log_probs, by_key)
                if emitted == self.step_max_tokens:
                    break
                expanding = self._extend_with_tokens(expanding, done, log_probs, beam_width, device)
                if len(expanding) > 0:
                    emitted += 1
            ranks = torch.tensor([self.hypo_sort_key(h) for h in done])
            best = ranks.topk(beam_width)[1]
            hypos = [done[int(i)] for i in best]
        return hypos

    def _check(self, input: Tensor, length: Tensor) -> Tuple[Tensor, Tensor]:
        if input.dim() != 2 and not (input.dim() == 3 and input.shape[0] == 1):
            raise ValueError(
                f"{self._class_name}: input must be of shape (T, D) or (1, T, D); got shape {list(input.shape)}"
            )
        if length.dim() > 1 or length.numel() != 1:
            raise ValueError(f"{self._class_name}: length must be of shape () or (1,); got shape {list(length.shape)}")
        if input.dim() == 2:
            input = input.unsqueeze(0)
        return input, length.reshape(1)

    def forward(self, input: Tensor, length: Tensor, beam_width: int) -> List[Hypothesis]:
        """Beam search over a whole sequence (right-padded with the model's right context).

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
        hypothesis: Optional[List[Hypothesis]] = None,
    ) -> Tuple[List[Hypothesis], List[List[Tensor]]]:
        """Beam search over one segment of a stream, continuing from the previous call's transcriber
        ``state`` and ``hypothesis`` (``None`` at the start).

        Args:
            input (Tensor): ``segment_length + right_context_length`` frames, ``(T, D)`` or ``(1, T, D)``.
            length (Tensor): valid frames, ``()`` or ``(1,)``.
            beam_width (int): hypotheses kept.
            state (List[List[Tensor]] or None, optional): transcriber state. (Default: ``None``)
            hypothesis (List[Hypothesis] or None, optional): hypotheses to continue. (Default: ``None``)

        Returns:
            ``(hypotheses, state)``: the ``beam_width`` best hypotheses and the transcriber state.
        """
        input, length = self._check(input, length)
        enc_out, _, state_out = self.model.transcribe_streaming(input, length, state)
        return self._search(enc_out, hypothesis, beam_width), state_out


class RNNTBeamSearch(_BeamSearch):
    """Beam search decoder for an :class:`~torchsound.models.RNNT`.

    Args:
        model (RNNT): the RNN-T model.
        blank (int): index of the blank token (the hypotheses' first token); the blank's score is read from
            the joiner's last output.
        temperature (float, optional): divides the joiner's logits before the log-softmax. (Default: ``1.0``)
        hypo_sort_key (Callable[[Hypothesis], float] or None, optional): ranks hypotheses at the end of each
            frame; ``None``: score divided by (number of tokens + 1). (Default: ``None``)
        step_max_tokens (int, optional): most tokens emitted at one encoder frame. (Default: ``100``)

    Shape:
        ``forward(input, length, beam_width)``: input ``(T, D)`` or ``(1, T, D)``, length ``()`` or ``(1,)``
        -> the ``beam_width`` best hypotheses.

        ``infer(input, length, beam_width, state, hypothesis)``: one segment of a stream, same shapes ->
        (hypotheses, transcriber state for the next call).
    """
