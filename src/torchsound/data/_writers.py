"""Shard writers, the manifest and the failures file.

A shard holds the rows of one batch, named after the first and last input index it covers
(``part-000000000-000000063``). Each file is written atomically (temporary file, then rename); the shard's
sidecar ``part-....json`` is written last and marks it complete. So a crash leaves complete shards and, at
worst, temporary files; a rerun reads the sidecars, skips every input a complete shard holds and redoes only
the rest. If a retried task writes a shard twice the manifest still names each input once.

Formats (``format=``): ``ark`` (Kaldi ark + scp via :mod:`torchsound.kaldi_io`, 2-D features), ``npz``, ``pt``
(``{key: tensor}``), ``parquet`` (one row per input: key, index, path, shape, dtype and the raw bytes), and audio
``wav``/``flac`` (one file per input under ``audio/``, from the ``waveform`` column).
"""

from __future__ import annotations

import glob
import json
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from ._batch import Batch, _errors, column, num_rows

FORMATS = ("ark", "npz", "pt", "parquet", "wav", "flac")
AUDIO_FORMATS = ("wav", "flac")
MANIFEST = "manifest.jsonl"
FAILURES = "failures.tsv"
_SHARD = re.compile(r"^part-(\d+)-(\d+)\.json$")
_TENSOR_COLUMNS = ("waveform", "features")


def _atomic_bytes(path: str, write) -> None:
    from torchsound._internal.atomic import atomic_output

    with atomic_output(path) as f:
        write(f)


def _scalar_columns(batch: Batch, skip: Sequence[str]) -> List[str]:
    """Columns with one plain value per row (metadata such as transcript), to go into the sidecar."""
    names = []
    for name, values in batch.items():
        if name in skip or name in _TENSOR_COLUMNS:
            continue
        if len(values) and isinstance(values[0], np.ndarray):
            continue
        names.append(name)
    return names


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class ShardWriter:
    """A ``map_batches`` step that writes its batch as one shard under ``out_dir`` and returns a summary batch.

    The summary holds, per row: ``index``, ``key``, ``path``, ``shard`` (name), ``error``, ``error_type`` and
    ``shape`` (JSON) — small, so the driver collects it instead of the data.
    """

    def __init__(self, out_dir: str, format: str = "ark", *, column: Optional[str] = None):
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {format!r}")
        self.out_dir, self.format = os.fspath(out_dir), format
        self.column = column or ("waveform" if format in AUDIO_FORMATS else "features")

    def __call__(self, batch: Batch) -> Batch:
        n = num_rows(batch)
        if n == 0:
            return {name: np.array([], dtype=object) for name in ("index", "key", "path", "shard", "error", "error_type", "shape")}
        indexes = [int(i) for i in column(batch, "index")]
        keys = [str(k) for k in column(batch, "key")]
        errors = _errors(batch)
        types = [str(t) for t in column(batch, "error_type")] if "error_type" in batch else [""] * n
        values = column(batch, self.column) if self.column in batch else [None] * n
        name = f"part-{min(indexes):09d}-{max(indexes):09d}"
        good = [i for i in range(n) if not errors[i]]
        shapes = [list(np.shape(values[i])) if not errors[i] else None for i in range(n)]
        if good:
            self._write_data(name, [keys[i] for i in good], [np.asarray(values[i]) for i in good],
                             [indexes[i] for i in good], [str(column(batch, "path")[i]) for i in good],
                             [int(column(batch, "sample_rate")[i]) for i in good] if "sample_rate" in batch else None)
        meta_names = _scalar_columns(batch, skip=("index", "key", "error", "error_type"))
        rows = []
        for i in range(n):
            row = {m: _json_value(batch[m][i]) for m in meta_names}
            row.update(index=indexes[i], key=keys[i])
            if errors[i]:
                row.update(error=errors[i], error_type=types[i])
            else:
                row["shape"] = shapes[i]
                if self.format in AUDIO_FORMATS:
                    row["file"] = os.path.join("audio", f"{keys[i]}.{self.format}")
            rows.append(row)
        sidecar = {"shard": name, "format": self.format, "rows": rows}
        # Written last: its presence says the shard's data files are complete.
        _atomic_bytes(os.path.join(self.out_dir, name + ".json"),
                      lambda f: f.write(json.dumps(sidecar, ensure_ascii=False).encode("utf-8")))
        return {
            "index": np.asarray(indexes, dtype=np.int64),
            "key": np.array(keys, dtype=object),
            "path": np.array([str(p) for p in column(batch, "path")], dtype=object),
            "shard": np.array([name] * n, dtype=object),
            "error": np.array(errors, dtype=object),
            "error_type": np.array(types, dtype=object),
            "shape": np.array([json.dumps(s) for s in shapes], dtype=object),
        }

    def _write_data(self, name: str, keys: List[str], arrays: List[np.ndarray], indexes: List[int],
                    paths: List[str], rates: Optional[List[int]]) -> None:
        base = os.path.join(self.out_dir, name)
        if self.format == "ark":
            from torchsound import kaldi_io

            for key, a in zip(keys, arrays):
                if a.ndim != 2:
                    raise ValueError(f"format 'ark' holds matrices; {key} has shape {a.shape} "
                                     f"(write npz, pt or parquet for other shapes)")
            kaldi_io.write_mat_ark(base + ".ark", dict(zip(keys, arrays)), scp=base + ".scp")
        elif self.format == "npz":
            _atomic_bytes(base + ".npz", lambda f: np.savez(f, **dict(zip(keys, arrays))))
        elif self.format == "pt":
            import torch

            tensors = {k: torch.from_numpy(np.ascontiguousarray(a)) for k, a in zip(keys, arrays)}
            _atomic_bytes(base + ".pt", lambda f: torch.save(tensors, f))
        elif self.format == "parquet":
            self._write_parquet(base + ".parquet", keys, arrays, indexes, paths)
        else:
            import torch

            import torchsound

            folder = os.path.join(self.out_dir, "audio")
            os.makedirs(folder, exist_ok=True)
            for key, a, rate in zip(keys, arrays, rates or []):
                # torchsound.save writes through a temporary file and renames it, like every writer here.
                torchsound.save(os.path.join(folder, f"{key}.{self.format}"), torch.from_numpy(np.ascontiguousarray(a)), rate)

    @staticmethod
    def _write_parquet(path: str, keys, arrays, indexes, paths) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as err:
            raise ImportError("format 'parquet' needs pyarrow; install it with: pip install 'torchsound[ray]'") from err
        table = pa.table({
            "index": pa.array(indexes, type=pa.int64()),
            "key": pa.array(keys, type=pa.string()),
            "path": pa.array(paths, type=pa.string()),
            "shape": pa.array([list(a.shape) for a in arrays], type=pa.list_(pa.int64())),
            "dtype": pa.array([a.dtype.str for a in arrays], type=pa.string()),
            "data": pa.array([np.ascontiguousarray(a).tobytes() for a in arrays], type=pa.binary()),
        })
        _atomic_bytes(path, lambda f: pq.write_table(table, f))


def read_parquet_shard(path: str) -> Dict[str, np.ndarray]:
    """``{key: array}`` of a parquet shard written by :class:`ShardWriter` (exact: raw bytes, shape, dtype)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pydict()
    return {k: np.frombuffer(d, dtype=np.dtype(t)).reshape(s)
            for k, d, t, s in zip(table["key"], table["data"], table["dtype"], table["shape"])}


# ----------------------------------------------------------------------------- sidecars, manifest, failures


def _data_files(out_dir: str, shard: str, fmt: str, rows: Iterable[Dict[str, Any]]) -> List[str]:
    base = os.path.join(out_dir, shard)
    if fmt == "ark":
        return [base + ".ark", base + ".scp"]
    if fmt in AUDIO_FORMATS:
        return [os.path.join(out_dir, r["file"]) for r in rows if "file" in r]
    return [base + "." + fmt]


def read_sidecars(out_dir: str, format: Optional[str] = None) -> List[Dict[str, Any]]:
    """Every complete shard's sidecar under ``out_dir``, in shard-name order (data files checked present);
    with ``format``, only shards of that format (a rerun in another format redoes everything)."""
    shards = []
    for path in sorted(glob.glob(os.path.join(glob.escape(os.fspath(out_dir)), "part-*.json"))):
        if not _SHARD.match(os.path.basename(path)):
            continue
        try:
            with open(path, encoding="utf-8") as f:
                sidecar = json.load(f)
        except (OSError, ValueError):
            continue  # unreadable marker: the shard counts as not done, a rerun redoes it
        if format is not None and sidecar.get("format") != format:
            continue
        good = [r for r in sidecar.get("rows", []) if "error" not in r]
        if good and not all(os.path.exists(p) for p in _data_files(out_dir, sidecar["shard"], sidecar.get("format", ""), good)):
            continue
        shards.append(sidecar)
    return shards


def completed(out_dir: str, rows: Sequence[Dict[str, Any]], format: Optional[str] = None) -> Dict[int, Dict[str, Any]]:
    """Manifest entries of the inputs a complete shard (of ``format``, if given) already holds (same index and
    path as planned)."""
    planned = {int(r["index"]): str(r["path"]) for r in rows}
    done: Dict[int, Dict[str, Any]] = {}
    for sidecar in read_sidecars(out_dir, format):
        for r in sidecar["rows"]:
            i = r.get("index")
            if "error" in r or i not in planned or str(r.get("path")) != planned[i] or i in done:
                continue
            done[i] = dict(r, shard=sidecar["shard"], status="ok")
    return done


def finalize(out_dir: str, rows: Sequence[Dict[str, Any]], summaries: Sequence[Dict[str, Any]] = (),
             format: Optional[str] = None) -> Tuple[List[Dict[str, Any]], List[Tuple[str, str]]]:
    """Write ``manifest.jsonl`` (every input exactly once, in input order) and ``failures.tsv`` (path, error).

    The manifest comes from the shards on disk (so a shard written twice by a retried task counts once); an
    input no shard holds is failed with the error its summary row gave. Returns (manifest, failures).
    """
    done = completed(out_dir, rows, format)
    errors: Dict[int, Tuple[str, str]] = {}
    for s in summaries:
        if s.get("error"):
            errors[int(s["index"])] = (str(s.get("error_type", "")), str(s["error"]))
    for sidecar in read_sidecars(out_dir, format):  # failures recorded by earlier runs too
        for r in sidecar["rows"]:
            if "error" in r and int(r["index"]) not in errors:
                errors[int(r["index"])] = (str(r.get("error_type", "")), str(r["error"]))
    manifest, failures = [], []
    for row in sorted(rows, key=lambda r: int(r["index"])):
        i = int(row["index"])
        if i in done:
            manifest.append(done[i])
            continue
        kind, message = errors.get(i, ("RuntimeError", "not processed (the job stopped before this input)"))
        manifest.append({"index": i, "key": row["key"], "path": row["path"], "status": "failed",
                         "error": f"{kind}: {message}" if kind else message})
        failures.append((str(row["path"]), f"{kind}: {message}" if kind else message))
    text = "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in manifest)
    _atomic_bytes(os.path.join(out_dir, MANIFEST), lambda f: f.write(text.encode("utf-8")))
    lines = "".join(f"{path}\t{' '.join(err.split())}\n" for path, err in failures)  # one line per file
    _atomic_bytes(os.path.join(out_dir, FAILURES), lambda f: f.write(lines.encode("utf-8")))
    return manifest, failures


def read_manifest(out_dir: str) -> List[Dict[str, Any]]:
    """The manifest of a finished job: one dict per input, in input order."""
    with open(os.path.join(out_dir, MANIFEST), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]
