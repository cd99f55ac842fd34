"""Source separation bundles (torchaudio 2.8's ``SourceSeparationBundle``): ConvTasNet on Libri2Mix and Hybrid
Demucs on MUSDB-HQ, with weights found offline in torchaudio's asset cache and loaded with ``weights_only=True``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch

from ..models import conv_tasnet_base, hdemucs_high
from . import _assets

__all__ = ["SourceSeparationBundle", "CONVTASNET_BASE_LIBRI2MIX", "HDEMUCS_HIGH_MUSDB", "HDEMUCS_HIGH_MUSDB_PLUS"]


@dataclass
class SourceSeparationBundle:
    """A pretrained source separation model: how to build it, where its weights are, its sample rate.

    Use the instances (:data:`CONVTASNET_BASE_LIBRI2MIX`, :data:`HDEMUCS_HIGH_MUSDB`, :data:`HDEMUCS_HIGH_MUSDB_PLUS`)
    rather than building one.

    The weights are the torchaudio asset ``_model_path``, looked up in ``$TORCH_HOME/hub/torchaudio/`` (where
    torchaudio keeps it) and downloaded from ``https://download.pytorch.org/torchaudio/`` when missing; without
    network, :class:`~torchsound.pipelines._assets.WeightsNotFoundError` names the file, its URL and where to put it.

    Shape:
        ConvTasNet: mixture ``(batch, 1, time)`` -> sources ``(batch, 2, time)`` at 8 kHz.
        HDemucs: mixture ``(batch, 2, time)`` (stereo) -> ``(batch, 4, 2, time)`` (drums, bass, other, vocals) at
        44.1 kHz.

    Example:
        >>> from torchsound.pipelines import CONVTASNET_BASE_LIBRI2MIX as bundle
        >>> model = bundle.get_model()
        >>> sources = model(mixture.reshape(1, 1, -1))  # mixture at bundle.sample_rate
    """

    _model_path: str
    _model_factory_func: Callable[[], torch.nn.Module]
    _sample_rate: int

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) of the audio the model was trained on.

        :type: int
        """
        return self._sample_rate

    def get_model(self) -> torch.nn.Module:
        """Build the model and load the pretrained weights; returned in eval mode."""
        # Weights first: a missing file fails at once, before the (slow, for HDemucs) model construction.
        state_dict = _assets.load_asset_state_dict(self._model_path)
        model = self._model_factory_func()
        model.load_state_dict(state_dict)
        model.eval()
        return model


_MUSDB_SOURCES = ["drums", "bass", "other", "vocals"]

CONVTASNET_BASE_LIBRI2MIX = SourceSeparationBundle(
    _model_path="models/conv_tasnet_base_libri2mix.pt",
    _model_factory_func=partial(conv_tasnet_base, num_sources=2),
    _sample_rate=8000,
)
CONVTASNET_BASE_LIBRI2MIX.__doc__ = """ConvTasNet (:func:`~torchsound.models.conv_tasnet_base`, two sources) trained
on the Libri2Mix dataset at 8 kHz with torchaudio's source separation recipe. See :class:`SourceSeparationBundle`."""

HDEMUCS_HIGH_MUSDB_PLUS = SourceSeparationBundle(
    _model_path="models/hdemucs_high_trained.pt",
    _model_factory_func=partial(hdemucs_high, sources=_MUSDB_SOURCES),
    _sample_rate=44100,
)
HDEMUCS_HIGH_MUSDB_PLUS.__doc__ = """Hybrid Demucs (:func:`~torchsound.models.hdemucs_high`) trained on the MUSDB-HQ
training and test sets plus 150 extra songs; separates drums, bass, other and vocals at 44.1 kHz.
See :class:`SourceSeparationBundle`."""

HDEMUCS_HIGH_MUSDB = SourceSeparationBundle(
    _model_path="models/hdemucs_high_musdbhq_only.pt",
    _model_factory_func=partial(hdemucs_high, sources=_MUSDB_SOURCES),
    _sample_rate=44100,
)
HDEMUCS_HIGH_MUSDB.__doc__ = """Hybrid Demucs (:func:`~torchsound.models.hdemucs_high`) trained on the MUSDB-HQ
training set only; separates drums, bass, other and vocals at 44.1 kHz. See :class:`SourceSeparationBundle`."""
