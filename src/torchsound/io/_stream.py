"""``StreamReader``, ``StreamWriter`` and ``CodecConfig``: the audio parts of torchaudio 2.8's streaming API.

Decoding runs on libsndfile (WAV, FLAC, OGG/Vorbis, AIFF, ...) or on FFmpeg through PyAV (MP3,
Opus, AAC/M4A and anything else FFmpeg demuxes; PyAV is the extra ``torchsound[ffmpeg]``).
Sample-rate and channel conversion, and ``filter_desc``, run as FFmpeg filter graphs (PyAV), so
they stream with state carried across chunks, as in torchaudio. Memory is bounded by the chunk
size: each output stream keeps at most ``frames_per_chunk * buffer_chunk_size`` frames, dropping
the oldest (as torchaudio does), and sources are read a block at a time.

Chunks are ``(frames, channels)`` tensors, as in torchaudio, with a ``pts`` attribute: the time in
seconds of their first frame.
"""

from __future__ import annotations

import importlib.util
import os
from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch

from .._internal.optional import require
from ._ffmpeg import _reason
from ._source import AudioFileError, Source, atomic_output, sniff_format

_BLOCK = 4096  # frames read from libsndfile per packet

# torchaudio's audio sample formats -> output dtype.
_FORMAT_DTYPES = {"u8": torch.uint8, "s16": torch.int16, "s32": torch.int32, "s64": torch.int64,
                  "flt": torch.float32, "dbl": torch.float64}


@dataclass
class CodecConfig:
    """Encoder settings (torchaudio 2.8): ``bit_rate`` in bit/s, ``compression_level``, ``qscale``,
    ``gop_size`` and ``max_b_frames`` (video only; accepted and ignored for audio). ``-1``: encoder default."""

    bit_rate: int = -1
    compression_level: int = -1
    qscale: Optional[int] = None
    gop_size: int = -1
    max_b_frames: int = -1


@dataclass
class SourceStream:
    """A source stream (video, subtitles, data); audio streams are :class:`SourceAudioStream`, which adds rate and channels."""

    media_type: str
    codec: str
    codec_long_name: str
    format: Optional[str]
    bit_rate: Optional[int]
    num_frames: Optional[int]
    bits_per_sample: Optional[int]
    metadata: Dict[str, str]


@dataclass
class SourceAudioStream(SourceStream):
    """A source audio stream, as :meth:`StreamReader.get_src_stream_info` reports it."""

    sample_rate: float
    num_channels: int


@dataclass
class OutputAudioStream:
    """An output stream configured on a :class:`StreamReader`."""

    source_index: int
    filter_description: str
    media_type: str
    format: str
    sample_rate: float
    num_channels: int


def _av():
    return require("av", "streaming with FFmpeg")


def _frame_array(frame) -> np.ndarray:
    """An FFmpeg audio frame as a (time, channel) array of its own sample type."""
    data = frame.to_ndarray()
    return data.T if frame.format.is_planar else data.reshape(-1, frame.layout.nb_channels)


def _sample_format(dtype: np.dtype) -> str:
    return {np.dtype(np.uint8): "u8", np.dtype(np.int16): "s16", np.dtype(np.int32): "s32",
            np.dtype(np.int64): "s64", np.dtype(np.float32): "flt", np.dtype(np.float64): "dbl"}[np.dtype(dtype)]


def convert_format(chunk: np.ndarray, fmt: Optional[str]) -> np.ndarray:
    """Convert (time, channel) samples to the sample format ``fmt`` ("fltp", "s16p", ...; None keeps them).

    Integers are full scale for their width; float -> integer rounds half to even and clips.
    """
    if fmt is None:
        return chunk
    target = fmt[:-1] if fmt.endswith("p") and fmt[:-1] in _FORMAT_DTYPES else fmt
    if target not in _FORMAT_DTYPES:
        raise ValueError(f"format must be one of u8, s16, s32, s64, flt, dbl (planar 'p' allowed), got {fmt!r}")
    source = _sample_format(chunk.dtype)
    if source == target:
        return chunk
    if target in ("flt", "dbl"):
        # int -> float rounds once (exact for 8/16 bits); the power-of-two scaling is exact
        out = chunk.astype(np.float32 if target == "flt" else np.float64)
        if source in ("flt", "dbl"):
            return out
        if source == "u8":
            out -= 128
        out *= out.dtype.type(2.0 ** -(8 * chunk.dtype.itemsize - 1))
        return out
    tensor = torch.from_numpy(np.ascontiguousarray(chunk))
    from ._wav import pcm_integers

    bits = {"u8": 8, "s16": 16, "s32": 32, "s64": 64}[target]
    if bits == 64:
        wide = pcm_integers(tensor, 32).to(torch.int64) << 32
        return wide.numpy()
    ints = pcm_integers(tensor, bits)
    return ((ints + 128).to(torch.uint8) if bits == 8 else ints).numpy()


# ----------------------------------------------------------------------------- decoders
#
# Every decoder describes its streams as FFmpeg does (codec names, decoded sample formats, nb_frames),
# hands out (time, channel) blocks in the decoded sample format, and turns any failure while
# decoding into an AudioFileError naming the file and the position reached.

# libsndfile subtype -> (FFmpeg codec in WAV-like containers, FFmpeg's decoded sample format)
_SND_PCM = {"PCM_S8": ("pcm_s8", "u8"), "PCM_U8": ("pcm_u8", "u8"), "PCM_16": ("pcm_s16{e}", "s16"),
            "PCM_24": ("pcm_s24{e}", "s32"), "PCM_32": ("pcm_s32{e}", "s32"), "FLOAT": ("pcm_f32{e}", "flt"),
            "DOUBLE": ("pcm_f64{e}", "dbl"), "ULAW": ("pcm_mulaw", "s16"), "ALAW": ("pcm_alaw", "s16")}
# numpy dtype libsndfile reads for FFmpeg's sample format (FFmpeg's integers are left-aligned, as libsndfile's)
_READ_DTYPE = {"u8": "int16", "s16": "int16", "s32": "int32", "flt": "float32", "fltp": "float32", "dbl": "float64"}


def _failure(src: Source, position: int, rate: float, err: BaseException) -> AudioFileError:
    """An error raised while decoding, as an AudioFileError naming the file and where decoding stopped."""
    reason = _reason(err)
    if isinstance(err, AudioFileError) and reason.startswith(f"{src.name}: "):
        reason = reason[len(src.name) + 2:]
    where = f"frame {position} ({position / rate:.3f} s)" if rate else f"frame {position}"
    return src.error(f"decoding failed at {where}: {reason}")


class _WavDecoder:
    """Native WAV source (the parser ``load`` uses): one stream in its own sample format, u8 as uint8."""

    def __init__(self, src: Source, header):
        from . import _wav

        self._src, self._hdr, self._pos = src, header, 0
        # A path or buffer is mapped once (pages are read as blocks are taken); a file object is read a block at a time.
        self._mapped = None if src.path is None and src.buffer is None else _wav.read_frames(src, header, 0, -1)
        h = header
        codec = {"ulaw": "pcm_mulaw", "alaw": "pcm_alaw"}.get(h.kind) or (
            "pcm_u8" if h.sample_bytes == 1 else f"pcm_{'f' if h.kind == 'float' else 's'}{8 * h.sample_bytes}le")
        fmt = {1: "u8", 2: "s16", 3: "s32", 4: "s32"}[h.sample_bytes] if h.kind == "pcm" else (
            {4: "flt", 8: "dbl"}[h.sample_bytes] if h.kind == "float" else "s16")
        self.streams = [SourceAudioStream("audio", codec, _codec_long_name(codec), fmt,
                                          h.sample_rate * h.block_align * 8, 0, 8 * h.sample_bytes, {},
                                          float(h.sample_rate), h.num_channels)]
        self.metadata: Dict[str, str] = {}
        self.best_audio = 0

    def read(self, stream_index: int) -> Optional[np.ndarray]:
        from . import _wav

        count = min(_BLOCK, self._hdr.num_frames - self._pos)
        if count <= 0:
            return None
        try:
            if self._mapped is not None:
                raw = self._mapped[self._pos : self._pos + count]
            else:
                raw = _wav.read_frames(self._src, self._hdr, self._pos, count)
            block = _wav.to_tensor(raw, self._hdr, False, False).numpy()
            if len(block) < count:
                raise EOFError(f"the file ended {count - len(block)} frames early")
        except Exception as err:  # noqa: BLE001 - any failure of the source is a decoding failure
            raise _failure(self._src, self._pos, self._hdr.sample_rate, err) from err
        self._pos += count
        return np.array(block)  # own the memory (not a view of a memory map)

    def seek(self, frame: int, mode: str) -> int:
        self._pos = min(frame, self._hdr.num_frames)
        return self._pos

    def close(self) -> None:
        self._mapped = None  # unmaps the file


def _codec_long_name(codec: str) -> str:
    try:
        return _av().codec.Codec(codec, "r").long_name
    except Exception:  # noqa: BLE001 - PyAV missing: the short name says it
        return codec


class _SndDecoder:
    """libsndfile source (FLAC, OGG/Vorbis, AIFF, MP3 without PyAV...): one stream, read a block at a time in its
    own precision, with the same length rules as ``load`` (MP3: the exact length from its headers)."""

    def __init__(self, src: Source):
        from . import _soundfile

        self._src = src
        self._f = self._open()
        f = self._f
        # libsndfile's MP3 decoder garbles samples after a seek and its Ogg seek can crash on damaged files:
        # those are decoded from the start without seeking, as load does.
        self._sequential = f.format in ("MP3", "OGG")
        endian = "be" if f.format in ("AIFF", "CAF") else "le"
        if f.format == "FLAC":  # FFmpeg decodes 8/16-bit FLAC to s16, deeper to s32
            codec, fmt = "flac", "s16" if f.subtype in ("PCM_S8", "PCM_16") else "s32"
        elif f.subtype in ("VORBIS", "OPUS", "MPEG_LAYER_III", "MPEG_LAYER_II", "MPEG_LAYER_I"):
            codec = {"VORBIS": "vorbis", "OPUS": "opus", "MPEG_LAYER_III": "mp3", "MPEG_LAYER_II": "mp2"}.get(f.subtype, "mp1")
            fmt = "fltp"
        elif f.subtype in _SND_PCM:
            codec, fmt = _SND_PCM[f.subtype]
            codec = codec.format(e=endian)
        else:
            codec, fmt = f.subtype.lower(), "flt"
        self.dtype = _READ_DTYPE[fmt]
        self._u8 = fmt == "u8"
        # The frames the file promises (None: only decoding tells, e.g. a damaged MP3), shared with load.
        self.is_mp3 = f.format == "MP3"
        self.length: Optional[int] = _soundfile.mp3_frames(src, f) if self.is_mp3 else f.frames
        encoding, bits = _soundfile._describe(f)
        nb_frames = f.frames if f.format == "AIFF" else 0  # what FFmpeg's demuxers store (AIFF's COMM chunk has it)
        self.streams = [SourceAudioStream("audio", codec, _codec_long_name(codec), fmt, 0, nb_frames,
                                          bits, {}, float(f.samplerate), f.channels)]
        self.sample_rate, self.channels = f.samplerate, f.channels
        self.metadata = {k: v for k, v in f.copy_metadata().items() if v} if hasattr(f, "copy_metadata") else {}
        self.best_audio = 0
        self._pos = 0

    def _open(self):
        """libsndfile on the source; a file object is guarded, since libsndfile's callbacks swallow its errors."""
        import soundfile

        target = self._src.for_library()
        self._guard = None if isinstance(target, str) else _GuardedFile(target)
        try:
            f = soundfile.SoundFile(target if self._guard is None else self._guard, "r")
        except Exception as err:  # noqa: BLE001 - libsndfile, cffi and file-object errors alike
            cause = self._guard.error if self._guard is not None and self._guard.error is not None else err
            raise self._src.error(f"cannot decode as audio ({_reason(cause)})") from None
        if self._guard is not None and self._guard.error is not None:
            f.close()
            raise self._src.error(f"cannot decode as audio ({_reason(self._guard.error)})")
        return f

    def _readf(self, count: int) -> np.ndarray:
        """Up to ``count`` frames straight from libsndfile's sf_readf_* (soundfile's read seeks on every call)."""
        import soundfile

        ctype = {"float32": "float", "float64": "double", "int16": "short", "int32": "int"}[self.dtype]
        out = np.empty((count, self.channels), self.dtype)
        try:
            got = getattr(soundfile._snd, f"sf_readf_{ctype}")(self._f._file, soundfile._ffi.cast(ctype + "*", out.ctypes.data), count)
            failed = soundfile._snd.sf_error(self._f._file)
        finally:
            if self._guard is not None and self._guard.error is not None:  # the cause, not libsndfile's echo of it
                raise self._guard.error
        if failed:
            raise RuntimeError(soundfile._ffi.string(soundfile._snd.sf_strerror(self._f._file)).decode(errors="replace"))
        return out[:max(got, 0)]

    def read(self, stream_index: int) -> Optional[np.ndarray]:
        count = _BLOCK if self.length is None or not self._sequential else min(_BLOCK, self.length - self._pos)
        try:
            block = self._readf(count) if count > 0 else np.zeros((0, self.channels), self.dtype)
        except Exception as err:  # noqa: BLE001 - libsndfile and file-object errors alike
            raise _failure(self._src, self._pos, self.sample_rate, err) from err
        if not len(block):
            if self.length is not None and self.length > self._pos:
                raise _failure(self._src, self._pos, self.sample_rate, EOFError(
                    f"the header promises {self.length} frames (truncated or corrupt file)"))
            return None
        self._pos += len(block)
        if self._u8:  # libsndfile has no uint8 output: 8-bit PCM comes as the top byte of int16
            block = ((block >> 8) + 128).astype(np.uint8)
        return block

    def seek(self, frame: int, mode: str) -> int:
        frame = frame if self.length is None else min(frame, self.length)
        if self._sequential:  # reopen, decode and skip
            self._f.close()
            self._f, self._pos = self._open(), 0
            while self._pos < frame:
                try:
                    skipped = len(self._readf(min(_BLOCK, frame - self._pos)))
                except Exception as err:  # noqa: BLE001
                    raise _failure(self._src, self._pos, self.sample_rate, err) from err
                if not skipped:
                    break
                self._pos += skipped
            return self._pos
        try:
            self._f.seek(frame)
        except Exception as err:  # noqa: BLE001
            raise _failure(self._src, frame, self.sample_rate, err) from err
        self._pos = frame
        return frame

    def close(self) -> None:
        self._f.close()


class _GuardedFile:
    """A caller's file object handed to libsndfile, remembering the first error it raised (libsndfile's
    callbacks would only print it and see an early end of file)."""

    def __init__(self, f):
        self._f, self.error = f, None

    def _guarded(self, fn, *args, fallback):
        if self.error is None:
            try:
                return fn(*args)
            except Exception as err:  # noqa: BLE001 - reported by the decoder after libsndfile returns
                self.error = err
        return fallback

    def read(self, n=-1):
        return self._guarded(self._f.read, n, fallback=b"")

    def readinto(self, buffer):
        if not hasattr(self._f, "readinto"):
            data = self.read(len(buffer))
            buffer[: len(data)] = data
            return len(data)
        return self._guarded(self._f.readinto, buffer, fallback=0)

    def seek(self, offset, whence=0):
        return self._guarded(self._f.seek, offset, whence, fallback=-1)

    def tell(self):
        return self._guarded(self._f.tell, fallback=-1)


class _AVDecoder:
    """FFmpeg source through PyAV: every stream of the container, audio decoded frame by frame."""

    def __init__(self, src: Source, format: Optional[str], option: Optional[Dict[str, str]]):
        self._src = src
        self._format, self._option = format, option
        self._decoders: Dict[int, Tuple[Optional[str], Optional[Dict[str, str]]]] = {}
        self._open()
        try:
            self.streams = [self._describe(s) for s in self._container.streams]
            best = self._container.streams.best("audio")  # FFmpeg's av_find_best_stream, as torchaudio
            self.best_audio = None if best is None else best.index
            self.metadata = dict(self._container.metadata)
        except Exception as err:  # noqa: BLE001
            self._container.close()
            raise src.error(f"cannot read the stream descriptions ({_reason(err)})") from None

    def _open(self) -> None:
        av = _av()
        self._src.rewind()
        try:
            from ._ffmpeg import _demuxer

            self._container = av.open(self._src.for_library(), "r", format=_demuxer(self._format), options=self._option or {})
        except AudioFileError:
            raise
        except Exception as err:  # noqa: BLE001 - FFmpeg, file-object and option errors alike
            raise self._src.error(f"cannot open with FFmpeg ({_reason(err)})") from None
        self._iters: Dict[int, Iterator] = {}
        self._skip: Dict[int, int] = {}
        self._pos: Dict[int, int] = {}

    @staticmethod
    def _describe(s):
        ctx = s.codec_context
        if s.type == "audio" and ctx is not None:
            fmt = ctx.format.name if ctx.format else None
            bits = {"u8": 8, "s16": 16, "s32": 32, "flt": 32, "dbl": 64}.get((fmt or "").rstrip("p"), 0)
            return SourceAudioStream("audio", ctx.codec.canonical_name, ctx.codec.long_name, fmt,
                                     s.bit_rate or ctx.bit_rate or 0, s.frames or 0,
                                     bits if ctx.name.startswith("pcm_") else 0, dict(s.metadata),
                                     float(ctx.sample_rate), ctx.layout.nb_channels)
        # a stream FFmpeg has no decoder for (or not audio): described, but not decodable
        return SourceStream(s.type or "", ctx.codec.canonical_name if ctx else "", ctx.codec.long_name if ctx else "",
                            None, None, None, None, dict(s.metadata))

    def set_decoder(self, index: int, decoder: Optional[str], option: Optional[Dict[str, str]]) -> None:
        av = _av()
        stream = self._container.streams[index]
        name = decoder or stream.codec_context.name
        try:
            ctx = av.codec.CodecContext.create(name, "r")
        except Exception as err:  # noqa: BLE001
            raise ValueError(f"decoder: FFmpeg has no decoder {name!r} ({_reason(err)})") from None
        known = {o.name for o in ctx.supported_options.generic} | {o.name for o in ctx.supported_options.private}
        unknown = sorted(set(option or {}) - known)
        if unknown:
            raise DecoderOptionError(f"decoder_option: unknown option(s) {unknown} for decoder {name!r}")
        self._decoders[index] = (decoder, option)

    def _frames(self, index: int) -> Iterator:
        av = _av()
        stream = self._container.streams[index]
        decoder, option = self._decoders.get(index, (None, None))
        if decoder is not None or option:
            ctx = av.codec.CodecContext.create(decoder or stream.codec_context.name, "r")
            ctx.extradata = stream.codec_context.extradata
            ctx.sample_rate, ctx.layout = stream.codec_context.sample_rate, stream.codec_context.layout
            ctx.options = dict(option or {})
            for packet in self._container.demux(stream):
                for frame in ctx.decode(packet if packet.size else None):
                    yield frame
            return
        yield from self._container.decode(stream)

    def read(self, index: int) -> Optional[np.ndarray]:
        if index not in self._iters:
            self._iters[index] = self._frames(index)
        position = self._pos.get(index, 0)
        try:
            while True:
                frame = next(self._iters[index], None)
                if frame is None:
                    self._check_complete(index)
                    return None
                block = _frame_array(frame)
                if block.shape[1] != self.streams[index].num_channels:  # the buffers and filters are set up for one layout
                    raise ValueError(f"the stream changes from {self.streams[index].num_channels} to {block.shape[1]} "
                                     "channels (unsupported)")
                skip = self._skip.get(index, 0)
                if skip:  # precise seek: drop samples before the target
                    self._skip[index] = max(skip - len(block), 0)
                    block = block[skip:]
                    if not len(block):
                        continue
                self._pos[index] = position + len(block)
                return block
        except Exception as err:  # noqa: BLE001 - FFmpeg, numpy and file-object errors alike
            raise _failure(self._src, position, getattr(self.streams[index], "sample_rate", 0), err) from err

    def _check_complete(self, index: int) -> None:
        # FFmpeg ends quietly where an MP3 is cut; its Xing/Info tag tells (as load checks it).
        if self.streams[index].codec in ("mp3", "mp2") and self._src.size:
            from . import _mp3

            expected = _mp3.tag_stream_bytes(self._src)
            if expected is not None and expected > self._src.size:
                raise EOFError(f"the MP3 tag says the stream has {expected} bytes but the file holds only "
                               f"{self._src.size} (truncated file)")

    def seek(self, frame: int, mode: str, index: int) -> int:
        # Exact positions come from counting decoded samples from the start: FFmpeg's seek lands on
        # packet boundaries and codecs with priming (MP3, AAC, Opus) make timestamps approximate.
        self._container.close()
        self._open()
        if mode == "precise":
            self._skip = {index: frame}
        elif frame:  # "key"/"any": start at the packet FFmpeg's seek finds before the target
            stream = self._container.streams[index]
            seconds = frame / stream.codec_context.sample_rate
            self._container.seek(int(seconds / stream.time_base), stream=stream, backward=True, any_frame=mode == "any")
        self._pos = {index: frame}
        return frame

    def close(self) -> None:
        self._container.close()


class DecoderOptionError(ValueError, RuntimeError):
    """An unknown decoder option (a ValueError, and a RuntimeError as torchaudio raised it)."""


def _pick_decoder(src: Source, format: Optional[str], option) -> object:
    """The decoder load uses for the format: WAV the native parser; FLAC/Ogg/AIFF/MP3 libsndfile; the rest,
    options and format hints FFmpeg."""
    import importlib.util

    has_av = importlib.util.find_spec("av") is not None
    kind = sniff_format(src.head(80))
    hinted = (format or "").lower() or None
    if option or (hinted and hinted != kind and hinted not in ("wav", "flac", "ogg", "vorbis", "aiff")):
        if not has_av:
            require("av", f"reading {src.name} with format/option")
        return _AVDecoder(src, format, option)
    if kind == "wav":
        from . import _wav

        try:
            return _WavDecoder(src, _wav.read_header(src))
        except _wav.Unsupported:  # ADPCM, GSM, ...: FFmpeg decodes those
            pass
    if has_av and kind in ("opus", "mp4"):  # as load: libsndfile ignores Opus pre-skip, and has no MP4
        return _AVDecoder(src, format, option)
    if kind in ("wav", "flac", "ogg", "aiff", "mp3") or not has_av:
        try:
            decoder = _SndDecoder(src)
        except AudioFileError:
            if not has_av:
                raise
            src.rewind()  # e.g. FLAC in Ogg, which libsndfile does not read
        else:
            if not (has_av and decoder.is_mp3 and decoder.length is None):
                return decoder
            # A damaged MP3 (its headers don't give its length): FFmpeg decodes past the damage where
            # libsndfile stops short, and load makes the same choice.
            decoder.close()
            src.rewind()
    return _AVDecoder(src, format, option)


# ----------------------------------------------------------------------------- filters

class _FilterGraph:
    """An FFmpeg audio filter chain (PyAV) fed with (time, channel) arrays; state carries across calls."""

    def __init__(self, desc: str, sample_rate: int, channels: int, sample_fmt: str):
        av = _av()
        import av.filter  # noqa: F811 - the submodule, on the module require() returned

        self.rate = sample_rate
        self._graph = av.filter.Graph()
        layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
        self._layout = layout
        nodes = [self._graph.add_abuffer(format=sample_fmt, sample_rate=sample_rate, layout=layout,
                                         time_base=Fraction(1, sample_rate))]
        for part in _split_filters(desc):
            name, _, args = part.partition("=")
            try:
                nodes.append(self._graph.add(name.strip(), args or None))
            except (av.error.FFmpegError, ValueError, KeyError) as err:
                raise ValueError(f"filter_desc: cannot create filter {part!r} ({err})") from None
        nodes.append(self._graph.add("abuffersink"))
        for a, b in zip(nodes, nodes[1:]):
            a.link_to(b)
        try:
            self._graph.configure()
        except av.error.FFmpegError as err:
            raise ValueError(f"filter_desc: {desc!r} does not configure ({err})") from None
        self._fmt, self._pts = sample_fmt, 0

    def push(self, chunk: Optional[np.ndarray]) -> List[np.ndarray]:
        av = _av()
        if chunk is None:
            self._graph.push(None)
        else:
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk).reshape(1, -1), format=self._fmt,
                                               layout=self._layout)
            frame.sample_rate, frame.pts, frame.time_base = self.rate, self._pts, Fraction(1, self.rate)
            self._pts += len(chunk)
            self._graph.push(frame)
        out = []
        while True:
            try:
                frame = self._graph.pull()
            except (BlockingIOError, av.error.EOFError):
                return out
            out.append(_frame_array(frame))
            self.out_rate = frame.sample_rate


def _split_filters(desc: str) -> List[str]:
    """Split an FFmpeg filter chain at top-level commas (not inside quotes or brackets)."""
    parts, depth, quote, current = [], 0, None, ""
    for ch in desc:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _basic_filter(sample_rate: Optional[int], num_channels: Optional[int], fmt: Optional[str] = None) -> Optional[str]:
    """torchaudio's filter chain for add_basic_audio_stream (None when nothing needs FFmpeg).

    The sample format goes into the same ``aformat`` as the channel layout, as in torchaudio: FFmpeg
    normalizes its down-mix matrix for integer output but not for float output.
    """
    if sample_rate is None and num_channels is None:
        return None
    parts = [f"aresample={int(sample_rate)}"] if sample_rate is not None else []
    fields = [f"sample_fmts={fmt}"] if fmt is not None else []
    if num_channels is not None:
        fields.append(f"channel_layouts={int(num_channels)}c")
    if fields:
        parts.append("aformat=" + ":".join(fields))
    return ",".join(parts)


# ----------------------------------------------------------------------------- reader

@dataclass
class _Output:
    source_index: int
    frames_per_chunk: int
    buffer_chunk_size: int
    fmt: Optional[str]
    filter_desc: Optional[str]
    graph: Optional[_FilterGraph]
    sample_rate: float
    num_channels: int
    buffer: deque = field(default_factory=deque)
    buffered: int = 0
    position: int = 0  # output frames before the first buffered one (for pts)
    eof: bool = False

    def append(self, block: np.ndarray) -> None:
        if not len(block):
            return
        self.buffer.append(block)
        self.buffered += len(block)
        if self.frames_per_chunk > 0 and self.buffer_chunk_size > 0:
            # Keep frames_per_chunk * buffer_chunk_size frames; a decoded block larger than that is
            # kept whole with the partial chunk before it, so that stream() never loses frames.
            keep = max(self.frames_per_chunk * self.buffer_chunk_size, len(block) + self.frames_per_chunk - 1)
            self._drop(self.buffered - keep)

    def _drop(self, excess: int) -> None:
        while excess > 0 and self.buffer:  # oldest frames go first, as in torchaudio
            head = self.buffer[0]
            if len(head) <= excess:
                self.buffer.popleft()
                n = len(head)
            else:
                self.buffer[0] = head[excess:]
                n = excess
            self.buffered -= n
            self.position += n
            excess -= n

    def take(self, n: int) -> np.ndarray:
        parts, need = [], n
        while need > 0 and self.buffer:
            head = self.buffer[0]
            if len(head) <= need:
                parts.append(self.buffer.popleft())
                need -= len(head)
            else:
                parts.append(head[:need])
                self.buffer[0] = head[need:]
                need = 0
        taken = n - need
        self.buffered -= taken
        return np.concatenate(parts) if len(parts) != 1 else parts[0]


class StreamReader:
    """Decode audio chunk by chunk, with torchaudio 2.8's ``StreamReader`` interface (audio only).

    Args:
        src: path, ``pathlib.Path``, ``http(s)://`` URL (streamed by FFmpeg as it arrives), bytes, or binary
            file-like object.
        format: input format hint (FFmpeg demuxer name, e.g. ``"mp3"``, ``"wav"``).
        option: FFmpeg demuxer options (uses the FFmpeg backend).
        buffer_size: accepted for compatibility.

    Shape:
        Each chunk is ``(frames, channels)``: ``frames_per_chunk`` frames (fewer for the last).
    """

    def __init__(self, src, format: Optional[str] = None, option: Optional[Dict[str, str]] = None, buffer_size: int = 4096):
        self.src = src
        from ._url import UrlSource, is_url

        if is_url(src) and importlib.util.find_spec("av") is not None:  # FFmpeg streams it as it arrives
            self._source = UrlSource(src)
            option = self._source.ffmpeg_options(option)
        else:
            self._source = Source(src)
        self._format, self._option = format, option
        self._dec = _pick_decoder(self._source, format, option)
        self._outputs: List[_Output] = []
        self._eof = False

    # --- description
    @property
    def num_src_streams(self) -> int:
        return len(self._dec.streams)

    @property
    def num_out_streams(self) -> int:
        return len(self._outputs)

    @property
    def default_audio_stream(self) -> Optional[int]:
        return self._dec.best_audio

    @property
    def default_video_stream(self) -> Optional[int]:
        return next((i for i, s in enumerate(self._dec.streams) if s.media_type == "video"), None)

    def get_metadata(self) -> Dict[str, str]:
        return dict(self._dec.metadata)

    def get_src_stream_info(self, i: int):
        if not 0 <= i < len(self._dec.streams):
            raise IndexError(f"get_src_stream_info: stream index {i} out of range (0..{len(self._dec.streams) - 1})")
        return self._dec.streams[i]

    def get_out_stream_info(self, i: int) -> OutputAudioStream:
        out = self._output(i)
        fmt = out.fmt or self._dec.streams[out.source_index].format
        return OutputAudioStream(out.source_index, out.filter_desc or "anull", "audio", fmt, out.sample_rate, out.num_channels)

    # --- configuration
    def add_basic_audio_stream(self, frames_per_chunk: int, buffer_chunk_size: int = 3, *, stream_index: Optional[int] = None,
                               decoder: Optional[str] = None, decoder_option: Optional[Dict[str, str]] = None,
                               format: Optional[str] = "fltp", sample_rate: Optional[int] = None,
                               num_channels: Optional[int] = None) -> None:
        """Add an output stream with optional sample format, sample rate and channel count conversion."""
        self._add(frames_per_chunk, buffer_chunk_size, stream_index, decoder, decoder_option,
                  _basic_filter(sample_rate, num_channels, format), format)

    def add_audio_stream(self, frames_per_chunk: int, buffer_chunk_size: int = 3, *, stream_index: Optional[int] = None,
                         decoder: Optional[str] = None, decoder_option: Optional[Dict[str, str]] = None,
                         filter_desc: Optional[str] = None) -> None:
        """Add an output stream processed by the FFmpeg filter chain ``filter_desc`` (e.g. ``"aresample=8000"``)."""
        self._add(frames_per_chunk, buffer_chunk_size, stream_index, decoder, decoder_option, filter_desc, None)

    def _add(self, frames_per_chunk, buffer_chunk_size, stream_index, decoder, decoder_option, filter_desc, fmt) -> None:
        if isinstance(frames_per_chunk, bool) or not isinstance(frames_per_chunk, int) or not (frames_per_chunk > 0 or frames_per_chunk == -1):
            raise ValueError(f"frames_per_chunk must be a positive int or -1, got {frames_per_chunk!r}")
        if isinstance(buffer_chunk_size, bool) or not isinstance(buffer_chunk_size, int) or not (buffer_chunk_size > 0 or buffer_chunk_size == -1):
            raise ValueError(f"buffer_chunk_size must be a positive int or -1, got {buffer_chunk_size!r}")
        index = self.default_audio_stream if stream_index is None else stream_index
        if index is None:
            raise self._source.error("there is no audio stream")
        info = self.get_src_stream_info(index)
        if info.media_type != "audio":
            raise ValueError(f"stream_index {index} is a {info.media_type} stream, not audio")
        if not isinstance(info, SourceAudioStream):
            raise self._source.error(f"FFmpeg has no decoder for audio stream {index} (codec {info.codec or 'unknown'!r})")
        if fmt is not None:
            convert_format(np.zeros((0, 1), np.float32), fmt)  # validates the name
        if decoder is not None or decoder_option:
            if not isinstance(self._dec, _AVDecoder):  # decoder choice is FFmpeg's: reopen the source with it
                if self._outputs:
                    raise ValueError("decoder/decoder_option: give them on the first output stream of this source "
                                     "(it is decoded without FFmpeg so far)")
                self._dec.close()
                self._dec = _AVDecoder(self._source, self._format, self._option)
            self._dec.set_decoder(index, decoder, decoder_option)
        graph, rate, channels = None, info.sample_rate, info.num_channels
        if filter_desc:
            graph = _FilterGraph(filter_desc, int(info.sample_rate), info.num_channels, _graph_format(info))
            rate, channels = self._probe_graph(filter_desc, info)
        self._outputs.append(_Output(index, frames_per_chunk, buffer_chunk_size, fmt, filter_desc, graph, rate, channels))

    @staticmethod
    def _probe_graph(desc: str, info) -> Tuple[float, int]:
        """Output rate and channels of a filter chain, from pushing a short test signal through a copy."""
        probe = _FilterGraph(desc, int(info.sample_rate), info.num_channels, "flt")
        blocks = probe.push(np.zeros((4096, info.num_channels), np.float32)) + probe.push(None)
        if not blocks:
            return info.sample_rate, info.num_channels
        return float(probe.out_rate), blocks[0].shape[1]

    def remove_stream(self, i: int) -> None:
        self._output(i)
        del self._outputs[i]

    def _output(self, i: int) -> _Output:
        if not 0 <= i < len(self._outputs):
            raise IndexError(f"output stream index {i} out of range ({len(self._outputs)} configured)")
        return self._outputs[i]

    # --- decoding
    def seek(self, timestamp: float, mode: str = "precise") -> None:
        """Go to ``timestamp`` seconds. ``"precise"`` is sample-exact; ``"key"``/``"any"`` start at a nearby packet."""
        if mode not in ("key", "any", "precise"):
            raise ValueError(f"seek: mode must be one of 'key', 'any', 'precise'; got {mode!r}")
        if timestamp < 0:
            raise ValueError(f"seek: timestamp must be >= 0, got {timestamp}")
        index = self.default_audio_stream if not self._outputs else self._outputs[0].source_index
        rate = self._dec.streams[index].sample_rate
        frame = int(round(timestamp * rate))
        if isinstance(self._dec, _AVDecoder):
            self._dec.seek(frame, mode, index)
        else:
            frame = self._dec.seek(frame, mode)
        self._eof = False
        for out in self._outputs:
            out.buffer.clear()
            out.buffered, out.eof = 0, False
            out.position = int(round(frame * out.sample_rate / rate))
            if out.filter_desc:
                info = self._dec.streams[out.source_index]
                out.graph = _FilterGraph(out.filter_desc, int(info.sample_rate), info.num_channels, _graph_format(info))

    def process_packet(self, timeout: Optional[float] = None, backoff: float = 10.0) -> int:
        """Decode one block of the source into the output buffers. Returns 1 at the end of the stream, else 0."""
        if self._eof:
            return 1
        if not self._outputs:  # as FFmpeg: the packet is read and dropped
            index = self.default_audio_stream
            if index is None or self._dec.read(index) is None:
                self._eof = True
                return 1
            return 0
        progressed = False
        for index in sorted({o.source_index for o in self._outputs}):
            block = self._dec.read(index)
            targets = [o for o in self._outputs if o.source_index == index]
            if block is None:
                for out in targets:
                    if out.graph is not None:
                        out.append(_joined(out.graph.push(None), out.fmt))
                    out.eof = True
                continue
            progressed = True
            for out in targets:
                out.append(_joined(out.graph.push(block), out.fmt) if out.graph is not None else convert_format(block, out.fmt))
        if not progressed:
            self._eof = True
            return 1
        return 0

    def process_all_packets(self) -> None:
        while self.process_packet() == 0:
            pass

    def is_buffer_ready(self) -> bool:
        return all(o.buffered > 0 if o.frames_per_chunk < 0 else o.buffered >= o.frames_per_chunk for o in self._outputs)

    def fill_buffer(self, timeout: Optional[float] = None, backoff: float = 10.0) -> int:
        """Decode until every output stream holds a chunk. Returns 1 at the end of the stream, else 0."""
        while not self.is_buffer_ready():
            if self.process_packet(timeout, backoff):
                return 1
        return 0

    def pop_chunks(self) -> List[Optional[torch.Tensor]]:
        """One chunk from every output stream (None where not enough frames are buffered yet), as a list."""
        chunks = []
        for out in self._outputs:
            if out.buffered == 0 or (out.frames_per_chunk > 0 and out.buffered < out.frames_per_chunk and not out.eof):
                chunks.append(None)
                continue
            n = out.buffered if out.frames_per_chunk < 0 else min(out.frames_per_chunk, out.buffered)
            tensor = torch.from_numpy(np.array(out.take(n)))
            tensor.pts = out.position / out.sample_rate
            out.position += n
            chunks.append(tensor)
        return chunks

    def stream(self, timeout: Optional[float] = None, backoff: float = 10.0) -> Iterator[Tuple[Optional[torch.Tensor], ...]]:
        """Iterate over chunk tuples until the source is exhausted (the last chunks may be shorter)."""
        if not self._outputs:
            raise RuntimeError("stream: no output stream is configured")
        while not self.fill_buffer(timeout, backoff):
            yield self.pop_chunks()
        while True:
            chunks = self.pop_chunks()
            if all(c is None for c in chunks):
                return
            yield chunks

    def close(self) -> None:
        self._dec.close()
        if hasattr(self._source, "close"):
            self._source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _joined(blocks: List[np.ndarray], fmt: Optional[str]) -> np.ndarray:
    """What one decoded block became after a filter graph, as one array in the output format."""
    if not blocks:
        return np.zeros((0, 1), np.float32)
    return convert_format(np.concatenate(blocks) if len(blocks) > 1 else blocks[0], fmt)


def _graph_format(info: SourceAudioStream) -> str:
    """The packed sample format of the blocks a source stream decodes to (what its filter graph takes)."""
    fmt = (info.format or "flt").rstrip("p")
    return fmt if fmt in _FORMAT_DTYPES else "flt"


# ----------------------------------------------------------------------------- writer

@dataclass
class _WriterStream:
    sample_rate: int
    num_channels: int
    format: str
    encoder: Optional[str]
    encoder_option: Optional[Dict[str, str]]
    encoder_format: Optional[str]
    encoder_sample_rate: Optional[int]
    encoder_num_channels: Optional[int]
    codec_config: Optional[CodecConfig]
    filter_desc: Optional[str]


class StreamWriter:
    """Encode audio chunk by chunk, with torchaudio 2.8's ``StreamWriter`` interface (audio only).

    The file appears at ``dst`` when :meth:`close` succeeds (written to a temporary file, then renamed).
    Plain WAV/FLAC/OGG/MP3/AIFF output without encoder options goes through libsndfile; everything
    else through FFmpeg (PyAV).

    Args:
        dst: path or writable binary file-like object.
        format: container format (default: ``dst``'s extension), e.g. ``"wav"``, ``"flac"``, ``"mp3"``, ``"mp4"``.
        buffer_size: accepted for compatibility.

    Shape:
        Chunks given to :meth:`write_audio_chunk` are ``(frames, num_channels)``.
    """

    def __init__(self, dst, format: Optional[str] = None, buffer_size: int = 4096):
        self.dst = dst
        ext = os.path.splitext(os.fspath(dst))[1].lstrip(".").lower() if isinstance(dst, (str, os.PathLike)) else ""
        self._format = (format or ext or "").lower()
        if not self._format:
            raise ValueError("StreamWriter: format is required when dst has no extension")
        self._streams: List[_WriterStream] = []
        self._metadata: Dict[str, str] = {}
        self._sink = None

    def add_audio_stream(self, sample_rate: int, num_channels: int, format: str = "flt", *, encoder: Optional[str] = None,
                         encoder_option: Optional[Dict[str, str]] = None, encoder_format: Optional[str] = None,
                         encoder_sample_rate: Optional[int] = None, encoder_num_channels: Optional[int] = None,
                         codec_config: Optional[CodecConfig] = None, filter_desc: Optional[str] = None) -> None:
        """Add an output audio stream; chunks will be ``(frames, num_channels)`` of dtype ``format``."""
        if self._sink is not None:
            raise RuntimeError("add_audio_stream: the writer is already open")
        if format not in _FORMAT_DTYPES:
            raise ValueError(f"format must be one of {', '.join(_FORMAT_DTYPES)}, got {format!r}")
        if int(sample_rate) <= 0 or int(num_channels) <= 0:
            raise ValueError(f"sample_rate and num_channels must be positive, got {sample_rate} and {num_channels}")
        self._streams.append(_WriterStream(int(sample_rate), int(num_channels), format, encoder, encoder_option,
                                           encoder_format, encoder_sample_rate, encoder_num_channels, codec_config, filter_desc))

    def set_metadata(self, metadata: Dict[str, str]) -> None:
        self._metadata = dict(metadata)

    def open(self, option: Optional[Dict[str, str]] = None) -> "StreamWriter":
        """Open the destination (a temporary file next to it) and the encoders."""
        if self._sink is not None:
            return self
        if not self._streams:
            raise RuntimeError("open: add an audio stream first")
        self._atomic = atomic_output(self.dst)
        f = self._atomic.__enter__()
        try:
            if self._use_soundfile(option):
                self._sink = _SndSink(f, self._format, self._streams[0])
            else:
                self._sink = _AVSink(f, self._format, self._streams, self._metadata, option)
        except BaseException as err:
            self._atomic.__exit__(type(err), err, err.__traceback__)
            self._sink = None
            raise
        return self

    def _use_soundfile(self, option) -> bool:
        import importlib.util

        from . import _soundfile

        s = self._streams[0]
        # libsndfile's own Vorbis encoder (libvorbis) takes any channel count; FFmpeg's takes at most two.
        default_encoder = s.encoder is None or (self._format in ("ogg", "oga", "vorbis") and s.encoder in ("vorbis", "libvorbis"))
        plain = (len(self._streams) == 1 and not option and not self._metadata and default_encoder and not s.encoder_option
                 and s.filter_desc is None and s.encoder_sample_rate in (None, s.sample_rate)
                 and s.encoder_num_channels in (None, s.num_channels) and _soundfile.can_write(self._format)
                 and (s.codec_config is None or self._format in ("flac", "mp3")))
        return plain or importlib.util.find_spec("av") is None

    def write_audio_chunk(self, i: int, chunk: torch.Tensor, pts: Optional[float] = None) -> None:
        """Encode a ``(frames, num_channels)`` chunk of the dtype declared for stream ``i``."""
        if self._sink is None:
            raise RuntimeError("write_audio_chunk: call open() first (or use the writer as a context manager)")
        if not 0 <= i < len(self._streams):
            raise IndexError(f"write_audio_chunk: stream index {i} out of range")
        s = self._streams[i]
        if not isinstance(chunk, torch.Tensor) or chunk.dim() != 2 or chunk.shape[1] != s.num_channels:
            raise ValueError(f"write_audio_chunk: chunk must be a (frames, {s.num_channels}) tensor, "
                             f"got {tuple(chunk.shape) if isinstance(chunk, torch.Tensor) else type(chunk).__name__}")
        if chunk.dtype != _FORMAT_DTYPES[s.format]:
            raise ValueError(f"write_audio_chunk: stream {i} takes {_FORMAT_DTYPES[s.format]} ('{s.format}'), got {chunk.dtype}")
        self._sink.write(i, chunk.detach().cpu())

    def flush(self) -> None:
        if self._sink is not None:
            self._sink.flush()

    def close(self) -> None:
        """Finish encoding and move the file into place."""
        if self._sink is None:
            return
        sink, self._sink = self._sink, None
        try:
            sink.close()
        except BaseException as err:
            self._atomic.__exit__(type(err), err, err.__traceback__)
            raise
        self._atomic.__exit__(None, None, None)

    def __enter__(self):
        return self.open()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        elif self._sink is not None:  # an error while writing: discard the temporary file
            sink, self._sink = self._sink, None
            try:
                sink.close()
            except Exception:  # noqa: BLE001 - the original error matters more
                pass
            self._atomic.__exit__(exc_type, exc, tb)


class _SndSink:
    """One stream written by libsndfile, chunk by chunk (same conversions as :func:`torchsound.save`)."""

    def __init__(self, f, fmt: str, s: _WriterStream):
        import soundfile

        from . import _soundfile

        sf_format, subtype = _soundfile._FORMATS[fmt]
        bits, kwargs = None, {}
        enc = (s.encoder_format or "").rstrip("p")
        if subtype is None and enc in ("flt", "dbl") and fmt != "flac":
            subtype, bits = ("FLOAT", 32) if enc == "flt" else ("DOUBLE", 64)
        elif subtype is None:  # integer PCM: 16-bit unless encoder_format says otherwise (FFmpeg's default)
            bits = {"u8": 8, "s16": 16, "s32": 24 if fmt == "flac" else 32}.get(enc, 16)
            encoding = "PCM_U" if bits == 8 and fmt == "wav" else None
            subtype, bits = _soundfile._pcm_subtype(fmt, torch.int16, encoding, bits)
        if s.codec_config is not None:
            kwargs.update(_soundfile._compression_kwargs(fmt, s.codec_config, s.sample_rate))
        self._bits, self._subtype = bits, subtype
        try:
            self._file = soundfile.SoundFile(f, "w", s.sample_rate, s.num_channels, subtype, format=sf_format, **kwargs)
        except (soundfile.LibsndfileError, RuntimeError, ValueError) as err:
            reason = " ".join(str(getattr(err, "error_string", None) or err).split())
            raise ValueError(f"StreamWriter: cannot write {fmt} at {s.sample_rate} Hz with {s.num_channels} channel(s) "
                             f"({reason}); encoder_sample_rate= resamples for the encoder") from None

    def write(self, i: int, chunk: torch.Tensor) -> None:
        from . import _soundfile

        if self._bits is None:
            self._file.write(_soundfile._float_data(chunk))
        else:
            self._file.write(_soundfile._pcm_data(chunk, self._bits, self._subtype))

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def encoder_limits(codec: str) -> Tuple[Optional[List[int]], Optional[int]]:
    """(sample rates, most channels) an FFmpeg encoder accepts; None where it takes any."""
    try:
        found = _av().codec.Codec(codec, "w")
    except Exception:  # noqa: BLE001 - an unknown encoder: FFmpeg's own error comes later
        return None, None
    if found.name == "g722":  # G.722 is a 16 kHz mono codec (FFmpeg's encoder does not say so itself)
        return [16000], 1
    rates = found.audio_rates
    return (sorted(rates) if rates else None), (2 if found.name == "vorbis" else None)


def _check_encoder(codec: str, rate: int, channels: int, can_suggest: bool) -> None:
    rates, most = encoder_limits(codec)
    if rates and rate not in rates:
        hint = "; pass encoder_sample_rate= to resample" if can_suggest else ""
        raise ValueError(f"StreamWriter: encoder {codec!r} takes sample rates {rates}, got {rate}{hint}")
    if most is not None and channels > most:
        raise ValueError(f"StreamWriter: encoder {codec!r} takes at most {most} channel(s), got {channels}"
                         + ("; libsndfile writes more with format='ogg' and no options" if codec == "vorbis" else ""))


class _AVSink:
    """Streams encoded by FFmpeg (PyAV)."""

    def __init__(self, f, fmt: str, streams: List[_WriterStream], metadata: Dict[str, str], option):
        av = _av()
        from ._ffmpeg import _ENCODERS, _MUXERS, _apply_compression

        muxer = _MUXERS.get(fmt, fmt)
        try:
            self._container = av.open(f, "w", format=muxer, options=option or {})
        except (av.error.FFmpegError, ValueError) as err:
            raise ValueError(f"StreamWriter: FFmpeg cannot write format {fmt!r} ({err})") from None
        self._container.metadata.update(metadata)
        self._streams, self._graphs, self._pts = [], [], []
        for s in streams:
            codec = s.encoder or _ENCODERS.get(fmt) or self._container.default_audio_codec
            rate = s.encoder_sample_rate or s.sample_rate
            channels = s.encoder_num_channels or s.num_channels
            _check_encoder(codec, rate, channels, s.encoder_sample_rate is None)
            layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
            stream = self._container.add_stream(codec, rate=rate, layout=layout)
            ctx = stream.codec_context
            formats = [x.name for x in (ctx.codec.audio_formats or [])]
            ctx.format = s.encoder_format or next((x for x in ("fltp", "flt", "s16", "s16p") if x in formats), formats[0] if formats else "flt")
            options = dict(s.encoder_option or {})
            if codec == "vorbis":
                options.setdefault("strict", "experimental")
            ctx.options = options
            _apply_compression(ctx, s.codec_config)
            chain = ",".join(x for x in [s.filter_desc, _basic_filter(s.encoder_sample_rate, s.encoder_num_channels)] if x)
            self._graphs.append(_FilterGraph(chain, s.sample_rate, s.num_channels, s.format) if chain else None)
            self._streams.append((stream, s))
            self._pts.append(0)

    def write(self, i: int, chunk: torch.Tensor) -> None:
        data = chunk.numpy()
        blocks = self._graphs[i].push(data) if self._graphs[i] is not None else [data]
        for block in blocks:
            self._encode(i, block)

    def _encode(self, i: int, block: Optional[np.ndarray]) -> None:
        av = _av()
        stream, s = self._streams[i]
        if block is None:
            packets = stream.encode(None)
        else:
            channels = block.shape[1]
            layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
            rate = stream.codec_context.sample_rate if self._graphs[i] is not None else s.sample_rate
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block).reshape(1, -1), format=_sample_format(block.dtype),
                                               layout=layout)
            frame.sample_rate, frame.pts = rate, self._pts[i]
            self._pts[i] += len(block)
            try:
                packets = stream.encode(frame)
            except av.error.FFmpegError as err:  # the encoder opens on the first frame: options, formats
                ctx = stream.codec_context
                raise ValueError(f"StreamWriter: FFmpeg's {ctx.name!r} encoder refuses {ctx.sample_rate} Hz, "
                                 f"{ctx.layout.nb_channels} channel(s), sample format {ctx.format.name!r}, options "
                                 f"{dict(s.encoder_option or {})} ({_reason(err)})") from None
        for packet in packets:
            self._container.mux(packet)

    def flush(self) -> None:
        pass  # FFmpeg encoders keep their look-ahead until close

    def close(self) -> None:
        for i in range(len(self._streams)):
            if self._graphs[i] is not None:
                for block in self._graphs[i].push(None):
                    self._encode(i, block)
            self._encode(i, None)
        self._container.close()
