"""ConvEmformer: Emformer with a causal depthwise convolution module in each layer (Huang et al., 2022), with
torchaudio 2.8's prototype names, state_dict keys and numerics.

Each layer is macaron-shaped: half feed-forward, Emformer attention, a convolution module over the utterance
(each segment's look-ahead block is convolved after the last ``kernel_size - 1`` utterance frames up to the
segment's end, so no frame sees past its own right context), half feed-forward, layer norm. Segmenting, the
attention mask and streaming come from :class:`torchsound.models.Emformer`'s stack; a streaming call carries
the convolution's last ``kernel_size - 1`` inputs as a fifth state tensor per layer.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from ...models.conformer import _pre_norm_feed_forward
from ...models.emformer import (
    _activation,
    _advanced_state,
    _EmformerAttention,
    _EmformerImpl,
    _filled_state,
    _get_weight_init_gains,
)

__all__ = ["ConvEmformer"]


class _ResidualContainer(nn.Module):
    """``module(x) * output_weight + x``."""

    def __init__(self, module: nn.Module, output_weight: float):
        super().__init__()
        self.module = module
        self.output_weight = output_weight

    def forward(self, input: Tensor) -> Tensor:
        return self.module(input) * self.output_weight + input


class _CausalConvModule(nn.Module):
    """Layer norm, linear to 2D + GLU, causal depthwise conv, layer norm, activation, linear, dropout, plus the
    input (residual).

    Shape:
        utterance ``(U, batch, D)``, right_context ``(num_segs * right_context_length, batch, D)``, state
        ``(batch, D, kernel_size - 1)`` or ``None`` (zeros) -> utterance, right context, new state.
    """

    def __init__(
        self,
        input_dim: int,
        segment_length: int,
        right_context_length: int,
        kernel_size: int,
        activation: str = "silu",
        dropout: float = 0.0,
    ):
        super().__init__()
        self.input_dim = input_dim
        self.segment_length = segment_length
        self.right_context_length = right_context_length
        self.state_size = kernel_size - 1
        self.pre_conv = nn.Sequential(nn.LayerNorm(input_dim), nn.Linear(input_dim, 2 * input_dim), nn.GLU())
        self.conv = nn.Conv1d(input_dim, input_dim, kernel_size, groups=input_dim)
        self.post_conv = nn.Sequential(
            nn.LayerNorm(input_dim), _activation(activation), nn.Linear(input_dim, input_dim), nn.Dropout(dropout)
        )

    def _conv_right_context(self, history: Tensor, right_context: Tensor) -> Tensor:
        """Each look-ahead block convolved after the ``kernel_size - 1`` frames of ``history`` (state, then
        utterance; ``(batch, D, K - 1 + U)``) that end where its segment ends. ``(R, batch, D)`` -> same."""
        rc, k = self.right_context_length, self.state_size
        if right_context.shape[0] % rc != 0:
            raise ValueError(
                f"ConvEmformer: right context of {right_context.shape[0]} frames is not a whole number of "
                f"blocks of right_context_length={rc}"
            )
        num_segs, batch = right_context.shape[0] // rc, right_context.shape[1]
        ends = [min(k + (s + 1) * self.segment_length, history.shape[2]) for s in range(num_segs)]
        past = torch.stack([history[:, :, end - k : end] for end in ends])  # (segs, batch, D, K - 1)
        ahead = right_context.reshape(num_segs, rc, batch, self.input_dim).permute(0, 2, 3, 1)
        blocks = torch.cat([past, ahead], dim=3).reshape(num_segs * batch, self.input_dim, k + rc)
        out = self.conv(blocks).reshape(num_segs, batch, self.input_dim, rc)
        return out.permute(0, 3, 1, 2).reshape(num_segs * rc, batch, self.input_dim)

    def forward(
        self, utterance: Tensor, right_context: Tensor, state: Optional[Tensor]
    ) -> Tuple[Tensor, Tensor, Tensor]:
        num_rc = right_context.shape[0]
        input = torch.cat([right_context, utterance])
        x = self.pre_conv(input)
        if state is None:
            state = x.new_zeros((x.shape[1], self.input_dim, self.state_size))
        history = torch.cat([state, x[num_rc:].permute(1, 2, 0)], dim=2)
        y = self.conv(history).permute(2, 0, 1)
        if self.right_context_length > 0:
            y = torch.cat([self._conv_right_context(history, x[:num_rc]), y])
        out = self.post_conv(y) + input
        return out[num_rc:], out[:num_rc], history[:, :, history.shape[2] - self.state_size :]


class _ConvEmformerLayer(nn.Module):
    """One ConvEmformer layer (see the module docstring).

    Shape:
        utterance ``(U, batch, D)``, right_context ``(R, batch, D)``, mems ``(M, batch, D)``, lengths ``(batch,)``.
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        ffn_dim: int,
        segment_length: int,
        kernel_size: int,
        dropout: float = 0.0,
        ffn_activation: str = "relu",
        left_context_length: int = 0,
        right_context_length: int = 0,
        max_memory_size: int = 0,
        weight_init_gain: Optional[float] = None,
        tanh_on_mem: bool = False,
        negative_inf: float = -1e8,
        conv_activation: str = "silu",
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
        self.ffn0 = _ResidualContainer(
            _pre_norm_feed_forward(input_dim, ffn_dim, _activation(ffn_activation), dropout), 0.5
        )
        self.ffn1 = _ResidualContainer(
            _pre_norm_feed_forward(input_dim, ffn_dim, _activation(ffn_activation), dropout), 0.5
        )
        self.layer_norm_input = nn.LayerNorm(input_dim)
        self.layer_norm_output = nn.LayerNorm(input_dim)
        self.conv = _CausalConvModule(
            input_dim=input_dim,
            segment_length=segment_length,
            right_context_length=right_context_length,
            kernel_size=kernel_size,
            activation=conv_activation,
            dropout=dropout,
        )
        self.left_context_length = left_context_length
        self.segment_length = segment_length
        self.max_memory_size = max_memory_size
        self.input_dim = input_dim
        self.kernel_size = kernel_size
        self.use_mem = max_memory_size > 0

    def _summary(self, utterance: Tensor) -> Tensor:
        """Mean of each segment of the layer's input: ``(ceil(U / segment_length), batch, D)``; none without
        memory."""
        if not self.use_mem:
            return utterance.new_zeros((0, utterance.shape[1], utterance.shape[2]))
        return self.memory_op(utterance.permute(1, 2, 0)).permute(2, 0, 1)

    def _pre_attention(
        self, utterance: Tensor, right_context: Tensor, summary: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Half feed-forward of ``[rc, utterance, summary]`` and its layer norm split into the three parts."""
        x = self.ffn0(torch.cat([right_context, utterance, summary]))
        normed = self.layer_norm_input(x)
        num_rc, num_u = right_context.shape[0], utterance.shape[0]
        return x, normed[:num_rc], normed[num_rc : num_rc + num_u], normed[num_rc + num_u :]

    def _post_attention(
        self, attended: Tensor, residual: Tensor, num_rc: int, conv_state: Optional[Tensor]
    ) -> Tuple[Tensor, Tensor, Tensor]:
        x = self.dropout(attended) + residual[: attended.shape[0]]
        conv_utterance, conv_rc, conv_state = self.conv(x[num_rc:], x[:num_rc], conv_state)
        x = self.layer_norm_output(self.ffn1(torch.cat([conv_rc, conv_utterance])))
        return x[num_rc:], x[:num_rc], conv_state

    def forward(
        self, utterance: Tensor, lengths: Tensor, right_context: Tensor, mems: Tensor, attention_mask: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """All segments. Returns the utterance ``(U, batch, D)``, right context ``(R, batch, D)`` and memory."""
        residual, rc, utt, summary = self._pre_attention(utterance, right_context, self._summary(utterance))
        attended, new_mems = self.attention(utt, lengths, rc, summary, mems, attention_mask)
        out_utterance, out_rc, _ = self._post_attention(attended, residual, right_context.shape[0], None)
        return out_utterance, out_rc, new_mems

    def _init_state(self, batch_size: int, like: Tensor) -> List[Tensor]:
        """[memory, left-context keys, left-context values, frames seen (int32, ``(1, batch)``), conv inputs]."""
        dim = (batch_size, self.input_dim)
        return [
            like.new_zeros((self.max_memory_size,) + dim),
            like.new_zeros((self.left_context_length,) + dim),
            like.new_zeros((self.left_context_length,) + dim),
            torch.zeros(1, batch_size, dtype=torch.int32, device=like.device),
            like.new_zeros((batch_size, self.input_dim, self.kernel_size - 1)),
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
        """One segment; ``mems`` (this segment's memory input) is stored in the returned state for later calls.

        Returns the utterance ``(U, batch, D)``, right context ``(R, batch, D)``, new state and new memory.
        """
        residual, rc, utt, summary = self._pre_attention(utterance, right_context, self._summary(utterance)[:1])
        if state is None:
            state = self._init_state(utterance.shape[1], utterance)
        past_mems, lc_key, lc_val = _filled_state(
            state, self.max_memory_size, self.left_context_length, self.segment_length
        )
        attended, new_mems, key, value = self.attention.infer(utt, lengths, rc, summary, past_mems, lc_key, lc_val)
        out_utterance, out_rc, conv_state = self._post_attention(attended, residual, right_context.shape[0], state[4])
        new_state = _advanced_state(
            state, mems, key, value, utterance.shape[0], self.max_memory_size, self.left_context_length
        )
        new_state.append(conv_state)
        return out_utterance, out_rc, new_state, new_mems


class ConvEmformer(_EmformerImpl):
    """Convolution-augmented Emformer (streaming transformer with non-causal convolution, ICASSP 2022).

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each layer.
        ffn_dim (int): hidden dimension of each layer's feed-forward networks.
        num_layers (int): number of layers.
        segment_length (int): frames per segment.
        kernel_size (int): kernel size of the depthwise convolutions.
        dropout (float, optional): dropout probability. (Default: ``0.0``)
        ffn_activation (str, optional): feed-forward activation, one of ``"relu"``, ``"gelu"``, ``"silu"``.
            (Default: ``"relu"``)
        left_context_length (int, optional): earlier utterance frames a segment attends to. (Default: ``0``)
        right_context_length (int, optional): look-ahead frames after each segment. (Default: ``0``)
        max_memory_size (int, optional): memory vectors a segment sees (0: no memory). (Default: ``0``)
        weight_init_scale_strategy (str or None, optional): ``"depthwise"``, ``"constant"`` or ``None``, as in
            :class:`torchsound.models.Emformer`. (Default: ``"depthwise"``)
        tanh_on_mem (bool, optional): tanh instead of clamping to [-10, 10] on memory vectors. (Default: ``False``)
        negative_inf (float, optional): logit given to masked attention positions. (Default: ``-1e8``)
        conv_activation (str, optional): activation in the convolution modules, one of ``"relu"``, ``"gelu"``,
            ``"silu"``. (Default: ``"silu"``)

    Shape:
        ``forward(input, lengths)``: input ``(batch, frame + right_context_length, input_dim)`` (the utterance,
        then the look-ahead), lengths ``(batch,)`` -> ``(batch, frame, input_dim)``, lengths.

        ``infer(input, lengths, states)``: input ``(batch, segment_length + right_context_length, input_dim)``
        -> ``(batch, segment_length, input_dim)``, ``clamp(lengths - right_context_length, min=0)``, states.

    Example:
        >>> conv_emformer = ConvEmformer(80, 4, 1024, 12, 16, 8, right_context_length=4)
        >>> output, lengths = conv_emformer(torch.rand(10, 200, 80), torch.randint(1, 200, (10,)))
        >>> output, lengths, states = conv_emformer.infer(torch.rand(4, 20, 80), torch.full((4,), 20), None)
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        ffn_dim: int,
        num_layers: int,
        segment_length: int,
        kernel_size: int,
        dropout: float = 0.0,
        ffn_activation: str = "relu",
        left_context_length: int = 0,
        right_context_length: int = 0,
        max_memory_size: int = 0,
        weight_init_scale_strategy: Optional[str] = "depthwise",
        tanh_on_mem: bool = False,
        negative_inf: float = -1e8,
        conv_activation: str = "silu",
    ):
        gains = _get_weight_init_gains(weight_init_scale_strategy, num_layers)
        layers = nn.ModuleList(
            [
                _ConvEmformerLayer(
                    input_dim,
                    num_heads,
                    ffn_dim,
                    segment_length,
                    kernel_size,
                    dropout=dropout,
                    ffn_activation=ffn_activation,
                    left_context_length=left_context_length,
                    right_context_length=right_context_length,
                    max_memory_size=max_memory_size,
                    weight_init_gain=gains[i],
                    tanh_on_mem=tanh_on_mem,
                    negative_inf=negative_inf,
                    conv_activation=conv_activation,
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
