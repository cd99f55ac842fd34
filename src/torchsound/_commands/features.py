"""``torchsound features`` (feature extraction to .pt/.npy/.npz) and ``torchsound plot`` (waveform + mel spectrogram).

Feature kinds and output formats are registries, so other areas add theirs without touching the
command: ``FEATURE_KINDS[name] = fn(waveform, sample_rate) -> Tensor`` and
``OUTPUT_WRITERS[".ext"] = fn(features: dict[key, Tensor], path) -> None``. ``features`` maps each
input's key (its file name without extension) to its features, in input order.
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


def kaldi_mfcc_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Kaldi ``compute-mfcc-feats`` defaults without dither: 13 cepstra, C0 = log energy, (frame, ceps)."""
    from torchsound.compliance import kaldi

    return kaldi.mfcc(waveform * 32768, num_ceps=N_MFCC, sample_frequency=sample_rate, use_energy=True, energy_floor=0.0,
                      precise=True)


FEATURE_KINDS: Dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "mel": mel_kind,
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
                   help=f"output file; its extension picks the format: {', '.join(OUTPUT_WRITERS)}")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
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


def extract(inputs: List[str], kind: str, *, show_progress: bool = True,
            failures: Optional[List[Tuple[str, Exception]]] = None) -> Dict[str, torch.Tensor]:
    """Features of each file, keyed by file stem, in input order.

    With a ``failures`` list, a file that cannot be read or featurized is appended to it as
    ``(path, error)`` and the rest go on; without one, the first error is raised.
    """
    import torchsound
    from torchsound._internal.progress import progress

    if kind not in FEATURE_KINDS:
        raise ValueError(f"--kind must be one of {', '.join(FEATURE_KINDS)}; got {kind!r}")
    compute = FEATURE_KINDS[kind]
    features: Dict[str, torch.Tensor] = {}
    for path in progress(inputs, desc=f"{kind} features", enabled=show_progress, unit="file"):
        try:
            waveform, sample_rate = torchsound.load(path)
            features[_key(path, features)] = compute(waveform, sample_rate)
        except (OSError, RuntimeError, ValueError, TypeError) as err:
            if failures is None:
                raise
            failures.append((path, err))
    return features


def run_features(args) -> int:
    import sys

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
    features = extract(args.inputs, args.kind, show_progress=not args.no_progress, failures=failures)
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
