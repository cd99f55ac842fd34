"""``load``, ``save`` and ``info`` with torchaudio 2.8's signatures, dispatched to a backend.

Backends: ``"wav"`` (native, numpy memory map), ``"soundfile"`` (libsndfile: FLAC, OGG/Vorbis,
Opus, MP3, AIFF, ...) and ``"ffmpeg"`` (PyAV, the optional extra ``torchsound[ffmpeg]``: AAC/M4A,
WMA, ALAC, audio in video containers). Without a ``backend`` argument the format decides: the
file's first bytes first, then ``format``, then the file extension.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import BinaryIO, List, Optional, Tuple, Union

import torch

from .._internal.checks import check_int
from ._source import AudioFileError, Source, atomic_output, sniff_format

_BACKENDS = ("wav", "soundfile", "ffmpeg")
_default_backend: Optional[str] = None


@dataclass
class AudioMetaData:
    """What :func:`info` reports about an audio file.

    Args:
        sample_rate: frames per second.
        num_frames: frames in the file (for MP3, after removing encoder delay and padding).
        num_channels: channels per frame.
        bits_per_sample: bits of one stored sample; 0 for lossy codecs (MP3, Vorbis, Opus).
        encoding: one of ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"FLAC"``, ``"ULAW"``, ``"ALAW"``,
            ``"MP3"``, ``"VORBIS"``, ``"OPUS"``, ``"AMR_NB"``, ``"AMR_WB"``, ``"GSM"``, ``"HTK"``,
            ``"UNKNOWN"`` (or the codec's upper-case name for what FFmpeg decodes, e.g. ``"AAC"``).
    """

    sample_rate: int
    num_frames: int
    num_channels: int
    bits_per_sample: int
    encoding: str


def list_audio_backends() -> List[str]:
    """torchaudio's names of the backends usable here, in torchaudio's order.

    ``["ffmpeg", "soundfile"]`` with PyAV installed (extra ``ffmpeg``), ``["soundfile"]`` without.
    ``"sox"`` is never listed: torchsound has no libsox to read files with (its sox effects are
    its own code); ``backend="sox"``/``"sox_io"`` are still accepted and choose by format, with
    a warning. The native WAV reader (``backend="wav"``) works behind every name and is not listed.
    """
    backends = ["soundfile"]
    if importlib.util.find_spec("av") is not None:
        backends.insert(0, "ffmpeg")
    return backends


def get_audio_backend() -> Optional[str]:
    """The backend set with :func:`set_audio_backend`, or ``None`` (choose by format; the default)."""
    return _default_backend


def set_audio_backend(backend: Optional[str]):
    """Make ``backend`` the default of ``load``/``info``/``save``; ``None`` restores choice by format.

    torchaudio's ``"sox_io"`` and ``"sox"`` map to ``None`` (choose by format), with a warning.
    """
    global _default_backend
    _default_backend = None if backend is None else _check_backend(backend)


# torchaudio's libsox backend names: torchsound has no libsox, so these choose by format.
_SOX_NAMES = ("sox", "sox_io")


def _check_backend(backend: Optional[str]) -> Optional[str]:
    """The backend to use for ``backend`` (a name, or None for the default set by set_audio_backend)."""
    if backend is None:
        return _default_backend
    if backend in _SOX_NAMES:
        import warnings

        warnings.warn(
            f"backend {backend!r}: torchsound has no libsox; files are read and written by the backend "
            "chosen for their format (libsndfile, FFmpeg or the native WAV reader)",
            stacklevel=3,
        )
        return None
    if backend not in _BACKENDS:
        names = ", ".join(map(repr, _BACKENDS + _SOX_NAMES))
        raise ValueError(f"backend must be one of {names} or None; got {backend!r}")
    if backend == "ffmpeg":
        from .._internal.optional import require

        require("av", "the 'ffmpeg' backend")
    return backend


def _extension(uri) -> Optional[str]:
    if isinstance(uri, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(uri))[1]
        return ext[1:].lower() or None
    return None


def _input_format(src: Source, format: Optional[str]) -> Optional[str]:
    """The format of an input: its first bytes decide, then ``format``, then the extension."""
    sniffed = sniff_format(src.head(80))
    if sniffed is not None:
        return sniffed
    if format is not None:
        return format.lower()
    return _extension(src.uri)


def _pick_reader(src: Source, format: Optional[str], backend: Optional[str]):
    """(backend, format, chosen): ``chosen`` when the format picked the backend, not the caller."""
    fmt = _input_format(src, format)
    backend = _check_backend(backend)
    chosen = backend is None
    if backend == "wav" and fmt != "wav":
        raise src.error(f"backend 'wav' reads only WAV files; this one looks like {fmt or 'an unknown format'}")
    if backend is None:
        if fmt == "wav":
            backend = "wav"
        elif fmt in _FFMPEG_ONLY and importlib.util.find_spec("av") is not None:
            backend = "ffmpeg"
        else:
            backend = "soundfile"
    return backend, fmt, chosen


# Formats PyAV reads when it is installed: what libsndfile does not read, and Opus (libsndfile
# ignores the pre-skip of Opus files from other encoders, shifting them by ~312 samples).
_FFMPEG_ONLY = {"opus", "mp4", "m4a", "aac", "wma", "asf", "mkv", "webm", "mka", "mov", "avi", "amr", "ac3", "3gp", "alac"}


def _run_reader(action: str, src: Source, fmt: Optional[str], backend: str, *args, chosen: bool = True):
    """Run ``action`` ("load"/"info") on ``backend``, and make whatever goes wrong while decoding an
    :class:`AudioFileError` that names the file (libsndfile, FFmpeg, numpy and file-object errors alike)."""
    try:
        result = _read_with(action, src, fmt, backend, *args, chosen=chosen)
    except (AudioFileError, MemoryError):
        raise
    except Exception as err:  # any failure inside a decoder is a problem of this file
        raise src.error(f"cannot decode audio data ({type(err).__name__}: {err})") from err
    sample_rate = result.sample_rate if action == "info" else result[1]
    if not sample_rate or sample_rate <= 0:  # what FFmpeg reports for a few bytes of no known format
        raise src.error(f"not a recognised audio file (the decoder reports a sample rate of {sample_rate})")
    return result


def _read_with(action: str, src: Source, fmt: Optional[str], backend: str, *args, chosen: bool = True):
    """Run ``action`` on ``backend``; fall back from native WAV and libsndfile when they can't.
    ``chosen``: the backend was chosen by format, not asked for by the caller."""
    from . import _soundfile, _wav

    exotic_wav = False  # a WAVE codec the native reader does not decode (ADPCM, GSM, MP3-in-WAV, ...)
    if backend == "wav":
        try:
            header = _wav.read_header(src)
        except _wav.Unsupported:
            # FFmpeg counts decoded samples, so info and load agree; libsndfile only estimates some lengths.
            exotic_wav = True
            backend = "ffmpeg" if importlib.util.find_spec("av") is not None else "soundfile"
        else:
            if action == "info":
                return AudioMetaData(header.sample_rate, header.num_frames, header.num_channels,
                                     header.bits_per_sample, header.encoding)
            frame_offset, num_frames, normalize, channels_first = args[:4]
            raw = _wav.read_frames(src, header, frame_offset, num_frames)
            return _wav.to_tensor(raw, header, normalize, channels_first), header.sample_rate
    if backend == "soundfile":
        # A damaged MP3 goes to FFmpeg where the format chose libsndfile: FFmpeg decodes past a damaged
        # tag or frame (as StreamReader does), where libsndfile stops, silently short.
        damaged_mp3 = "raise" if chosen and importlib.util.find_spec("av") is not None else "decode"
        try:
            if action == "info":
                return _soundfile.info(src, fmt, damaged_mp3=damaged_mp3)
            return _soundfile.load(src, *args, fmt, damaged_mp3=damaged_mp3)
        except _soundfile.DamagedMP3:
            backend = "ffmpeg"
            src.rewind()
        except AudioFileError:
            # FFmpeg gets a try only where libsndfile does not know the format: for a damaged file in a
            # format it knows, its error is the right answer (FFmpeg would quietly decode a truncated file).
            known = fmt in ("wav", "flac", "mp3", "ogg", "aiff") and not exotic_wav
            if importlib.util.find_spec("av") is None or known:
                raise
            backend = "ffmpeg"  # libsndfile does not know it: let FFmpeg try
            src.rewind()
    from . import _ffmpeg

    try:
        if action == "info":
            result = _ffmpeg.info(src, fmt)
            empty = result.num_frames == 0
        else:
            result = _ffmpeg.load(src, *args, fmt)
            frame_offset, num_frames, channels_first = args[0], args[1], args[3]
            empty = frame_offset == 0 and num_frames != 0 and result[0].shape[-1 if channels_first else 0] == 0
    except AudioFileError as err:
        if "Cannot allocate memory" in str(err):  # FFmpeg's ENOMEM: a table whose sizes the file can't back
            raise src.error("corrupt file: its index claims more data than the file can hold "
                            "(FFmpeg could not allocate it)") from None
        raise
    if empty:
        _check_declares_nothing(src, fmt)
    return result


def _check_declares_nothing(src: Source, fmt: Optional[str]) -> None:
    """FFmpeg decoded no audio: fine for an empty stream, an error for a container that declares packets
    (e.g. an MP4 whose chunk offsets point outside the file: FFmpeg reads nothing and says nothing)."""
    from . import _ffmpeg

    src.rewind()
    with _ffmpeg._open_input(src, fmt) as container:
        stream = container.streams.audio[0]
        declared = stream.frames or 0
    if declared > 0:
        raise src.error(f"FFmpeg decoded no audio although the file declares {declared} packets "
                        "(corrupt file: its index points outside the audio data?)")


def info(uri: Union[BinaryIO, str, os.PathLike], format: Optional[str] = None, buffer_size: int = 4096,
         backend: Optional[str] = None) -> AudioMetaData:
    """Metadata of an audio file, from its header only.

    Args:
        uri: path, ``pathlib.Path``, file-like object opened in binary mode, or bytes buffer.
        format: format hint (e.g. ``"wav"``, ``"mp3"``) for sources without a telling extension;
            the file's own signature wins where it has one.
        buffer_size: accepted for compatibility; reads are sized by the backend.
        backend: ``"wav"``, ``"soundfile"``, ``"ffmpeg"`` or ``None`` (choose by format).

    Returns:
        AudioMetaData: ``num_frames`` is exact, also for MP3 (encoder delay and padding removed).

    Raises:
        FileNotFoundError: the path does not exist.
        AudioFileError (an OSError and a RuntimeError): empty, truncated, corrupt or unknown file, or a
            file object that fails while read; the message names the file.
    """
    with Source(uri) as src:
        backend, fmt, chosen = _pick_reader(src, format, backend)
        return _run_reader("info", src, fmt, backend, chosen=chosen)


def load(uri: Union[BinaryIO, str, os.PathLike], frame_offset: int = 0, num_frames: int = -1, normalize: bool = True,
         channels_first: bool = True, format: Optional[str] = None, buffer_size: int = 4096,
         backend: Optional[str] = None) -> Tuple[torch.Tensor, int]:
    """Load audio into a tensor.

    Args:
        uri: path, ``pathlib.Path``, file-like object opened in binary mode, or bytes buffer.
        frame_offset: frames to skip at the start. Only the frames asked for are read from WAV files.
        num_frames: frames to read; ``-1`` reads to the end. Fewer come back at the end of the file.
        normalize: ``True`` returns float32 in [-1, 1]. ``False`` returns integer PCM WAV in its own
            dtype: u8 -> uint8, s16 -> int16, s24 -> int32 (left-aligned, ``value << 8``, as
            torchaudio's FFmpeg backend returns it), s32 -> int32, mu-law/A-law -> int16 (decoded);
            float WAV keeps float32/float64. Other formats return float32 either way.
        channels_first: ``(channel, time)`` when True, ``(time, channel)`` otherwise.
        format: format hint for sources without a telling extension (the file's signature wins).
        buffer_size: accepted for compatibility.
        backend: ``"wav"``, ``"soundfile"``, ``"ffmpeg"`` or ``None`` (choose by format).

    Returns:
        (waveform, sample_rate). As with torchaudio's FFmpeg backend, a multichannel waveform with
        ``channels_first=True`` may be a transposed view of a ``(time, channel)`` buffer (call
        ``.contiguous()`` if you need contiguous memory).

    Shape:
        waveform: ``(channel, time)`` if ``channels_first`` else ``(time, channel)``, where
        ``time = min(num_frames, total_frames - frame_offset)`` (or the rest of the file for -1).

    Raises:
        FileNotFoundError: the path does not exist.
        AudioFileError (an OSError and a RuntimeError): empty, truncated, corrupt or unknown file, or a
            file object that fails while read; the message names the file.
    """
    check_int("frame_offset", frame_offset, fn="load", minimum=0)
    check_int("num_frames", num_frames, fn="load", minimum=-1)
    with Source(uri) as src:
        backend, fmt, chosen = _pick_reader(src, format, backend)
        return _run_reader("load", src, fmt, backend, frame_offset, num_frames, normalize, channels_first, chosen=chosen)


def save(uri: Union[BinaryIO, str, os.PathLike], src: torch.Tensor, sample_rate: int, channels_first: bool = True,
         format: Optional[str] = None, encoding: Optional[str] = None, bits_per_sample: Optional[int] = None,
         buffer_size: int = 4096, backend: Optional[str] = None, compression=None) -> None:
    """Save a waveform to an audio file, atomically (temporary file, then rename).

    Args:
        uri: destination path, or a writable binary file-like object (then ``format`` is required).
        src: float waveform in [-1, 1] (values beyond are clipped for integer encodings), or integer
            PCM (uint8, int16, int32: full scale of its dtype, written as-is when the widths match,
            converted by bit shifts otherwise; never rescaled or clipped).
        sample_rate: frames per second.
        channels_first: whether ``src`` is ``(channel, time)`` or ``(time, channel)``.
        format: ``"wav"``, ``"flac"``, ``"ogg"``/``"vorbis"``, ``"opus"``, ``"mp3"``, ``"aiff"``, ...
            (default: the extension of ``uri``); with the ffmpeg backend any container FFmpeg writes.
        encoding: ``"PCM_S"``, ``"PCM_U"``, ``"PCM_F"``, ``"ULAW"`` or ``"ALAW"`` for WAV.
        bits_per_sample: 8/16/24/32 (PCM), 32/64 (float) for WAV; 8/16/24 for FLAC. Default for WAV
            and FLAC: the width of an integer tensor, 16 for a float tensor (as torchaudio 2.8's
            default FFmpeg backend writes).
        buffer_size: accepted for compatibility.
        backend: ``"wav"``, ``"soundfile"``, ``"ffmpeg"`` or ``None`` (choose by format).
        compression: sox's meaning: FLAC level 0..8; MP3 bit rate in kbit/s; Vorbis quality -1..10;
            Opus level in [0, 1]; or a :class:`~torchsound.io.CodecConfig`.

    Shape:
        src: ``(channel, time)`` if ``channels_first`` else ``(time, channel)``; a 1D tensor is mono.

    Raises:
        ValueError: NaN or infinite samples (no encoder can store them: clean them first, e.g. with
            ``torch.nan_to_num``); no frames for a compressed format (FLAC, MP3, Vorbis, Opus, or
            anything FFmpeg writes: they cannot hold an empty stream; WAV and the other uncompressed
            containers write a valid empty file); more channels or a higher ``sample_rate`` than the
            format stores (WAV: 65535 channels and a byte rate within 32 bits; see the message for others).
        TypeError: a dtype other than float, uint8, int8, int16 or int32. int64 is refused rather
            than read as 64-bit full scale (where 0..3 would be silence): convert it to int32 or float.
        OSError: the destination cannot be written; the message names it.
    """
    if not isinstance(src, torch.Tensor):
        raise TypeError(f"save: src must be a torch.Tensor, got {type(src).__name__}")
    if src.dim() == 1:
        src = src.unsqueeze(0 if channels_first else 1)
    if src.dim() != 2:
        raise ValueError(f"save: src must be 2D (channel, time) or (time, channel), got shape {tuple(src.shape)}")
    if not (src.is_floating_point() or src.dtype in _SAVE_INT_DTYPES):
        hint = " (64-bit full scale would make small integers silent: convert to int32 or float)" \
            if src.dtype == torch.int64 else ""
        raise TypeError("save: src must be a float tensor in [-1, 1] or integer PCM (uint8, int8, int16, int32), "
                        f"got {src.dtype}{hint}")
    check_int("sample_rate", int(sample_rate) if isinstance(sample_rate, float) and sample_rate.is_integer() else sample_rate,
              fn="save", minimum=1)
    sample_rate = int(sample_rate)
    frames = (src.T if channels_first else src).detach().cpu()
    if frames.shape[1] == 0:
        raise ValueError("save: src has no channels")
    _check_finite(frames)
    fmt = (format or _extension(uri) or "").lower()
    if not fmt:
        what = "a file object" if hasattr(uri, "write") else f"{uri!r} (no extension)"
        raise ValueError(f"save: format is required when saving to {what}")
    if encoding is not None:
        encoding = encoding.upper()
    backend = _check_backend(backend)
    from . import _soundfile

    if backend is None:
        backend = "wav" if fmt in ("wav", "amb") else "soundfile" if _soundfile.can_write(fmt) else "ffmpeg"
        if backend == "ffmpeg":
            _check_backend("ffmpeg")
    if backend == "wav" and fmt not in ("wav", "amb"):
        raise ValueError(f"save: backend 'wav' writes only WAV files, got format {fmt!r}")
    if backend == "soundfile" and not _soundfile.can_write(fmt):
        raise ValueError(f"save: libsndfile does not write format {fmt!r}")
    if frames.shape[0] == 0 and (backend == "ffmpeg" or fmt in _COMPRESSED):
        raise ValueError(f"save: src has no frames; {fmt.upper()} files cannot hold an empty stream (WAV can)")

    if backend == "wav":
        from . import _wav

        kind, bits = _wav_encoding(frames.dtype, encoding, bits_per_sample)
        if compression is not None:
            raise ValueError("save: compression does not apply to WAV")
        _check_wav_limits(frames.shape[1], sample_rate, bits)
        with atomic_output(uri) as f:
            if frames.shape[0]:
                _wav.write(f, frames, sample_rate, kind, bits)
            else:  # a header alone is a valid empty WAV file
                f.write(_wav.header_bytes(sample_rate, frames.shape[1], kind, bits, 0))
    elif backend == "soundfile":
        with atomic_output(uri) as f:
            _soundfile.save(f, frames, sample_rate, fmt, encoding, bits_per_sample, compression)
    else:
        from . import _ffmpeg

        with atomic_output(uri) as f:
            _ffmpeg.save(f, frames, sample_rate, fmt, encoding, bits_per_sample, compression)


_SAVE_INT_DTYPES = (torch.uint8, torch.int8, torch.int16, torch.int32)
# Formats whose encoders cannot write an empty stream (libsndfile leaves 0 bytes or a file nothing reads).
_COMPRESSED = ("flac", "mp3", "ogg", "vorbis", "opus")


def _check_finite(frames: torch.Tensor) -> None:
    """Refuse NaN/inf before any encoder sees them (LAME aborts the process; PCM writers silently clip)."""
    if not frames.is_floating_point():
        return
    bad = ~torch.isfinite(frames)
    if bool(bad.any()):
        frame, channel = (int(i) for i in bad.nonzero()[0])
        raise ValueError(f"save: src has {int(bad.sum())} non-finite sample(s) (NaN or inf), the first at "
                         f"channel {channel}, frame {frame}; encoders would clip them, silence the stream or abort: replace them first "
                         "(e.g. torch.nan_to_num(src, nan=0.0, posinf=1.0, neginf=-1.0))")


def _check_wav_limits(channels: int, sample_rate: int, bits: int) -> None:
    """The WAV header's fields: 16-bit channel count, 32-bit sample rate and byte rate."""
    if channels > 0xFFFF:
        raise ValueError(f"save: WAV stores at most 65535 channels (a 16-bit header field), got {channels}")
    frame_bytes = (bits + 7) // 8 * channels
    highest = 0xFFFFFFFF // frame_bytes
    if sample_rate > highest:
        raise ValueError(f"save: sample_rate {sample_rate} is too high for WAV with {channels} channel(s) of {bits} bits: "
                         f"the header's byte rate must fit in 32 bits, so at most {highest} Hz")


def _wav_encoding(dtype: torch.dtype, encoding: Optional[str], bits: Optional[int]) -> Tuple[str, int]:
    """(kind, bits) for a WAV file, following torchaudio 2.8's rules for ``encoding``/``bits_per_sample``."""
    if bits is not None and bits not in (8, 16, 24, 32, 64):
        raise ValueError(f"save: bits_per_sample for WAV must be 8, 16, 24, 32 or 64, got {bits}")
    if encoding is None:
        if bits is None:
            bits = {torch.uint8: 8, torch.int16: 16, torch.int32: 32}.get(dtype, 16)
        if bits == 64:
            return "float", 64
        return "pcm", bits
    if encoding == "PCM_S":
        bits = bits or (32 if dtype == torch.int32 else 16)
        if bits == 8:
            raise ValueError("save: WAV signed PCM has no 8-bit form; use encoding='PCM_U' for 8 bits")
        if bits == 64:
            raise ValueError("save: WAV signed PCM supports 16, 24 and 32 bits, got 64")
        return "pcm", bits
    if encoding == "PCM_U":
        if bits not in (None, 8):
            raise ValueError(f"save: WAV unsigned PCM is 8-bit only, got bits_per_sample={bits}")
        return "pcm", 8
    if encoding == "PCM_F":
        bits = bits or (64 if dtype == torch.float64 else 32)
        if bits not in (32, 64):
            raise ValueError(f"save: WAV float PCM is 32- or 64-bit, got bits_per_sample={bits}")
        return "float", bits
    if encoding in ("ULAW", "ALAW"):
        if bits not in (None, 8):
            raise ValueError(f"save: WAV {encoding} is 8-bit only, got bits_per_sample={bits}")
        return encoding.lower(), 8
    raise ValueError(f"save: encoding must be one of 'PCM_S', 'PCM_U', 'PCM_F', 'ULAW', 'ALAW' for WAV; got {encoding!r}")
