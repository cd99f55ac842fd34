"""Corpus-scale work: read a corpus, transform it in batches, write shards, on a process pool or on Ray Data.

The same code runs on a laptop (a local Ray started on the fly, or the ``local`` process-pool engine) and on
a cluster (``address=``). Ray is optional (``pip install 'torchsound[ray]'``) and imported only when used.

Pieces:
    - :func:`plan_rows` / :func:`read_audio`: a corpus (folder, glob, list of paths, or a dataset such as
      ``LIBRISPEECH``) as rows ``index, path, key, metadata``; :class:`Decode` reads the audio in the workers.
    - Batch transforms for ``map_batches``: :class:`Resample`, :class:`LoudnessNormalize`, :class:`SoxEffects`
      (per-row random parameters, seeded), :class:`KaldiFbank`, :class:`KaldiMFCC`, :class:`MelSpectrogram`
      (``log=True`` for log-mel), :class:`Transform` (any ``torchsound.transforms`` module), :class:`Features`
      (any function); :func:`pad_batch` / :func:`unpad` for batched (GPU) work with lengths kept.
    - :class:`ShardWriter` / :func:`write_shards`: ark+scp, npz, pt, parquet or audio shards, each written
      atomically; ``manifest.jsonl`` and ``failures.tsv``; a rerun skips complete shards.
    - :func:`run`: all of it in one call on ``engine="local"`` or ``engine="ray"``.

Example::

    from torchsound import data
    manifest, failures = data.run("corpus/**/*.flac", [data.KaldiFbank(num_mel_bins=80)],
                                  engine="ray", out_dir="feats", format="ark")
"""

from ._batch import (
    Chain,
    Decode,
    Features,
    KaldiFbank,
    KaldiMFCC,
    LoudnessNormalize,
    MelSpectrogram,
    Resample,
    SoxEffects,
    Transform,
    batch_to_rows,
    frames_for,
    pad_batch,
    rows_to_batch,
    unpad,
)
from ._engine import ENGINES, LocalEngine, available_cpus, ray_stages, read_audio, run, write_shards
from ._rows import plan_rows
from ._writers import FAILURES, FORMATS, MANIFEST, ShardWriter, finalize, read_manifest, read_parquet_shard

__all__ = [
    "Chain", "Decode", "Features", "KaldiFbank", "KaldiMFCC", "LoudnessNormalize", "MelSpectrogram", "Resample",
    "SoxEffects", "Transform", "batch_to_rows", "frames_for", "pad_batch", "rows_to_batch", "unpad",
    "ENGINES", "LocalEngine", "available_cpus", "ray_stages", "read_audio", "run", "write_shards", "plan_rows",
    "FAILURES", "FORMATS", "MANIFEST", "ShardWriter", "finalize", "read_manifest", "read_parquet_shard",
]
