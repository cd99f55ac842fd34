"""Helpers for the wav2vec2-family bundle tests: small configurations and random weights in the published layout."""

from __future__ import annotations

import dataclasses
from typing import Dict

import torch

from torchsound.pipelines import _assets
from torchsound.pipelines._wav2vec2 import utils as w2v_utils


def small_params(params: Dict) -> Dict:
    """The bundle's configuration shrunk (same options, keys and aux size; tiny widths and depth)."""
    small = dict(params)
    small.update(
        extractor_conv_layer_config=[(16, 10, 5), (16, 3, 2), (16, 2, 2)],
        encoder_embed_dim=24,
        encoder_pos_conv_kernel=8,
        encoder_pos_conv_groups=4,
        encoder_num_layers=2,
        encoder_num_heads=2,
        encoder_ff_interm_features=40,
    )
    if "encoder_num_buckets" in small:
        small.update(encoder_num_buckets=16, encoder_max_distance=40)
    return small


def shrink(bundle):
    """The same bundle (same file, labels, quirks) with a small architecture."""
    return dataclasses.replace(bundle, _params=small_params(bundle._params))


def published_layout(state_dict: Dict[str, torch.Tensor], aux_rows=(), *, seed: int = 7) -> Dict[str, torch.Tensor]:
    """``state_dict`` as the published files store it.

    The positional conv's weight norm under the old keys (``weight_g``/``weight_v``), and random extra rows at
    indices ``aux_rows`` of the ``aux`` head (fairseq's reserved symbols, dropped by the bundle).
    """
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state_dict.items():
        if key.endswith("parametrizations.weight.original0"):
            out[key.replace("parametrizations.weight.original0", "weight_g")] = value.clone()
        elif key.endswith("parametrizations.weight.original1"):
            out[key.replace("parametrizations.weight.original1", "weight_v")] = value.clone()
        else:
            out[key] = value.clone()
    if aux_rows:
        for key in ("aux.weight", "aux.bias"):
            rows = out[key]
            total = rows.size(0) + len(aux_rows)
            full = torch.randn((total,) + rows.shape[1:], generator=g, dtype=rows.dtype)
            kept = [i for i in range(total) if i not in set(aux_rows)]
            full[kept] = rows
            out[key] = full
    return out


def write_published(bundle, state_dict: Dict[str, torch.Tensor]):
    """Save ``state_dict`` in the published layout where the bundle looks for its file; returns the path."""
    path = _assets.checkpoint_path(w2v_utils.weights_url(bundle._path))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(published_layout(state_dict, getattr(bundle, "_remove_aux_axis", ())), path)
    return path


def random_state_dict(bundle, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random weights for ``bundle``'s (small) architecture, with non-trivial norms and biases."""
    torch.manual_seed(seed)
    model = w2v_utils.build_model(bundle._model_type, bundle._params)
    state = model.state_dict()
    g = torch.Generator().manual_seed(seed + 1)
    for key, value in state.items():
        if value.is_floating_point() and ("norm" in key or key.endswith("bias")):
            state[key] = value + 0.1 * torch.randn(value.shape, generator=g)
    return state


def oracle_loader(monkeypatch, torchaudio28, requested: list):
    """Make torchaudio 2.8's bundles read the file from our temporary cache (torch.hub's path for the URL)."""
    from torchaudio.pipelines._wav2vec2 import utils as oracle_utils

    def load(url, **kwargs):
        requested.append(url)
        return torch.load(_assets.checkpoint_path(url), map_location="cpu", weights_only=True)

    monkeypatch.setattr(oracle_utils, "load_state_dict_from_url", load)
