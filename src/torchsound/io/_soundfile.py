"""libsndfile backend (through ``soundfile``): FLAC, OGG/Vorbis, Opus, MP3, AIFF and the rest it reads.

libsndfile's MP3 decoder (mpg123) honours the LAME/Xing tag, so encoder delay and padding are
removed and ``info(f).num_frames`` equals the decoded length.
"""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
import soundfile
import torch

from ._source import AudioFileError, Source
from ._wav import pcm_integers

# libsndfile subtype -> (torchaudio encoding, bits_per_sample) for PCM-like subtypes.
_PCM_SUBTYPES = {
    "PCM_S8": ("PCM_S", 8), "PCM_U8": ("PCM_U", 8), "PCM_16": ("PCM_S", 16), "PCM_24": ("PCM_S", 24),
    "PCM_32": ("PCM_S", 32), "FLOAT": ("PCM_F", 32), "DOUBLE": ("PCM_F", 64), "ULAW": ("ULAW", 8), "ALAW": ("ALAW", 8),
}
_CODEC_SUBTYPES = {"VORBIS": "VORBIS", "OPUS": "OPUS", "MPEG_LAYER_III": "MP3", "MPEG_LAYER_I": "MP3",
                   "MPEG_LAYER_II": "MP3", "GSM610": "GSM"}
# torchaudio format names that libsndfile calls differently: format -> (libsndfile format, subtype or None)
_FORMATS = {"wav": ("WAV", None), "flac": ("FLAC", None), "ogg": ("OGG", "VORBIS"), "vorbis": ("OGG", "VORBIS"),
            "opus": ("OGG", "OPUS"), "mp3": ("MP3", "MPEG_LAYER_III"), "aiff": ("AIFF", None), "aif": ("AIFF", None),
            "aifc": ("AIFF", None), "au": ("AU", None), "snd": ("AU", None), "caf": ("CAF", None), "w64": ("W64", None),
            "rf64": ("RF64", None), "htk": ("HTK", None), "sph": ("NIST", None), "nist": ("NIST", None),
            "voc": ("VOC", None), "ircam": ("IRCAM", None), "sf": ("IRCAM", None), "mat": ("MAT5", None),
            "avr": ("AVR", None), "pvf": ("PVF", None), "xi": ("XI", None), "sd2": ("SD2", None), "wve": ("WVE", None),
            "paf": ("PAF", None), "svx": ("SVX", None), "mpc": ("MPC2K", None)}


def can_write(format: str) -> bool:
    return format in _FORMATS


def _open(src: Source, format: Optional[str]):
    try:
        return soundfile.SoundFile(src.for_library(), "r")
    except (soundfile.LibsndfileError, RuntimeError, TypeError, ValueError, OSError) as err:
        reason = getattr(err, "error_string", None) or str(err)
        raise src.error(_open_failure(src, format, reason)) from None


def _open_failure(src: Source, format: Optional[str], reason: str) -> str:
    """Why libsndfile could not open the file, in terms of the file rather than of libsndfile's guesses
    (its "unknown format ... possibly a pipe?" says nothing about a text file named .mp3)."""
    from ._mp3 import find_frame
    from ._source import sniff_format

    head = src.read_at(0, 1 << 16)
    if sniff_format(head) is None:
        what = {"mp3": "an MP3", "flac": "a FLAC", "ogg": "an Ogg", "vorbis": "an Ogg", "opus": "an Opus",
                "wav": "a WAV", "aiff": "an AIFF"}.get(format)
        if _looks_like_text(head):
            return f"not {what or 'an audio'} file: it holds text"
        if format == "mp3" and find_frame(head) is None:
            return f"not an MP3 file: no MPEG audio frame in its first {len(head)} bytes"
        if what is not None and format != "mp3":
            return f"not {what} file: it does not start with the {format.upper()} signature"
        return "not a recognised audio file: unknown format, or a corrupt header"
    for misleading in _MISLEADING:
        if misleading in reason:  # libsndfile's guess about the file, not what is wrong with it
            return f"cannot decode as {format.upper() if format else 'audio'}: unrecognised or corrupt header"
    return f"cannot decode as audio ({reason})"


# libsndfile messages that blame the file system for a header it did not recognise.
_MISLEADING = ("File does not exist or is not a regular file", "possibly a pipe")


def _looks_like_text(head: bytes) -> bool:
    """Printable UTF-8 (allowing a character cut at the end of the sample)."""
    for cut in range(4):
        try:
            text = head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return bool(text) and all(c.isprintable() or c in "\t\r\n" for c in text)
    return False


def _describe(f) -> Tuple[str, int]:
    if f.subtype in _PCM_SUBTYPES:
        encoding, bits = _PCM_SUBTYPES[f.subtype]
        if f.format == "FLAC":
            encoding = "FLAC"
        return encoding, bits
    return _CODEC_SUBTYPES.get(f.subtype, "UNKNOWN"), 0


class DamagedMP3(Exception):
    """Raised instead of decoding a damaged MP3 when the caller has a better decoder for it (FFmpeg):
    libsndfile's mpg123 stops at a damaged tag's frame count or at the first frame it can't resync."""


def info(src: Source, format: Optional[str], *, damaged_mp3: str = "decode"):
    """``damaged_mp3``: ``"decode"`` counts what libsndfile decodes; ``"raise"`` raises :class:`DamagedMP3`."""
    from ._dispatch import AudioMetaData

    with _open(src, format) as f:
        encoding, bits = _describe(f)
        frames = f.frames
        if f.format == "MP3":
            frames = mp3_frames(src, f)
            if frames is None and damaged_mp3 == "raise":
                raise DamagedMP3()
            if frames is None:  # a damaged stream: its length is what the decoder returns
                with _open(src, format) as g:
                    frames = _decode(src, g, 0, -1, "float32")[1]
        return AudioMetaData(f.samplerate, frames, f.channels, bits, encoding)


def load(src: Source, frame_offset: int, num_frames: int, normalize: bool, channels_first: bool,
         format: Optional[str], *, damaged_mp3: str = "decode") -> Tuple[torch.Tensor, int]:
    """``damaged_mp3`` as for :func:`info`."""
    with _open(src, format) as f:
        dtype = "float32"
        if not normalize and f.format in ("WAV", "WAVEX", "RF64", "W64"):
            dtype = {"PCM_16": "int16", "PCM_24": "int32", "PCM_32": "int32", "DOUBLE": "float64"}.get(f.subtype, dtype)
        frames = mp3_frames(src, f) if f.format == "MP3" else f.frames
        if f.format == "MP3" and frames is None and damaged_mp3 == "raise":
            raise DamagedMP3()
        start = frame_offset if frames is None else min(frame_offset, frames)
        try:
            if f.format == "MP3" or f.format == "OGG":
                # Decoded from the start, never seeking: libsndfile 1.2's MP3 decoder returns wrong
                # samples after a seek, and its Ogg seek crashes (SIGSEGV) on slightly damaged files.
                stop = frames if num_frames < 0 else start + num_frames if frames is None else min(start + num_frames, frames)
                data, reached = _decode(src, f, start, -1 if stop is None else stop - start, dtype)
            else:
                count = max(frames - start, 0) if num_frames < 0 else min(num_frames, max(frames - start, 0))
                workers = _parallel_workers(src, f, count, dtype)
                data = None
                if workers > 1:
                    try:
                        data = _read_parallel(src, f, start, count, dtype, workers)
                    except (soundfile.LibsndfileError, RuntimeError):
                        pass
                    if data is not None and len(data) < count:
                        data = None
                if data is None:  # one thread, or a damaged file: one pass, as from a file object
                    if start:
                        f.seek(start)
                    data = _read(src, f, num_frames, dtype)
                reached = start + len(data)
        except AudioFileError:
            raise
        except (soundfile.LibsndfileError, RuntimeError) as err:
            raise src.error(f"cannot decode audio data ({err})") from None
        if frames is not None:
            expected = max(frames - start, 0) if num_frames < 0 else min(num_frames, max(frames - start, 0))
            if len(data) < expected:
                raise src.error(f"the header promises {frames} frames but decoding stopped after "
                                f"{reached} (truncated or corrupt file)")
        tensor = torch.from_numpy(data)
        return (tensor.T if channels_first else tensor), f.samplerate


def _decode(src: Source, f, start: int, count: int, dtype: str, block: int = 1 << 16) -> Tuple[np.ndarray, int]:
    """Frames ``[start, start + count)`` (``count=-1``: to the end) decoded from the file's start in
    blocks, straight from libsndfile's ``sf_readf_*``: soundfile's ``read`` seeks after every call,
    and no seek may happen here (see load). The frames before ``start`` are decoded and dropped.
    Memory grows with what really decodes, never with what a header claims. Returns the frames and
    how many decoded in all (the position reached)."""
    ctype = {"float32": "float", "float64": "double", "int16": "short", "int32": "int"}[dtype]
    readf = getattr(soundfile._snd, f"sf_readf_{ctype}")
    parts, position, end = [], 0, None if count < 0 else start + count
    while end is None or position < end:
        want = block if end is None or position < start else min(block, end - position)
        part = np.empty((want, f.channels), dtype)
        got = readf(f._file, soundfile._ffi.cast(ctype + "*", part.ctypes.data), want)
        if got <= 0:
            break
        first = max(start - position, 0)
        stop = got if end is None else min(got, end - position)
        if stop > first:
            parts.append(part[first:stop])
        position += got
    if soundfile._snd.sf_error(f._file):
        reason = soundfile._ffi.string(soundfile._snd.sf_strerror(f._file)).decode(errors="replace")
        raise src.error(f"cannot decode audio data ({reason})")
    data = np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros((0, f.channels), dtype)
    return data, position


def mp3_frames(src: Source, f) -> Optional[int]:
    """The MP3 length ``info`` and ``load`` share (StreamReader may use it too), from the headers alone,
    or None for a damaged stream, whose length only decoding tells (``info`` then decodes as ``load`` does).

    Exact for an intact stream: the Xing/Info tag's length (delay and padding removed) when the tag's
    frame count matches the frames in the file, else the frame headers counted (libsndfile only
    estimates the length of an untagged file)."""
    from . import _mp3

    # The leanest MPEG audio frame (8 kbit/s at 8 kHz) carries 8 samples a byte; 16 leaves room.
    if f.frames > 16 * src.size + 16384:
        raise src.error(f"MP3 header claims {f.frames} frames, more than {src.size} bytes can hold (corrupt header)")
    stream_bytes = _mp3.tag_stream_bytes(src)
    if stream_bytes is not None and stream_bytes > src.size:
        raise src.error(f"MP3 tag says the stream has {stream_bytes} bytes but the file holds only {src.size} "
                        "(truncated file)")
    walk = _mp3.walk(src)
    if walk is None or not walk.clean:
        return None
    if walk.tag_frames is None:
        return walk.samples
    return f.frames if walk.tag_frames == walk.frames else None


# Formats whose seek is sample-exact in libsndfile, so that slices can be decoded independently.
_PARALLEL_FORMATS = ("FLAC",)  # not OGG: see load
_PARALLEL_MIN_FRAMES = 1 << 18  # below ~6 s at 44.1 kHz, threads cost more than they save


def _parallel_workers(src: Source, f, count: int, dtype: str) -> int:
    """Decoder threads for this read: torch's intra-op thread count (1 in DataLoader workers), at most 4,
    only for long reads from a path or buffer of a seekable format whose length the file size backs."""
    if f.format not in _PARALLEL_FORMATS or f.subtype == "OPUS" or src.fileobj is not None:
        return 1
    if count < _PARALLEL_MIN_FRAMES or count * f.channels * np.dtype(dtype).itemsize > 64 * src.size + (64 << 20):
        return 1
    return max(1, min(torch.get_num_threads(), 4, count // (_PARALLEL_MIN_FRAMES // 2)))


def _read_parallel(src: Source, f, start: int, count: int, dtype: str, workers: int) -> np.ndarray:
    """Decode ``count`` frames from ``start`` in ``workers`` threads, each with its own handle on the file
    (libsndfile runs without the GIL), straight into slices of one output array."""
    from concurrent.futures import ThreadPoolExecutor

    out = np.empty((count, f.channels), dtype)
    bounds = [count * i // workers for i in range(workers + 1)]

    def decode(i: int) -> int:
        a, b = bounds[i], bounds[i + 1]
        with soundfile.SoundFile(src.for_library(), "r") as part:
            part.seek(start + a)
            return len(part.read(frames=b - a, dtype=dtype, always_2d=True, out=out[a:b]))

    with ThreadPoolExecutor(workers) as pool:
        got = list(pool.map(decode, range(workers)))
    for i, n in enumerate(got):
        if n < bounds[i + 1] - bounds[i]:
            return out[: bounds[i] + n]  # the caller reports the truncation
    return out


def _read(src: Source, f, num_frames: int, dtype: str, block: int = 1 << 18) -> np.ndarray:
    """Read ``num_frames`` (-1: all) from the current position, trusting the header's length only
    where the file is big enough to hold it; otherwise grow block by block as data really decodes."""
    claimed = max(f.frames - f.tell(), 0) if num_frames < 0 else num_frames
    if claimed * f.channels * np.dtype(dtype).itemsize <= 64 * src.size + (64 << 20):
        return f.read(frames=num_frames, dtype=dtype, always_2d=True)
    parts, left = [], claimed
    while left > 0:
        part = f.read(frames=min(block, left), dtype=dtype, always_2d=True)
        if len(part) == 0:
            break
        parts.append(part)
        left -= len(part)
    return np.concatenate(parts) if parts else np.zeros((0, f.channels), dtype)


def save(dst_file, src: torch.Tensor, sample_rate: int, format: str, encoding: Optional[str],
         bits_per_sample: Optional[int], compression) -> None:
    """Write a (time, channel) tensor to the open binary file ``dst_file`` in ``format``."""
    sf_format, subtype = _FORMATS[format]
    _check_write_limits(format, src.shape[1], sample_rate)
    kwargs = {}
    if subtype is None:  # a PCM container: pick the subtype from encoding/bits/dtype
        subtype, bits = _pcm_subtype(format, src.dtype, encoding, bits_per_sample)
        if encoding is None and bits_per_sample is None and not soundfile.check_format(sf_format, subtype):
            subtype, bits = "PCM_16", 16  # the container has no float (e.g. NIST) or 8-bit form: 16-bit PCM
        if not soundfile.check_format(sf_format, subtype):
            stored = ", ".join(soundfile.available_subtypes(sf_format))
            raise ValueError(f"save: format {format!r} cannot store {subtype} samples (encoding={encoding!r}, "
                             f"bits_per_sample={bits_per_sample!r}); it stores: {stored}")
        data = _pcm_data(src, bits, subtype)
    else:
        if encoding is not None and encoding.upper() not in (subtype, "MP3" if subtype == "MPEG_LAYER_III" else subtype):
            raise ValueError(f"save: encoding {encoding!r} is not available for format {format!r}")
        if bits_per_sample not in (None, 0):
            raise ValueError(f"save: bits_per_sample does not apply to lossy format {format!r}, got {bits_per_sample}")
        data = _float_data(src)
        kwargs.update(_compression_kwargs(format, compression, sample_rate))
    if format == "flac":
        kwargs.update(_compression_kwargs(format, compression, sample_rate))
    try:
        with soundfile.SoundFile(dst_file, "w", sample_rate, src.shape[1], subtype, format=sf_format, **kwargs) as f:
            f.write(data)
    except (soundfile.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"save: libsndfile cannot write {format} ({subtype}, {sample_rate} Hz, "
                         f"{src.shape[1]} channels): {err}") from None


# What each encoder accepts, checked before libsndfile sees it: past these limits libsndfile says
# "Format not recognised", or (Vorbis above 255 channels or 200 kHz) crashes the process.
_MAX_CHANNELS = {"flac": 8, "mp3": 2, "ogg": 255, "vorbis": 255, "opus": 255}
_MAX_RATE = {"flac": 655350, "ogg": 200000, "vorbis": 200000}
_RATES = {"mp3": (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
          "opus": (8000, 12000, 16000, 24000, 48000)}
_LIBSNDFILE_MAX_CHANNELS = 1024


def _check_write_limits(format: str, channels: int, sample_rate: int) -> None:
    most = _MAX_CHANNELS.get(format, _LIBSNDFILE_MAX_CHANNELS)
    if channels > most:
        who = format if format in _MAX_CHANNELS else f"libsndfile's {format} writer"
        raise ValueError(f"save: {who} stores at most {most} channels, got {channels} "
                         "(WAV through the default 'wav' backend stores up to 65535)")
    rates = _RATES.get(format)
    if rates is not None and sample_rate not in rates:
        raise ValueError(f"save: {format} supports sample rates {', '.join(map(str, rates))} Hz only, got "
                         f"sample_rate={sample_rate}; resample first, e.g. to {rates[-1]} "
                         f"(torchaudio.functional.resample(waveform, {sample_rate}, {rates[-1]}))")
    highest = _MAX_RATE.get(format, 2**31 - 1)
    if sample_rate > highest:
        raise ValueError(f"save: {format} supports sample rates up to {highest} Hz, got sample_rate={sample_rate}")


def _pcm_subtype(format: str, dtype: torch.dtype, encoding: Optional[str], bits: Optional[int]) -> Tuple[str, int]:
    if format == "flac":
        if encoding not in (None, "FLAC", "PCM_S"):
            raise ValueError(f"save: FLAC stores signed integer PCM; encoding {encoding!r} is not available")
        if bits is None:
            bits = 24 if dtype == torch.int32 else 16
        if bits not in (8, 16, 24):
            raise ValueError(f"save: FLAC bits_per_sample must be 8, 16 or 24, got {bits}")
        return {8: "PCM_S8", 16: "PCM_16", 24: "PCM_24"}[bits], bits
    if encoding == "PCM_F" or (encoding is None and bits is None and dtype.is_floating_point and format != "aiff"):
        bits = bits or 32
        return {32: "FLOAT", 64: "DOUBLE"}[bits], bits
    if encoding in ("ULAW", "ALAW"):
        return encoding, 16
    if bits is None:
        bits = {torch.uint8: 8, torch.int16: 16, torch.int32: 32}.get(dtype, 16)
    subtype = {8: "PCM_U8" if encoding == "PCM_U" else "PCM_S8", 16: "PCM_16", 24: "PCM_24", 32: "PCM_32"}.get(bits)
    if subtype is None:
        raise ValueError(f"save: bits_per_sample must be 8, 16, 24 or 32 for {format}, got {bits}")
    return subtype, bits


def _pcm_data(src: torch.Tensor, bits: int, subtype: str) -> np.ndarray:
    """Integers left-aligned in int16/int32, which libsndfile narrows to ``bits`` exactly (no rescaling)."""
    if subtype in ("FLOAT", "DOUBLE"):
        return src.to(torch.float32 if subtype == "FLOAT" else torch.float64).numpy()
    if subtype in ("ULAW", "ALAW"):
        return pcm_integers(src, 16).numpy()
    ints = pcm_integers(src, bits)
    if bits <= 16:
        return (ints.to(torch.int16) << (16 - bits)).numpy()
    return (ints.to(torch.int32) << (32 - bits)).numpy()


def _float_data(src: torch.Tensor) -> np.ndarray:
    if src.is_floating_point():
        return src.to(torch.float32).numpy()
    return (pcm_integers(src, 32).to(torch.float64) / 2**31).to(torch.float32).numpy()


def _mp3_bit_rates(sample_rate: int) -> Tuple[int, int]:
    """(lowest, highest) bit rate in kbit/s of the MPEG version LAME uses at ``sample_rate``."""
    if sample_rate >= 32000:
        return 32, 320  # MPEG-1
    if sample_rate >= 16000:
        return 8, 160  # MPEG-2
    return 8, 64  # MPEG-2.5


def _compression_kwargs(format: str, compression, sample_rate: int = 44100) -> dict:
    """torchaudio/sox ``compression`` -> libsndfile's compression level in [0, 1] (0 = best quality).

    - FLAC: compression level 0..8 (sox's scale; default 5 in libsndfile's terms).
    - MP3: bit rate in kbit/s (sox's scale), constant bit rate; e.g. 128 or 320.
    - OGG/Vorbis: quality -1..10 (sox's scale; 10 is best).
    - Opus: a libsndfile compression level in [0, 1].
    A :class:`~torchsound.io.CodecConfig` gives ``compression_level`` / ``bit_rate`` in FFmpeg's terms.
    """
    if compression is None:
        return {}
    bit_rate = level = None
    if hasattr(compression, "bit_rate"):  # CodecConfig
        bit_rate = compression.bit_rate / 1000 if compression.bit_rate > 0 else None
        level = compression.compression_level if compression.compression_level >= 0 else None
        if bit_rate is None and level is None:
            return {}
    elif isinstance(compression, bool) or not isinstance(compression, (int, float)):
        raise TypeError(f"save: compression must be a number or CodecConfig, got {type(compression).__name__}")
    elif format == "mp3":
        bit_rate = float(compression)
    else:
        level = float(compression)
    if format == "flac":
        if bit_rate is not None and level is None:
            raise ValueError("save: FLAC is lossless; give a compression level 0..8, not a bit rate")
        if not 0 <= level <= 8:
            raise ValueError(f"save: FLAC compression must be in [0, 8], got {level}")
        return {"compression_level": level / 8}
    if format == "mp3":
        if bit_rate is None:
            raise ValueError("save: MP3 compression is a bit rate in kbit/s (e.g. 128)")
        low, high = _mp3_bit_rates(sample_rate)
        if not low <= bit_rate <= high:
            raise ValueError(f"save: MP3 bit rate at {sample_rate} Hz must be in [{low}, {high}] kbit/s, got {bit_rate}")
        # libsndfile maps level c to high - (high - low) c kbit/s, snapped to the nearest MPEG bit rate.
        return {"compression_level": min((high - bit_rate) / (high - low), 0.99), "bitrate_mode": "CONSTANT"}
    if format in ("ogg", "vorbis"):
        if level is None or not -1 <= level <= 10:
            raise ValueError(f"save: Vorbis compression is a quality in [-1, 10], got {compression!r}")
        return {"compression_level": (10 - level) / 11}
    if format == "opus":
        if level is None or not 0 <= level <= 1:
            raise ValueError(f"save: Opus compression is a level in [0, 1], got {compression!r}")
        return {"compression_level": level}
    raise ValueError(f"save: compression is not supported for format {format!r}")
