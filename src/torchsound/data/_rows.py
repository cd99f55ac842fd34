"""Plan a corpus as rows on the driver: one row per input, with its index, path, key and metadata.

Only names are handled here (no audio is read): decoding happens in the workers (see ``Decode``).
"""

from __future__ import annotations

import glob
import os
from typing import Any, Dict, List, Sequence, Union

# Field names of ``get_metadata`` tuples for the datasets whose rows are most used at scale; other datasets get
# ``field1``, ``field2`` ... after the path.
_METADATA_FIELDS = {
    "LIBRISPEECH": ["path", "sample_rate", "transcript", "speaker_id", "chapter_id", "utterance_id"],
    "LIBRITTS": ["path", "sample_rate", "original_text", "normalized_text", "speaker_id", "chapter_id", "utterance_id"],
    "SPEECHCOMMANDS": ["path", "sample_rate", "label", "speaker_id", "utterance_number"],
}

Source = Union[str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]], Any]


def unique_key(path: str, taken) -> str:
    """The file name without extension; ``stem-2``, ``stem-3`` ... when the stem is already in ``taken``."""
    stem = os.path.splitext(os.path.basename(path))[0]
    key, n = stem, 1
    while key in taken:  # same stem from two folders: keep both
        n += 1
        key = f"{stem}-{n}"
    return key


def _paths_of(source) -> List[str]:
    if isinstance(source, (str, os.PathLike)):
        pattern = os.fspath(source)
        if os.path.isdir(pattern):  # a folder: every file below it, sorted for a stable order
            paths = sorted(p for p in glob.glob(os.path.join(pattern, "**", "*"), recursive=True) if os.path.isfile(p))
        elif glob.has_magic(pattern):
            paths = sorted(p for p in glob.glob(pattern, recursive=True) if os.path.isfile(p))
        else:
            paths = [pattern]  # one file: a missing one becomes a failure row, as in a list
        if not paths:
            raise ValueError(f"source {pattern!r} matches no file")
        return paths
    paths = []
    for item in source:
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"source must be a folder, a glob, a list of paths or a torchsound dataset; "
                            f"got a list holding {type(item).__name__}")
        paths.append(os.fspath(item))
    return paths


def _dataset_rows(dataset) -> List[Dict[str, Any]]:
    n = len(dataset)
    fields = _METADATA_FIELDS.get(type(dataset).__name__)
    rows: List[Dict[str, Any]] = []
    base = None
    for i in range(n):
        meta = dataset.get_metadata(i)
        names = fields if fields and len(fields) == len(meta) else ["path"] + [f"field{k}" for k in range(1, len(meta))]
        row = dict(zip(names, meta))
        if base is None:  # paths are relative to the dataset's archive folder; find which once
            candidates = [getattr(dataset, a, None) for a in ("_archive", "_path", "root")]
            base = next((c for c in candidates if c and os.path.exists(os.path.join(c, row["path"]))), "")
        row["path"] = os.path.join(base, row["path"])
        if "sample_rate" in row:  # the file's own rate comes with the waveform; keep the dataset's as metadata
            row["dataset_sample_rate"] = row.pop("sample_rate")
        rows.append(row)
    return rows


def plan_rows(source: Source) -> List[Dict[str, Any]]:
    """One row per input: ``index`` (input order), ``path``, ``key`` (unique file stem) and any dataset metadata.

    ``source`` is a folder (every file below it, sorted), a glob pattern, a list of paths (kept in order), or a
    torchsound dataset with ``get_metadata`` (e.g. ``LIBRISPEECH``: rows carry transcript, speaker_id, ...).
    """
    if hasattr(source, "get_metadata") and hasattr(source, "__len__"):
        rows = _dataset_rows(source)
    elif isinstance(source, (str, os.PathLike)) or isinstance(source, (list, tuple)):
        rows = [{"path": p} for p in _paths_of(source)]
    else:
        raise TypeError(f"source must be a folder, a glob, a list of paths or a torchsound dataset with get_metadata; "
                        f"got {type(source).__name__}")
    taken = set()
    for i, row in enumerate(rows):
        row["index"] = i
        row["key"] = unique_key(row["path"], taken)
        taken.add(row["key"])
    return rows
