"""``torchsound features`` (feature extraction to .pt/.npy/.npz) and ``torchsound plot`` (waveform + mel spectrogram).

Feature kinds and output formats are registries, so other areas add theirs without touching the
command: ``FEATURE_KINDS[name] = fn(waveform, sample_rate) -> Tensor`` and
``OUTPUT_WRITERS[".ext"] = fn(features: dict[key, Tensor], path) -> None``. ``features`` maps each
input's key (its file name without extension) to its features, in input order.

Engines (``--engine``): ``local`` (default) computes in this process for small jobs and on a process pool
sized to the machine (``--num-cpus``) for larger ones; ``ray`` runs the same feature function per file on Ray
Data (a local Ray, or the cluster at ``--address``). Every engine gives the same features, bit for bit, in
input order. An OUT that is a folder (ends with ``/`` or exists) gets shards with a manifest and a failures file
(see :mod:`torchsound.data`), and a rerun skips the shards already written.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from torchsound._commands.io import _report

if TYPE_CHECKING:  # torch is imported inside the functions: `torchsound --help` stays fast
    import torch

# ----------------------------------------------------------------------------- feature kinds
# Speech front-end defaults: 25 ms windows (n_fft 400 at 16 kHz), 10 ms hop, 80 mel bands, 13 cepstra.
N_MELS, N_MFCC = 80, 13


def _n_fft(sample_rate: int) -> int:
    """25 ms window (400 at 16 kHz), so every rate gets the same time resolution."""
    return max(16, int(round(0.025 * sample_rate)))


def _hop(sample_rate: int) -> int:
    return max(1, int(round(0.010 * sample_rate)))


def spectrogram_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    from torchsound.transforms import Spectrogram

    return Spectrogram(_n_fft(sample_rate), hop_length=_hop(sample_rate))(waveform)


def mel_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    from torchsound.transforms import MelSpectrogram

    return MelSpectrogram(sample_rate, n_fft=_n_fft(sample_rate), hop_length=_hop(sample_rate), n_mels=N_MELS)(waveform)


def mfcc_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    from torchsound.transforms import MFCC

    melkwargs = {"n_fft": _n_fft(sample_rate), "hop_length": _hop(sample_rate), "n_mels": N_MELS}
    return MFCC(sample_rate, n_mfcc=N_MFCC, melkwargs=melkwargs)(waveform)


def lfcc_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    from torchsound.transforms import LFCC

    speckwargs = {"n_fft": _n_fft(sample_rate), "hop_length": _hop(sample_rate)}
    return LFCC(sample_rate, n_filter=N_MELS, n_lfcc=N_MFCC, speckwargs=speckwargs)(waveform)


def kaldi_fbank_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Kaldi ``compute-fbank-feats`` without dither: 80 log mel bins of the first channel, (frame, bin)."""
    from torchsound.compliance import kaldi

    # Kaldi's tools read 16-bit integer samples; scale so the numbers match theirs. precise=True: Kaldi's numbers
    # with float64-built tables (the default rounds as torchaudio does).
    return kaldi.fbank(waveform * 32768, num_mel_bins=N_MELS, sample_frequency=sample_rate, energy_floor=0.0, precise=True)


def log_mel_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Natural log of the mel spectrogram (``mel`` + 1e-6, so silence stays finite)."""
    import torch

    return torch.log(mel_kind(waveform, sample_rate) + 1e-6)


def kaldi_mfcc_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Kaldi ``compute-mfcc-feats`` defaults without dither: 13 cepstra, C0 = log energy, (frame, ceps)."""
    from torchsound.compliance import kaldi

    return kaldi.mfcc(waveform * 32768, num_ceps=N_MFCC, sample_frequency=sample_rate, use_energy=True, energy_floor=0.0,
                      precise=True)


FEATURE_KINDS: Dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "mel": mel_kind,
    "log-mel": log_mel_kind,
    "mfcc": mfcc_kind,
    "lfcc": lfcc_kind,
    "spectrogram": spectrogram_kind,
    "fbank": kaldi_fbank_kind,
    "kaldi-mfcc": kaldi_mfcc_kind,
}


# ----------------------------------------------------------------------------- output writers


def _atomic(path: str, write: Callable) -> None:
    """Write through ``write(file)`` atomically (see ``_internal.atomic``), creating the folder if needed."""
    from torchsound._internal.atomic import atomic_output

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_output(path) as f:
        write(f)


def _single_or_dict(features: Dict[str, torch.Tensor]):
    return next(iter(features.values())) if len(features) == 1 else features


def write_pt(features: Dict[str, torch.Tensor], path: str) -> None:
    """One input: its tensor. Several: ``{key: tensor}``."""
    import torch

    _atomic(path, lambda f: torch.save(_single_or_dict(features), f))


def write_npy(features: Dict[str, torch.Tensor], path: str) -> None:
    """One input only (a .npy file holds one array; use .npz or .pt for several)."""
    import numpy as np

    if len(features) != 1:
        raise ValueError(f"a .npy file holds one array, got {len(features)} inputs; write .npz or .pt instead ({path})")
    array = next(iter(features.values())).numpy()
    _atomic(path, lambda f: np.save(f, array))


def write_npz(features: Dict[str, torch.Tensor], path: str) -> None:
    """``{key: array}`` in one .npz archive."""
    import numpy as np

    arrays = {key: value.numpy() for key, value in features.items()}
    _atomic(path, lambda f: np.savez(f, **arrays))


def write_ark(features: Dict[str, torch.Tensor], path: str) -> None:
    """Kaldi binary archive of one matrix per input, plus its script file (OUT with ``.scp``)."""
    from torchsound import kaldi_io

    kaldi_io.write_mat_ark(path, features, scp=os.path.splitext(path)[0] + ".scp")


OUTPUT_WRITERS: Dict[str, Callable[[Dict[str, torch.Tensor], str], None]] = {
    ".pt": write_pt,
    ".npy": write_npy,
    ".npz": write_npz,
    ".ark": write_ark,
}


# ----------------------------------------------------------------------------- commands


def register(sub) -> None:
    p = sub.add_parser("features", help="extract spectral features from audio files",
                       description="Extract features from each input and write them to OUT (format from its extension).")
    p.add_argument("inputs", nargs="+", metavar="IN", help="audio files")
    p.add_argument("--kind", default="mel", help=f"feature kind: {', '.join(FEATURE_KINDS)} (default: mel)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=f"output file; its extension picks the format: {', '.join(OUTPUT_WRITERS)}; or a folder "
                        "(ending with / or existing) for shards with a manifest (see --format, --shard-size)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--engine", choices=["local", "ray"], default="local",
                   help="local: this machine (a process pool for large jobs; default); ray: Ray Data (pip install "
                        "'torchsound[ray]'), a local Ray or the cluster at --address")
    p.add_argument("--address", metavar="ADDR", help="Ray cluster to join (e.g. ray://head:10001 or auto); needs --engine ray")
    p.add_argument("--num-cpus", dest="num_cpus", type=int, metavar="N",
                   help="processes of the local engine, or CPUs of a Ray started here (default: every CPU)")
    p.add_argument("--format", dest="shard_format", choices=["ark", "npz", "pt", "parquet"], default="ark",
                   help="shard format when OUT is a folder (default: ark, with .scp)")
    p.add_argument("--shard-size", dest="shard_size", type=int, default=256, metavar="N",
                   help="inputs per shard when OUT is a folder (default: 256)")
    p.set_defaults(handler=run_features)

    q = sub.add_parser("plot", help="plot a waveform over its mel spectrogram",
                       description="Draw the waveform over its mel spectrogram (dB) to an image file (needs matplotlib).")
    q.add_argument("input", metavar="IN", help="audio file")
    q.add_argument("-o", "--output", required=True, metavar="OUT", help="image file (.png, .pdf, .svg)")
    q.set_defaults(handler=run_plot)


def _key(path: str, taken: Dict[str, torch.Tensor]) -> str:
    key = os.path.splitext(os.path.basename(path))[0]
    n = 1
    while key in taken:  # same stem from two folders: keep both
        n += 1
        key = f"{os.path.splitext(os.path.basename(path))[0]}-{n}"
    return key


# Below this many files a pool's start-up (an interpreter and torch per worker) costs more than it saves.
POOL_MIN_FILES = 32


def extract(inputs: List[str], kind: str, *, show_progress: bool = True,
            failures: Optional[List[Tuple[str, Exception]]] = None, engine: str = "local",
            num_cpus: Optional[int] = None, address: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Features of each file, keyed by file stem, in input order.

    With a ``failures`` list, a file that cannot be read or featurized is appended to it as
    ``(path, error)`` and the rest go on; without one, the first error is raised.
    ``engine``: ``"local"`` (this process, or a pool of ``num_cpus`` processes from ``POOL_MIN_FILES`` files
    on) or ``"ray"`` (Ray Data at ``address``, else a local Ray of ``num_cpus`` CPUs). Same result on each.
    """
    if kind not in FEATURE_KINDS:
        raise ValueError(f"--kind must be one of {', '.join(FEATURE_KINDS)}; got {kind!r}")
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray'; got {engine!r}")
    if engine == "ray":
        results = _extract_ray(inputs, kind, show_progress, num_cpus, address)
    else:
        from torchsound.data import available_cpus

        workers = num_cpus or available_cpus()
        if workers > 1 and len(inputs) >= POOL_MIN_FILES:
            results = _extract_pool(inputs, kind, show_progress, workers)
        else:
            results = _extract_here(inputs, kind, show_progress)
    features: Dict[str, torch.Tensor] = {}
    for path, result in results:
        if isinstance(result, BaseException):
            if failures is None:
                raise result
            failures.append((path, result))
        else:
            features[_key(path, features)] = result
    return features


_CAUGHT = (OSError, RuntimeError, ValueError, TypeError)  # a bad file; anything else is a bug and propagates


def _extract_here(inputs, kind, show_progress):
    """(path, features or error) per file, lazily, in this process."""
    import torchsound
    from torchsound._internal.progress import progress

    compute = FEATURE_KINDS[kind]
    for path in progress(inputs, desc=f"{kind} features", enabled=show_progress, unit="file"):
        try:
            waveform, sample_rate = torchsound.load(path)
            yield path, compute(waveform, sample_rate)
        except _CAUGHT as err:
            yield path, err


class _Chunk:
    """Features of a list of files in a pool worker; errors travel back as picklable exceptions."""

    def __init__(self, kind: str):
        self.kind = kind

    def __call__(self, paths: List[str]):
        import pickle

        out = []
        for path, result in _extract_here(paths, self.kind, False):
            if isinstance(result, BaseException):
                try:
                    pickle.loads(pickle.dumps(result))
                except Exception:  # noqa: BLE001  an exception that does not survive pickling: keep its text
                    result = (type(result).__name__, str(result))
            out.append((path, result))
        return out


def _extract_pool(inputs, kind, show_progress, workers):
    from torchsound._internal.progress import progress
    from torchsound.data import LocalEngine

    size = max(1, min(64, -(-len(inputs) // (4 * workers))))  # ~4 chunks per worker: balance without chatter
    chunks = [inputs[i:i + size] for i in range(0, len(inputs), size)]
    bar = progress(range(len(inputs)), desc=f"{kind} features", enabled=show_progress, unit="file")
    for chunk in LocalEngine(workers).map(_Chunk(kind), chunks):
        if show_progress:
            bar.update(len(chunk))
        for path, result in chunk:
            yield path, _remote_error(*result) if isinstance(result, tuple) else result
    if show_progress:
        bar.close()


def _remote_error(type_name: str, message: str) -> Exception:
    """An exception whose type name and message are those reported by a worker (for the FAILED lines)."""
    cls = type(type_name or "RuntimeError", (RuntimeError,), {"__module__": __name__})
    return cls(message)


def _extract_ray(inputs, kind, show_progress, num_cpus, address):
    import torch

    from torchsound import data

    rows = [{"index": i, "path": p, "key": str(i)} for i, p in enumerate(inputs)]  # keys are given after, as here
    # Few large tasks: Ray spends ~50 ms CPU per task (see docs/scale.md), a file's fbank ~4 ms; 256 files at most
    # per task bound the memory a task holds.
    size = max(1, min(256, -(-len(inputs) // 8)))
    done = data.run(None, [data.Features(FEATURE_KINDS[kind])], engine="ray", rows=rows, shard_size=size,
                    num_cpus=num_cpus, address=address, show_progress=show_progress)
    for row in done:
        if row["error"]:
            yield row["path"], _remote_error(row["error_type"], row["error"])
        else:
            array = row["features"]  # Ray hands out read-only views of its object store: own the data
            yield row["path"], torch.from_numpy(array if array.flags.writeable else array.copy())


_MATRIX_KINDS = {"fbank", "kaldi-mfcc"}  # (frame, bin) matrices: what a Kaldi archive holds


def _run_shards(args) -> int:
    """OUT is a folder: shards + manifest + failures through torchsound.data (a rerun resumes)."""
    import sys

    from torchsound import data

    if args.kind not in FEATURE_KINDS:
        print(f"torchsound features: --kind must be one of {', '.join(FEATURE_KINDS)}; got {args.kind!r}", file=sys.stderr)
        return 2
    if args.shard_size < 1:
        print(f"torchsound features: --shard-size must be >= 1; got {args.shard_size}", file=sys.stderr)
        return 2
    if args.shard_format == "ark" and args.kind not in _MATRIX_KINDS:
        print(f"torchsound features: --format ark holds matrices ({', '.join(sorted(_MATRIX_KINDS))}); "
              f"--kind {args.kind} gives (channel, bin, frame): use --format npz, pt or parquet", file=sys.stderr)
        return 2
    try:
        manifest, failures = data.run(args.inputs, [data.Features(FEATURE_KINDS[args.kind])], engine=args.engine,
                                      out_dir=args.output, format=args.shard_format, shard_size=args.shard_size,
                                      num_cpus=args.num_cpus, address=args.address, show_progress=not args.no_progress)
    except ImportError as err:  # --engine ray without the extra
        print(f"torchsound features: {err}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as err:
        print(f"torchsound features: {err}", file=sys.stderr)
        return 1
    for path, err in failures:
        print(f"FAILED {path}: {err}", file=sys.stderr)
    ok = len(manifest) - len(failures)
    print(f"wrote {args.kind} features of {ok} file(s) to {args.output} "
          f"({data.MANIFEST}, {data.FAILURES}: {len(failures)} failed)")
    return 1 if failures else 0


def run_features(args) -> int:
    import sys

    if args.address is not None and args.engine != "ray":
        print("torchsound features: --address needs --engine ray", file=sys.stderr)
        return 2
    if args.num_cpus is not None and args.num_cpus < 1:
        print(f"torchsound features: --num-cpus must be >= 1; got {args.num_cpus}", file=sys.stderr)
        return 2
    if args.output.endswith(("/", os.sep)) or os.path.isdir(args.output):
        return _run_shards(args)
    ext = os.path.splitext(args.output)[1].lower()
    writer = OUTPUT_WRITERS.get(ext)
    if writer is None:
        print(f"torchsound features: OUT must end with one of {', '.join(OUTPUT_WRITERS)}; got {args.output!r}",
              file=sys.stderr)
        return 2
    if args.kind not in FEATURE_KINDS:
        print(f"torchsound features: --kind must be one of {', '.join(FEATURE_KINDS)}; got {args.kind!r}", file=sys.stderr)
        return 2
    if ext == ".npy" and len(args.inputs) > 1:  # known before any file is read
        print(f"torchsound features: a .npy file holds one array, got {len(args.inputs)} inputs; write .npz or "
              f".pt instead ({args.output})", file=sys.stderr)
        return 2
    failures: List[Tuple[str, Exception]] = []
    try:
        features = extract(args.inputs, args.kind, show_progress=not args.no_progress, failures=failures,
                           engine=args.engine, num_cpus=args.num_cpus, address=args.address)
    except ImportError as err:  # --engine ray without the extra
        print(f"torchsound features: {err}", file=sys.stderr)
        return 2
    _report(failures)
    if not features:
        print(f"torchsound features: no file could be read; {args.output} not written", file=sys.stderr)
        return 1
    try:
        writer(features, args.output)
    except (ValueError, OSError) as err:
        print(f"torchsound features: {err}", file=sys.stderr)
        return 1
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in list(features.items())[:3])
    more = f" (+{len(features) - 3} more)" if len(features) > 3 else ""
    print(f"wrote {args.kind} features of {len(features)} file(s) to {args.output}: {shapes}{more}")
    return 1 if failures else 0


def run_plot(args) -> int:
    import torchsound

    try:
        waveform, sample_rate = torchsound.load(args.input)
        from torchsound.utils.plot import plot_waveform_and_mel

        plot_waveform_and_mel(waveform, sample_rate, args.output, title=os.path.basename(args.input))
    except (OSError, RuntimeError, ValueError, TypeError, ImportError) as err:
        _report([(args.input, err)])
        return 1
    print(f"wrote {args.output}")
    return 0
