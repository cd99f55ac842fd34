"""Silence effects: silence (sox's RMS-window state machine) and vad (torchsound.functional.vad).

``silence`` decides *where* to cut from a detached copy of the levels, then slices the input, so
the kept audio stays on its device and keeps its gradient. Signals of a batch must be cut to the
same length (else a ValueError says so).
"""

from __future__ import annotations

import re
from typing import List, Tuple

import numpy as np
import torch

from .. import functional as F
from ._args import EffectArgs
from ._registry import effect


def _window_rms(x: np.ndarray, start: int, window: int) -> np.ndarray:
    """sox's RMS for every frame from ``start`` (window cleared there): (frames - start, channels).

    ``x`` is (frames, channels). sox keeps the last ``window`` interleaved squares and, to test a
    sample, swaps it in for the oldest one: rms = sqrt((sum - oldest + sample^2) / window).
    """
    frames, channels = x.shape
    n = frames - start
    squares = np.zeros(n * channels + window)  # zeros stand for the cleared window
    squares[window:] = (x[start:] ** 2).reshape(-1)
    prefix = np.zeros(squares.size + 1)
    np.cumsum(squares, out=prefix[1:])
    # each frame's first sample sits at interleaved index window + i * channels: strided slices
    frame_ends = slice(window, window + n * channels, channels)
    frame_starts = slice(0, n * channels, channels)
    total = prefix[frame_ends] - prefix[frame_starts]
    oldest = squares[frame_starts]
    rms_sq = (total - oldest)[:, None] + squares[window:].reshape(n, channels)
    return np.sqrt(np.maximum(rms_sq, 0.0) / window)


def _above(rms: np.ndarray, threshold: float, unit: str) -> np.ndarray:
    if unit == "%":
        return rms * 100 > threshold
    with np.errstate(divide="ignore"):
        return 20 * np.log10(rms) > threshold


def _nth_period(flags: np.ndarray, duration: int, count: int):
    """Start and end (exclusive) of the ``count``-th complete run of ``duration`` set flags, counting
    runs as sox does (a period restarts right after each completed one); None if never reached."""
    duration = max(duration, 1)
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    found = 0
    for s, e in zip(edges[::2], edges[1::2]):
        periods = (e - s) // duration
        if found + periods >= count:
            k = count - found
            return s + (k - 1) * duration, s + k * duration
        found += periods
    return None


def silence_segments(x: np.ndarray, sample_rate: float, above_periods: int, above_duration: int, above_threshold,
                     below_periods: int, below_duration: int, below_threshold, leave_silence: bool,
                     restart: bool) -> List[Tuple[int, int]]:
    """Frame ranges that sox's ``silence`` keeps, for one signal ``x`` (frames, channels)."""
    frames, channels = x.shape
    window = int(sample_rate / 50 * channels)
    keep: List[Tuple[int, int]] = []
    pos, rms_start, trimming = 0, 0, above_periods > 0
    continuous = rms = _window_rms(x, 0, window)
    while pos < frames:
        if trimming:
            found = _nth_period(_above(rms[pos - rms_start:], *above_threshold).any(axis=1), above_duration, above_periods)
            if found is None:
                break  # never enough sound: nothing more is output
            pos += int(found[0])  # the last period's frames are flushed to the output
        if below_periods == 0:
            keep.append((pos, frames))
            break
        quiet = ~_above(rms[pos - rms_start:], *below_threshold).all(axis=1)
        if leave_silence:
            segments, consumed = _leave_silence_scan(quiet, below_duration, below_periods)
            keep += [(pos + s, pos + e) for s, e in segments]
            if consumed is None:
                break
            pos += consumed
        else:
            found = _nth_period(quiet, below_duration, below_periods)
            if found is None:
                keep.append((pos, frames))
                break
            keep.append((pos, pos + int(found[0])))
            pos += int(found[1])
        if not restart:
            break
        trimming = above_periods > 0
        # sox clears its window on a restart; once refilled (window / channels frames) the levels
        # are the continuous ones again, so only that head is recomputed
        head = min(frames, pos + window // channels + 1)
        rms_start, rms = pos, np.concatenate([_window_rms(x[:head], pos, window), continuous[head:]])
    return [(s, e) for s, e in keep if e > s]


def _leave_silence_scan(quiet: np.ndarray, duration: int, periods: int):
    """sox's copy loop with -l, frame by frame. Silent frames are output and also counted in a
    hold-off that only a completed period empties; sox then flushes that hold-off once more (and
    again at the very end), so those frames come out twice. Returns (segments, frames consumed or None)."""
    duration = max(duration, 1)
    held, found, start, segments = 0, 0, 0, []
    held_frames: List[int] = []
    for i, q in enumerate(quiet.tolist()):
        if q:
            held += 1
            held_frames.append(i)
            if held >= duration:
                found += 1
                segments.append((start, i + 1))
                start = i + 1
                if found >= periods:
                    return segments, i + 1
                segments += [(f, f + 1) for f in held_frames]
                held, held_frames = 0, []
    segments.append((start, len(quiet)))
    segments += [(f, f + 1) for f in held_frames]
    return segments, None


def _threshold(a: EffectArgs, text: str):
    m = re.fullmatch(r"([+-]?(?:\d+\.?\d*|\.\d+))([d%]?)", text)
    if not m:
        raise a.error(text, "expected a threshold like 1% or -50d")
    value, unit = float(m.group(1)), m.group(2) or "%"
    if unit == "%" and not 0 <= value <= 100:
        raise a.error(text, "a threshold in % must be in [0, 100]")
    if unit == "d" and value >= 0:
        raise a.error(text, "a threshold in dB must be below 0")
    return value, unit


@effect("silence")
def _silence(x, sr, a: EffectArgs):
    leave = a.pop_flag("-l") is not None
    above_periods = a.integer("above_periods", lo=0)
    above_duration, above_threshold = 0, (0.0, "%")
    if above_periods > 0:
        if a.remaining() < 2:
            raise a.usage_error("above_periods > 0 needs a duration and a threshold (wrong number of arguments)")
        above_duration = a.time("a duration", default_seconds=False)
        above_threshold = _threshold(a, a.pop())
    below_periods, below_duration, below_threshold, restart = 0, 0, (0.0, "%"), False
    if a.remaining():
        if a.remaining() < 3:
            raise a.usage_error("below_periods needs a duration and a threshold (wrong number of arguments)")
        below_periods = a.integer("below_periods")
        restart = below_periods < 0
        below_periods = abs(below_periods)
        below_duration = a.time("a duration", default_seconds=False)
        below_threshold = _threshold(a, a.pop())
    flat = x.detach().reshape(-1, *x.shape[-2:]).to("cpu", torch.float64).numpy()
    cuts = [silence_segments(item.T, sr, above_periods, above_duration, above_threshold, below_periods,
                             below_duration, below_threshold, leave, restart) for item in flat]
    lengths = {sum(e - s for s, e in c) for c in cuts}
    if len(lengths) > 1:
        raise a.usage_error("cut the signals of the batch to different lengths; apply it to one signal at a time")
    segments = cuts[0] if cuts else []
    if any(c != segments for c in cuts):
        raise a.usage_error("cut the signals of the batch at different places; apply it to one signal at a time")
    if not segments:
        return x[..., :0], sr
    merged = [list(segments[0])]
    for s, e in segments[1:]:  # -l outputs frame by frame: join touching pieces first
        if s == merged[-1][1]:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    if len(merged) <= 64:  # a few long pieces: copies of slices beat a gather
        return torch.cat([x[..., s:e] for s, e in merged], dim=-1), sr
    index = torch.from_numpy(np.concatenate([np.arange(s, e) for s, e in merged])).to(x.device)
    return x.index_select(-1, index), sr


_VAD_FLAGS = {"-t": "trigger_level", "-T": "trigger_time", "-s": "search_time", "-g": "allowed_gap",
              "-p": "pre_trigger_time", "-b": "boot_time", "-N": "noise_up_time", "-n": "noise_down_time",
              "-r": "noise_reduction_amount", "-f": "measure_freq", "-m": "measure_duration",
              "-M": "measure_smooth_time", "-h": "hp_filter_freq", "-l": "lp_filter_freq",
              "-H": "hp_lifter_freq", "-L": "lp_lifter_freq"}


@effect("vad")
def _vad(x, sr, a: EffectArgs):
    opts = {}
    while a.remaining():
        flag = a.pop()
        if flag not in _VAD_FLAGS:
            raise a.error(flag, f"unknown option; expected one of {' '.join(_VAD_FLAGS)}")
        opts[_VAD_FLAGS[flag]] = a.number(_VAD_FLAGS[flag].replace("_", " "))
    return F.vad(x, int(round(sr)), **opts), sr
