"""Conformer wav2vec 2.0 (torchaudio 2.8's prototype): a wav2vec2 model whose encoder is a Conformer stack over
log-mel frames, and its contrastive pre-training wrapper (masking and negative sampling).

The model takes features, not waveforms: frames are stacked ``stride`` at a time and projected, then layer-normed,
projected to the encoder width and passed through Conformer layers. Submodule attribute names are torchaudio's
(they define the state_dict keys); the blocks are torchsound's own (``Wav2Vec2Model``, ``ConformerLayer``,
``_TimeReduction``, the wav2vec2 feature projection and mask generator).
"""

from __future__ import annotations

from typing import List, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ...models.conformer import ConformerLayer
from ...models.rnnt import _TimeReduction
from ...models.wav2vec2 import Wav2Vec2Model
from ...models.wav2vec2 import components

__all__ = [
    "ConformerWav2Vec2PretrainModel",
    "conformer_wav2vec2_model",
    "conformer_wav2vec2_base",
    "conformer_wav2vec2_pretrain_model",
    "conformer_wav2vec2_pretrain_base",
    "conformer_wav2vec2_pretrain_large",
]


def _check_features(name: str, x: Tensor, dim: int, lengths: Optional[Tensor]) -> None:
    if x.dim() != 3 or x.shape[2] != dim:
        raise ValueError(f"{name} expects features of shape (batch, frame, {dim}); got shape {list(x.shape)}")
    if lengths is not None and (lengths.dim() != 1 or lengths.shape[0] != x.shape[0]):
        raise ValueError(f"{name} expects lengths of shape (batch,) = [{x.shape[0]}]; got shape {list(lengths.shape)}")


class _StackedFrameProjection(nn.Module):
    """Stacks ``stride`` consecutive frames (a trailing incomplete group is dropped), then a linear layer.

    Shape: ``(batch, frame, input_dim)``, lengths ``(batch,)`` or ``None`` ->
    ``(batch, frame // stride, output_dim)``, ``lengths // stride`` or ``None``.
    """

    def __init__(self, input_dim: int, output_dim: int, stride: int):
        super().__init__()
        self.input_dim = input_dim
        self.time_reduction_layer = _TimeReduction(stride=stride)
        self.linear_layer = nn.Linear(input_dim * stride, output_dim)

    def forward(self, x: Tensor, lengths: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
        _check_features("ConformerWav2Vec2 feature extractor", x, self.input_dim, lengths)
        if lengths is None:
            x, _ = self.time_reduction_layer(x, torch.zeros(x.shape[0], dtype=torch.long, device=x.device))
        else:
            x, lengths = self.time_reduction_layer(x, lengths)
        return self.linear_layer(x), lengths


class _ConformerStack(nn.Module):
    """Feature projection (layer norm, linear, dropout) and Conformer layers; padded frames are masked out of
    attention as keys.

    Shape: features ``(batch, frame, in_features)``, lengths ``(batch,)`` or ``None`` ->
    ``(batch, frame, embed_dim)`` (``extract_features``: one such tensor per layer).
    """

    def __init__(self, feature_projection: nn.Module, conformer: nn.ModuleList):
        super().__init__()
        self.feature_projection = feature_projection
        self.conformer = conformer

    def _preprocess(self, features: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        x = self.feature_projection(features)
        mask = None if lengths is None else components._get_padding_mask(x, lengths)
        return x, mask

    def forward(self, features: Tensor, lengths: Optional[Tensor] = None) -> Tensor:
        x, mask = self._preprocess(features, lengths)
        x = x.transpose(0, 1)  # the layers run time-first
        for layer in self.conformer:
            x = layer(x, mask)
        return x.transpose(0, 1)

    def extract_features(
        self, features: Tensor, lengths: Optional[Tensor] = None, num_layers: Optional[int] = None
    ) -> List[Tensor]:
        if num_layers is not None and not 0 < num_layers <= len(self.conformer):
            raise ValueError(f"`num_layers` must be between [1, {len(self.conformer)}]; got {num_layers}")
        x, mask = self._preprocess(features, lengths)
        x = x.transpose(0, 1)
        outputs: List[Tensor] = []
        for layer in self.conformer:
            x = layer(x, mask)
            outputs.append(x.transpose(0, 1))
            if num_layers is not None and len(outputs) >= num_layers:
                return outputs
        return outputs


def _draw_negatives(x: Tensor, num_negatives: int, cross_sample_negatives: int) -> Tuple[Tensor, Tensor]:
    """Negatives for each frame: ``num_negatives`` other frames of the same item, then ``cross_sample_negatives``
    frames from anywhere in the batch.

    The draws are torchaudio's (fairseq's): ``torch.randint`` on the global generator, in-item draws first; a draw
    at or past the frame's own index moves up by one, so an in-item negative is never the frame itself.

    Shape: x ``(batch, frame, dim)`` -> negatives ``(N, batch, frame, dim)`` and their row indices into
    ``x.reshape(-1, dim)`` ``(batch, frame * N)``, with ``N = num_negatives + cross_sample_negatives``.
    """
    if num_negatives == 0 and cross_sample_negatives == 0:
        empty = torch.zeros(0, dtype=x.dtype, device=x.device)
        return empty, empty
    batch, frames, dim = x.shape
    if frames < 2:
        raise ValueError(f"negative sampling needs at least 2 masked frames per item; got {frames}")
    own: Tensor = torch.arange(frames)
    index = torch.zeros(batch, 0, dtype=torch.long)
    if num_negatives > 0:
        within = torch.randint(low=0, high=frames - 1, size=(batch, num_negatives * frames))
        within = within + (within >= own.repeat_interleave(num_negatives)).long()
        index = within + torch.arange(batch).unsqueeze(1) * frames  # rows of the flattened batch
    if cross_sample_negatives > 0:
        across = torch.randint(low=0, high=batch * frames - 1, size=(batch, cross_sample_negatives * frames))
        across = across + (across >= own.repeat_interleave(cross_sample_negatives)).long()
        index = torch.cat([index, across], dim=1)
    index = index.to(x.device)
    negatives = x.reshape(-1, dim)[index.view(-1)]
    negatives = negatives.view(batch, frames, num_negatives + cross_sample_negatives, dim).permute(2, 0, 1, 3)
    return negatives, index


class _NegativeSampler(nn.Module):
    """Projects the unmasked features of the masked frames (the targets), then draws negatives among them.

    Shape: ``(batch, frame, input_dim)`` -> targets ``(batch, frame, output_dim)``, negatives
    ``(N, batch, frame, output_dim)``, indices ``(batch, frame * N)`` (see :func:`_draw_negatives`).
    """

    def __init__(self, preprocessor: nn.Module, num_negatives: int, cross_sample_negatives: int):
        super().__init__()
        self.preprocessor = preprocessor
        self.num_negatives = num_negatives
        self.cross_sample_negatives = cross_sample_negatives

    def forward(self, input: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        targets = self.preprocessor(input)
        negatives, index = _draw_negatives(targets, self.num_negatives, self.cross_sample_negatives)
        return targets, negatives, index


class ConformerWav2Vec2PretrainModel(nn.Module):
    """Conformer wav2vec2 for pre-training from scratch: masks spans of the projected features, runs the
    Conformer layers, and returns what a contrastive loss needs (the targets are the unmasked features of the
    masked frames, projected, and negatives drawn among them).

    Build it with :func:`conformer_wav2vec2_pretrain_model`, :func:`conformer_wav2vec2_pretrain_base` or
    :func:`conformer_wav2vec2_pretrain_large`.

    Args:
        wav2vec2 (Wav2Vec2Model): Conformer wav2vec2 model (feature extractor and Conformer encoder).
        mask_generator (torch.nn.Module): masks the encoder input in time (and channels).
        negative_sampler (torch.nn.Module): projects the targets and draws negatives.

    Shape:
        features ``(batch, frame, input_dim)``, audio_lengths ``(batch,)`` (valid input frames). With
        ``T = frame // stride`` encoder frames and ``M`` masked frames per item (the same in every item), returns:
        encoder output ``(batch, T, embed_dim)``; lengths ``(batch,)`` or ``None``; the time mask
        ``(batch, T)`` (bool); targets ``(batch, M, embed_dim)``; negatives ``(N, batch, M, embed_dim)`` with
        ``N = num_negatives + cross_sample_negatives``; negative indices ``(batch, M * N)``.
    """

    def __init__(self, wav2vec2: Wav2Vec2Model, mask_generator: nn.Module, negative_sampler: nn.Module):
        super().__init__()
        self.wav2vec2 = wav2vec2
        self.mask_generator = mask_generator
        self.negative_sampler = negative_sampler

    def forward(
        self, features: Tensor, audio_lengths: Optional[Tensor] = None
    ) -> Tuple[Tensor, Optional[Tensor], Tensor, Tensor, Tensor, Tensor]:
        x, lengths = self.wav2vec2.feature_extractor(features, audio_lengths)
        padding_mask = None if lengths is None else components._get_padding_mask(x, lengths)
        projection = self.wav2vec2.encoder.feature_projection
        x = projection.dropout(projection.layer_norm(x))
        unmasked = x.clone()  # targets and negatives come from the features before masking
        x, mask = self.mask_generator(x, padding_mask)
        if mask is None:
            raise ValueError(
                "ConformerWav2Vec2PretrainModel needs masked frames for its targets: build it with mask_prob > 0"
            )
        targets, negatives, negative_index = self.negative_sampler(unmasked[mask].view(x.shape[0], -1, x.shape[-1]))
        x = projection.projection(x).transpose(0, 1)
        for layer in self.wav2vec2.encoder.conformer:
            x = layer(x, padding_mask)
        return x.transpose(0, 1), lengths, mask, targets, negatives, negative_index


def conformer_wav2vec2_model(
    extractor_input_dim: int,
    extractor_output_dim: int,
    extractor_stride: int,
    encoder_embed_dim: int,
    encoder_projection_dropout: float,
    encoder_num_layers: int,
    encoder_num_heads: int,
    encoder_ff_interm_features: int,
    encoder_depthwise_conv_kernel_size: Union[int, List[int]],
    encoder_dropout: float,
    encoder_convolution_first: bool,
    encoder_use_group_norm: bool,
) -> Wav2Vec2Model:
    """Build a Conformer wav2vec2 model of any size.

    Args:
        extractor_input_dim (int): feature dimension of the input (e.g. log-mel bins).
        extractor_output_dim (int): dimension after the feature extractor's linear layer.
        extractor_stride (int): input frames stacked into one encoder frame.
        encoder_embed_dim (int): width of the Conformer layers.
        encoder_projection_dropout (float): dropout after the projection to ``encoder_embed_dim``.
        encoder_num_layers (int): number of Conformer layers.
        encoder_num_heads (int): attention heads in each layer.
        encoder_ff_interm_features (int): hidden dimension of the feed-forward networks.
        encoder_depthwise_conv_kernel_size (int or List[int]): depthwise kernel size of every layer, or one per
            layer.
        encoder_dropout (float): dropout in each Conformer layer.
        encoder_convolution_first (bool): convolution module before self-attention.
        encoder_use_group_norm (bool): ``GroupNorm`` instead of ``BatchNorm1d`` in the convolution modules.

    Returns:
        Wav2Vec2Model: features ``(batch, frame, extractor_input_dim)`` and lengths ``(batch,)`` ->
        ``(batch, frame // extractor_stride, encoder_embed_dim)`` and ``lengths // extractor_stride``.
    """
    kernels = encoder_depthwise_conv_kernel_size
    if isinstance(kernels, int):
        kernels = [kernels] * encoder_num_layers
    if len(kernels) != encoder_num_layers:
        raise ValueError(
            f"encoder_depthwise_conv_kernel_size must be an int or a list of encoder_num_layers={encoder_num_layers} "
            f"kernel sizes; got {len(kernels)} of them"
        )
    # Creation order is torchaudio's, so a seed gives the same initial weights.
    extractor = _StackedFrameProjection(extractor_input_dim, extractor_output_dim, extractor_stride)
    projection = components.FeatureProjection(extractor_output_dim, encoder_embed_dim, encoder_projection_dropout)
    layers = [
        ConformerLayer(
            input_dim=encoder_embed_dim,
            ffn_dim=encoder_ff_interm_features,
            num_attention_heads=encoder_num_heads,
            depthwise_conv_kernel_size=kernel,
            dropout=encoder_dropout,
            use_group_norm=encoder_use_group_norm,
            convolution_first=encoder_convolution_first,
        )
        for kernel in kernels
    ]
    return Wav2Vec2Model(extractor, _ConformerStack(projection, nn.ModuleList(layers)))


def conformer_wav2vec2_base(
    extractor_input_dim: int = 64,
    extractor_output_dim: int = 256,
    encoder_projection_dropout: float = 0.0,
) -> Wav2Vec2Model:
    """Conformer wav2vec2 "small" architecture of *Conformer-Based Self-Supervised Learning for Non-Speech Audio
    Tasks*: stride 4, 12 Conformer layers of width 256 with 8 heads, feed-forward 1024, kernels 31 then 15,
    convolution first, group norm, dropout 0.1.

    Args:
        extractor_input_dim (int, optional): input feature dimension. (Default: ``64``)
        extractor_output_dim (int, optional): feature extractor output dimension. (Default: ``256``)
        encoder_projection_dropout (float, optional): dropout after the feature projection. (Default: ``0.0``)

    Returns:
        Wav2Vec2Model: see :func:`conformer_wav2vec2_model`.
    """
    return conformer_wav2vec2_model(
        extractor_input_dim=extractor_input_dim,
        extractor_output_dim=extractor_output_dim,
        extractor_stride=4,
        encoder_projection_dropout=encoder_projection_dropout,
        **_published_encoder(embed_dim=256, num_heads=8),
    )


def _published_encoder(embed_dim: int, num_heads: int) -> dict:
    # What the paper's "small" and "large" encoders share.
    return dict(
        encoder_embed_dim=embed_dim,
        encoder_num_layers=12,
        encoder_num_heads=num_heads,
        encoder_ff_interm_features=1024,
        encoder_depthwise_conv_kernel_size=[31] + [15] * 11,
        encoder_dropout=0.1,
        encoder_convolution_first=True,
        encoder_use_group_norm=True,
    )


def conformer_wav2vec2_pretrain_model(
    extractor_input_dim: int,
    extractor_output_dim: int,
    extractor_stride: int,
    encoder_embed_dim: int,
    encoder_projection_dropout: float,
    encoder_num_layers: int,
    encoder_num_heads: int,
    encoder_ff_interm_features: int,
    encoder_depthwise_conv_kernel_size: int,
    encoder_dropout: float,
    encoder_convolution_first: bool,
    encoder_use_group_norm: bool,
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
    num_negatives: int,
    cross_sample_negatives: int,
) -> ConformerWav2Vec2PretrainModel:
    """Build a Conformer wav2vec2 pre-training model of any size.

    Args:
        extractor_input_dim ... encoder_use_group_norm: as in :func:`conformer_wav2vec2_model`.
        mask_prob (float): probability of each frame starting a masked span.
        mask_selection (str): span length distribution: ``"static"``, ``"uniform"``, ``"normal"`` or ``"poisson"``.
        mask_other (float): second parameter of that distribution.
        mask_length (int): span length.
        no_mask_overlap (bool): keep spans apart.
        mask_min_space (int): frames between spans when they are kept apart.
        mask_channel_prob (float): probability of each channel starting a zeroed channel span.
        mask_channel_selection (str): channel span length distribution (as ``mask_selection``).
        mask_channel_other (float): second parameter of that distribution.
        mask_channel_length (int): channel span length.
        no_mask_channel_overlap (bool): keep channel spans apart.
        mask_channel_min_space (int): channels between channel spans when they are kept apart.
        num_negatives (int): negatives drawn within each item.
        cross_sample_negatives (int): negatives drawn across the batch.

    Returns:
        ConformerWav2Vec2PretrainModel: the masks are applied to the ``extractor_output_dim`` features, and the
        targets are projected to ``encoder_embed_dim``.
    """
    wav2vec2 = conformer_wav2vec2_model(
        extractor_input_dim,
        extractor_output_dim,
        extractor_stride,
        encoder_embed_dim,
        encoder_projection_dropout,
        encoder_num_layers,
        encoder_num_heads,
        encoder_ff_interm_features,
        encoder_depthwise_conv_kernel_size,
        encoder_dropout,
        encoder_convolution_first,
        encoder_use_group_norm,
    )
    mask_generator = components.MaskGenerator(
        extractor_output_dim,
        mask_prob,
        mask_selection,
        mask_other,
        mask_length,
        no_mask_overlap,
        mask_min_space,
        mask_channel_prob,
        mask_channel_selection,
        mask_channel_other,
        mask_channel_length,
        no_mask_channel_overlap,
        mask_channel_min_space,
    )
    sampler = _NegativeSampler(
        nn.Linear(extractor_output_dim, encoder_embed_dim), num_negatives, cross_sample_negatives
    )
    return ConformerWav2Vec2PretrainModel(wav2vec2, mask_generator, sampler)


def _published_pretrain(
    embed_dim: int,
    num_heads: int,
    extractor_input_dim: int,
    extractor_output_dim: int,
    encoder_projection_dropout: float,
    mask_prob: float,
    mask_length: int,
    num_negatives: int,
    cross_sample_negatives: int,
) -> ConformerWav2Vec2PretrainModel:
    return conformer_wav2vec2_pretrain_model(
        extractor_input_dim=extractor_input_dim,
        extractor_output_dim=extractor_output_dim,
        extractor_stride=4,
        encoder_projection_dropout=encoder_projection_dropout,
        **_published_encoder(embed_dim, num_heads),
        mask_prob=mask_prob,
        mask_selection="static",
        mask_other=0.0,
        mask_length=mask_length,
        no_mask_overlap=False,
        mask_min_space=0,
        mask_channel_prob=0,
        mask_channel_selection="static",
        mask_channel_other=0,
        mask_channel_length=10,
        no_mask_channel_overlap=False,
        mask_channel_min_space=1,
        num_negatives=num_negatives,
        cross_sample_negatives=cross_sample_negatives,
    )


def conformer_wav2vec2_pretrain_base(
    extractor_input_dim: int = 64,
    extractor_output_dim: int = 256,
    encoder_projection_dropout: float = 0.0,
    mask_prob: float = 0.3,
    mask_length: int = 3,
    num_negatives: int = 100,
    cross_sample_negatives: int = 0,
) -> ConformerWav2Vec2PretrainModel:
    """Conformer wav2vec2 pre-training model, "small" architecture (as :func:`conformer_wav2vec2_base`), with
    static time masks and no channel masks.

    Args:
        extractor_input_dim (int, optional): input feature dimension. (Default: ``64``)
        extractor_output_dim (int, optional): feature extractor output dimension. (Default: ``256``)
        encoder_projection_dropout (float, optional): dropout after the feature projection. (Default: ``0.0``)
        mask_prob (float, optional): probability of each frame starting a masked span. (Default: ``0.3``)
        mask_length (int, optional): masked span length. (Default: ``3``)
        num_negatives (int, optional): negatives drawn within each item. (Default: ``100``)
        cross_sample_negatives (int, optional): negatives drawn across the batch. (Default: ``0``)

    Returns:
        ConformerWav2Vec2PretrainModel
    """
    return _published_pretrain(
        256, 8, extractor_input_dim, extractor_output_dim, encoder_projection_dropout, mask_prob, mask_length,
        num_negatives, cross_sample_negatives,
    )


def conformer_wav2vec2_pretrain_large(
    extractor_input_dim: int = 64,
    extractor_output_dim: int = 256,
    encoder_projection_dropout: float = 0.0,
    mask_prob: float = 0.3,
    mask_length: int = 3,
    num_negatives: int = 100,
    cross_sample_negatives: int = 0,
) -> ConformerWav2Vec2PretrainModel:
    """Conformer wav2vec2 pre-training model, "large" architecture: as the base one with width 768 and 12 heads.

    Args: as :func:`conformer_wav2vec2_pretrain_base`.

    Returns:
        ConformerWav2Vec2PretrainModel
    """
    return _published_pretrain(
        768, 12, extractor_input_dim, extractor_output_dim, encoder_projection_dropout, mask_prob, mask_length,
        num_negatives, cross_sample_negatives,
    )
