"""Batch transforms for ``Dataset.map_batches`` (Ray) and the local engine: the same objects run in both.

A batch is a dict of columns, each a numpy array (Ray's ``batch_format="numpy"``): scalar columns are 1-D arrays,
tensor columns are either stacked arrays (all rows the same shape) or object arrays of per-row arrays (ragged).
Rows keep their own length: waveform steps work row by row, so no padding ever changes a result; the batched
(GPU) path pads explicitly with :func:`pad_batch` and cuts each result back with the row's length.

A row that failed (``error`` not empty) passes every later step untouched; its tensor columns hold an empty
array of the right number of dimensions, so ragged columns stay one Arrow type.

Each step holds configuration only; modules, filterbanks and kernels are built in the worker on first use and
cached there (never pickled), once per sample rate.
"""

from __future__ import annotations

import random
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

Batch = Dict[str, Any]

# ----------------------------------------------------------------------------- batch <-> rows


def num_rows(batch: Batch) -> int:
    return len(next(iter(batch.values()))) if batch else 0


def column(batch: Batch, name: str) -> List[Any]:
    """The column as a list of per-row values (arrays for tensor columns, whatever their storage)."""
    values = batch[name]
    return [values[i] for i in range(len(values))]


def rows_to_batch(rows: Sequence[Dict[str, Any]]) -> Batch:
    """Columns from row dicts; array-valued columns become object arrays of per-row arrays."""
    batch: Batch = {}
    for name in rows[0] if rows else []:
        values = [row[name] for row in rows]
        if any(isinstance(v, np.ndarray) for v in values):
            _set_column(batch, name, values)
        else:
            batch[name] = np.asarray(values) if values and not isinstance(values[0], str) else np.array(values, dtype=object)
    return batch


def batch_to_rows(batch: Batch) -> List[Dict[str, Any]]:
    names = list(batch)
    return [{name: _plain(batch[name][i]) for name in names} for i in range(num_rows(batch))]


def _plain(value: Any) -> Any:
    """numpy scalars as Python values (ints, strings), arrays unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _errors(batch: Batch) -> List[str]:
    if "error" not in batch:
        return [""] * num_rows(batch)
    return [str(e) if e is not None else "" for e in column(batch, "error")]


def _tensor(array: np.ndarray) -> torch.Tensor:
    """A tensor over the row's data; read-only buffers (Ray's zero-copy batches) are copied first."""
    array = np.asarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


def _set_column(batch: Batch, name: str, values: List[Any]) -> None:
    col = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # one by one: numpy would otherwise stack arrays of equal shape
        col[i] = v
    batch[name] = col


def _fill_failed(values: List[Optional[np.ndarray]], default_ndim: int, dtype=np.float32) -> List[np.ndarray]:
    """Empty arrays (as many dimensions as the good rows' results) in place of ``None``."""
    ndim = next((v.ndim for v in values if v is not None), default_ndim)
    good_dtype = next((v.dtype for v in values if v is not None), np.dtype(dtype))
    return [v if v is not None else np.zeros((0,) * ndim, dtype=good_dtype) for v in values]


def pad_batch(waveforms: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Stack waveforms of unequal length, zero-padded at the end, with their lengths kept.

    Shape:
        waveforms: each ``(channel, time_i)``, the same channel count. Returns ``(batch, channel, max time_i)``
        and lengths ``(batch,)`` (int64).
    """
    if not waveforms:
        raise ValueError("waveforms must hold at least one tensor, got an empty sequence")
    channels = {w.shape[:-1] for w in waveforms}
    if len(channels) != 1:
        raise ValueError(f"waveforms must share their leading shape to be padded, got {sorted(channels)}")
    lengths = torch.tensor([w.shape[-1] for w in waveforms], dtype=torch.int64)
    out = waveforms[0].new_zeros((len(waveforms), *waveforms[0].shape[:-1], int(lengths.max())))
    for i, w in enumerate(waveforms):
        out[i, ..., : w.shape[-1]] = w
    return out, lengths


def unpad(batch: torch.Tensor, lengths: Sequence[int]) -> List[torch.Tensor]:
    """Each row of ``batch`` cut to its length along the last dimension (the inverse of :func:`pad_batch`)."""
    return [batch[i, ..., : int(n)] for i, n in enumerate(lengths)]


# ----------------------------------------------------------------------------- steps


class _Step:
    """A per-row step over the ``waveform`` column; subclasses define ``_row``.

    ``output`` names the column written (default: ``waveform`` for audio steps, ``features`` for features).
    A row whose step raises is marked failed (``error``, ``error_type``) and the batch goes on.
    """

    output = "features"
    _writes_audio = False
    _result_ndim = 2

    def __init__(self, *, device: Optional[Union[str, torch.device]] = None, keep_waveform: bool = False):
        self.device = None if device is None else str(torch.device(device))
        self.keep_waveform = keep_waveform
        self._cache: Dict[Any, Any] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_cache"] = {}  # built again in each worker, on its device
        return state

    def _cached(self, key, build: Callable[[], Any]):
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _row(self, waveform: torch.Tensor, sample_rate: int, row: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def _read(self, batch: Batch) -> Tuple[List[str], List[str], List[Any], List[int]]:
        """The rows' errors so far, their types, waveforms and sample rates."""
        errors = _errors(batch)
        error_types = column(batch, "error_type") if "error_type" in batch else [""] * len(errors)
        return errors, error_types, column(batch, "waveform"), [int(r) for r in column(batch, "sample_rate")]

    def _write(
        self,
        batch: Batch,
        results: List[Optional[np.ndarray]],
        rates: List[int],
        errors: List[str],
        error_types: List[str],
    ) -> Batch:
        """``batch`` with the step's per-row results (``rates``: their sample rates) and the rows' errors."""
        _set_column(batch, self.output, _fill_failed(results, self._result_ndim))
        if self._writes_audio:
            batch["sample_rate"] = np.asarray(rates, dtype=np.int64)
            batch["num_frames"] = np.asarray([r.shape[-1] for r in _fill_failed(results, 2)], dtype=np.int64)
        elif not self.keep_waveform:
            batch.pop("waveform", None)  # features are what travels on; the audio is not needed any more
        batch["error"] = np.array(errors, dtype=object)
        batch["error_type"] = np.array(error_types, dtype=object)
        return batch

    def __call__(self, batch: Batch) -> Batch:
        batch = dict(batch)
        n = num_rows(batch)
        errors, error_types, waves, rates = self._read(batch)
        keys = column(batch, "key") if "key" in batch else [str(i) for i in range(n)]
        results: List[Optional[np.ndarray]] = [None] * n
        new_rates = list(rates)
        for i in range(n):
            if errors[i]:
                continue
            try:
                wave = _tensor(waves[i])
                if self.device is not None:
                    wave = wave.to(self.device)
                out = self._row(wave, rates[i], {"key": str(keys[i])})
                if isinstance(out, tuple):  # audio steps may change the rate
                    out, new_rates[i] = out
                results[i] = out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else np.asarray(out)
            except Exception as err:  # noqa: BLE001  a bad row is reported; the corpus goes on
                errors[i], error_types[i] = str(err) or repr(err), type(err).__name__
        return self._write(batch, results, new_rates, errors, error_types)


class Decode:
    """Read each row's ``path`` with :func:`torchsound.load` into ``waveform`` ``(channel, time)`` float32,
    ``sample_rate`` and ``num_frames``; a file that cannot be read marks its row failed (path and error kept).

    Runs in the workers: the driver only plans paths.

    Shape:
        waveform: ``(channel, time)`` per row (``(0, 0)`` for a failed row).
    """

    def __init__(self, *, normalize: bool = True):
        self.normalize = normalize

    def __call__(self, batch: Batch) -> Batch:
        import torchsound

        batch = dict(batch)
        paths = [str(p) for p in column(batch, "path")]
        errors, types = [""] * len(paths), [""] * len(paths)
        waves: List[np.ndarray] = []
        rates: List[int] = []
        for i, path in enumerate(paths):
            try:
                waveform, rate = torchsound.load(path, normalize=self.normalize)
                waves.append(waveform.numpy())
                rates.append(int(rate))
            except Exception as err:  # noqa: BLE001  a corrupt file goes to the failures, the rest goes on
                errors[i], types[i] = str(err) or repr(err), type(err).__name__
                waves.append(np.zeros((0, 0), dtype=np.float32))
                rates.append(0)
        _set_column(batch, "waveform", waves)
        batch["sample_rate"] = np.asarray(rates, dtype=np.int64)
        batch["num_frames"] = np.asarray([w.shape[-1] for w in waves], dtype=np.int64)
        batch["error"] = np.array(errors, dtype=object)
        batch["error_type"] = np.array(types, dtype=object)
        return batch


class Features(_Step):
    """``fn(waveform, sample_rate) -> Tensor`` on each row, into ``features`` (any feature function).

    Example: ``Features(lambda w, sr: torchsound.compliance.kaldi.fbank(w, sample_frequency=sr))``.

    Shape:
        waveform ``(channel, time)`` per row in; ``features`` per row: whatever ``fn`` returns.
    """

    def __init__(self, fn: Callable[[torch.Tensor, int], torch.Tensor], *, output: str = "features",
                 device=None, keep_waveform: bool = False):
        if not callable(fn):
            raise TypeError(f"fn must be callable (waveform, sample_rate) -> Tensor, got {type(fn).__name__}")
        super().__init__(device=device, keep_waveform=keep_waveform)
        self.fn, self.output = fn, output

    def _row(self, waveform, sample_rate, row):
        return self.fn(waveform, sample_rate)


class KaldiFbank(_Step):
    """Kaldi filterbank features (:func:`torchsound.compliance.kaldi.fbank`) of each row, ``(frame, bin)``.

    ``scale`` multiplies the waveform first (32768: Kaldi's tools read 16-bit integer samples); ``kwargs`` go to
    ``fbank`` (``sample_frequency`` comes from the row).

    Shape:
        waveform ``(channel, time)`` per row in (Kaldi uses the first channel); ``features`` ``(frame, bin)``
        with ``frame = 1 + (time - window) // shift`` (``snip_edges=True``).
    """

    _function = "fbank"

    def __init__(self, *, scale: float = 32768.0, device=None, keep_waveform: bool = False, output: str = "features",
                 **kwargs):
        super().__init__(device=device, keep_waveform=keep_waveform)
        if "sample_frequency" in kwargs:
            raise ValueError("sample_frequency comes from each row's sample_rate; do not pass it")
        self.scale, self.kwargs, self.output = scale, kwargs, output

    def _row(self, waveform, sample_rate, row):
        from torchsound.compliance import kaldi

        return getattr(kaldi, self._function)(waveform * self.scale, sample_frequency=sample_rate, **self.kwargs)


class KaldiMFCC(KaldiFbank):
    """Kaldi MFCCs (:func:`torchsound.compliance.kaldi.mfcc`) of each row, ``(frame, cepstrum)``; see KaldiFbank."""

    _function = "mfcc"


class Transform(_Step):
    """Any ``torchsound.transforms`` module (or any ``nn.Module``) on each row.

    ``module`` is a module, or a factory ``sample_rate -> module`` for modules that depend on the rate (built
    once per rate in each worker, on ``device``). ``log_offset``: write ``log(x + log_offset)`` (e.g. log-mel).
    With ``batched=True`` rows of the same rate and channel count are padded into one batch
    (:func:`pad_batch`) and each result is cut to the frames of the row's own length; use it where a device
    (GPU) favours large batches. The last frames of a padded row may differ from the row alone (they see the
    padding), which is why the default runs row by row.

    Shape:
        waveform ``(channel, time)`` per row in; ``features`` per row: the module's output for that row alone,
        e.g. ``(channel, n_mels, frame)`` for a MelSpectrogram (frames per :func:`frames_for` when batched).
    """

    def __init__(self, module: Union[torch.nn.Module, Callable[[int], torch.nn.Module]], *, log_offset: Optional[float] = None,
                 batched: bool = False, device=None, keep_waveform: bool = False, output: str = "features"):
        if not callable(module):
            raise TypeError(f"module must be an nn.Module or a factory sample_rate -> nn.Module, got {type(module).__name__}")
        super().__init__(device=device, keep_waveform=keep_waveform)
        self.module, self.log_offset, self.batched, self.output = module, log_offset, batched, output
        self._result_ndim = 3

    def _module(self, sample_rate: int) -> torch.nn.Module:
        def build():
            module = self.module if isinstance(self.module, torch.nn.Module) else self.module(sample_rate)
            return module.to(self.device) if self.device is not None else module

        return self._cached(("module", sample_rate), build)

    def _finish(self, out: torch.Tensor) -> torch.Tensor:
        return torch.log(out + self.log_offset) if self.log_offset is not None else out

    def _row(self, waveform, sample_rate, row):
        with torch.no_grad():
            return self._finish(self._module(sample_rate)(waveform))

    def __call__(self, batch: Batch) -> Batch:
        if not self.batched:
            return super().__call__(batch)
        return self._call_batched(batch)

    def _call_batched(self, batch: Batch) -> Batch:
        batch = dict(batch)
        n = num_rows(batch)
        errors, error_types, waves, rates = self._read(batch)
        results: List[Optional[np.ndarray]] = [None] * n
        groups: Dict[Tuple[int, Tuple[int, ...]], List[int]] = {}
        for i in range(n):
            if not errors[i]:
                groups.setdefault((rates[i], tuple(np.shape(waves[i])[:-1])), []).append(i)
        for (rate, _), members in groups.items():
            module = self._module(rate)
            tensors = [_tensor(waves[i]) for i in members]
            if self.device is not None:
                tensors = [t.to(self.device) for t in tensors]
            padded, lengths = pad_batch(tensors)
            with torch.no_grad():
                out = self._finish(module(padded))
            frames = [frames_for(module, int(n_)) for n_ in lengths]
            for i, piece in zip(members, unpad(out, frames)):
                results[i] = piece.cpu().numpy()
        return self._write(batch, results, rates, errors, error_types)


def frames_for(module: torch.nn.Module, length: int) -> int:
    """Frames a spectral module (Spectrogram, MelSpectrogram, MFCC, LFCC, ...) gives for ``length`` samples."""
    spec = module
    for attr in ("MelSpectrogram", "Spectrogram", "spectrogram"):  # MFCC/LFCC wrap a (Mel)Spectrogram
        while hasattr(spec, attr):
            spec = getattr(spec, attr)
    if not all(hasattr(spec, a) for a in ("n_fft", "hop_length", "center", "pad")):
        raise ValueError(f"batched=True needs a spectral module with n_fft, hop_length, center and pad; "
                         f"got {type(module).__name__}")
    length += 2 * spec.pad
    if spec.center:
        return length // spec.hop_length + 1
    return max(0, (length - spec.n_fft) // spec.hop_length + 1)


class MelSpectrogram(Transform):
    """Mel spectrogram of each row (:class:`torchsound.transforms.MelSpectrogram` built per rate), ``log=True``
    for a log-mel ``log(mel + log_offset)``. ``kwargs`` go to the transform (``sample_rate`` comes from the row)."""

    def __init__(self, *, log: bool = False, log_offset: float = 1e-6, batched: bool = False, device=None,
                 keep_waveform: bool = False, output: str = "features", **kwargs):
        if "sample_rate" in kwargs:
            raise ValueError("sample_rate comes from each row's sample_rate; do not pass it")
        super().__init__(_MelFactory(kwargs), log_offset=log_offset if log else None, batched=batched, device=device,
                         keep_waveform=keep_waveform, output=output)


class _MelFactory:
    def __init__(self, kwargs):
        self.kwargs = kwargs

    def __call__(self, sample_rate: int):
        from torchsound.transforms import MelSpectrogram as Mel

        return Mel(sample_rate, **self.kwargs)


class Resample(_Step):
    """Resample each row to ``new_freq`` (:func:`torchsound.functional.resample`; kernels cached per rate pair).

    Shape:
        waveform ``(channel, time)`` -> ``(channel, ceil(time * new_freq / sample_rate))`` per row.
    """

    output = "waveform"
    _writes_audio = True

    def __init__(self, new_freq: int, *, device=None, **kwargs):
        if isinstance(new_freq, bool) or not isinstance(new_freq, int) or new_freq <= 0:
            raise ValueError(f"new_freq must be a positive int, got {new_freq!r}")
        super().__init__(device=device)
        self.new_freq, self.kwargs = new_freq, kwargs

    def _row(self, waveform, sample_rate, row):
        from torchsound.functional import resample

        return resample(waveform, sample_rate, self.new_freq, **self.kwargs), self.new_freq


class LoudnessNormalize(_Step):
    """Scale each row to ``target_lufs`` integrated loudness (ITU-R BS.1770, :func:`torchsound.functional.loudness`).

    A row too quiet to measure (silence: -inf LUFS) is left as it is.
    """

    output = "waveform"
    _writes_audio = True

    def __init__(self, target_lufs: float = -23.0, *, device=None):
        super().__init__(device=device)
        self.target_lufs = float(target_lufs)

    def _row(self, waveform, sample_rate, row):
        from torchsound.functional import loudness

        measured = float(loudness(waveform, sample_rate))
        if not np.isfinite(measured):
            return waveform, sample_rate
        return waveform * (10.0 ** ((self.target_lufs - measured) / 20.0)), sample_rate


class SoxEffects(_Step):
    """A sox effect chain on each row (:func:`torchsound.sox_effects.apply_effects_tensor`).

    ``effects`` is a fixed chain (``[["speed", "1.1"], ["rate", "16000"]]``) or a function
    ``(rng: random.Random, row: dict) -> chain`` drawing per-row parameters. Each row's ``rng`` is seeded from
    ``seed`` and the row's ``key`` alone, so a row gets the same parameters on every run, in any batch, on any
    engine or worker. ``row`` holds ``key``.
    """

    output = "waveform"
    _writes_audio = True

    def __init__(self, effects: Union[List[List[str]], Callable[[random.Random, Dict[str, Any]], List[List[str]]]], *,
                 seed: int = 0, device=None):
        if not (callable(effects) or isinstance(effects, (list, tuple))):
            raise TypeError(f"effects must be a list of effects or a function (rng, row) -> effects, "
                            f"got {type(effects).__name__}")
        super().__init__(device=device)
        self.effects, self.seed = effects, int(seed)

    def chain_for(self, key: str) -> List[List[str]]:
        """The effect chain of the row with this key (drawn from its own seeded generator)."""
        if not callable(self.effects):
            return [list(e) for e in self.effects]
        rng = random.Random(f"torchsound:{self.seed}:{key}")  # str seeds hash with SHA-512: same in every process
        return self.effects(rng, {"key": key})

    def _row(self, waveform, sample_rate, row):
        from torchsound.sox_effects import apply_effects_tensor

        out, rate = apply_effects_tensor(waveform, sample_rate, self.chain_for(row["key"]))
        return out, int(rate)


class Chain:
    """Several steps as one ``map_batches`` function (applied in order)."""

    def __init__(self, steps: Sequence[Callable[[Batch], Batch]]):
        self.steps = list(steps)

    def __call__(self, batch: Batch) -> Batch:
        for step in self.steps:
            batch = step(batch)
        return batch
