"""``torchsound features`` (feature extraction to .pt/.npy/.npz) and ``torchsound plot`` (waveform + mel spectrogram).

Feature kinds and output formats are registries, so other areas add theirs without touching the
command: ``FEATURE_KINDS[name] = fn(waveform, sample_rate) -> Tensor`` and
``OUTPUT_WRITERS[".ext"] = fn(features: dict[key, Tensor], path) -> None``. ``features`` maps each
input's key (its file name without extension) to its features, in input order.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Callable, Dict, List

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

    # Kaldi's tools read 16-bit integer samples; scale so the numbers match theirs.
    return kaldi.fbank(waveform * 32768, num_mel_bins=N_MELS, sample_frequency=sample_rate, energy_floor=0.0)


def kaldi_mfcc_kind(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """Kaldi ``compute-mfcc-feats`` defaults without dither: 13 cepstra, C0 = log energy, (frame, ceps)."""
    from torchsound.compliance import kaldi

    return kaldi.mfcc(waveform * 32768, num_ceps=N_MFCC, sample_frequency=sample_rate, use_energy=True, energy_floor=0.0)


FEATURE_KINDS: Dict[str, Callable[[torch.Tensor, int], torch.Tensor]] = {
    "mel": mel_kind,
    "mfcc": mfcc_kind,
    "lfcc": lfcc_kind,
    "spectrogram": spectrogram_kind,
    "fbank": kaldi_fbank_kind,
    "kaldi-mfcc": kaldi_mfcc_kind,
}


# ----------------------------------------------------------------------------- output writers


def _atomic(path: str, write: Callable[[str], None]) -> None:
    """Write through a temporary file in the target folder, then rename: never a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _single_or_dict(features: Dict[str, torch.Tensor]):
    return next(iter(features.values())) if len(features) == 1 else features


def write_pt(features: Dict[str, torch.Tensor], path: str) -> None:
    """One input: its tensor. Several: ``{key: tensor}``."""
    import torch

    _atomic(path, lambda tmp: torch.save(_single_or_dict(features), tmp))


def write_npy(features: Dict[str, torch.Tensor], path: str) -> None:
    """One input only (a .npy file holds one array; use .npz or .pt for several)."""
    import numpy as np

    if len(features) != 1:
        raise ValueError(f"a .npy file holds one array, got {len(features)} inputs; write .npz or .pt instead ({path})")
    array = next(iter(features.values())).numpy()
    _atomic(path, lambda tmp: np.save(tmp, array))


def write_npz(features: Dict[str, torch.Tensor], path: str) -> None:
    """``{key: array}`` in one .npz archive."""
    import numpy as np

    arrays = {key: value.numpy() for key, value in features.items()}
    _atomic(path, lambda tmp: np.savez(tmp, **arrays))


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


def extract(inputs: List[str], kind: str, *, show_progress: bool = True) -> Dict[str, torch.Tensor]:
    """Features of each file, keyed by file stem, in input order."""
    import torchsound
    from torchsound._internal.progress import progress

    if kind not in FEATURE_KINDS:
        raise ValueError(f"--kind must be one of {', '.join(FEATURE_KINDS)}; got {kind!r}")
    compute = FEATURE_KINDS[kind]
    features: Dict[str, torch.Tensor] = {}
    for path in progress(inputs, desc=f"{kind} features", enabled=show_progress, unit="file"):
        waveform, sample_rate = torchsound.load(path)
        features[_key(path, features)] = compute(waveform, sample_rate)
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
    missing = [p for p in args.inputs if not os.path.exists(p)]
    if missing:
        print(f"torchsound features: no such file: {missing[0]}", file=sys.stderr)
        return 1
    features = extract(args.inputs, args.kind, show_progress=not args.no_progress)
    try:
        writer(features, args.output)
    except ValueError as err:  # e.g. several inputs for a one-array format
        print(f"torchsound features: {err}", file=sys.stderr)
        return 2
    shapes = ", ".join(f"{k} {tuple(v.shape)}" for k, v in list(features.items())[:3])
    more = f" (+{len(features) - 3} more)" if len(features) > 3 else ""
    print(f"wrote {args.kind} features of {len(features)} file(s) to {args.output}: {shapes}{more}")
    return 0


def plot_waveform_and_mel(waveform: torch.Tensor, sample_rate: int, path: str, *, title: str = "") -> str:
    """Draw ``(channel, time)`` audio (first channel) over its 80-band mel spectrogram in dB; write ``path``."""
    import torch

    from torchsound._internal.optional import require

    matplotlib = require("matplotlib", "plotting")
    matplotlib.use("Agg")
    plt = require("matplotlib.pyplot", "plotting")

    from torchsound.transforms import AmplitudeToDB

    mono = waveform[0] if waveform.dim() > 1 else waveform
    hop = _hop(sample_rate)
    mel = mel_kind(mono, sample_rate)
    db = AmplitudeToDB("power", top_db=80.0)(mel)
    n_fft = _n_fft(sample_rate)
    centres = _mel_centres(n_fft, sample_rate)
    seconds = mono.shape[-1] / sample_rate

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    t = torch.arange(mono.shape[-1]) / sample_rate
    top.plot(t.numpy(), mono.float().numpy(), linewidth=0.5)
    top.set_ylabel("Amplitude")
    top.set_title(title or "Waveform and mel spectrogram")
    frames = torch.arange(db.shape[-1] + 1) * hop / sample_rate - hop / (2 * sample_rate)
    band_edges = torch.cat([torch.zeros(1, dtype=centres.dtype), (centres[1:] + centres[:-1]) / 2,
                            centres[-1:] + (centres[-1] - centres[-2]) / 2])
    mesh = bottom.pcolormesh(frames.numpy(), band_edges.numpy(), db.numpy(), shading="flat", cmap="magma")
    bottom.set_yscale("symlog", linthresh=1000)
    bottom.set_ylim(band_edges[0].item(), band_edges[-1].item())
    ticks = [f for f in (0, 250, 500, 1000, 2000, 4000, 8000, 16000) if f <= band_edges[-1].item()]
    bottom.set_yticks(ticks, [str(f) for f in ticks])
    bottom.set_ylabel("Frequency (Hz)")
    bottom.set_xlabel("Time (s)")
    bottom.set_xlim(0, seconds)
    fig.colorbar(mesh, ax=[top, bottom], label="Power (dB)", shrink=0.6)
    _atomic(path, lambda tmp: fig.savefig(tmp, dpi=100, format=os.path.splitext(path)[1][1:] or "png"))
    plt.close(fig)
    return path


def _mel_centres(n_fft: int, sample_rate: int) -> torch.Tensor:
    """Centre frequency (Hz) of each of the N_MELS htk mel bands of :func:`mel_kind`."""
    import torch

    from torchsound.functional._filterbanks import _hz_to_mel, _mel_to_hz

    top = _hz_to_mel(torch.tensor(float(sample_rate // 2), dtype=torch.float64), "htk")
    mels = torch.linspace(0.0, float(top), N_MELS + 2, dtype=torch.float64)[1:-1]
    return _mel_to_hz(mels, "htk")


def run_plot(args) -> int:
    import sys

    import torchsound

    if not os.path.exists(args.input):
        print(f"torchsound plot: no such file: {args.input}", file=sys.stderr)
        return 1
    waveform, sample_rate = torchsound.load(args.input)
    plot_waveform_and_mel(waveform, sample_rate, args.output, title=os.path.basename(args.input))
    print(f"wrote {args.output}")
    return 0
