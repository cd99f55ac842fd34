"""Emformer HuBERT (torchaudio 2.8's prototype): a wav2vec2 model over log-mel frames whose encoder is a streaming
Emformer, for HuBERT-style pre-training and fine-tuning of streaming ASR encoders.

A linear layer projects each input frame, ``stride`` frames are stacked into one, the Emformer runs over them and
a linear layer and a layer norm give the output. Submodule attribute names are torchaudio's (they define the
state_dict keys); the blocks are torchsound's own (``Wav2Vec2Model``, ``Emformer``, ``_TimeReduction``).
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from ...models.emformer import Emformer
from ...models.rnnt import _TimeReduction
from ...models.wav2vec2 import Wav2Vec2Model

__all__ = ["emformer_hubert_model", "emformer_hubert_base"]


def _full_lengths(x: Tensor) -> Tensor:
    """Every frame valid: ``(batch,)`` filled with ``x.shape[1]``, on ``x``'s device."""
    return torch.full((x.shape[0],), x.shape[1], dtype=torch.long, device=x.device)


class _ProjectAndStack(nn.Module):
    """A linear layer on each frame, then ``stride`` consecutive frames stacked into one (a trailing incomplete
    group is dropped).

    Shape: ``(batch, frame, input_dim)``, lengths ``(batch,)`` or ``None`` ->
    ``(batch, frame // stride, output_dim * stride)``, ``lengths // stride`` or ``None``.
    """

    def __init__(self, input_dim: int, output_dim: int, use_bias: bool, stride: int):
        super().__init__()
        self.input_dim = input_dim
        self.linear = nn.Linear(input_dim, output_dim, bias=use_bias)
        self.time_reduction = _TimeReduction(stride)

    def forward(self, input: Tensor, lengths: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        if input.dim() != 3 or input.shape[2] != self.input_dim:
            raise ValueError(
                f"EmformerHuBERT feature extractor expects input of shape (batch, frame, {self.input_dim}); "
                f"got shape {list(input.shape)}"
            )
        if lengths is not None and (lengths.dim() != 1 or lengths.shape[0] != input.shape[0]):
            raise ValueError(
                f"EmformerHuBERT feature extractor expects lengths of shape (batch,) = [{input.shape[0]}]; "
                f"got shape {list(lengths.shape)}"
            )
        output = self.linear(input)
        if lengths is None:
            output, _ = self.time_reduction(output, _full_lengths(input))
        else:
            output, lengths = self.time_reduction(output, lengths)
        return output, lengths


class _EmformerStack(nn.Module):
    """Emformer, then a linear layer and a layer norm.

    The input holds the utterance frames followed by the Emformer's ``right_context_length`` look-ahead frames.
    Without lengths, every input frame counts as valid (look-ahead included), as in torchaudio.

    Shape: ``(batch, frame + right_context_length, input_dim)``, lengths ``(batch,)`` or ``None`` ->
    ``(batch, frame, output_dim)``; ``extract_features``: one ``(batch, frame, input_dim)`` tensor per layer.
    """

    def __init__(self, emformer: nn.Module, output_linear: nn.Module, layer_norm: nn.Module):
        super().__init__()
        self.emformer = emformer
        self.output_linear = output_linear
        self.layer_norm = layer_norm

    def forward(self, input: Tensor, lengths: Optional[Tensor]) -> Tensor:
        if lengths is None:
            lengths = _full_lengths(input)
        output, _ = self.emformer(input, lengths)
        return self.layer_norm(self.output_linear(output))

    def extract_features(
        self, input: Tensor, lengths: Optional[Tensor], num_layers: Optional[int] = None
    ) -> List[Tensor]:
        num_all = len(self.emformer.emformer_layers)
        if num_layers is not None and not 0 < num_layers <= num_all:
            raise ValueError(f"`num_layers` must be between [1, {num_all}]; got {num_layers}")
        if lengths is None:
            # (torchaudio 2.8 swaps batch and frame here and fails for a batch of more than one)
            lengths = _full_lengths(input)
        right_length = self.emformer.right_context_length
        self.emformer._check_input(input, lengths, right_length + 1)
        # The Emformer's own forward, keeping each layer's utterance output.
        x = input.permute(1, 0, 2)
        right_context = self.emformer._gen_right_context(x)
        utterance = x[: x.shape[0] - right_length]
        attention_mask = self.emformer._gen_attention_mask(utterance)
        if self.emformer.use_mem:
            mems = self.emformer._segment_means(utterance)[:-1]
        else:
            mems = utterance.new_zeros((0, utterance.shape[1], utterance.shape[2]))
        outputs: List[Tensor] = []
        output = utterance
        for layer in self.emformer.emformer_layers:
            output, right_context, mems = layer(output, lengths, right_context, mems, attention_mask)
            outputs.append(output.permute(1, 0, 2))
            if num_layers is not None and len(outputs) >= num_layers:
                return outputs
        return outputs


def emformer_hubert_model(
    extractor_input_dim: int,
    extractor_output_dim: int,
    extractor_use_bias: bool,
    extractor_stride: int,
    encoder_input_dim: int,
    encoder_output_dim: int,
    encoder_num_heads: int,
    encoder_ffn_dim: int,
    encoder_num_layers: int,
    encoder_segment_length: int,
    encoder_left_context_length: int,
    encoder_right_context_length: int,
    encoder_dropout: float,
    encoder_activation: str,
    encoder_max_memory_size: int,
    encoder_weight_init_scale_strategy: Optional[str],
    encoder_tanh_on_mem: bool,
    aux_num_out: Optional[int],
) -> Wav2Vec2Model:
    """Build an Emformer HuBERT model of any size.

    Args:
        extractor_input_dim (int): feature dimension of the input (e.g. log-mel bins).
        extractor_output_dim (int): dimension after the feature extractor's linear layer.
        extractor_use_bias (bool): bias in that linear layer.
        extractor_stride (int): frames stacked into one encoder frame.
        encoder_input_dim (int): Emformer width; must be ``extractor_output_dim * extractor_stride``.
        encoder_output_dim (int): dimension after the encoder's output linear layer.
        encoder_num_heads (int): attention heads in each Emformer layer.
        encoder_ffn_dim (int): hidden dimension of the feed-forward networks.
        encoder_num_layers (int): number of Emformer layers.
        encoder_segment_length (int): frames per Emformer segment.
        encoder_left_context_length (int): earlier frames a segment sees.
        encoder_right_context_length (int): look-ahead frames after each segment.
        encoder_dropout (float): dropout probability.
        encoder_activation (str): feed-forward activation, ``"relu"``, ``"gelu"`` or ``"silu"``.
        encoder_max_memory_size (int): memory vectors a segment sees (0: none).
        encoder_weight_init_scale_strategy (str or None): ``"depthwise"``, ``"constant"`` or ``None``.
        encoder_tanh_on_mem (bool): tanh instead of clamping on memory vectors.
        aux_num_out (int or None): when given, a linear head of that many outputs on the encoder (fine-tuning).

    Returns:
        Wav2Vec2Model: features ``(batch, frame, extractor_input_dim)`` and lengths ``(batch,)`` ->
        ``(batch, frame // extractor_stride - encoder_right_context_length, encoder_output_dim or aux_num_out)``
        and ``lengths // extractor_stride``.
    """
    # Creation order is torchaudio's, so a seed gives the same initial weights.
    extractor = _ProjectAndStack(extractor_input_dim, extractor_output_dim, extractor_use_bias, extractor_stride)
    emformer = Emformer(
        input_dim=encoder_input_dim,
        num_heads=encoder_num_heads,
        ffn_dim=encoder_ffn_dim,
        num_layers=encoder_num_layers,
        segment_length=encoder_segment_length,
        left_context_length=encoder_left_context_length,
        right_context_length=encoder_right_context_length,
        dropout=encoder_dropout,
        activation=encoder_activation,
        max_memory_size=encoder_max_memory_size,
        weight_init_scale_strategy=encoder_weight_init_scale_strategy,
        tanh_on_mem=encoder_tanh_on_mem,
    )
    encoder = _EmformerStack(emformer, nn.Linear(encoder_input_dim, encoder_output_dim), nn.LayerNorm(encoder_output_dim))
    aux = None if aux_num_out is None else nn.Linear(in_features=encoder_output_dim, out_features=aux_num_out)
    return Wav2Vec2Model(extractor, encoder, aux)


def emformer_hubert_base(
    extractor_input_dim: int = 80,
    extractor_output_dim: int = 128,
    encoder_dropout: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    """Emformer HuBERT with 20 Emformer layers: stride 4, width 512 with 8 heads, feed-forward 2048, GELU,
    segments of 4 frames, left context 30, right context 1, no memory, tanh on memory, depthwise init,
    output dimension 1024.

    Args:
        extractor_input_dim (int, optional): input feature dimension. (Default: ``80``)
        extractor_output_dim (int, optional): feature extractor linear output dimension. (Default: ``128``)
        encoder_dropout (float, optional): dropout in the Emformer. (Default: ``0.1``)
        aux_num_out (int or None, optional): outputs of a linear head for fine-tuning. (Default: ``None``)

    Returns:
        Wav2Vec2Model: see :func:`emformer_hubert_model`.
    """
    return emformer_hubert_model(
        extractor_input_dim=extractor_input_dim,
        extractor_output_dim=extractor_output_dim,
        extractor_use_bias=False,
        extractor_stride=4,
        encoder_input_dim=512,
        encoder_output_dim=1024,
        encoder_num_heads=8,
        encoder_ffn_dim=2048,
        encoder_num_layers=20,
        encoder_segment_length=4,
        encoder_left_context_length=30,
        encoder_right_context_length=1,
        encoder_dropout=encoder_dropout,
        encoder_activation="gelu",
        encoder_max_memory_size=0,
        encoder_weight_init_scale_strategy="depthwise",
        encoder_tanh_on_mem=True,
        aux_num_out=aux_num_out,
    )
