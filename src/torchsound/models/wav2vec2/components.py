"""Building blocks of the wav2vec 2.0 family (wav2vec2, HuBERT, WavLM).

Submodule attribute names are torchaudio's: they define the state_dict keys, and checkpoint
compatibility with torchaudio is the contract. Everything here is scriptable, pickles whole and
runs under ``torch.compile``/``torch.export``.
"""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from .. import _onednn

class LayerNorm(nn.LayerNorm):
    """Layer norm over the channel axis of a ``(batch, channel, frame)`` tensor.

    Shape:
        input and output: ``(batch, channel, frame)``.
    """

    def forward(self, input: Tensor) -> Tensor:
        y = nn.functional.layer_norm(input.transpose(-2, -1), self.normalized_shape, self.weight, self.bias, self.eps)
        return y.transpose(-2, -1)


class ConvLayerBlock(nn.Module):
    """One strided convolution of the feature extractor: conv, optional norm, GELU.

    Shape:
        x: ``(batch, in_channels, in_frame)`` -> ``(batch, out_channels, out_frame)`` with
        ``out_frame = floor((in_frame - kernel_size) / stride) + 1``; ``length`` ``(batch,)`` likewise.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, bias: bool, layer_norm: Optional[nn.Module]
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride
        self.layer_norm = layer_norm
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size=kernel_size, stride=stride, bias=bias)

    def forward(self, x: Tensor, length: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        x = self.conv(x)
        if self.layer_norm is not None:
            x = self.layer_norm(x)
        x = nn.functional.gelu(x)
        return x, self._length(length)

    def _length(self, length: Optional[Tensor]) -> Optional[Tensor]:
        if length is not None:
            # Frames the valid samples fill completely; never below zero.
            length = torch.div(length - self.kernel_size, self.stride, rounding_mode="floor") + 1
            length = torch.clamp(length, min=0)
        return length

    def _fusable(self) -> bool:
        """Whether :meth:`_forward_frames` computes this block: the plain ``nn.Conv1d`` the blocks build (no
        padding, dilation, groups or hooks) and a norm it knows (none, the channel :class:`LayerNorm`, or the
        per-channel ``GroupNorm`` of the first block)."""
        conv = self.conv
        if type(conv) is not nn.Conv1d or conv._forward_hooks or conv._forward_pre_hooks:
            return False
        if conv.padding != (0,) or conv.dilation != (1,) or conv.groups != 1:
            return False
        norm = self.layer_norm
        if norm is None:
            return True
        if norm._forward_hooks or norm._forward_pre_hooks:
            return False
        if type(norm) is LayerNorm:
            return True
        return type(norm) is nn.GroupNorm and norm.num_groups == norm.num_channels and conv.in_channels == 1

    def _frames_weight(self) -> Optional[Tensor]:
        """The weight :meth:`_forward_frames` multiplies, prepared once per call of the model (``None`` for the
        block whose GroupNorm is folded: its weight depends on each waveform)."""
        if isinstance(self.layer_norm, nn.GroupNorm):
            return None
        return _onednn.conv1d_frames_weight(self.conv.weight)

    def _forward_frames(self, x: Tensor, weight: Optional[Tensor]) -> Tensor:
        """:meth:`forward` on one waveform's channels-last frames by products over the frames
        (:func:`_onednn.conv1d_frames`); only where :meth:`_fusable` and :func:`_onednn.usable`.

        Shape: x ``(in_frame, in_channels)``, weight from :meth:`_frames_weight` -> ``(out_frame, out_channels)``.
        """
        if weight is None:
            return self._forward_group_norm_folded(x.view(-1))
        y = _onednn.conv1d_frames(x, weight, self.conv.bias, self.stride, gelu=self.layer_norm is None)
        if self.layer_norm is None:
            return y
        norm = self.layer_norm
        y = nn.functional.layer_norm(y, norm.normalized_shape, norm.weight, norm.bias, norm.eps)
        return torch.ops.aten.gelu_(y)  # in place: no second output-sized buffer

    def _forward_group_norm_folded(self, wave: Tensor) -> Tensor:
        """The first block with its per-channel GroupNorm folded into the convolution.

        Channel ``c`` of the convolution is ``w_c . window_t (+ b_c)``, so its mean over frames is
        ``w_c . mean(window) (+ b_c)`` and its variance ``w_c^T Cov(window) w_c``: both follow from the mean and the
        ``kernel x kernel`` covariance of the waveform's windows, summed here in float64. The normalisation is
        then an affine map per channel, which folds into the convolution's weight and bias (the bias cancels):
        one product over the windows with GELU fused writes the block's output, where the unfolded block makes
        four passes over it (convolution, statistics, normalisation, GELU). The rounding of the folded product
        is of the size of the unfolded one's: both are proportional to ``sum_k |w_ck window_tk|`` over the
        channel's standard deviation.

        Shape: wave ``(time,)`` -> ``(frame, out_channels)``.
        """
        conv, norm = self.conv, self.layer_norm
        windows = wave.unfold(0, self.kernel_size, self.stride)  # (frame, kernel), a view
        windows64 = windows.double()
        mean_window = windows64.mean(0)
        centred = windows64 - mean_window
        covariance = centred.t() @ centred / windows.shape[0]
        weight64 = conv.weight.view(conv.out_channels, self.kernel_size).double()
        variance = ((weight64 @ covariance) * weight64).sum(1)
        scale = torch.rsqrt(variance + norm.eps)
        if norm.weight is not None:
            scale = scale * norm.weight.double()
        shift = -(weight64 @ mean_window) * scale
        if norm.bias is not None:
            shift = shift + norm.bias.double()
        weight = (scale[:, None] * weight64).to(wave.dtype)
        return torch.ops.mkldnn._linear_pointwise(windows.contiguous(), weight, shift.to(wave.dtype), "gelu", [], "none")


class FeatureExtractor(nn.Module):
    """Convolutional feature encoder: raw audio to frame features.

    Shape:
        x: ``(batch, time)`` -> ``(batch, frame, feature)``; ``length`` ``(batch,)`` -> ``(batch,)``.
    """

    def __init__(self, conv_layers: nn.ModuleList):
        super().__init__()
        self.conv_layers = conv_layers
        # Receptive field of one output frame: the shortest input that yields a frame.
        field = 1
        for layer in reversed(list(conv_layers)):
            field = (field - 1) * layer.stride + layer.kernel_size
        self.receptive_field: int = field

    def forward(self, x: Tensor, length: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        if x.ndim != 2:
            raise ValueError(f"Wav2Vec2Model expects waveforms of shape (batch, time); got shape {list(x.shape)}")
        if length is not None and (length.ndim != 1 or length.shape[0] != x.shape[0]):
            raise ValueError(
                f"Wav2Vec2Model expects lengths of shape (batch,) = [{x.shape[0]}]; got shape {list(length.shape)}"
            )
        if x.shape[1] < self.receptive_field:
            raise ValueError(
                f"Wav2Vec2Model needs at least {self.receptive_field} samples per waveform (one frame); "
                f"got shape {list(x.shape)}"
            )
        if not torch.jit.is_scripting():
            if _onednn.usable(x, self.conv_layers[0].conv.weight) and x.shape[0] > 0 and self._fusable():
                # One waveform at a time, channels-last throughout: each product is still thousands of frames.
                weights = [layer._frames_weight() for layer in self.conv_layers]
                frames = []
                for wave in x:
                    y = wave[:, None]
                    for layer, weight in zip(self.conv_layers, weights):
                        y = layer._forward_frames(y, weight)
                    frames.append(y)
                for layer in self.conv_layers:
                    length = layer._length(length)
                return torch.stack(frames), length
        x = x.unsqueeze(1)
        for layer in self.conv_layers:
            x, length = layer(x, length)
        return x.transpose(1, 2), length

    def _fusable(self) -> bool:
        for layer in self.conv_layers:
            if not layer._fusable():
                return False
        return True


class FeatureProjection(nn.Module):
    """Layer norm, linear projection to the encoder width, dropout.

    Shape:
        ``(batch, frame, in_features)`` -> ``(batch, frame, out_features)``.
    """

    def __init__(self, in_features: int, out_features: int, dropout: float):
        super().__init__()
        self.layer_norm = nn.LayerNorm(in_features)
        self.projection = nn.Linear(in_features, out_features)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.layer_norm(x)
        if torch.jit.is_scripting():
            x = self.projection(x)
        else:
            x = _onednn.apply(self.projection, x)
        return self.dropout(x)


class _WeightNormWeight(nn.Module):
    """The two tensors of a weight-normalised weight: magnitude ``original0`` (g), direction ``original1`` (v).

    Named as torch's ``parametrizations.weight_norm`` names them, so the state_dict keys are the same, but a
    plain module: it scripts, pickles and deep-copies whole, which a parametrized module does not.
    """

    def __init__(self, weight: Tensor, dim: int):
        super().__init__()
        self.dim = dim
        reduce_dims = [d for d in range(weight.ndim) if d != dim]
        self.reduce_dims: List[int] = reduce_dims
        with torch.no_grad():
            g = torch.linalg.vector_norm(weight, dim=reduce_dims, keepdim=True)
        self.original0 = nn.Parameter(g)
        self.original1 = nn.Parameter(weight.detach().clone())

    def forward(self) -> Tensor:
        # torch's fused weight-norm kernel: the one torch's parametrization (torchaudio's) calls, same rounding.
        return torch._weight_norm(self.original1, self.original0, self.dim)


class _Parametrizations(nn.Module):
    """Holds ``weight`` so that the keys read ``parametrizations.weight.original0/1``."""

    def __init__(self, weight: _WeightNormWeight):
        super().__init__()
        self.weight = weight


class WeightNormConv1d(nn.Module):
    """``Conv1d`` with a weight-normalised kernel (norm over all axes but ``dim``).

    Loads both checkpoint forms: ``parametrizations.weight.original0/1`` (torch >= 2.1) and the older
    ``weight_g``/``weight_v``; a plain ``weight`` (a model whose weight norm was removed) is split into g and v.

    Shape:
        ``(batch, in_channels, frame)`` -> ``(batch, out_channels, frame_out)``.
    """

    __jit_unused_properties__ = ["weight"]

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int, groups: int, dim: int):
        super().__init__()
        # Built through nn.Conv1d so initialisation draws the same random numbers as torchaudio's.
        conv = nn.Conv1d(in_channels, out_channels, kernel_size=kernel_size, padding=padding, groups=groups)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.padding = padding
        self.groups = groups
        self.parametrizations = _Parametrizations(_WeightNormWeight(conv.weight, dim))
        self.bias = nn.Parameter(conv.bias.detach())
        self._register_load_state_dict_pre_hook(self._upgrade_keys)

    @property
    def weight(self) -> Tensor:
        """The effective kernel ``g * v / ||v||``."""
        return self.parametrizations.weight()

    def _upgrade_keys(self, state_dict, prefix, *args):
        new = prefix + "parametrizations.weight.original"
        if prefix + "weight_g" in state_dict:
            state_dict[new + "0"] = state_dict.pop(prefix + "weight_g")
        if prefix + "weight_v" in state_dict:
            state_dict[new + "1"] = state_dict.pop(prefix + "weight_v")
        if prefix + "weight" in state_dict and new + "1" not in state_dict:
            w = state_dict.pop(prefix + "weight")
            dims = self.parametrizations.weight.reduce_dims
            state_dict[new + "0"] = torch.linalg.vector_norm(w, dim=dims, keepdim=True)
            state_dict[new + "1"] = w

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.conv1d(x, self.parametrizations.weight(), self.bias, 1, self.padding, 1, self.groups)


class ConvolutionalPositionalEmbedding(nn.Module):
    """Relative positions from a wide grouped convolution (weight-normalised), then GELU.

    Shape:
        ``(batch, frame, feature)`` -> ``(batch, frame, feature)``.
    """

    def __init__(self, embed_dim: int, kernel_size: int, groups: int):
        super().__init__()
        self.embed_dim = embed_dim
        self.kernel_size = kernel_size
        self.conv = WeightNormConv1d(embed_dim, embed_dim, kernel_size, kernel_size // 2, groups, dim=2)
        # An even kernel with padding k//2 yields one extra frame at the end.
        self.num_remove: int = 1 if kernel_size % 2 == 0 else 0

    def forward(self, x: Tensor) -> Tensor:
        if not torch.jit.is_scripting():
            if _onednn.usable(x, self.conv.bias):
                return self._forward_channels_last(x)
        x = self.conv(x.transpose(-2, -1))
        if self.num_remove > 0:
            x = x[..., : x.shape[-1] - self.num_remove]
        return nn.functional.gelu(x).transpose(-2, -1)

    def _forward_channels_last(self, x: Tensor) -> Tensor:
        """The same on a contiguous ``(batch, frame, feature)`` input, as a 2-d convolution over a height-1 image in
        channels-last layout (``x`` is that layout already): oneDNN runs this grouped convolution in about 0.65x
        the time of conv1d on the transposed input, with no transposing copy."""
        conv = self.conv
        image = x.contiguous().transpose(1, 2).unsqueeze(2)  # (batch, feature, 1, frame), channels-last strides
        y = nn.functional.conv2d(image, conv.weight.unsqueeze(2), conv.bias, 1, (0, conv.padding), 1, conv.groups)
        y = y.squeeze(2).transpose(1, 2)  # (batch, frame, feature), contiguous
        if self.num_remove > 0:
            y = y[:, : y.shape[1] - self.num_remove]
        return nn.functional.gelu(y)


def _split_heads(x: Tensor, num_heads: int) -> Tensor:
    batch, frames, dim = x.shape
    return x.view(batch, frames, num_heads, dim // num_heads).transpose(1, 2)


def _merge_heads(x: Tensor) -> Tensor:
    batch, heads, frames, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, frames, heads * head_dim)


class SelfAttention(nn.Module):
    """Multi-head self-attention with separate q/k/v projections (fused attention kernel).

    Shape:
        x: ``(batch, frame, embed_dim)``; attention_mask: additive, ``(batch, 1, frame, frame)``.
        Returns ``((batch, frame, embed_dim), None)``; the ``None`` stands for WavLM's position bias.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0):
        super().__init__()
        head_dim = embed_dim // num_heads
        if head_dim * num_heads != embed_dim:
            raise ValueError(f"`embed_dim ({embed_dim})` is not divisible by `num_heads ({num_heads})`")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.head_dim = head_dim
        self.scaling = head_dim**-0.5
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=True)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=True)

    def forward(
        self,
        x: Tensor,
        attention_mask: Optional[Tensor] = None,
        position_bias: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        if x.ndim != 3 or x.shape[2] != self.embed_dim:
            raise ValueError(
                f"SelfAttention expects input of shape (batch, frame, {self.embed_dim}); got shape {list(x.shape)}"
            )
        if torch.jit.is_scripting():
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        else:
            q, k, v = _onednn.apply(self.q_proj, x), _onednn.apply(self.k_proj, x), _onednn.apply(self.v_proj, x)
        q, k, v = _split_heads(q, self.num_heads), _split_heads(k, self.num_heads), _split_heads(v, self.num_heads)
        p = self.dropout if self.training else 0.0
        y = _merge_heads(nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, dropout_p=p))
        if torch.jit.is_scripting():
            return self.out_proj(y), None
        return _onednn.apply(self.out_proj, y), None


class WavLMSelfAttention(nn.Module):
    """WavLM's self-attention: a bucketed relative position bias, gated per head by the query (gated relative
    position bias), added to the attention logits.

    Unlike torchaudio 2.8 this accepts the padding mask, so WavLM takes ``lengths``: padded keys get the
    same additive bias as in wav2vec2, which equals a boolean key padding mask (as in Hugging Face's WavLM).

    Shape:
        query: ``(batch, frame, embed_dim)``; attention_mask: additive ``(batch, 1, frame, frame)``;
        position_bias: ``(batch, num_heads, frame, frame)``. Returns the output and the position bias.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        has_relative_attention_bias: bool = False,
        num_buckets: int = 32,
        max_distance: int = 128,
        gru_rel_pos: bool = True,
    ):
        super().__init__()
        head_dim = embed_dim // num_heads
        if head_dim * num_heads != embed_dim:
            raise ValueError(f"`embed_dim ({embed_dim})` is not divisible by `num_heads ({num_heads})`")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.has_relative_attention_bias = has_relative_attention_bias
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.rel_attn_embed = nn.Embedding(num_buckets, num_heads) if has_relative_attention_bias else None
        self.dropout = dropout
        # Only its packed in-projection and out_proj are used (keys: attention.in_proj_weight, ...).
        self.attention = nn.MultiheadAttention(embed_dim, num_heads, dropout=dropout, bias=bias, batch_first=True)
        self.gru_rel_pos = gru_rel_pos
        if gru_rel_pos:
            self.gru_rel_pos_linear = nn.Linear(head_dim, 8)
            self.gru_rel_pos_const = nn.Parameter(torch.ones(1, num_heads, 1, 1))
        self.has_position_bias = True

    def _bucket(self, relative: Tensor) -> Tensor:
        """Bucket index of each signed offset: exact below half a side's buckets, log-spaced up to max_distance."""
        half = self.num_buckets // 2
        exact = half // 2
        side = (relative > 0).to(torch.long) * half
        distance = relative.abs()
        # float32 as in the reference implementation, so the bucket edges fall on the same offsets.
        log_ratio = torch.log(distance.float() / exact) / math.log(self.max_distance / exact)
        far = exact + (log_ratio * (half - exact)).to(torch.long)
        far = torch.clamp(far, max=half - 1)
        return side + torch.where(distance < exact, distance, far)

    def compute_bias(self, query_length: int, key_length: int) -> Tensor:
        """Relative position bias, shape ``(num_heads, query_length, key_length)``."""
        assert self.rel_attn_embed is not None
        relative = torch.arange(key_length)[None, :] - torch.arange(query_length)[:, None]
        buckets = self._bucket(relative).to(self.rel_attn_embed.weight.device)
        return self.rel_attn_embed(buckets).permute(2, 0, 1)

    def forward(
        self,
        query: Tensor,
        key_padding_mask: Optional[Tensor] = None,
        attention_mask: Optional[Tensor] = None,
        position_bias: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        if query.ndim != 3 or query.shape[2] != self.embed_dim:
            raise ValueError(
                f"WavLMSelfAttention expects input of shape (batch, frame, {self.embed_dim}); "
                f"got shape {list(query.shape)}"
            )
        batch, frames = query.shape[0], query.shape[1]
        if self.rel_attn_embed is not None and position_bias is None:
            position_bias = self.compute_bias(frames, frames).unsqueeze(0).expand(batch, -1, -1, -1)

        bias: Optional[Tensor] = None
        if position_bias is not None:
            bias = position_bias
            if self.gru_rel_pos:
                # Per-head gate from the (unprojected) query: a * (b * const - 1) + 2.
                heads = _split_heads(query, self.num_heads)
                gates = self.gru_rel_pos_linear(heads).view(batch, self.num_heads, frames, 2, 4).sum(-1)
                gate_a, gate_b = torch.sigmoid(gates).chunk(2, dim=-1)
                bias = (gate_a * (gate_b * self.gru_rel_pos_const - 1.0) + 2.0) * position_bias
        if key_padding_mask is not None:
            pad = key_padding_mask.view(batch, 1, 1, frames)
            pad_bias = torch.zeros(pad.shape, dtype=query.dtype, device=query.device).masked_fill(pad, -math.inf)
            bias = pad_bias if bias is None else bias + pad_bias
        if attention_mask is not None:
            bias = attention_mask if bias is None else bias + attention_mask

        qkv = _onednn.linear(query, self.attention.in_proj_weight, self.attention.in_proj_bias)
        q, k, v = qkv.chunk(3, dim=-1)
        p = self.dropout if self.training else 0.0
        y = nn.functional.scaled_dot_product_attention(
            _split_heads(q, self.num_heads), _split_heads(k, self.num_heads), _split_heads(v, self.num_heads),
            attn_mask=bias, dropout_p=p,
        )
        if torch.jit.is_scripting():
            return self.attention.out_proj(_merge_heads(y)), position_bias
        return _onednn.apply(self.attention.out_proj, _merge_heads(y)), position_bias


_GELU = nn.GELU()  # the activation FeedForward fuses into its first product


class FeedForward(nn.Module):
    """Linear, GELU, dropout, linear, dropout.

    Shape:
        ``(batch, frame, io_features)`` -> same.
    """

    def __init__(self, io_features: int, intermediate_features: int, intermediate_dropout: float, output_dropout: float):
        super().__init__()
        self.intermediate_dense = nn.Linear(io_features, intermediate_features)
        self.intermediate_dropout = nn.Dropout(intermediate_dropout)
        self.output_dense = nn.Linear(intermediate_features, io_features)
        self.output_dropout = nn.Dropout(output_dropout)

    def forward(self, x: Tensor) -> Tensor:
        if torch.jit.is_scripting():
            x = self.intermediate_dropout(nn.functional.gelu(self.intermediate_dense(x)))
            return self.output_dropout(self.output_dense(x))
        x = self.intermediate_dropout(_onednn.apply(self.intermediate_dense, x, _GELU))
        return self.output_dropout(_onednn.apply(self.output_dense, x))


class EncoderLayer(nn.Module):
    """Self-attention and feed-forward with residuals; layer norms before (pre-norm) or after (post-norm).

    Shape:
        x: ``(batch, frame, embed_dim)`` -> same; position_bias passes through (WavLM).
    """

    def __init__(self, attention: nn.Module, dropout: float, layer_norm_first: bool, feed_forward: nn.Module):
        super().__init__()
        self.attention = attention
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(attention.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.feed_forward = feed_forward
        self.final_layer_norm = nn.LayerNorm(attention.embed_dim)

    def forward(
        self,
        x: Tensor,
        attention_mask: Optional[Tensor] = None,
        position_bias: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        residual = x
        if self.layer_norm_first:
            x = self.layer_norm(x)
        x, position_bias = self.attention(
            x, attention_mask=attention_mask, position_bias=position_bias, key_padding_mask=key_padding_mask
        )
        x = residual + self.dropout(x)
        if self.layer_norm_first:
            return x + self.feed_forward(self.final_layer_norm(x)), position_bias
        x = self.layer_norm(x)
        return self.final_layer_norm(x + self.feed_forward(x)), position_bias


class Transformer(nn.Module):
    """Positional convolution, then the encoder layers (with layer drop in training).

    ``layer_norm_first`` here means the transformer-level norm comes before the layers (post-norm layers) rather
    than after them (pre-norm layers).

    Shape:
        x: ``(batch, frame, embed_dim)`` -> same.
    """

    def __init__(self, pos_conv_embed: nn.Module, dropout: float, layers: nn.Module, layer_norm_first: bool, layer_drop: float):
        super().__init__()
        self.pos_conv_embed = pos_conv_embed
        self.layer_norm = nn.LayerNorm(pos_conv_embed.embed_dim)
        self.layer_norm_first = layer_norm_first
        self.layer_drop = layer_drop
        self.dropout = nn.Dropout(dropout)
        self.layers = layers

    def _preprocess(self, x: Tensor) -> Tensor:
        x = x + self.pos_conv_embed(x)
        if self.layer_norm_first:
            x = self.layer_norm(x)
        return self.dropout(x)

    def forward(self, x: Tensor, attention_mask: Optional[Tensor] = None, position_bias: Optional[Tensor] = None) -> Tensor:
        x = self._preprocess(x)
        for layer in self.layers:
            # One draw per layer in training only, from the global generator (as torchaudio).
            if not (self.training and torch.rand(1).item() <= self.layer_drop):
                x, position_bias = layer(x, attention_mask, position_bias=position_bias)
        if not self.layer_norm_first:
            x = self.layer_norm(x)
        return x

    def get_intermediate_outputs(
        self, x: Tensor, attention_mask: Optional[Tensor] = None, num_layers: Optional[int] = None
    ) -> List[Tensor]:
        if num_layers is not None and not 0 < num_layers <= len(self.layers):
            raise ValueError(f"`num_layers` must be between [1, {len(self.layers)}]; got {num_layers}")
        outputs: List[Tensor] = []
        position_bias: Optional[Tensor] = None
        x = self._preprocess(x)
        for layer in self.layers:
            x, position_bias = layer(x, attention_mask, position_bias=position_bias)
            outputs.append(x)
            if num_layers is not None and len(outputs) >= num_layers:
                return outputs  # (TorchScript unrolls the loop: no break)
        return outputs


class Encoder(nn.Module):
    """Feature projection and transformer.

    Shape:
        features: ``(batch, frame, in_features)``; lengths: ``(batch,)``; output ``(batch, frame, embed_dim)``.
    """

    def __init__(self, feature_projection: nn.Module, transformer: nn.Module):
        super().__init__()
        self.feature_projection = feature_projection
        self.transformer = transformer

    def _preprocess(self, features: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Projected features with padded frames zeroed, and the additive attention mask ``(batch, 1, frame, frame)``."""
        x = self.feature_projection(features)
        mask: Optional[Tensor] = None
        if lengths is not None:
            batch, frames, _ = x.shape
            padded = torch.arange(frames, device=lengths.device).expand(batch, frames) >= lengths[:, None]
            x = x.masked_fill(padded[:, :, None].to(x.device), 0.0)
            # Additive bias on padded keys (torchaudio's value; its exp() underflows to 0 beside any valid key).
            mask = (padded[:, None, None, :].to(features.dtype) * -10000.0).expand(batch, 1, frames, frames)
        return x, mask

    def forward(self, features: Tensor, lengths: Optional[Tensor] = None) -> Tensor:
        x, mask = self._preprocess(features, lengths)
        return self.transformer(x, attention_mask=mask)

    def extract_features(
        self, features: Tensor, lengths: Optional[Tensor] = None, num_layers: Optional[int] = None
    ) -> List[Tensor]:
        x, mask = self._preprocess(features, lengths)
        return self.transformer.get_intermediate_outputs(x, attention_mask=mask, num_layers=num_layers)


def _get_feature_extractor(norm_mode: str, shapes: List[Tuple[int, int, int]], bias: bool) -> FeatureExtractor:
    """Conv stack from ``[(out_channels, kernel_size, stride), ...]``.

    ``norm_mode`` "group_norm": one per-channel GroupNorm in the first block (Base); "layer_norm": a channel
    LayerNorm in every block (Large).
    """
    if norm_mode not in ("group_norm", "layer_norm"):
        raise ValueError(f"extractor_mode must be 'group_norm' or 'layer_norm'; got {norm_mode!r}")
    blocks = []
    in_channels = 1
    for i, (out_channels, kernel_size, stride) in enumerate(shapes):
        norm: Optional[nn.Module] = None
        if norm_mode == "group_norm" and i == 0:
            norm = nn.GroupNorm(num_groups=out_channels, num_channels=out_channels, affine=True)
        elif norm_mode == "layer_norm":
            norm = LayerNorm(normalized_shape=out_channels, elementwise_affine=True)
        blocks.append(ConvLayerBlock(in_channels, out_channels, kernel_size, stride, bias, norm))
        in_channels = out_channels
    return FeatureExtractor(nn.ModuleList(blocks))


def _get_encoder(
    in_features: int,
    embed_dim: int,
    dropout_input: float,
    pos_conv_kernel: int,
    pos_conv_groups: int,
    num_layers: int,
    num_heads: int,
    attention_dropout: float,
    ff_interm_features: int,
    ff_interm_dropout: float,
    dropout: float,
    layer_norm_first: bool,
    layer_drop: float,
) -> Encoder:
    """wav2vec2/HuBERT transformer encoder (arguments as :func:`~torchsound.models.wav2vec2_model`'s)."""
    # Feature projection and positional conv are created before the layers (torchaudio's parameter order).
    projection = FeatureProjection(in_features, embed_dim, dropout_input)
    pos_conv = ConvolutionalPositionalEmbedding(embed_dim, pos_conv_kernel, pos_conv_groups)
    layers = nn.ModuleList()
    for _ in range(num_layers):
        attention = SelfAttention(embed_dim, num_heads, attention_dropout)
        feed_forward = FeedForward(embed_dim, ff_interm_features, ff_interm_dropout, dropout)
        layers.append(EncoderLayer(attention, dropout, layer_norm_first, feed_forward))
    transformer = Transformer(pos_conv, dropout, layers, layer_norm_first=not layer_norm_first, layer_drop=layer_drop)
    return Encoder(projection, transformer)


def _get_wavlm_encoder(
    in_features: int,
    embed_dim: int,
    dropout_input: float,
    pos_conv_kernel: int,
    pos_conv_groups: int,
    num_layers: int,
    num_heads: int,
    num_buckets: int,
    max_distance: int,
    attention_dropout: float,
    ff_interm_features: int,
    ff_interm_dropout: float,
    dropout: float,
    layer_norm_first: bool,
    layer_drop: float,
) -> Encoder:
    """WavLM encoder: as :func:`_get_encoder` with :class:`WavLMSelfAttention`; only the first layer owns the
    relative position embedding, the others reuse its bias."""
    projection = FeatureProjection(in_features, embed_dim, dropout_input)
    pos_conv = ConvolutionalPositionalEmbedding(embed_dim, pos_conv_kernel, pos_conv_groups)
    layers = nn.ModuleList()
    for i in range(num_layers):
        attention = WavLMSelfAttention(
            embed_dim=embed_dim,
            num_heads=num_heads,
            dropout=attention_dropout,
            has_relative_attention_bias=(i == 0),
            num_buckets=num_buckets,
            max_distance=max_distance,
        )
        feed_forward = FeedForward(embed_dim, ff_interm_features, ff_interm_dropout, dropout)
        layers.append(EncoderLayer(attention, dropout, layer_norm_first, feed_forward))
    transformer = Transformer(pos_conv, dropout, layers, layer_norm_first=not layer_norm_first, layer_drop=layer_drop)
    return Encoder(projection, transformer)


def _init_transformer_params(module: nn.Module) -> None:
    """Linear and embedding weights ~ N(0, 0.02) drawn on the CPU generator, biases and padding rows zero."""

    def draw(data: Tensor) -> None:
        if data.is_meta:  # no values to draw (torchaudio fails here): lets the model be built on "meta"
            return
        data.copy_(data.cpu().normal_(mean=0.0, std=0.02).to(data.device))

    if isinstance(module, nn.Linear):
        draw(module.weight.data)
        if module.bias is not None:
            module.bias.data.zero_()
    if isinstance(module, nn.Embedding):
        draw(module.weight.data)
        if module.padding_idx is not None:
            module.weight.data[module.padding_idx].zero_()


# ---------------------------------------------------------------------------------------------------------------
# HuBERT pre-training: span masking and the cosine-similarity logits over cluster labels.
# The random draws (which generator call, in which order) follow torchaudio's, so a seed gives the same masks.


def _span_lengths(count: int, mask_length: int, mask_type: str, mask_other: float) -> Tensor:
    """Lengths of ``count`` spans: fixed ("static"), uniform on [mask_other, 2 * mask_length] ("uniform"),
    rounded normal(mask_length, mask_other) at least 1 ("normal"), rounded poisson(mask_length) ("poisson")."""
    if mask_type == "static":
        return torch.full((count,), mask_length)
    if mask_type == "uniform":
        return torch.randint(int(mask_other), mask_length * 2 + 1, size=(count,))
    if mask_type == "normal":
        drawn = torch.normal(float(mask_length), float(mask_other), size=(count,))
        return torch.maximum(torch.ones(1), torch.round(drawn)).int()
    if mask_type == "poisson":
        return torch.round(torch.poisson(torch.full((count,), float(mask_length)))).int()
    raise ValueError(f"mask selection must be 'static', 'uniform', 'normal' or 'poisson'; got {mask_type!r}")


def _spans_apart(size: int, lengths: Tensor, min_space: int) -> Tensor:
    """Frame indices of spans placed longest first, each in a free segment drawn in proportion to its room,
    keeping ``min_space`` frames between spans."""
    picked: List[Tensor] = []
    segments = [(0, size)]
    shortest = int(min(lengths))
    for length in sorted(lengths.tolist(), reverse=True):
        room = torch.tensor([end - start for start, end in segments], dtype=torch.int)
        room[room < length + min_space] = 0
        total = room.sum()
        if total == 0:
            break
        start, end = segments.pop(int(torch.distributions.Categorical(room / total).sample()))
        first = torch.randint(start, end - length, size=(1,))
        picked.extend(first + k for k in range(length))
        # Keep the free parts on either side that can still hold the shortest span.
        if first - start - min_space >= shortest:
            segments.append((start, int(first) - min_space + 1))
        if end - first - shortest - min_space > shortest:
            segments.append((int(first) + length + min_space, end))
    return torch.cat(picked) if picked else torch.zeros(0, dtype=torch.long)


def _spans_anywhere(size: int, count: int, lengths: Tensor) -> Tensor:
    """Frame indices of ``count`` spans with random distinct starts (spans may overlap)."""
    if count == 0:
        return torch.zeros(0, dtype=torch.long)
    shortest = int(min(lengths))
    if size - shortest <= count:
        shortest = size - count - 1
    starts = torch.randperm(size - shortest)[:count]
    return torch.tensor([int(starts[j]) + k for j in range(len(starts)) for k in range(int(lengths[j]))])


def _compute_mask_indices(
    shape: Tuple[int, int],
    padding_mask: Optional[Tensor],
    mask_prob: float,
    mask_length: int,
    mask_type: str = "static",
    mask_other: float = 0.0,
    min_masks: int = 0,
    no_overlap: bool = False,
    min_space: int = 0,
) -> Tensor:
    """Random spans to mask, about ``mask_prob`` of the valid frames of each row, the same count in every row.

    Shape:
        shape ``(batch, frame)``; padding_mask ``(batch, frame)`` (True on padding); returns bool ``(batch, frame)``.
    """
    batch, frames = shape
    # Stochastic rounding of the expected number of spans.
    count_all = max(min_masks, int(mask_prob * frames / float(mask_length) + torch.rand(1)))
    rows: List[Tensor] = []
    for i in range(batch):
        size, count = frames, count_all
        if padding_mask is not None:
            size = frames - int(padding_mask[i].long().sum())
            count = max(min_masks, int(mask_prob * size / float(mask_length) + torch.rand(1)))
        lengths = _span_lengths(count, mask_length, mask_type, mask_other)
        if count > 0 and int(lengths.sum()) == 0:
            lengths[0] = min(mask_length, size - 1)
        if no_overlap and count > 0:
            index = _spans_apart(size, lengths, min_space)
        else:
            index = _spans_anywhere(size, count, lengths)
        rows.append(torch.unique(index[index < size]))
    mask = torch.zeros((batch, frames), dtype=torch.bool)
    keep = min(len(r) for r in rows)
    for i, index in enumerate(rows):
        if len(index) > keep:  # equal mask counts per row: a random subset
            index = index[torch.randperm(len(index))[:keep].long()]
        mask[i, index] = True
    return mask


def _get_padding_mask(input: Tensor, lengths: Tensor) -> Tensor:
    """True on padded frames. Shape: input ``(batch, frame, feature)``, lengths ``(batch,)`` -> ``(batch, frame)``."""
    batch, frames, _ = input.shape
    return torch.arange(frames, device=lengths.device).expand(batch, frames) >= lengths[:, None]


class MaskGenerator(nn.Module):
    """Replaces random time spans by a learned embedding and zeroes random channel spans (training input masking).

    Shape:
        x ``(batch, frame, embed_dim)``, padding_mask ``(batch, frame)``; returns x and the time mask
        ``(batch, frame)`` (``None`` when ``mask_prob`` is 0).
    """

    def __init__(
        self,
        encoder_embed_dim: int,
        mask_prob: float,
        mask_selection: str,
        mask_other: float,
        mask_length: int,
        no_mask_overlap: bool,
        mask_min_space: int,
        mask_channel_prob: float,
        mask_channel_selection: str,
        mask_channel_other: float,
        mask_channel_length: int,
        no_mask_channel_overlap: bool,
        mask_channel_min_space: int,
    ):
        super().__init__()
        self.mask_prob = mask_prob
        self.mask_selection = mask_selection
        self.mask_other = mask_other
        self.mask_length = mask_length
        self.no_mask_overlap = no_mask_overlap
        self.mask_min_space = mask_min_space
        self.mask_channel_prob = mask_channel_prob
        self.mask_channel_selection = mask_channel_selection
        self.mask_channel_other = mask_channel_other
        self.mask_channel_length = mask_channel_length
        self.no_mask_channel_overlap = no_mask_channel_overlap
        self.mask_channel_min_space = mask_channel_min_space
        self.mask_embedding = nn.Parameter(torch.empty(encoder_embed_dim))
        nn.init.uniform_(self.mask_embedding)

    def forward(self, x: Tensor, padding_mask: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        batch, frames, channels = x.shape
        time_mask: Optional[Tensor] = None
        if self.mask_prob > 0:
            time_mask = _compute_mask_indices(
                (batch, frames), padding_mask, self.mask_prob, self.mask_length, self.mask_selection,
                self.mask_other, min_masks=2, no_overlap=self.no_mask_overlap, min_space=self.mask_min_space,
            ).to(x.device)
            x = torch.where(time_mask[:, :, None], self.mask_embedding.to(x.dtype), x)
        if self.mask_channel_prob > 0:
            channel_mask = _compute_mask_indices(
                (batch, channels), None, self.mask_channel_prob, self.mask_channel_length,
                self.mask_channel_selection, self.mask_channel_other, no_overlap=self.no_mask_channel_overlap,
                min_space=self.mask_channel_min_space,
            ).to(x.device)
            x = x.masked_fill(channel_mask[:, None, :], 0.0)
        return x, time_mask


def _compute_logits(proj_x: Tensor, target: Tensor, label_embeddings: Tensor) -> Tensor:
    """Cosine similarity (temperature 0.1) of each frame to its label's embedding (column 0) and to every label
    (columns 1..); a label equal to the positive one is set to -inf.

    Shape:
        proj_x ``(n, final_dim)``, target ``(n,)``, label_embeddings ``(num_classes, final_dim)`` ->
        ``(n, 1 + num_classes)``.
    """
    positive = label_embeddings.index_select(0, target.long())
    negatives = label_embeddings.unsqueeze(1).expand(-1, proj_x.shape[0], -1)
    same = (positive == negatives).all(-1)
    candidates = torch.cat([positive.unsqueeze(0), negatives], dim=0)
    logits = torch.cosine_similarity(proj_x.float(), candidates.float(), dim=-1).type_as(proj_x) / 0.1
    logits = torch.cat([logits[:1], logits[1:].masked_fill(same, float("-inf"))], dim=0)
    return logits.transpose(0, 1)


class LogitGenerator(nn.Module):
    """Projects the transformer output and scores it against the label embeddings, on masked and unmasked frames.

    Shape:
        x ``(batch, frame, embed_dim)``, label/mask_m/mask_u ``(batch, frame)``; returns
        ``(masked_frames, 1 + num_classes)`` and ``(unmasked_frames, 1 + num_classes)`` (``None`` when skipped).
    """

    def __init__(self, encoder_embed_dim: int, num_classes: int, final_dim: int, skip_masked: bool, skip_nomask: bool):
        super().__init__()
        self.label_embeddings = nn.Parameter(torch.empty(num_classes, final_dim))
        nn.init.uniform_(self.label_embeddings)
        self.final_proj = nn.Linear(encoder_embed_dim, final_dim)
        self.skip_masked = skip_masked
        self.skip_nomask = skip_nomask

    def forward(self, x: Tensor, label: Tensor, mask_m: Tensor, mask_u: Tensor) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        proj_x = self.final_proj(x)
        logit_m: Optional[Tensor] = None
        logit_u: Optional[Tensor] = None
        if not self.skip_masked:
            logit_m = _compute_logits(proj_x[mask_m], label[mask_m], self.label_embeddings)
        if not self.skip_nomask:
            logit_u = _compute_logits(proj_x[mask_u], label[mask_u], self.label_embeddings)
        return logit_m, logit_u


class GradMultiply(torch.autograd.Function):
    """Identity forward; the backward gradient is scaled (slows the feature extractor's learning)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None
