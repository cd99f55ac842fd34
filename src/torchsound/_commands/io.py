"""``torchsound info FILE...`` (a table of what each file holds) and ``torchsound convert IN... -o OUT``.

``convert`` converts each input with :func:`convert_one`; a file that fails is reported and the
batch goes on. The exit status is 1 when any file failed, 2 for a bad command line. Before any
file is read, the command line is checked: option values (a trial save), and outputs that would
overwrite an input (never allowed), collide, turn an audio file name into a folder, or replace an
existing file without ``--force``.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence, Tuple

_ENCODINGS = ["PCM_S", "PCM_U", "PCM_F", "ULAW", "ALAW"]


def register(sub) -> None:
    p = sub.add_parser("info", help="print sample rate, channels, length and encoding of audio files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=run_info)

    p = sub.add_parser("convert", help="convert audio files between formats, encodings, bit depths and channel counts")
    p.add_argument("inputs", nargs="+", metavar="IN")
    p.add_argument("-o", "--output", required=True, metavar="OUT_DIR_OR_FILE",
                   help="output file (one input) or folder (created if missing; several inputs)")
    p.add_argument("--format", help="output format, e.g. wav, flac, mp3, ogg, opus (default: OUT's extension, else the input's)")
    p.add_argument("--encoding", choices=_ENCODINGS, help="WAV sample encoding")
    p.add_argument("--bits", type=int, help="bits per sample (WAV: 8/16/24/32/64; FLAC: 8/16/24)")
    p.add_argument("--channels", type=int, help="output channels: 1 mixes down to mono; from mono, copies")
    p.add_argument("--sample-rate", dest="sample_rate", type=int, metavar="HZ",
                   help="resample to this rate (windowed-sinc, torchaudio's default filter unless --quality)")
    p.add_argument("--quality", choices=["hq", "vhq"],
                   help="resampling preset for --sample-rate: hq (>= 150 dB alias rejection) or vhq (>= 200 dB)")
    p.add_argument("--gain", dest="gain_db", type=float, metavar="DB", help="gain in dB (no clipping)")
    p.add_argument("--force", action="store_true",
                   help="overwrite existing output files (inputs are never overwritten)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run_convert)


# ----------------------------------------------------------------------------- info

def run_info(args) -> int:
    import torchsound

    rows, failures = [], []
    for path in args.files:
        try:
            m = torchsound.info(path)
        except (OSError, RuntimeError, ValueError) as err:
            failures.append((path, err))
            continue
        seconds = m.num_frames / m.sample_rate if m.sample_rate else 0.0
        rows.append([path, m.encoding, str(m.bits_per_sample or "-"), str(m.sample_rate), str(m.num_channels),
                     str(m.num_frames), f"{seconds:.3f}"])
    if rows:
        print(_table(["file", "encoding", "bits", "rate", "channels", "frames", "seconds"], rows))
    _report(failures)
    return 1 if failures else 0


def _table(header: List[str], rows: List[List[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2, 3, 4, 5, 6}  # numbers align right
    lines = []
    for k, row in enumerate([header, *rows]):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _report(failures: Sequence[Tuple[str, Exception]]) -> None:
    import sys

    for path, err in failures:
        print(f"FAILED {path}: {type(err).__name__}: {_hint(err)}", file=sys.stderr)


def _hint(err: Exception) -> str:
    """The error's message, plus the option of this command that fixes it where there is one."""
    message = str(err)
    rate = re.search(r"supports sample rates .* only, .* e\.g\. to (\d+)", message)
    if rate:
        message += f" (with this command: --sample-rate {rate.group(1)})"
    return message


# ----------------------------------------------------------------------------- convert

def run_convert(args) -> int:
    import sys

    from torchsound._internal.progress import progress

    options = {"format": args.format, "encoding": args.encoding, "bits": args.bits, "channels": args.channels}
    for name in ("sample_rate", "quality", "gain_db"):  # flags other areas add to this command
        if getattr(args, name, None) is not None:
            options[name] = getattr(args, name)
    try:
        jobs = plan_outputs(args.inputs, args.output, args.format, force=args.force)
        check_options({_output_format(dst, args.format) for _, dst in jobs}, **options)
    except ValueError as err:  # a bad command line: nothing read, nothing written
        print(f"torchsound convert: {_hint(err)}", file=sys.stderr)
        return 2
    folder = os.path.dirname(jobs[0][1])  # the same for every job
    if folder:
        os.makedirs(folder, exist_ok=True)
    failures = []
    for src, dst in progress(jobs, desc="convert", unit="file", enabled=not args.no_progress and len(jobs) > 1):
        try:
            convert_one(src, dst, **options)
        except (OSError, RuntimeError, ValueError, TypeError, ImportError) as err:
            failures.append((src, err))
    done = len(jobs) - len(failures)
    print(f"converted {done} of {len(jobs)} file(s)" + (f" into {args.output}" if done else ""))
    _report(failures)
    return 1 if failures else 0


# Extensions that name an audio file: OUT with one is never made into a folder.
_AUDIO_EXTENSIONS = {"wav", "wave", "flac", "mp3", "ogg", "oga", "opus", "aiff", "aif", "aifc", "au", "snd", "caf",
                     "w64", "rf64", "sph", "nist", "amb", "m4a", "mp4", "aac", "wma", "webm", "mka", "mkv", "ac3",
                     "amr", "3gp", "alac", "voc", "htk", "ircam", "sf", "mat", "avr", "pvf", "xi", "sd2", "wve",
                     "paf", "svx"}


def _output_format(dst: str, format: Optional[str]) -> str:
    return (format or os.path.splitext(dst)[1].lstrip(".") or "wav").lower()


def plan_outputs(inputs: Sequence[str], output: str, format: Optional[str], *,
                 force: bool = False) -> List[Tuple[str, str]]:
    """(input, output path) pairs: OUT is a folder for several inputs, an existing folder or a path ending in '/'.

    Raises ValueError, before anything is written, when an output would overwrite an input (never
    allowed, even with ``force``), when two inputs map to the same output, when several inputs would
    need OUT, a name with an audio extension, to become a folder, or when an output exists and
    ``force`` is False. Nothing is created: the caller makes the folder once the options are checked.
    """
    as_folder = len(inputs) > 1 or os.path.isdir(output) or output.endswith(("/", os.sep))
    if not as_folder:
        jobs = [(inputs[0], output)]
    else:
        ext = os.path.splitext(output)[1].lstrip(".").lower()
        if not os.path.isdir(output) and ext in _AUDIO_EXTENSIONS:
            raise ValueError(f"{len(inputs)} inputs need an output folder, but OUT {output!r} names an audio file; "
                             "give a folder (created if missing), or convert one file at a time")
        jobs = []
        for src in inputs:
            stem, ext = os.path.splitext(os.path.basename(src))
            jobs.append((src, os.path.join(output, f"{stem}.{(format or ext.lstrip('.') or 'wav').lower()}")))
    sources = {}
    for src in inputs:
        sources.setdefault(_identity(src), src)
    targets = {}
    for src, dst in jobs:
        key = _identity(dst)
        if key in sources:
            raise ValueError(f"{dst} is an input ({sources[key]}); refusing to overwrite it: write to another "
                             "folder or file name")
        if key in targets:
            raise ValueError(f"{targets[key]} and {src} would both be written to {dst}; convert them into "
                             "different folders")
        targets[key] = src
    if not force:
        existing = [dst for _, dst in jobs if os.path.lexists(dst)]
        if existing:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ValueError(f"{existing[0]} exists{more}; use --force to overwrite")
    return jobs


def _identity(path: str):
    """What makes two paths one file: (device, inode) of an existing file, else the resolved path."""
    try:
        st = os.stat(path)
        return (st.st_dev, st.st_ino)
    except OSError:
        return os.path.normcase(os.path.realpath(path))


def check_options(formats, *, format: Optional[str] = None, encoding: Optional[str] = None,
                  bits: Optional[int] = None, channels: Optional[int] = None, sample_rate: Optional[int] = None,
                  quality: Optional[str] = None, gain_db: Optional[float] = None) -> None:
    """Raise ValueError for option values an output cannot take, before any input is read.

    Each output format gets a one-frame trial ``save`` into memory with the options, so the rules
    are ``save``'s own.
    """
    import io

    import torch

    import torchsound

    if channels is not None and channels < 1:
        raise ValueError(f"--channels must be >= 1, got {channels}")
    if sample_rate is not None and sample_rate < 1:
        raise ValueError(f"--sample-rate must be a positive number of Hz, got {sample_rate}")
    for fmt in sorted(formats):
        try:
            torchsound.save(io.BytesIO(), torch.zeros(channels or 1, 1), sample_rate or 48000, format=fmt,
                            encoding=encoding, bits_per_sample=bits)
        except (ValueError, TypeError, ImportError) as err:
            message = str(err).removeprefix("save: ")
            raise ValueError(f"cannot write {fmt} with these options: {message}") from None


def convert_one(src: str, dst: str, *, format: Optional[str] = None, encoding: Optional[str] = None,
                bits: Optional[int] = None, channels: Optional[int] = None, sample_rate: Optional[int] = None,
                quality: Optional[str] = None, gain_db: Optional[float] = None) -> None:
    """Convert one file.

    Args:
        src, dst: input and output paths (``dst`` is written atomically).
        format: output format (default: ``dst``'s extension).
        encoding, bits: as :func:`torchsound.save`'s ``encoding`` / ``bits_per_sample``. By default
            WAV and FLAC keep the input's bit depth (FLAC at most 24).
        channels: 1 mixes down to mono (mean of the channels); from mono, the channel is copied.
        sample_rate: resample with :func:`torchsound.functional.resample` to this rate.
        quality: resampling quality preset passed to ``resample(quality=...)`` (with ``sample_rate``).
        gain_db: gain in dB (a plain multiply by ``10 ** (gain_db / 20)``).
    """
    import torch

    import torchsound

    meta = torchsound.info(src)
    waveform, rate = torchsound.load(src, normalize=False)
    processing = channels not in (None, waveform.shape[0]) or sample_rate not in (None, rate) or gain_db not in (None, 0)
    if processing and not waveform.is_floating_point():
        waveform = _to_float(waveform)
    if channels is not None and channels != waveform.shape[0]:
        if channels < 1:
            raise ValueError(f"--channels must be >= 1, got {channels}")
        if channels == 1:
            waveform = waveform.mean(dim=0, keepdim=True)
        elif waveform.shape[0] == 1:
            waveform = waveform.expand(channels, -1).contiguous()
        else:
            raise ValueError(f"cannot map {waveform.shape[0]} channels to {channels}: only to mono, or from mono")
    if sample_rate is not None and sample_rate != rate:
        from torchsound.functional import resample

        waveform = resample(waveform, rate, int(sample_rate), quality=quality)
        rate = int(sample_rate)
    if gain_db not in (None, 0):
        waveform = waveform * 10 ** (float(gain_db) / 20)
    fmt = (format or os.path.splitext(dst)[1].lstrip(".") or "wav").lower()
    if bits is None and encoding is None and fmt == "wav" and meta.encoding == "PCM_F":
        encoding, bits = "PCM_F", meta.bits_per_sample  # float stays float
    if bits is None and encoding in (None, "PCM_S") and fmt in ("wav", "flac") and meta.encoding in ("PCM_S", "FLAC"):
        bits = min(meta.bits_per_sample, 24) if fmt == "flac" else meta.bits_per_sample
        bits = bits if bits in (16, 24, 32) else None
    if not waveform.is_floating_point() and waveform.dtype not in (torch.uint8, torch.int16, torch.int32):
        waveform = _to_float(waveform)
    torchsound.save(dst, waveform, rate, format=fmt, encoding=encoding, bits_per_sample=bits)


def _to_float(waveform):
    import torch

    if waveform.dtype == torch.uint8:
        return (waveform.to(torch.float32) - 128) / 128
    return waveform.to(torch.float32) / float(2 ** (torch.iinfo(waveform.dtype).bits - 1))
