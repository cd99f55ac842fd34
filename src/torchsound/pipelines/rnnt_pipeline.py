"""Emformer RNN-T speech recognition bundles (torchaudio 2.8's ``RNNTBundle``): features, model, decoder, tokens."""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import partial
from typing import Callable, List, Tuple

import torch
from torch import Tensor

from ..models import RNNT, RNNTBeamSearch, emformer_rnnt_base
from ..transforms import MelSpectrogram

__all__ = ["RNNTBundle", "EMFORMER_RNNT_BASE_LIBRISPEECH"]

# The models were trained on mel power spectrograms of int16-scaled audio: the gain is int16's full scale
# squared (power), written in decibels as in the training recipe (the float rounding of that route is kept:
# 1073676289.0000038, not 32767 ** 2, so features equal torchaudio's bit for bit).
_GAIN = pow(10, 0.05 * (2 * 20 * math.log10(torch.iinfo(torch.int16).max)))


class _Transpose(torch.nn.Module):
    """``(n_mels, n_frames)`` -> ``(n_frames, n_mels)``."""

    def forward(self, input: Tensor) -> Tensor:
        return input.transpose(1, 0)


class _PiecewiseLinearLog(torch.nn.Module):
    """The models' log compression of ``gain * x``: ``log`` above e, linear (``/ e``) below.

    The two pieces are applied one after the other as in the training recipe, so values whose log lands at or
    below e (``e < gain * x <= e ** e``) are divided by e once more; the pretrained weights expect exactly that.
    """

    def __init__(self, gain: float) -> None:
        super().__init__()
        self.gain = gain

    def forward(self, input: Tensor) -> Tensor:
        x = input * self.gain
        x = torch.where(x > math.e, torch.log(x.clamp(min=math.e)), x)
        return torch.where(x <= math.e, x / math.e, x)


class _GlobalStatsNormalization(torch.nn.Module):
    """``(x - mean) * invstddev`` per mel bin, with the statistics of the training set (a JSON file)."""

    def __init__(self, global_stats_path) -> None:
        super().__init__()
        try:
            with open(global_stats_path) as f:
                blob = json.load(f)
            mean, invstddev = torch.tensor(blob["mean"]), torch.tensor(blob["invstddev"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(
                f"{global_stats_path}: not a global statistics file (JSON with 'mean' and 'invstddev' lists): {err!r}"
            ) from err
        self.register_buffer("mean", mean)
        self.register_buffer("invstddev", invstddev)

    def forward(self, input: Tensor) -> Tensor:
        return (input - self.mean) * self.invstddev


class _RightPad(torch.nn.Module):
    """Append ``frames`` zero frames (the model's right context at the end of an utterance)."""

    def __init__(self, frames: int) -> None:
        super().__init__()
        self.frames = frames

    def forward(self, input: Tensor) -> Tensor:
        return torch.nn.functional.pad(input, (0, 0, 0, self.frames))


class _FeatureExtractor(ABC):
    @abstractmethod
    def __call__(self, input: Tensor) -> Tuple[Tensor, Tensor]:
        """Features of a waveform and their number of frames.

        Args:
            input (Tensor): the waveform.

        Returns:
            (Tensor, Tensor): the features and their length.

        Shape:
            - input: ``(time,)``.
            - output: ``(n_frames, n_mels)`` and ``(1,)``.
        """


class _TokenProcessor(ABC):
    @abstractmethod
    def __call__(self, tokens: List[int], **kwargs) -> str:
        """Turn a hypothesis' token ids into text.

        Args:
            tokens (List[int]): the token ids.

        Returns:
            str: the text.
        """


@dataclass
class RNNTBundle:
    """A pretrained RNN-T speech recognizer: feature extractors, the model with its beam search, token processor.

    Streaming and full-context recognition both work. Use the instances (``EMFORMER_RNNT_BASE_LIBRISPEECH``);
    weights and files come from torchaudio's asset cache (``$TORCH_HOME/hub/torchaudio/<key>``) or are downloaded
    there; without them and without network the call fails fast, naming the file, its URL and where to put it.

    Example
        >>> bundle = torchsound.pipelines.EMFORMER_RNNT_BASE_LIBRISPEECH
        >>> feature_extractor = bundle.get_feature_extractor()
        >>> decoder = bundle.get_decoder()
        >>> token_processor = bundle.get_token_processor()
        >>> with torch.no_grad():
        ...     features, length = feature_extractor(waveform)       # waveform: (time,) at bundle.sample_rate
        ...     hypotheses = decoder(features, length, 10)
        >>> text = token_processor(hypotheses[0][0])

        Streaming: feed ``segment_length * hop_length`` new samples at a time, each with
        ``right_context_length * hop_length`` samples of look-ahead, to ``get_streaming_feature_extractor()``, and
        ``decoder.infer(features, length, beam_width, state=state, hypothesis=hypothesis)``.
    """

    class FeatureExtractor(_FeatureExtractor):
        """Interface of the feature extraction stage of the RNN-T pipeline."""

    class TokenProcessor(_TokenProcessor):
        """Interface of the token processing stage of the RNN-T pipeline."""

    _rnnt_path: str
    _rnnt_factory_func: Callable[[], RNNT]
    _global_stats_path: str
    _sp_model_path: str
    _right_padding: int
    _blank: int
    _sample_rate: int
    _n_fft: int
    _n_mels: int
    _hop_length: int
    _segment_length: int
    _right_context_length: int

    def get_model(self) -> RNNT:
        """The RNN-T model with the pretrained weights, in eval mode (torchsound addition; torchaudio's is private).

        Returns:
            RNNT
        """
        from . import _assets  # the weights loader

        model = self._rnnt_factory_func()
        model.load_state_dict(_assets.load_asset_state_dict(self._rnnt_path))
        return model.eval()

    _get_model = get_model  # torchaudio's name

    @property
    def sample_rate(self) -> int:
        """Sample rate (Hz) of the input waveforms.

        :type: int
        """
        return self._sample_rate

    @property
    def n_fft(self) -> int:
        """FFT size of the features.

        :type: int
        """
        return self._n_fft

    @property
    def n_mels(self) -> int:
        """Number of mel bins of the features.

        :type: int
        """
        return self._n_mels

    @property
    def hop_length(self) -> int:
        """Samples between successive feature frames.

        :type: int
        """
        return self._hop_length

    @property
    def segment_length(self) -> int:
        """Frames in a streaming segment.

        :type: int
        """
        return self._segment_length

    @property
    def right_context_length(self) -> int:
        """Frames of right context (look-ahead) after each streaming segment.

        :type: int
        """
        return self._right_context_length

    def get_decoder(self) -> RNNTBeamSearch:
        """Beam search over the pretrained model.

        Returns:
            RNNTBeamSearch
        """
        return RNNTBeamSearch(self.get_model(), self._blank)

    def _features(self, pad_end: bool) -> torch.nn.Sequential:
        from . import _assets

        stats = _assets.fetch_asset(self._global_stats_path)
        layers = [
            MelSpectrogram(sample_rate=self.sample_rate, n_fft=self.n_fft, n_mels=self.n_mels, hop_length=self.hop_length),
            _Transpose(),
            _PiecewiseLinearLog(_GAIN),
            _GlobalStatsNormalization(stats),
        ]
        if pad_end:
            layers.append(_RightPad(self._right_padding))
        return torch.nn.Sequential(*layers)

    def get_feature_extractor(self) -> FeatureExtractor:
        """Features for full-context recognition: log mel, normalized, padded by the right context at the end.

        Returns:
            FeatureExtractor: waveform ``(time,)`` -> features ``(n_frames, n_mels)``, length ``(1,)``.
        """
        return _ModuleFeatureExtractor(self._features(pad_end=True))

    def get_streaming_feature_extractor(self) -> FeatureExtractor:
        """Features for streaming recognition (no end padding: each segment carries its own right context).

        Returns:
            FeatureExtractor: waveform ``(time,)`` -> features ``(n_frames, n_mels)``, length ``(1,)``.
        """
        return _ModuleFeatureExtractor(self._features(pad_end=False))

    def get_token_processor(self) -> TokenProcessor:
        """The SentencePiece token processor (needs ``torchsound[pipelines]``).

        Returns:
            TokenProcessor
        """
        from . import _assets

        return _SentencePieceTokenProcessor(str(_assets.fetch_asset(self._sp_model_path)))


# The stages (subclasses of the bundle's interfaces), built by the methods above.


class _ModuleFeatureExtractor(torch.nn.Module, RNNTBundle.FeatureExtractor):
    """A feature pipeline (a module on a 1-D waveform) that also returns the number of frames.

    Args:
        pipeline (torch.nn.Module): the feature computation.

    Shape:
        - input: ``(time,)``.
        - output: ``(n_frames, n_mels)`` and ``(1,)`` int64.
    """

    def __init__(self, pipeline: torch.nn.Module) -> None:
        super().__init__()
        self.pipeline = pipeline

    def forward(self, input: Tensor) -> Tuple[Tensor, Tensor]:
        if input.dim() != 1:
            raise ValueError(f"RNNT feature extractor: `input` must be a 1-D waveform (time,), got shape {list(input.shape)}")
        features = self.pipeline(input)
        return features, torch.tensor([features.shape[0]])


class _SentencePieceTokenProcessor(RNNTBundle.TokenProcessor):
    """Token ids -> text with a SentencePiece model; the first id (the start of the hypothesis) is skipped.

    Args:
        sp_model_path (str): path of the SentencePiece model file.
    """

    def __init__(self, sp_model_path: str) -> None:
        try:
            import sentencepiece
        except ImportError as err:
            raise ImportError(
                "The RNN-T token processor needs the sentencepiece package; install it with: "
                "pip install 'torchsound[pipelines]'"
            ) from err
        self.sp_model = sentencepiece.SentencePieceProcessor(model_file=str(sp_model_path))
        # unk/eos/pad never reach the text (ids of -1, for pieces the model lacks, never occur in a hypothesis).
        self.post_process_remove_list = {self.sp_model.unk_id(), self.sp_model.eos_id(), self.sp_model.pad_id()}

    def __call__(self, tokens: List[int], lstrip: bool = True) -> str:
        """Decode ``tokens`` (the first one is the hypothesis' start token and is skipped).

        Args:
            tokens (List[int]): token ids.
            lstrip (bool, optional): strip leading whitespace. (Default: ``True``)

        Returns:
            str: the text, with SentencePiece's word marks turned into spaces.
        """
        kept = [t for t in tokens[1:] if t not in self.post_process_remove_list]
        text = "".join(self.sp_model.id_to_piece(kept)).replace("\u2581", " ")
        return text.lstrip() if lstrip else text


EMFORMER_RNNT_BASE_LIBRISPEECH = RNNTBundle(
    _rnnt_path="models/emformer_rnnt_base_librispeech.pt",
    _rnnt_factory_func=partial(emformer_rnnt_base, num_symbols=4097),
    _global_stats_path="pipeline-assets/global_stats_rnnt_librispeech.json",
    _sp_model_path="pipeline-assets/spm_bpe_4096_librispeech.model",
    _right_padding=4,
    _blank=4096,
    _sample_rate=16000,
    _n_fft=400,
    _n_mels=80,
    _hop_length=160,
    _segment_length=16,
    _right_context_length=4,
)
EMFORMER_RNNT_BASE_LIBRISPEECH.__doc__ = """Emformer RNN-T speech recognition trained on *LibriSpeech* (torchaudio's weights),
for streaming and full-context recognition.

The model is :func:`torchsound.models.emformer_rnnt_base` with 4097 symbols (4096 SentencePiece BPE pieces and the
blank). See :class:`RNNTBundle` for the usage.
"""
