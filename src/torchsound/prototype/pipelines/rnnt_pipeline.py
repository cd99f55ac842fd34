"""Emformer RNN-T bundles trained on MuST-C and TED-LIUM 3 (torchaudio 2.8's prototype bundles)."""

from __future__ import annotations

from functools import partial

from ...models import emformer_rnnt_base
from ...pipelines.rnnt_pipeline import RNNTBundle

__all__ = ["EMFORMER_RNNT_BASE_MUSTC", "EMFORMER_RNNT_BASE_TEDLIUM3"]


def _bundle(corpus: str) -> RNNTBundle:
    # Both share the LibriSpeech bundle's front end and model size, with a 500-piece vocabulary plus the blank.
    return RNNTBundle(
        _rnnt_path=f"models/emformer_rnnt_base_{corpus}.pt",
        _rnnt_factory_func=partial(emformer_rnnt_base, num_symbols=501),
        _global_stats_path=f"pipeline-assets/global_stats_rnnt_{corpus}.json",
        _sp_model_path=f"pipeline-assets/spm_bpe_500_{corpus}.model",
        _right_padding=4,
        _blank=500,
        _sample_rate=16000,
        _n_fft=400,
        _n_mels=80,
        _hop_length=160,
        _segment_length=16,
        _right_context_length=4,
    )


EMFORMER_RNNT_BASE_MUSTC = _bundle("mustc")
EMFORMER_RNNT_BASE_MUSTC.__doc__ = """Emformer RNN-T speech recognition trained on *MuST-C release v2.0* (torchaudio's
weights), for streaming and full-context recognition: :func:`torchsound.models.emformer_rnnt_base` with
``num_symbols=501``. See :class:`torchsound.pipelines.RNNTBundle` for the usage.
"""

EMFORMER_RNNT_BASE_TEDLIUM3 = _bundle("tedlium3")
EMFORMER_RNNT_BASE_TEDLIUM3.__doc__ = """Emformer RNN-T speech recognition trained on *TED-LIUM Release 3* (torchaudio's
weights), for streaming and full-context recognition: :func:`torchsound.models.emformer_rnnt_base` with
``num_symbols=501``. See :class:`torchsound.pipelines.RNNTBundle` for the usage.
"""
