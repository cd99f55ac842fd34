"""Turn a Hugging Face ``transformers`` wav2vec2 / HuBERT / WavLM model into a :class:`Wav2Vec2Model`.

``transformers`` names its submodules as torchaudio does (it is where torchaudio's names came from), so the
weights move over by state_dict; only WavLM's separate q/k/v projections are packed into one in-projection.
"""

from __future__ import annotations

import logging
from typing import Any, Dict

import torch
from torch.nn import Module

from ..model import Wav2Vec2Model, wav2vec2_model, wavlm_model

_LG = logging.getLogger(__name__)

# transformers class name -> attribute holding the encoder (None: the model is the encoder itself).
_SUPPORTED = {
    "Wav2Vec2Model": None,
    "HubertModel": None,
    "WavLMModel": None,
    "Wav2Vec2ForCTC": "wav2vec2",
    "HubertForCTC": "hubert",
    "WavLMForCTC": "wavlm",
}


def _config(cfg, wavlm: bool) -> Dict[str, Any]:
    config = dict(
        extractor_mode=f"{cfg.feat_extract_norm}_norm",
        extractor_conv_layer_config=list(zip(cfg.conv_dim, cfg.conv_kernel, cfg.conv_stride)),
        extractor_conv_bias=cfg.conv_bias,
        encoder_embed_dim=cfg.hidden_size,
        encoder_projection_dropout=cfg.feat_proj_dropout,
        encoder_pos_conv_kernel=cfg.num_conv_pos_embeddings,
        encoder_pos_conv_groups=cfg.num_conv_pos_embedding_groups,
        encoder_num_layers=cfg.num_hidden_layers,
        encoder_num_heads=cfg.num_attention_heads,
        encoder_attention_dropout=cfg.attention_dropout,
        encoder_ff_interm_features=cfg.intermediate_size,
        encoder_ff_interm_dropout=cfg.activation_dropout,
        encoder_dropout=cfg.hidden_dropout,
        encoder_layer_norm_first=cfg.do_stable_layer_norm,
        encoder_layer_drop=cfg.layerdrop,
    )
    if wavlm:
        config.update(encoder_num_buckets=cfg.num_buckets, encoder_max_distance=cfg.max_bucket_distance)
    return config


def _pack_wavlm_projections(state: Dict[str, Any], num_layers: int) -> None:
    """transformers' WavLM keeps q/k/v/out projections apart; torchaudio's layout packs q, k, v (in that order)
    into ``attention.attention.in_proj_*`` of an ``nn.MultiheadAttention``."""
    for i in range(num_layers):
        prefix = f"layers.{i}.attention."
        for kind in ("weight", "bias"):
            parts = [state.pop(f"{prefix}{p}_proj.{kind}") for p in ("q", "k", "v")]
            state[f"{prefix}attention.in_proj_{kind}"] = torch.cat(parts)
            state[f"{prefix}attention.out_proj.{kind}"] = state.pop(f"{prefix}out_proj.{kind}")


def import_huggingface_model(original: Module) -> Wav2Vec2Model:
    """Build a :class:`Wav2Vec2Model` holding the weights of a ``transformers`` model.

    Supported: ``Wav2Vec2Model`` and ``Wav2Vec2ForCTC`` (both layer-norm orders, i.e. the "stable layer norm"
    variant too), ``HubertModel``, ``HubertForCTC``, ``WavLMModel`` and ``WavLMForCTC`` (torchaudio 2.8 does not
    import the last two CTC heads correctly). A CTC model's ``lm_head`` becomes ``aux``.

    Args:
        original (torch.nn.Module): the ``transformers`` model.

    Returns:
        Wav2Vec2Model: outputs equal the original's ``last_hidden_state`` (or ``logits``).
    """
    name = type(original).__name__
    if name not in _SUPPORTED:
        raise ValueError(
            f"import_huggingface_model: original must be one of {sorted(_SUPPORTED)}; got {name}"
        )
    cfg = original.config
    if getattr(cfg, "feat_proj_layer_norm", True) is False:
        raise ValueError(f"import_huggingface_model: {name} without a feature-projection layer norm is not supported")
    if getattr(cfg, "hidden_act", "gelu") != "gelu" or getattr(cfg, "feat_extract_activation", "gelu") != "gelu":
        raise ValueError(f"import_huggingface_model: {name} must use GELU activations")
    wavlm = name.startswith("WavLM")
    base_attr = _SUPPORTED[name]
    encoder = original if base_attr is None else getattr(original, base_attr)
    if base_attr is None:
        _LG.warning('The model is not a CTC model ("...ForCTC"): no "lm_head" to import.')
    aux_num_out = None if base_attr is None else cfg.vocab_size
    config = _config(cfg, wavlm)
    build = wavlm_model if wavlm else wav2vec2_model
    imported = build(**config, aux_num_out=aux_num_out)

    imported.feature_extractor.load_state_dict(encoder.feature_extractor.state_dict())
    imported.encoder.feature_projection.load_state_dict(encoder.feature_projection.state_dict())
    transformer_state = dict(encoder.encoder.state_dict())
    if wavlm:
        _pack_wavlm_projections(transformer_state, config["encoder_num_layers"])
    imported.encoder.transformer.load_state_dict(transformer_state)
    if aux_num_out is not None:
        imported.aux.load_state_dict(original.lm_head.state_dict())
    return imported
