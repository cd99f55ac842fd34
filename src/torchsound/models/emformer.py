"""Emformer streaming encoder (Shi et al., 2021) with torchaudio 2.8's names, state_dict keys and numerics.

The utterance is cut into segments of ``segment_length`` frames. Each segment attends to itself, to up to
``left_context_length`` earlier utterance frames, to its own right-context block (the
``right_context_length`` frames that follow it, a look-ahead) and, with ``max_memory_size > 0``, to memory
vectors: one per earlier segment (its summary after attention), the last ``max_memory_size`` of them.
``forward`` runs all segments at once with a block attention mask; ``infer`` runs one segment a call and
carries per-layer state (memory, left-context keys/values, frames seen), with the same results.

Private names used by torchaudio's prototype ConvEmformer (``_EmformerAttention``, ``_EmformerImpl``,
``_get_weight_init_gains``) keep their signatures.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from . import _onednn
from .conformer import _feed_forward, _pre_norm_feed_forward

__all__ = ["Emformer"]

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def _activation(activation: str) -> nn.Module:
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(_ACTIVATIONS)}; got {activation!r}")
    return _ACTIVATIONS[activation]()


def _get_weight_init_gains(weight_init_scale_strategy: Optional[str], num_layers: int) -> List[Optional[float]]:
    """Xavier gain of each layer's query/key/value projections (``None``: keep nn.Linear's default init)."""
    if weight_init_scale_strategy is None:
        return [None] * num_layers
    if weight_init_scale_strategy == "depthwise":
        return [1.0 / math.sqrt(i + 1) for i in range(num_layers)]
    if weight_init_scale_strategy == "constant":
        return [1.0 / math.sqrt(2)] * num_layers
    raise ValueError(
        f"weight_init_scale_strategy must be one of 'depthwise', 'constant', None; got {weight_init_scale_strategy!r}"
    )


def _empty_like_frames(x: Tensor) -> Tensor:
    """No frames: ``(0, batch, dim)`` with ``x``'s dtype and device."""
    return x.new_zeros((0, x.shape[1], x.shape[2]))


def _cat_frames(parts: List[Tensor]) -> Tensor:
    """``torch.cat(parts)`` along frames, skipping empty parts; one non-empty part comes back as it is (no copy).

    Streaming runs tiny segments through 20 layers, where the concatenation calls (many with an empty memory
    or summary) cost about a tenth of the time.
    """
    kept: List[Tensor] = []
    for part in parts:
        if part.shape[0] > 0:
            kept.append(part)
    if len(kept) == 1:
        return kept[0]
    return torch.cat(kept if len(kept) > 0 else parts)


def _filled_state(
    state: List[Tensor], max_memory_size: int, left_context_length: int, segment_length: int
) -> Tuple[Tensor, Tensor, Tensor]:
    """The part of a layer's streaming state that earlier calls filled: memory ``(M, batch, D)``, left-context
    keys and values ``(L, batch, D)``. The state tensors are zero-padded at the front until then."""
    seen = int(state[3][0][0])
    num_mems = min(max_memory_size, (seen + segment_length - 1) // segment_length)
    num_lc = min(left_context_length, seen)
    past_mems = state[0][state[0].shape[0] - num_mems :]
    lc_key = state[1][state[1].shape[0] - num_lc :]
    lc_val = state[2][state[2].shape[0] - num_lc :]
    return past_mems, lc_key, lc_val


def _advanced_state(
    state: List[Tensor], mems: Tensor, key: Tensor, value: Tensor, num_frames: int, max_memory_size: int,
    left_context_length: int,
) -> List[Tensor]:
    """The first four state entries after a segment of ``num_frames``: the newest ``max_memory_size`` memory
    vectors and ``left_context_length`` keys/values, and the frame count."""
    all_mems = _cat_frames([state[0], mems])
    all_keys = _cat_frames([state[1], key])
    all_values = _cat_frames([state[2], value])
    return [
        all_mems[all_mems.shape[0] - max_memory_size :],
        all_keys[all_keys.shape[0] - left_context_length :],
        all_values[all_values.shape[0] - left_context_length :],
        state[3] + num_frames,
    ]


class _EmformerAttention(nn.Module):
    """Attention of one Emformer layer.

    Queries: ``[right_context, utterance, summary]``; keys/values: ``[mems, right_context, (left context),
    utterance]``. The summary's outputs become the next memory vectors (clamped to [-10, 10], or tanh).

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads.
        dropout (float, optional): dropout on the attention probabilities. (Default: ``0.0``)
        weight_init_gain (float or None, optional): Xavier gain for the query and key/value projections.
        tanh_on_mem (bool, optional): tanh instead of clamping on memory outputs. (Default: ``False``)
        negative_inf (float, optional): logit given to masked positions. (Default: ``-1e8``)

    Shape:
        utterance ``(U, batch, D)``, right_context ``(R, batch, D)``, summary ``(S, batch, D)``,
        mems ``(M, batch, D)``, lengths ``(batch,)``, attention_mask ``(R + U + S, keys)``, ``True`` = blocked.
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        weight_init_gain: Optional[float] = None,
        tanh_on_mem: bool = False,
        negative_inf: float = -1e8,
    ):
        super().__init__()
        if input_dim % num_heads != 0:
            raise ValueError(f"input_dim ({input_dim}) must be a multiple of num_heads ({num_heads})")
        self.input_dim = input_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.tanh_on_mem = tanh_on_mem
        self.negative_inf = negative_inf
        self.scaling = (input_dim // num_heads) ** -0.5
        self.emb_to_key_value = nn.Linear(input_dim, 2 * input_dim, bias=True)
        self.emb_to_query = nn.Linear(input_dim, input_dim, bias=True)
        self.out_proj = nn.Linear(input_dim, input_dim, bias=True)
        if weight_init_gain:
            nn.init.xavier_uniform_(self.emb_to_key_value.weight, gain=weight_init_gain)
            nn.init.xavier_uniform_(self.emb_to_query.weight, gain=weight_init_gain)

    def _heads(self, x: Tensor) -> Tensor:
        # (frame, batch, D) -> (batch * heads, frame, head_dim), batch-major as torchaudio's.
        frames, batch = x.shape[0], x.shape[1]
        return x.contiguous().view(frames, batch * self.num_heads, self.input_dim // self.num_heads).transpose(0, 1)

    def _attend(
        self,
        utterance: Tensor,
        lengths: Tensor,
        right_context: Tensor,
        summary: Tensor,
        mems: Tensor,
        attention_mask: Tensor,
        left_context_key: Optional[Tensor],
        left_context_val: Optional[Tensor],
    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Outputs for ``[right_context, utterance]``, new memory, and the keys/values (left context inserted)."""
        batch = utterance.shape[1]
        num_queries = right_context.shape[0] + utterance.shape[0] + summary.shape[0]
        queries = _cat_frames([right_context, utterance, summary])
        keys = _cat_frames([mems, right_context, utterance])
        if torch.jit.is_scripting():
            query, key_value = self.emb_to_query(queries), self.emb_to_key_value(keys)
        else:  # oneDNN's linear kernel where it applies (see models._onednn)
            query, key_value = _onednn.apply(self.emb_to_query, queries), _onednn.apply(self.emb_to_key_value, keys)
        key, value = key_value.chunk(2, dim=2)

        # Keys before the utterance: memory plus the right-context frames, where frames past the longest item
        # of the utterance count as right context (torchaudio's convention, kept for equal results).
        num_lc = 0
        rc_keys = right_context.shape[0] + utterance.shape[0] - int(lengths.max())
        if left_context_key is not None and left_context_val is not None:
            num_lc = left_context_key.shape[0]
            split = mems.shape[0] + rc_keys
            key = _cat_frames([key[:split], left_context_key, key[split:]])
            value = _cat_frames([value[:split], left_context_val, value[split:]])

        scores = torch.bmm(self._heads(query) * self.scaling, self._heads(key).transpose(1, 2))
        # Softmax in float32 as torchaudio does (float64 inputs too), masked positions set (not added) to
        # negative_inf so a fully masked row stays finite.
        weights = scores.float().masked_fill(attention_mask.unsqueeze(0), self.negative_inf)
        if batch > 1:
            valid_keys = lengths + (mems.shape[0] + rc_keys + num_lc)
            padding = torch.arange(key.shape[0], device=lengths.device)[None, :] >= valid_keys[:, None]
            weights = weights.view(batch, self.num_heads, num_queries, -1)
            weights = weights.masked_fill(padding[:, None, None, :], self.negative_inf)
            weights = weights.view(batch * self.num_heads, num_queries, -1)
        probs = torch.softmax(weights, dim=-1).type_as(scores)
        probs = nn.functional.dropout(probs, p=float(self.dropout), training=self.training)

        attended = torch.bmm(probs, self._heads(value)).transpose(0, 1).contiguous()
        attended = attended.view(num_queries, batch, self.input_dim)
        if torch.jit.is_scripting():
            out = self.out_proj(attended)
        else:
            out = _onednn.apply(self.out_proj, attended)
        num_frames = num_queries - summary.shape[0]
        new_mems = out[num_frames:]
        new_mems = torch.tanh(new_mems) if self.tanh_on_mem else torch.clamp(new_mems, min=-10, max=10)
        return out[:num_frames], new_mems, key, value

    def forward(
        self,
        utterance: Tensor,
        lengths: Tensor,
        right_context: Tensor,
        summary: Tensor,
        mems: Tensor,
        attention_mask: Tensor,
    ) -> Tuple[Tensor, Tensor]:
        """All segments at once. Returns ``(R + U, batch, D)`` outputs and the new memory less the last."""
        out, new_mems, _, _ = self._attend(utterance, lengths, right_context, summary, mems, attention_mask, None, None)
        return out, new_mems[:-1]

    @torch.jit.export
    def infer(
        self,
        utterance: Tensor,
        lengths: Tensor,
        right_context: Tensor,
        summary: Tensor,
        mems: Tensor,
        left_context_key: Tensor,
        left_context_val: Tensor,
    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """One segment, with the left-context keys/values of earlier calls.

        Returns the outputs ``(R + U, batch, D)``, the new memory, and the keys/values from the left context on
        (to keep for the next call).
        """
        num_queries = right_context.shape[0] + utterance.shape[0] + summary.shape[0]
        num_keys = mems.shape[0] + right_context.shape[0] + left_context_key.shape[0] + utterance.shape[0]
        # Everything is visible except the memory to the summary query (the last row).
        attention_mask = torch.zeros(num_queries, num_keys, dtype=torch.bool, device=utterance.device)
        attention_mask[-1, : mems.shape[0]] = True
        out, new_mems, key, value = self._attend(
            utterance, lengths, right_context, summary, mems, attention_mask, left_context_key, left_context_val
        )
        start = mems.shape[0] + right_context.shape[0]
        return out, new_mems, key[start:], value[start:]


class _EmformerLayer(nn.Module):
    """One Emformer layer: pre-norm attention with residual, pre-norm feed-forward with residual, layer norm.

    Shape:
        utterance ``(U, batch, D)``, right_context ``(R, batch, D)``, mems ``(M, batch, D)``, lengths ``(batch,)``.
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        ffn_dim: int,
        segment_length: int,
        dropout: float = 0.0,
        activation: str = "relu",
        left_context_length: int = 0,
        max_memory_size: int = 0,
        weight_init_gain: Optional[float] = None,
        tanh_on_mem: bool = False,
        negative_inf: float = -1e8,
    ):
        super().__init__()
        # Creation order is torchaudio's, so a seed gives the same initial weights.
        self.attention = _EmformerAttention(
            input_dim=input_dim,
            num_heads=num_heads,
            dropout=dropout,
            weight_init_gain=weight_init_gain,
            tanh_on_mem=tanh_on_mem,
            negative_inf=negative_inf,
        )
        self.dropout = nn.Dropout(dropout)
        self.memory_op = nn.AvgPool1d(kernel_size=segment_length, stride=segment_length, ceil_mode=True)
        self.pos_ff = _pre_norm_feed_forward(input_dim, ffn_dim, _activation(activation), dropout)
        self.layer_norm_input = nn.LayerNorm(input_dim)
        self.layer_norm_output = nn.LayerNorm(input_dim)
        self.left_context_length = left_context_length
        self.segment_length = segment_length
        self.max_memory_size = max_memory_size
        self.input_dim = input_dim
        self.use_mem = max_memory_size > 0

    def _summary(self, utterance: Tensor) -> Tensor:
        """Mean of each segment: ``(ceil(U / segment_length), batch, D)``; none without memory."""
        if not self.use_mem:
            return _empty_like_frames(utterance)
        return self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)

    def _pre_norm(self, utterance: Tensor, right_context: Tensor) -> Tuple[Tensor, Tensor]:
        normed = self.layer_norm_input(_cat_frames([right_context, utterance]))
        num_rc = right_context.shape[0]
        return normed[num_rc:], normed[:num_rc]

    def _post_attention(self, attended: Tensor, utterance: Tensor, right_context: Tensor) -> Tuple[Tensor, Tensor]:
        x = self.dropout(attended) + _cat_frames([right_context, utterance])
        if torch.jit.is_scripting():
            x = self.layer_norm_output(self.pos_ff(x) + x)
        else:
            x = self.layer_norm_output(_feed_forward(self.pos_ff, x) + x)
        num_rc = right_context.shape[0]
        return x[num_rc:], x[:num_rc]

    def forward(
        self, utterance: Tensor, lengths: Tensor, right_context: Tensor, mems: Tensor, attention_mask: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """All segments. Returns the utterance ``(U, batch, D)``, right context ``(R, batch, D)`` and memory."""
        normed_utterance, normed_rc = self._pre_norm(utterance, right_context)
        attended, new_mems = self.attention(
            normed_utterance, lengths, normed_rc, self._summary(normed_utterance), mems, attention_mask
        )
        out_utterance, out_rc = self._post_attention(attended, utterance, right_context)
        return out_utterance, out_rc, new_mems

    def _init_state(self, batch_size: int, like: Tensor) -> List[Tensor]:
        """[memory, left-context keys, left-context values, frames seen (int32, ``(1, batch)``)]."""
        dim = (batch_size, self.input_dim)
        return [
            like.new_zeros((self.max_memory_size,) + dim),
            like.new_zeros((self.left_context_length,) + dim),
            like.new_zeros((self.left_context_length,) + dim),
            torch.zeros(1, batch_size, dtype=torch.int32, device=like.device),
        ]

    @torch.jit.export
    def infer(
        self,
        utterance: Tensor,
        lengths: Tensor,
        right_context: Tensor,
        state: Optional[List[Tensor]],
        mems: Tensor,
    ) -> Tuple[Tensor, Tensor, List[Tensor], Tensor]:
        """One segment. ``mems`` (this segment's memory input) is stored in the returned state for later calls.

        Returns the utterance ``(U, batch, D)``, right context ``(R, batch, D)``, new state and new memory.
        """
        if state is None:
            state = self._init_state(utterance.shape[1], utterance)
        past_mems, lc_key, lc_val = _filled_state(
            state, self.max_memory_size, self.left_context_length, self.segment_length
        )
        normed_utterance, normed_rc = self._pre_norm(utterance, right_context)
        attended, new_mems, key, value = self.attention.infer(
            normed_utterance, lengths, normed_rc, self._summary(normed_utterance)[:1], past_mems, lc_key, lc_val
        )
        out_utterance, out_rc = self._post_attention(attended, utterance, right_context)
        new_state = _advanced_state(
            state, mems, key, value, utterance.shape[0], self.max_memory_size, self.left_context_length
        )
        return out_utterance, out_rc, new_state, new_mems


class _EmformerImpl(nn.Module):
    """The Emformer stack over given layers: segmenting, right-context blocks, attention mask, streaming.

    Shape: see :class:`Emformer`.
    """

    def __init__(
        self,
        emformer_layers: nn.ModuleList,
        segment_length: int,
        left_context_length: int = 0,
        right_context_length: int = 0,
        max_memory_size: int = 0,
    ):
        super().__init__()
        self.use_mem = max_memory_size > 0
        self.memory_op = nn.AvgPool1d(kernel_size=segment_length, stride=segment_length, ceil_mode=True)
        self.emformer_layers = emformer_layers
        self.left_context_length = left_context_length
        self.right_context_length = right_context_length
        self.segment_length = segment_length
        self.max_memory_size = max_memory_size
        # For error messages (a scripted module has no type(self).__name__).
        self._model_name: str = type(self).__name__
        self._input_dim: int = int(getattr(emformer_layers[0], "input_dim", -1)) if len(emformer_layers) > 0 else -1

    def _check_input(self, input: Tensor, lengths: Tensor, min_frames: int) -> None:
        if input.dim() != 3 or (self._input_dim >= 0 and input.shape[2] != self._input_dim):
            dim = str(self._input_dim) if self._input_dim >= 0 else "input_dim"
            raise ValueError(
                f"{self._model_name} expects input of shape (batch, frame, {dim}); got shape {list(input.shape)}"
            )
        if input.shape[1] < min_frames:
            raise ValueError(
                f"{self._model_name} expects at least {min_frames} frames (utterance frames followed by "
                f"right_context_length={self.right_context_length}); got shape {list(input.shape)}"
            )
        if lengths.dim() != 1 or lengths.shape[0] != input.shape[0]:
            raise ValueError(
                f"{self._model_name} expects lengths of shape (batch,) = [{input.shape[0]}]; "
                f"got shape {list(lengths.shape)}"
            )

    def _gen_right_context(self, input: Tensor) -> Tensor:
        """The ``right_context_length`` frames after each segment, blocks concatenated: ``(num_segs * R, B, D)``.

        The last segment's block is the input's last R frames (the look-ahead padding the caller appended).
        """
        rc = self.right_context_length
        utterance_length = input.shape[0] - rc
        num_segs = (utterance_length + self.segment_length - 1) // self.segment_length
        blocks = [input[(s + 1) * self.segment_length : (s + 1) * self.segment_length + rc] for s in range(num_segs - 1)]
        blocks.append(input[utterance_length:])
        return torch.cat(blocks)

    def _gen_attention_mask(self, input: Tensor) -> Tensor:
        """Block mask (``True`` = blocked) of queries ``[rc blocks, utterance, summaries]`` over keys
        ``[memory, rc blocks, utterance]``; summaries and memory only with ``max_memory_size > 0``.

        A query of segment s sees: its own rc block; utterance frames from ``s * segment_length -
        left_context_length`` to its segment's end; and (not for summaries) the memory of segments
        ``s - max_memory_size .. s - 1``.
        """
        utterance_length = input.shape[0]
        seg, rc = self.segment_length, self.right_context_length
        num_segs = (utterance_length + seg - 1) // seg
        device = input.device
        segments = torch.arange(num_segs, device=device)
        frames = torch.arange(utterance_length, device=device)

        rc_seg = segments.repeat_interleave(rc)
        query_seg = torch.cat([rc_seg, frames // seg] + ([segments] if self.use_mem else []))
        is_summary = torch.arange(query_seg.shape[0], device=device) >= rc_seg.shape[0] + utterance_length
        q = query_seg[:, None]

        sees_rc = rc_seg[None, :] == q
        start = torch.clamp(q * seg - self.left_context_length, min=0)
        sees_frames = (frames[None, :] >= start) & (frames[None, :] < (q + 1) * seg)
        parts = [sees_rc, sees_frames]
        if self.use_mem:
            mem = segments[: num_segs - 1][None, :]
            sees_mem = (mem < q) & (mem >= q - self.max_memory_size) & ~is_summary[:, None]
            parts.insert(0, sees_mem)
        return ~torch.cat(parts, dim=1)

    def _segment_means(self, utterance: Tensor) -> Tensor:
        return self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)

    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        """All segments at once (training, non-streaming inference).

        Args:
            input: utterance frames followed by ``right_context_length`` look-ahead frames,
                ``(batch, frame + right_context_length, input_dim)``.
            lengths: valid utterance frames of each item, ``(batch,)``.

        Returns:
            ``(output, lengths)``: ``(batch, frame, input_dim)`` and the lengths unchanged.
        """
        self._check_input(input, lengths, self.right_context_length + 1)
        x = input.permute(1, 0, 2)
        right_context = self._gen_right_context(x)
        utterance = x[: x.shape[0] - self.right_context_length]
        attention_mask = self._gen_attention_mask(utterance)
        # One memory vector per segment but the last (which nothing later reads).
        mems = self._segment_means(utterance)[:-1] if self.use_mem else _empty_like_frames(utterance)
        output = utterance
        for layer in self.emformer_layers:
            output, right_context, mems = layer(output, lengths, right_context, mems, attention_mask)
        return output.permute(1, 0, 2), lengths

    @torch.jit.export
    def infer(
        self, input: Tensor, lengths: Tensor, states: Optional[List[List[Tensor]]] = None
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        """One segment of a stream, with the states the previous call returned (``None`` at the start).

        Args:
            input: one segment followed by its look-ahead, ``(batch, segment_length + right_context_length,
                input_dim)``.
            lengths: valid frames of each item in ``input``, ``(batch,)``.
            states: per-layer states from the previous call, or ``None``.

        Returns:
            ``(output, lengths, states)``: ``(batch, segment_length, input_dim)``, the valid output frames
            ``max(lengths - right_context_length, 0)``, and the states for the next call.
        """
        expected = self.segment_length + self.right_context_length
        if input.dim() == 3 and input.shape[1] != expected:
            raise ValueError(
                f"{self._model_name}.infer expects {expected} frames (segment_length={self.segment_length} + "
                f"right_context_length={self.right_context_length}) in dimension 1 of input; got shape "
                f"{list(input.shape)}"
            )
        self._check_input(input, lengths, expected)
        if states is not None and len(states) != len(self.emformer_layers):
            raise ValueError(
                f"{self._model_name}.infer expects states of {len(self.emformer_layers)} layers; got {len(states)}"
            )
        x = input.permute(1, 0, 2)
        split = x.shape[0] - self.right_context_length
        right_context = x[split:]
        utterance = x[:split]
        output_lengths = torch.clamp(lengths - self.right_context_length, min=0)
        mems = self._segment_means(utterance) if self.use_mem else _empty_like_frames(utterance)
        output = utterance
        output_states: List[List[Tensor]] = []
        for i, layer in enumerate(self.emformer_layers):
            output, right_context, state, mems = layer.infer(
                output, output_lengths, right_context, None if states is None else states[i], mems
            )
            output_states.append(state)
        return output.permute(1, 0, 2), output_lengths, output_states


class Emformer(_EmformerImpl):
    """Emformer: efficient memory transformer for low-latency streaming speech recognition.

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each layer.
        ffn_dim (int): hidden dimension of each layer's feed-forward network.
        num_layers (int): number of layers.
        segment_length (int): frames per segment.
        dropout (float, optional): dropout probability. (Default: ``0.0``)
        activation (str, optional): feed-forward activation, one of ``"relu"``, ``"gelu"``, ``"silu"``.
            (Default: ``"relu"``)
        left_context_length (int, optional): earlier utterance frames a segment sees. (Default: ``0``)
        right_context_length (int, optional): look-ahead frames after each segment. (Default: ``0``)
        max_memory_size (int, optional): memory vectors a segment sees (0: no memory). (Default: ``0``)
        weight_init_scale_strategy (str or None, optional): Xavier gain of each layer's attention projections:
            ``"depthwise"`` (1/sqrt(layer + 1)), ``"constant"`` (1/sqrt(2)) or ``None`` (default init).
            (Default: ``"depthwise"``)
        tanh_on_mem (bool, optional): tanh instead of clamping to [-10, 10] on memory vectors. (Default: ``False``)
        negative_inf (float, optional): logit given to masked attention positions. (Default: ``-1e8``)

    Shape:
        ``forward(input, lengths)``: input ``(batch, frame + right_context_length, input_dim)`` (the utterance,
        then the look-ahead), lengths ``(batch,)`` -> ``(batch, frame, input_dim)``, lengths.

        ``infer(input, lengths, states)``: input ``(batch, segment_length + right_context_length, input_dim)``
        -> ``(batch, segment_length, input_dim)``, ``clamp(lengths - right_context_length, min=0)``, states.

    Example:
        >>> emformer = Emformer(512, 8, 2048, 20, 4, right_context_length=1)
        >>> output, lengths = emformer(torch.rand(128, 400, 512), torch.randint(1, 200, (128,)))
        >>> output, lengths, states = emformer.infer(torch.rand(128, 5, 512), torch.full((128,), 5), None)
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        ffn_dim: int,
        num_layers: int,
        segment_length: int,
        dropout: float = 0.0,
        activation: str = "relu",
        left_context_length: int = 0,
        right_context_length: int = 0,
        max_memory_size: int = 0,
        weight_init_scale_strategy: Optional[str] = "depthwise",
        tanh_on_mem: bool = False,
        negative_inf: float = -1e8,
    ):
        gains = _get_weight_init_gains(weight_init_scale_strategy, num_layers)
        layers = nn.ModuleList(
            [
                _EmformerLayer(
                    input_dim,
                    num_heads,
                    ffn_dim,
                    segment_length,
                    dropout=dropout,
                    activation=activation,
                    left_context_length=left_context_length,
                    max_memory_size=max_memory_size,
                    weight_init_gain=gains[i],
                    tanh_on_mem=tanh_on_mem,
                    negative_inf=negative_inf,
                )
                for i in range(num_layers)
            ]
        )
        super().__init__(
            layers,
            segment_length,
            left_context_length=left_context_length,
            right_context_length=right_context_length,
            max_memory_size=max_memory_size,
        )
