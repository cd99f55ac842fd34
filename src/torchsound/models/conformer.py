"""Conformer encoder (Gulati et al., 2020) with torchaudio 2.8's names, state_dict keys and numerics.

Submodule attribute names follow torchaudio (``ffn1.sequential.1.weight``, ``self_attn.in_proj_weight``,
``conv_module.sequential.3.running_mean``...): they define the checkpoint layout.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from . import _onednn

__all__ = ["Conformer"]


def _pre_norm_feed_forward(input_dim: int, hidden_dim: int, activation: nn.Module, dropout: float) -> nn.Sequential:
    """Layer norm, linear up, activation, dropout, linear down, dropout, as one ``nn.Sequential``.

    The position-wise feed-forward block of both Conformer and Emformer: its indices (0 norm, 1 and 4 linears)
    are the state_dict keys of both models.

    Shape:
        ``(..., input_dim)`` -> same.
    """
    return nn.Sequential(
        nn.LayerNorm(input_dim),
        nn.Linear(input_dim, hidden_dim, bias=True),
        activation,
        nn.Dropout(dropout),
        nn.Linear(hidden_dim, input_dim, bias=True),
        nn.Dropout(dropout),
    )


def _feed_forward(block: nn.Module, x: Tensor) -> Tensor:
    """``block(x)`` for a :func:`_pre_norm_feed_forward` block, its linears through oneDNN with the activation
    fused into the first where that applies (see ``models._onednn``). Eager only.

    Shape: ``(..., input_dim)`` -> same.
    """
    if type(block) is not nn.Sequential or len(block) != 6 or block._forward_hooks or block._forward_pre_hooks:
        return block(x)
    norm, up, activation, dropout, down, out_dropout = block
    x = _onednn.apply(up, norm(x), activation)
    return out_dropout(_onednn.apply(down, dropout(x)))


def _padding_mask(lengths: Tensor, num_frames: int) -> Tensor:
    """``True`` at the padded frames: ``(batch, num_frames)`` from ``lengths`` ``(batch,)``.

    Sized by the input (not by ``max(lengths)``), so no data-dependent shape reaches torch.export.
    """
    return torch.arange(num_frames, device=lengths.device)[None, :] >= lengths[:, None]


class _FeedForwardModule(nn.Module):
    """Conformer's half-step feed-forward (SiLU); the caller scales it by 0.5.

    Shape:
        ``(..., input_dim)`` -> same.
    """

    def __init__(self, input_dim: int, hidden_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.sequential = _pre_norm_feed_forward(input_dim, hidden_dim, nn.SiLU(), dropout)

    def forward(self, input: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            return self.sequential(input)
        return _feed_forward(self.sequential, input)


class _ConvolutionModule(nn.Module):
    """Layer norm, pointwise conv to 2C + GLU, depthwise conv ('same' padding), batch/group norm, SiLU,
    pointwise conv back, dropout.

    Shape:
        ``(batch, frame, input_dim)`` -> same.
    """

    def __init__(
        self,
        input_dim: int,
        num_channels: int,
        depthwise_kernel_size: int,
        dropout: float = 0.0,
        bias: bool = False,
        use_group_norm: bool = False,
    ) -> None:
        super().__init__()
        if depthwise_kernel_size % 2 == 0:
            raise ValueError(
                f"depthwise_conv_kernel_size must be odd for 'same' padding; got {depthwise_kernel_size}"
            )
        norm = nn.GroupNorm(num_groups=1, num_channels=num_channels) if use_group_norm else nn.BatchNorm1d(num_channels)
        self.layer_norm = nn.LayerNorm(input_dim)
        self.sequential = nn.Sequential(
            nn.Conv1d(input_dim, 2 * num_channels, 1, bias=bias),
            nn.GLU(dim=1),
            nn.Conv1d(
                num_channels,
                num_channels,
                depthwise_kernel_size,
                padding=depthwise_kernel_size // 2,
                groups=num_channels,
                bias=bias,
            ),
            norm,
            nn.SiLU(),
            nn.Conv1d(num_channels, input_dim, 1, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(self, input: Tensor) -> Tensor:
        # Convolutions run over time: channels second.
        x = self.sequential(self.layer_norm(input).transpose(1, 2))
        return x.transpose(1, 2)


class ConformerLayer(nn.Module):
    """One Conformer block: half feed-forward, self-attention, convolution module (or convolution first),
    half feed-forward, final layer norm; each with a residual.

    Args:
        input_dim (int): input dimension.
        ffn_dim (int): hidden dimension of the feed-forward networks.
        num_attention_heads (int): number of attention heads.
        depthwise_conv_kernel_size (int): kernel size of the depthwise convolution (odd).
        dropout (float, optional): dropout probability. (Default: ``0.0``)
        use_group_norm (bool, optional): ``GroupNorm`` instead of ``BatchNorm1d`` in the convolution module.
            (Default: ``False``)
        convolution_first (bool, optional): convolution module before self-attention. (Default: ``False``)

    Shape:
        input: ``(frame, batch, input_dim)`` (time first, as torchaudio's layer); key_padding_mask:
        ``(batch, frame)``, ``True`` at padding. Output: ``(frame, batch, input_dim)``.
    """

    def __init__(
        self,
        input_dim: int,
        ffn_dim: int,
        num_attention_heads: int,
        depthwise_conv_kernel_size: int,
        dropout: float = 0.0,
        use_group_norm: bool = False,
        convolution_first: bool = False,
    ) -> None:
        super().__init__()
        # Creation order is torchaudio's, so a seed gives the same initial weights.
        self.ffn1 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.self_attn_layer_norm = nn.LayerNorm(input_dim)
        self.self_attn = nn.MultiheadAttention(input_dim, num_attention_heads, dropout=dropout)
        self.self_attn_dropout = nn.Dropout(dropout)
        self.conv_module = _ConvolutionModule(
            input_dim=input_dim,
            num_channels=input_dim,
            depthwise_kernel_size=depthwise_conv_kernel_size,
            dropout=dropout,
            bias=True,
            use_group_norm=use_group_norm,
        )
        self.ffn2 = _FeedForwardModule(input_dim, ffn_dim, dropout=dropout)
        self.final_layer_norm = nn.LayerNorm(input_dim)
        self.convolution_first = convolution_first

    def _apply_convolution(self, x: Tensor) -> Tensor:
        return x + self.conv_module(x.transpose(0, 1)).transpose(0, 1)

    def forward(self, input: Tensor, key_padding_mask: Optional[Tensor]) -> Tensor:
        x = input + 0.5 * self.ffn1(input)
        if self.convolution_first:
            x = self._apply_convolution(x)
        y = self.self_attn_layer_norm(x)
        y, _ = self.self_attn(query=y, key=y, value=y, key_padding_mask=key_padding_mask, need_weights=False)
        x = x + self.self_attn_dropout(y)
        if not self.convolution_first:
            x = self._apply_convolution(x)
        x = x + 0.5 * self.ffn2(x)
        return self.final_layer_norm(x)


class Conformer(nn.Module):
    """Conformer encoder: a stack of :class:`ConformerLayer` over padded frame sequences.

    Args:
        input_dim (int): input dimension.
        num_heads (int): number of attention heads in each layer.
        ffn_dim (int): hidden dimension of the feed-forward networks.
        num_layers (int): number of layers.
        depthwise_conv_kernel_size (int): kernel size of each layer's depthwise convolution (odd).
        dropout (float, optional): dropout probability. (Default: ``0.0``)
        use_group_norm (bool, optional): ``GroupNorm`` instead of ``BatchNorm1d`` in the convolution modules.
            (Default: ``False``)
        convolution_first (bool, optional): convolution module before self-attention. (Default: ``False``)

    Shape:
        input: ``(batch, frame, input_dim)``; lengths: ``(batch,)``, the valid frames of each item (frames at
        and after ``lengths[i]`` are padding, ignored as attention keys).
        Returns ``(output, lengths)``: ``(batch, frame, input_dim)`` and the lengths unchanged.

    Example:
        >>> conformer = Conformer(input_dim=80, num_heads=4, ffn_dim=128, num_layers=4, depthwise_conv_kernel_size=31)
        >>> lengths = torch.randint(1, 400, (10,))
        >>> output, lengths = conformer(torch.rand(10, int(lengths.max()), 80), lengths)
    """

    def __init__(
        self,
        input_dim: int,
        num_heads: int,
        ffn_dim: int,
        num_layers: int,
        depthwise_conv_kernel_size: int,
        dropout: float = 0.0,
        use_group_norm: bool = False,
        convolution_first: bool = False,
    ):
        super().__init__()
        self.input_dim = input_dim
        self.conformer_layers = nn.ModuleList(
            [
                ConformerLayer(
                    input_dim,
                    ffn_dim,
                    num_heads,
                    depthwise_conv_kernel_size,
                    dropout=dropout,
                    use_group_norm=use_group_norm,
                    convolution_first=convolution_first,
                )
                for _ in range(num_layers)
            ]
        )

    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        if input.ndim != 3 or input.shape[2] != self.input_dim:
            raise ValueError(
                f"Conformer expects input of shape (batch, frame, {self.input_dim}); got shape {list(input.shape)}"
            )
        if lengths.ndim != 1 or lengths.shape[0] != input.shape[0]:
            raise ValueError(
                f"Conformer expects lengths of shape (batch,) = [{input.shape[0]}]; got shape {list(lengths.shape)}"
            )
        mask = _padding_mask(lengths, input.shape[1])
        x = input.transpose(0, 1)
        for layer in self.conformer_layers:
            x = layer(x, mask)
        return x.transpose(0, 1), lengths
