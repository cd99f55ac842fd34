"""wav2vec 2.0, HuBERT and WavLM encoders with torchaudio 2.8's factories, state_dict keys and numerics."""

from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor
from torch.nn import Module

from . import components

# (out_channels, kernel_size, stride) of every published model's feature extractor: 400-sample receptive
# field, 320-sample (20 ms at 16 kHz) hop.
_DEFAULT_CONV_LAYERS: List[Tuple[int, int, int]] = [(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2


class Wav2Vec2Model(Module):
    """Acoustic model of *wav2vec 2.0* (also HuBERT and WavLM): a convolutional feature extractor, then a
    transformer encoder, then an optional linear head (``aux``, e.g. CTC logits).

    Build it with a factory (:func:`wav2vec2_model`, :func:`wav2vec2_base`, :func:`hubert_base`, ...).

    Args:
        feature_extractor (torch.nn.Module): raw audio to frame features.
        encoder (torch.nn.Module): frame features to contextual features.
        aux (torch.nn.Module or None, optional): applied to the encoder output when given.

    Shape:
        waveforms ``(batch, time)`` and lengths ``(batch,)`` in samples; output ``(batch, frame, dim)`` with
        ``dim`` the embedding size (or ``aux``'s output size), ``frame ~ time / 320`` for the published
        configurations, and the output lengths ``(batch,)`` in frames.
    """

    def __init__(self, feature_extractor: Module, encoder: Module, aux: Optional[Module] = None):
        super().__init__()
        self.feature_extractor = feature_extractor
        self.encoder = encoder
        self.aux = aux

    @torch.jit.export
    def extract_features(
        self, waveforms: Tensor, lengths: Optional[Tensor] = None, num_layers: Optional[int] = None
    ) -> Tuple[List[Tensor], Optional[Tensor]]:
        """Outputs of the transformer layers (the first ``num_layers`` of them, or all).

        Args:
            waveforms (Tensor): ``(batch, time)``.
            lengths (Tensor or None, optional): valid samples of each item, ``(batch,)``; padded frames are
                masked out of attention. ``None``: every sample is valid.
            num_layers (int or None, optional): stop after this many layers (1 to the number of layers).

        Returns:
            (List[Tensor], Optional[Tensor]): one ``(batch, frame, dim)`` tensor per layer, and the valid
            frames of each item ``(batch,)`` when ``lengths`` was given.
        """
        x, lengths = self.feature_extractor(waveforms, lengths)
        return self.encoder.extract_features(x, lengths, num_layers), lengths

    def forward(self, waveforms: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Encode ``waveforms`` (``(batch, time)``), optionally with ``lengths`` (``(batch,)``, valid samples).

        Returns:
            (Tensor, Optional[Tensor]): features or logits ``(batch, frame, dim)``, and valid frames ``(batch,)``
            when ``lengths`` was given.
        """
        x, lengths = self.feature_extractor(waveforms, lengths)
        x = self.encoder(x, lengths)
        if self.aux is not None:
            x = self.aux(x)
        return x, lengths


class HuBERTPretrainModel(Module):
    """HuBERT for pre-training: a :class:`Wav2Vec2Model` whose projected features are span-masked, followed by
    logits of the frames' cluster labels on masked and unmasked frames.

    Build it with :func:`hubert_pretrain_model` or :func:`hubert_pretrain_base` / ``_large`` / ``_xlarge``.

    Args:
        wav2vec2 (Wav2Vec2Model): the encoder.
        mask_generator (torch.nn.Module): masks the encoder input in time and channels.
        logit_generator (torch.nn.Module): scores frames against label embeddings.
        feature_grad_mult (float or None): scale (in (0, 1)) of the gradient into the feature extractor;
            ``None``: unscaled. The forward pass is unaffected.

    Shape:
        waveforms ``(batch, time)``, labels ``(batch, frame)``, audio_lengths ``(batch,)``; returns the masked
        frames' logits ``(masked_frames, 1 + num_classes)``, the unmasked ones ``(unmasked_frames, 1 + num_classes)``
        and the feature penalty (a scalar: mean squared extractor output).
    """

    def __init__(
        self, wav2vec2: Wav2Vec2Model, mask_generator: Module, logit_generator: Module, feature_grad_mult: Optional[float]
    ):
        super().__init__()
        self.wav2vec2 = wav2vec2
        self.mask_generator = mask_generator
        self.logit_generator = logit_generator
        if feature_grad_mult is not None and not 0.0 < feature_grad_mult < 1.0:
            raise ValueError(
                f"The value of `feature_grad_mult` must be ``None``or between (0, 1). Found {feature_grad_mult}"
            )
        self.feature_grad_mult = feature_grad_mult

    def forward(
        self, waveforms: Tensor, labels: Tensor, audio_lengths: Optional[Tensor] = None
    ) -> Tuple[Optional[Tensor], Optional[Tensor], Tensor]:
        x, lengths = self.wav2vec2.feature_extractor(waveforms, audio_lengths)
        if self.feature_grad_mult is not None and self.feature_grad_mult < 1.0:
            x = components.GradMultiply.apply(x, self.feature_grad_mult)
        features_pen = x.float().pow(2).mean()
        padding_mask = None if lengths is None else components._get_padding_mask(x, lengths)
        x, attention_mask = self.wav2vec2.encoder._preprocess(x, lengths)
        x, mask = self.mask_generator(x, padding_mask)
        x = self.wav2vec2.encoder.transformer(x, attention_mask=attention_mask)
        if x.shape[1] != labels.shape[1]:
            raise ValueError(
                f"HuBERTPretrainModel: labels must have one entry per output frame, shape (batch, {x.shape[1]}); "
                f"got shape {list(labels.shape)}"
            )
        if mask is None:  # mask_prob=0: nothing masked (torchaudio 2.8 fails here)
            mask = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        if padding_mask is not None:
            mask_m = torch.logical_and(~padding_mask, mask)
            mask_u = torch.logical_and(~padding_mask, ~mask_m)
        else:
            mask_m = mask
            mask_u = ~mask_m
        logit_m, logit_u = self.logit_generator(x, labels, mask_m, mask_u)
        return logit_m, logit_u, features_pen


def _conv_layers(config: Optional[List[Tuple[int, int, int]]]) -> List[Tuple[int, int, int]]:
    return list(_DEFAULT_CONV_LAYERS) if config is None else config


def _aux(embed_dim: int, aux_num_out: Optional[int]) -> Optional[Module]:
    return None if aux_num_out is None else torch.nn.Linear(in_features=embed_dim, out_features=aux_num_out)


def wav2vec2_model(
    extractor_mode: str,
    extractor_conv_layer_config: Optional[List[Tuple[int, int, int]]],
    extractor_conv_bias: bool,
    encoder_embed_dim: int,
    encoder_projection_dropout: float,
    encoder_pos_conv_kernel: int,
    encoder_pos_conv_groups: int,
    encoder_num_layers: int,
    encoder_num_heads: int,
    encoder_attention_dropout: float,
    encoder_ff_interm_features: int,
    encoder_ff_interm_dropout: float,
    encoder_dropout: float,
    encoder_layer_norm_first: bool,
    encoder_layer_drop: float,
    aux_num_out: Optional[int],
) -> Wav2Vec2Model:
    """Build a :class:`Wav2Vec2Model` of any configuration (names follow fairseq's options).

    Args:
        extractor_mode (str): ``"group_norm"`` (one GroupNorm in the first conv block; Base models) or
            ``"layer_norm"`` (a LayerNorm in every block; Large models). fairseq: ``extractor_mode``.
        extractor_conv_layer_config (list of (int, int, int) or None): ``(out_channels, kernel_size, stride)``
            per conv block; ``None``: ``[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512, 2, 2)] * 2``.
            fairseq: ``conv_feature_layers``.
        extractor_conv_bias (bool): bias in the conv blocks. fairseq: ``conv_bias``.
        encoder_embed_dim (int): transformer width. fairseq: ``encoder_embed_dim``.
        encoder_projection_dropout (float): dropout after the feature projection. fairseq: ``dropout_input``.
        encoder_pos_conv_kernel (int): kernel of the positional convolution. fairseq: ``conv_pos``.
        encoder_pos_conv_groups (int): groups of the positional convolution. fairseq: ``conv_pos_groups``.
        encoder_num_layers (int): transformer layers. fairseq: ``encoder_layers``.
        encoder_num_heads (int): attention heads. fairseq: ``encoder_attention_heads``.
        encoder_attention_dropout (float): dropout on attention weights. fairseq: ``attention_dropout``.
        encoder_ff_interm_features (int): feed-forward hidden size. fairseq: ``encoder_ffn_embed_dim``.
        encoder_ff_interm_dropout (float): dropout inside the feed-forward. fairseq: ``activation_dropout``.
        encoder_dropout (float): dropout after attention and feed-forward. fairseq: ``dropout``.
        encoder_layer_norm_first (bool): pre-norm layers (norm before attention/feed-forward, one final norm)
            instead of post-norm. fairseq: ``layer_norm_first``.
        encoder_layer_drop (float): probability of skipping a layer in training. fairseq: ``layerdrop``.
        aux_num_out (int or None): output size of a final linear head (e.g. CTC vocabulary); ``None``: no head.

    Returns:
        Wav2Vec2Model
    """
    conv_layers = _conv_layers(extractor_conv_layer_config)
    feature_extractor = components._get_feature_extractor(extractor_mode, conv_layers, extractor_conv_bias)
    encoder = components._get_encoder(
        in_features=conv_layers[-1][0],
        embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout,
        pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups,
        num_layers=encoder_num_layers,
        num_heads=encoder_num_heads,
        attention_dropout=encoder_attention_dropout,
        ff_interm_features=encoder_ff_interm_features,
        ff_interm_dropout=encoder_ff_interm_dropout,
        dropout=encoder_dropout,
        layer_norm_first=encoder_layer_norm_first,
        layer_drop=encoder_layer_drop,
    )
    return Wav2Vec2Model(feature_extractor, encoder, _aux(encoder_embed_dim, aux_num_out))


def _published(
    mode: str, conv_bias: bool, dim: int, layers: int, heads: int, ffn: int, norm_first: bool, **dropouts
) -> Wav2Vec2Model:
    """A published architecture (128-tap, 16-group positional conv; default conv stack)."""
    return wav2vec2_model(
        extractor_mode=mode,
        extractor_conv_layer_config=None,
        extractor_conv_bias=conv_bias,
        encoder_embed_dim=dim,
        encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16,
        encoder_num_layers=layers,
        encoder_num_heads=heads,
        encoder_ff_interm_features=ffn,
        encoder_layer_norm_first=norm_first,
        **dropouts,
    )


_DROPOUT_DOC = """
    Args:
        encoder_projection_dropout (float): see :func:`wav2vec2_model`.
        encoder_attention_dropout (float): see :func:`wav2vec2_model`.
        encoder_ff_interm_dropout (float): see :func:`wav2vec2_model`.
        encoder_dropout (float): see :func:`wav2vec2_model`.
        encoder_layer_drop (float): see :func:`wav2vec2_model`.
        aux_num_out (int or None, optional): output size of a linear head for fine-tuning; ``None``: no head.

    Returns:
        Wav2Vec2Model
"""


def wav2vec2_base(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.1,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "group_norm", False, 768, 12, 12, 3072, False,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wav2vec2_large(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.1,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "group_norm", False, 1024, 24, 16, 4096, False,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wav2vec2_large_lv60k(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.1,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", True, 1024, 24, 16, 4096, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def hubert_base(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.05,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "group_norm", False, 768, 12, 12, 3072, False,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def hubert_large(
    encoder_projection_dropout: float = 0.0,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", False, 1024, 24, 16, 4096, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def hubert_xlarge(
    encoder_projection_dropout: float = 0.0,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", False, 1280, 48, 16, 5120, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wav2vec2_xlsr_300m(
    encoder_projection_dropout: float = 0.0,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", True, 1024, 24, 16, 4096, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wav2vec2_xlsr_1b(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", True, 1280, 48, 16, 5120, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wav2vec2_xlsr_2b(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _published(
        "layer_norm", True, 1920, 48, 16, 7680, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wavlm_model(
    extractor_mode: str,
    extractor_conv_layer_config: Optional[List[Tuple[int, int, int]]],
    extractor_conv_bias: bool,
    encoder_embed_dim: int,
    encoder_projection_dropout: float,
    encoder_pos_conv_kernel: int,
    encoder_pos_conv_groups: int,
    encoder_num_layers: int,
    encoder_num_heads: int,
    encoder_num_buckets: int,
    encoder_max_distance: int,
    encoder_attention_dropout: float,
    encoder_ff_interm_features: int,
    encoder_ff_interm_dropout: float,
    encoder_dropout: float,
    encoder_layer_norm_first: bool,
    encoder_layer_drop: float,
    aux_num_out: Optional[int],
) -> Wav2Vec2Model:
    """Build a WavLM :class:`Wav2Vec2Model` of any configuration.

    Arguments as :func:`wav2vec2_model`, plus:
        encoder_num_buckets (int): buckets of the relative position embedding.
        encoder_max_distance (int): offset beyond which every relative position shares the last bucket.

    Unlike torchaudio 2.8, the model accepts ``lengths`` (padded frames are masked out of attention).

    Returns:
        Wav2Vec2Model
    """
    conv_layers = _conv_layers(extractor_conv_layer_config)
    feature_extractor = components._get_feature_extractor(extractor_mode, conv_layers, extractor_conv_bias)
    encoder = components._get_wavlm_encoder(
        in_features=conv_layers[-1][0],
        embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout,
        pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups,
        num_layers=encoder_num_layers,
        num_heads=encoder_num_heads,
        num_buckets=encoder_num_buckets,
        max_distance=encoder_max_distance,
        attention_dropout=encoder_attention_dropout,
        ff_interm_features=encoder_ff_interm_features,
        ff_interm_dropout=encoder_ff_interm_dropout,
        dropout=encoder_dropout,
        layer_norm_first=encoder_layer_norm_first,
        layer_drop=encoder_layer_drop,
    )
    return Wav2Vec2Model(feature_extractor, encoder, _aux(encoder_embed_dim, aux_num_out))


def _wavlm_published(mode: str, dim: int, layers: int, heads: int, ffn: int, norm_first: bool, **dropouts) -> Wav2Vec2Model:
    return wavlm_model(
        extractor_mode=mode,
        extractor_conv_layer_config=None,
        extractor_conv_bias=False,
        encoder_embed_dim=dim,
        encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16,
        encoder_num_layers=layers,
        encoder_num_heads=heads,
        encoder_num_buckets=320,
        encoder_max_distance=800,
        encoder_ff_interm_features=ffn,
        encoder_layer_norm_first=norm_first,
        **dropouts,
    )


def wavlm_base(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.1,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _wavlm_published(
        "group_norm", 768, 12, 12, 3072, False,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


def wavlm_large(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.1,
    aux_num_out: Optional[int] = None,
) -> Wav2Vec2Model:
    return _wavlm_published(
        "layer_norm", 1024, 24, 16, 4096, True,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        aux_num_out=aux_num_out,
    )


# One-line summaries of the published architectures; the arguments are documented once above.
for _f, _what in [
    (wav2vec2_base, '"base" wav2vec 2.0 (12 layers, 768 wide)'),
    (wav2vec2_large, '"large" wav2vec 2.0 (24 layers, 1024 wide, post-norm)'),
    (wav2vec2_large_lv60k, '"large-lv60k" wav2vec 2.0 (24 layers, 1024 wide, pre-norm, conv bias)'),
    (hubert_base, '"base" HuBERT (12 layers, 768 wide)'),
    (hubert_large, '"large" HuBERT (24 layers, 1024 wide)'),
    (hubert_xlarge, '"extra large" HuBERT (48 layers, 1280 wide)'),
    (wav2vec2_xlsr_300m, "XLS-R with 300 million parameters (24 layers, 1024 wide)"),
    (wav2vec2_xlsr_1b, "XLS-R with 1 billion parameters (48 layers, 1280 wide)"),
    (wav2vec2_xlsr_2b, "XLS-R with 2 billion parameters (48 layers, 1920 wide)"),
    (wavlm_base, '"base" WavLM (12 layers, 768 wide, 320 position buckets)'),
    (wavlm_large, '"large" WavLM (24 layers, 1024 wide, 320 position buckets)'),
]:
    _f.__doc__ = f"Build the {_what} :class:`Wav2Vec2Model`.\n" + _DROPOUT_DOC
del _f, _what


def _init_hubert_pretrain_model(module: Module) -> None:
    """fairseq's initialisation for HuBERT pre-training (applied module by module, children first)."""
    if isinstance(module, components.ConvLayerBlock):
        torch.nn.init.kaiming_normal_(module.conv.weight)
    elif isinstance(module, components.ConvolutionalPositionalEmbedding):
        # As in torchaudio, this draws into the computed (weight-normed) kernel, leaving g and v as built.
        std = math.sqrt(4.0 / (module.embed_dim * module.kernel_size))
        torch.nn.init.normal_(module.conv.weight, mean=0.0, std=std)
        torch.nn.init.constant_(module.conv.bias, 0.0)
    elif isinstance(module, components.SelfAttention):
        for proj in (module.k_proj, module.v_proj, module.q_proj):
            torch.nn.init.xavier_uniform_(proj.weight, gain=1 / math.sqrt(2))
        torch.nn.init.xavier_uniform_(module.out_proj.weight)
        torch.nn.init.constant_(module.out_proj.bias, 0.0)
    elif isinstance(module, components.Transformer):
        module.apply(components._init_transformer_params)


def hubert_pretrain_model(
    extractor_mode: str,
    extractor_conv_layer_config: Optional[List[Tuple[int, int, int]]],
    extractor_conv_bias: bool,
    encoder_embed_dim: int,
    encoder_projection_dropout: float,
    encoder_pos_conv_kernel: int,
    encoder_pos_conv_groups: int,
    encoder_num_layers: int,
    encoder_num_heads: int,
    encoder_attention_dropout: float,
    encoder_ff_interm_features: int,
    encoder_ff_interm_dropout: float,
    encoder_dropout: float,
    encoder_layer_norm_first: bool,
    encoder_layer_drop: float,
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
    skip_masked: bool,
    skip_nomask: bool,
    num_classes: int,
    final_dim: int,
    feature_grad_mult: Optional[float],
) -> HuBERTPretrainModel:
    """Build a :class:`HuBERTPretrainModel` of any configuration.

    Encoder arguments as :func:`wav2vec2_model`. Masking (fairseq's names): ``mask_prob`` share of frames in
    masked spans (0: no masking), ``mask_selection`` span-length law ("static", "uniform", "normal", "poisson")
    with ``mask_other`` its second parameter, ``mask_length`` span length, ``no_mask_overlap`` and
    ``mask_min_space`` for disjoint spans; the ``mask_channel_*`` arguments likewise over channels.
    ``skip_masked`` / ``skip_nomask``: return ``None`` for that set of logits. ``num_classes``: cluster labels;
    ``final_dim``: size of the label embeddings; ``feature_grad_mult``: see :class:`HuBERTPretrainModel`.

    Returns:
        HuBERTPretrainModel
    """
    conv_layers = _conv_layers(extractor_conv_layer_config)
    feature_extractor = components._get_feature_extractor(extractor_mode, conv_layers, extractor_conv_bias)
    encoder = components._get_encoder(
        in_features=conv_layers[-1][0],
        embed_dim=encoder_embed_dim,
        dropout_input=encoder_projection_dropout,
        pos_conv_kernel=encoder_pos_conv_kernel,
        pos_conv_groups=encoder_pos_conv_groups,
        num_layers=encoder_num_layers,
        num_heads=encoder_num_heads,
        attention_dropout=encoder_attention_dropout,
        ff_interm_features=encoder_ff_interm_features,
        ff_interm_dropout=encoder_ff_interm_dropout,
        dropout=encoder_dropout,
        layer_norm_first=encoder_layer_norm_first,
        layer_drop=encoder_layer_drop,
    )
    mask_generator = components.MaskGenerator(
        encoder_embed_dim, mask_prob, mask_selection, mask_other, mask_length, no_mask_overlap, mask_min_space,
        mask_channel_prob, mask_channel_selection, mask_channel_other, mask_channel_length, no_mask_channel_overlap,
        mask_channel_min_space,
    )
    logit_generator = components.LogitGenerator(encoder_embed_dim, num_classes, final_dim, skip_masked, skip_nomask)
    model = HuBERTPretrainModel(
        wav2vec2=Wav2Vec2Model(feature_extractor, encoder),
        mask_generator=mask_generator,
        logit_generator=logit_generator,
        feature_grad_mult=feature_grad_mult,
    )
    model.apply(_init_hubert_pretrain_model)
    return model


def _hubert_pretrain_published(
    mode: str, dim: int, layers: int, heads: int, ffn: int, norm_first: bool, num_classes: int, final_dim: int, **kw
) -> HuBERTPretrainModel:
    return hubert_pretrain_model(
        extractor_mode=mode,
        extractor_conv_layer_config=None,
        extractor_conv_bias=False,
        encoder_embed_dim=dim,
        encoder_pos_conv_kernel=128,
        encoder_pos_conv_groups=16,
        encoder_num_layers=layers,
        encoder_num_heads=heads,
        encoder_ff_interm_features=ffn,
        encoder_layer_norm_first=norm_first,
        mask_selection="static",
        mask_other=0.0,
        mask_length=10,
        no_mask_overlap=False,
        mask_min_space=1,
        mask_channel_selection="static",
        mask_channel_other=0.0,
        no_mask_channel_overlap=False,
        mask_channel_min_space=1,
        skip_masked=False,
        skip_nomask=False,
        num_classes=num_classes,
        final_dim=final_dim,
        **kw,
    )


def hubert_pretrain_base(
    encoder_projection_dropout: float = 0.1,
    encoder_attention_dropout: float = 0.1,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.1,
    encoder_layer_drop: float = 0.05,
    mask_prob: float = 0.8,
    mask_channel_prob: float = 0.0,
    mask_channel_length: int = 10,
    feature_grad_mult: Optional[float] = 0.1,
    num_classes: int = 100,
) -> HuBERTPretrainModel:
    """Build the "base" :class:`HuBERTPretrainModel` (12 layers, 768 wide, 256-dim label embeddings).

    Arguments: see :func:`hubert_pretrain_model`.
    """
    return _hubert_pretrain_published(
        "group_norm", 768, 12, 12, 3072, False, num_classes, 256,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        mask_prob=mask_prob,
        mask_channel_prob=mask_channel_prob,
        mask_channel_length=mask_channel_length,
        feature_grad_mult=feature_grad_mult,
    )


def hubert_pretrain_large(
    encoder_projection_dropout: float = 0.0,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    mask_prob: float = 0.8,
    mask_channel_prob: float = 0.0,
    mask_channel_length: int = 10,
    feature_grad_mult: Optional[float] = None,
) -> HuBERTPretrainModel:
    """Build the "large" :class:`HuBERTPretrainModel` (24 layers, 1024 wide, 500 labels, 768-dim embeddings).

    Arguments: see :func:`hubert_pretrain_model`.
    """
    return _hubert_pretrain_published(
        "layer_norm", 1024, 24, 16, 4096, True, 500, 768,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        mask_prob=mask_prob,
        mask_channel_prob=mask_channel_prob,
        mask_channel_length=mask_channel_length,
        feature_grad_mult=feature_grad_mult,
    )


def hubert_pretrain_xlarge(
    encoder_projection_dropout: float = 0.0,
    encoder_attention_dropout: float = 0.0,
    encoder_ff_interm_dropout: float = 0.0,
    encoder_dropout: float = 0.0,
    encoder_layer_drop: float = 0.0,
    mask_prob: float = 0.8,
    mask_channel_prob: float = 0.0,
    mask_channel_length: int = 10,
    feature_grad_mult: Optional[float] = None,
) -> HuBERTPretrainModel:
    """Build the "extra large" :class:`HuBERTPretrainModel` (48 layers, 1280 wide, 500 labels, 1024-dim embeddings).

    Arguments: see :func:`hubert_pretrain_model`.
    """
    return _hubert_pretrain_published(
        "layer_norm", 1280, 48, 16, 5120, True, 500, 1024,
        encoder_projection_dropout=encoder_projection_dropout,
        encoder_attention_dropout=encoder_attention_dropout,
        encoder_ff_interm_dropout=encoder_ff_interm_dropout,
        encoder_dropout=encoder_dropout,
        encoder_layer_drop=encoder_layer_drop,
        mask_prob=mask_prob,
        mask_channel_prob=mask_channel_prob,
        mask_channel_length=mask_channel_length,
        feature_grad_mult=feature_grad_mult,
    )
