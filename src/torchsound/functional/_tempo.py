"""Time stretching as sox's ``tempo`` does it: WSOLA (waveform-similarity overlap-add).

The input is cut into overlapping segments read at a pace of ``factor`` times the output pace; each
segment's start is moved within a search window to where it best matches (least squared difference)
the tail of the previous segment, then the two are cross-faded. All signals of a batch advance
together (one loop step per segment, vectorized over the batch); only the best offsets differ.
Differentiable in the waveform (offsets are chosen without gradient).
"""

from __future__ import annotations

import math
from typing import Optional, Tuple

import torch

from .._internal.checks import check_float, check_positive
from .._internal.dtypes import restore, upcast

# sox's tempo profiles: segment ms, exponent of the factor that shortens the segment, and the
# segment / overlap and segment / search ratios
_PROFILES = {"default": (82.0, 0.0, 6.833, 5.587), "music": (82.0, 1.0, 7.0, 6.0),
             "speech": (35.0, 0.33, 2.5, 2.14), "linear": (20.0, 1.0, 2.0, 2.0)}


def tempo_params(factor: float, profile: str = "default", segment_ms: Optional[float] = None,
                 search_ms: Optional[float] = None, overlap_ms: Optional[float] = None) -> Tuple[float, float, float]:
    """sox's segment, search and overlap lengths (ms) for ``factor`` and ``profile``; given values are kept."""
    if profile not in _PROFILES:
        raise ValueError(f"tempo: profile must be one of {', '.join(_PROFILES)}; got {profile!r}")
    seg0, power, overlap_div, search_div = _PROFILES[profile]
    if segment_ms is None:
        segment_ms = max(10.0, seg0 / max(factor ** power, 1.0))
    if overlap_ms is None:
        overlap_ms = segment_ms / overlap_div
    if search_ms is None:
        search_ms = 0.0 if profile == "linear" else segment_ms / search_div
    return segment_ms, search_ms, min(overlap_ms, segment_ms / 2)


def _search_order(search: int, diffs: torch.Tensor, quick: bool) -> torch.Tensor:
    """Index of the best overlap position per row of ``diffs`` (batch, search)."""
    if not quick:
        return diffs.argmin(dim=-1)  # first minimum, as sox's linear search
    # sox's hierarchical search: steps of 64, 16, 4, 1 around the running best, from the middle
    best = torch.full(diffs.shape[:1], (search + 1) >> 1, dtype=torch.long, device=diffs.device)
    best_diff = diffs.gather(-1, best[:, None])[:, 0]
    prev = best.clone()
    step = 64
    while step:
        for k in (-1, 1):
            j = 1
            active = torch.ones_like(best, dtype=torch.bool)
            while j < 4 or step == 64:
                i = prev + k * j * step
                active = active & (i >= 0) & (i < search)
                if not bool(active.any()):
                    break
                d = diffs.gather(-1, i.clamp(0, search - 1)[:, None])[:, 0]
                better = active & (d < best_diff)
                best = torch.where(better, i, best)
                best_diff = torch.where(better, d, best_diff)
                j += 1
        prev = best.clone()
        step >>= 2
    return best


def _sliding_sq_diff(window: torch.Tensor, tail: torch.Tensor, search: int, overlap: int) -> torch.Tensor:
    """sum over channels and overlap of (window[i:i+overlap] - tail)^2 for each i < search: (B, search).

    Expanded as sum(w^2) - 2 w.t + sum(t^2): a running sum and one grouped correlation, in float64.
    """
    batch, channels = window.shape[0], window.shape[1]
    w = window.to(torch.float64)
    t = tail.to(torch.float64)
    energy = torch.nn.functional.pad(w.pow(2).cumsum(-1), (1, 0))
    window_energy = (energy[..., overlap:overlap + search] - energy[..., :search]).sum(1)
    if batch * channels == 0:
        return w.new_zeros(batch, search)
    cross = torch.nn.functional.conv1d(w.reshape(1, batch * channels, -1), t.reshape(batch * channels, 1, overlap),
                                       groups=batch * channels).reshape(batch, channels, -1)[..., :search].sum(1)
    return window_energy - 2 * cross + t.pow(2).sum(dim=(1, 2))[:, None]


def tempo(waveform: torch.Tensor, sample_rate: float, factor: float, *, segment_ms: Optional[float] = None,
          search_ms: Optional[float] = None, overlap_ms: Optional[float] = None, profile: str = "default",
          quick_search: bool = False) -> torch.Tensor:
    """Change the tempo (duration) without changing the pitch, as sox's ``tempo`` effect.

    Args:
        waveform: audio of shape `(..., channel, time)` (channels share the segment positions).
        sample_rate: sample rate in Hz.
        factor: tempo ratio, in [0.1, 100]; > 1 is faster (shorter).
        segment_ms, search_ms, overlap_ms: WSOLA segment, search-window and overlap lengths in
            ms; by default sox's values for ``profile``.
        profile: ``"default"``, ``"music"``, ``"speech"`` or ``"linear"`` (sox's none, -m, -s, -l).
        quick_search: sox's ``-q``: a hierarchical instead of an exhaustive search.

    Returns:
        Tensor: the stretched audio.

    Shape:
        `(..., channel, time)` -> `(..., channel, round(time / factor))`.
    """
    check_float("waveform", waveform, fn="tempo")
    check_positive("sample_rate", sample_rate, fn="tempo")
    check_positive("factor", factor, fn="tempo")
    if waveform.dim() < 2:
        raise ValueError(f"tempo: waveform must be (..., channel, time), got shape {tuple(waveform.shape)}")
    if factor == 1:
        return waveform.clone()
    segment_ms, search_ms, overlap_ms = tempo_params(factor, profile, segment_ms, search_ms, overlap_ms)
    segment = int(sample_rate * segment_ms / 1000 + 0.5)
    search = int(sample_rate * search_ms / 1000 + 0.5)
    overlap = int(max(sample_rate * overlap_ms / 1000 + 4.5, 16)) & ~7
    if overlap * 2 > segment:
        overlap -= 8
    if overlap <= 0 or segment < 2 * overlap:
        raise ValueError(f"tempo: a {segment_ms:g} ms segment is too short at {sample_rate:g} Hz")
    lead = waveform.shape[:-2]
    channels, n_in = waveform.shape[-2], waveform.shape[-1]
    x = waveform.reshape(-1, channels, n_in)
    n_out = int(n_in / factor + 0.5)
    step = segment - overlap
    n_segments = max(1, -(-n_out // step))
    # sox primes its input with search / 2 zeros and starts the first segment right after them, so
    # later search windows straddle their nominal positions
    lead_in = search // 2
    skips = [int(factor * (k * step) + 0.5) for k in range(n_segments)]
    needed = skips[-1] + search + segment + 1
    x = torch.nn.functional.pad(x, (lead_in, max(0, needed - n_in - lead_in)))
    batch = x.shape[0]
    fade_in = (torch.arange(overlap, dtype=torch.float32, device=x.device) * (1.0 / overlap)).to(x.dtype)
    pieces = []
    tail = None
    arange_seg = torch.arange(segment, device=x.device)
    for k, skip in enumerate(skips):
        if k == 0:
            offset = torch.full((batch,), lead_in, dtype=torch.long, device=x.device)
        else:
            window = x[..., skip:skip + search + overlap - 1].detach()
            if search > 1:
                diffs = _sliding_sq_diff(window, tail.detach(), search, overlap)
                offset = _search_order(search, diffs, quick_search)
            else:
                offset = torch.zeros(batch, dtype=torch.long, device=x.device)
        index = (skip + offset)[:, None, None] + arange_seg  # (B, 1, segment)
        seg = x.gather(-1, index.expand(batch, channels, segment))
        head = seg[..., :overlap] if k == 0 else tail * (1 - fade_in) + seg[..., :overlap] * fade_in
        pieces += [head, seg[..., overlap:segment - overlap]]
        tail = seg[..., segment - overlap:]
    out = torch.cat(pieces, dim=-1)[..., :n_out]
    return out.reshape(*lead, channels, n_out)


def stretch(waveform: torch.Tensor, sample_rate: float, factor: float, window_ms: float = 20.0,
            shift: Optional[float] = None, fading: Optional[float] = None) -> torch.Tensor:
    """Change the duration by ``factor`` (> 1 is longer) with sox's ``stretch``: plain overlap-add
    of fixed windows (no similarity search), read every ``ishift`` and written every ``oshift`` samples.

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        factor: duration ratio (output / input), > 0.
        window_ms: window length in ms (default 20).
        shift: window shift as a fraction of the window, in (0, 1] (sox: 1 when shortening, 0.8 when
            lengthening).
        fading: fade length as a fraction of the window, in [0, 0.5] (sox derives it from ``shift``).

    Returns:
        Tensor: the stretched audio.

    Shape:
        `(..., time)` -> `(..., time')`, ``time'`` about ``time * factor`` (sox's own rounding).
    """
    check_float("waveform", waveform, fn="stretch")
    check_positive("factor", factor, fn="stretch")
    if shift is None:
        shift = 1.0 if factor <= 1 else 0.8
    if not 0 < shift <= 1:
        raise ValueError(f"stretch: shift must be in (0, 1], got {shift}")
    if fading is None:
        fading = min(0.5, 1.0 - (factor * shift if factor < 1 else shift))
    if not 0 <= fading <= 0.5:
        raise ValueError(f"stretch: fading must be in [0, 0.5], got {fading}")
    size = int(sample_rate * 0.001 * window_ms)
    if factor < 1:
        ishift = int(shift * size)
        oshift = int(factor * ishift)
    else:
        oshift = int(shift * size)
        ishift = int(oshift / factor)
    if size < 2 or ishift < 1 or oshift < 1:
        raise ValueError(f"stretch: a {window_ms} ms window is too short at {sample_rate} Hz for factor {factor}")
    fsize = int(fading * size)
    # sox's state machine, on counts only: how many windows are combined and how much comes out
    n = waveform.shape[-1]
    index = oindex = size // 2
    consumed = emitted = frames = 0
    while True:
        take = min(n - consumed, size - index)
        consumed += take
        index += take
        if index < size:
            break
        frames += 1
        index -= ishift
        if oindex < oshift:
            emitted += oshift - oindex
            oindex = oshift
        oindex -= oshift
    frames += 1  # the drain combines the zero-padded last window
    emitted += max(0, index - oindex)
    window = torch.ones(size, dtype=torch.float64)
    if fsize > 1:
        ramp = torch.arange(fsize, dtype=torch.float64) / (fsize - 1)
        window[:fsize] = ramp
        window[size - fsize:] = ramp.flip(0)
    x, dtype = upcast(waveform)
    lead = x.shape[:-1]
    if x.numel() == 0:
        return waveform.new_zeros(*lead, emitted)
    flat = x.reshape(-1, n)
    padded = torch.nn.functional.pad(flat, (size // 2, (frames - 1) * ishift + size - n - size // 2 + 1))
    pieces = padded.unfold(-1, size, ishift)[:, :frames] * window.to(x.device, x.dtype)
    positions = (torch.arange(frames, device=x.device)[:, None] * oshift + torch.arange(size, device=x.device)).reshape(-1)
    total = max((frames - 1) * oshift + size, size // 2 + emitted)
    out = flat.new_zeros(flat.shape[0], total).index_add(-1, positions, pieces.reshape(flat.shape[0], -1))
    return restore(out[:, size // 2:size // 2 + emitted].reshape(*lead, emitted), dtype)


def bend(waveform: torch.Tensor, sample_rate: float, bends, frame_rate: int = 25, oversample: int = 16) -> torch.Tensor:
    """Bend the pitch over time, as sox's ``bend`` (a phase-vocoder pitch shifter).

    Args:
        waveform: audio of shape `(..., time)`.
        sample_rate: sample rate in Hz.
        bends: ``(start, cents, duration)`` triples, ``start`` and ``duration`` in samples, ``start``
            counted from the end of the previous bend (as sox's ``delay,cents,duration``). Each bend
            glides (raised cosine) to ``cents`` and stays there.
        frame_rate: analysis frames per second (sox's ``-f``, 10 to 80).
        oversample: frame overlap factor (sox's ``-o``, 4 to 32).

    Returns:
        Tensor: the bent audio (delayed by one frame minus one hop, as sox's is).

    Shape:
        `(..., time)` -> `(..., time)`.
    """
    check_float("waveform", waveform, fn="bend")
    check_positive("sample_rate", sample_rate, fn="bend")
    n = int(sample_rate / frame_rate + 0.5)
    size = 2
    while n > 2:
        size, n = size << 1, n >> 1
    step = size // oversample
    latency = size - step
    half = size // 2
    per_bin = sample_rate / size
    expected = 2 * math.pi * step / size
    x, dtype = upcast(waveform)
    lead, length = x.shape[:-1], x.shape[-1]
    flat = x.reshape(-1, length).to(torch.float64)
    rows = flat.shape[0]
    padded = torch.nn.functional.pad(flat, (latency, 0))
    k = torch.arange(half + 1, dtype=torch.float64, device=x.device)
    window = 0.5 - 0.5 * torch.cos(2 * math.pi * torch.arange(size, dtype=torch.float64, device=x.device) / size)
    last_phase = torch.zeros(rows, half + 1, dtype=torch.float32, device=x.device)
    sum_phase = torch.zeros(rows, half + 1, dtype=torch.float32, device=x.device)
    frames = length // step
    out = flat.new_zeros(rows, frames * step + size)
    starts, shift, done = [], 1.0, 0
    time = 0
    for delay, cents, duration in bends:
        time += delay
        starts.append((time, cents, duration))
        time += duration
    for f in range(frames):
        position = (f + 1) * step  # samples read when sox processes this frame
        pitch = shift
        if done < len(starts) and position >= starts[done][0] + starts[done][2]:
            shift *= 2.0 ** (starts[done][1] / 1200)
            pitch = shift
            done += 1
        if done < len(starts) and position >= starts[done][0]:
            start, cents, duration = starts[done]
            progress = (1 - math.cos(math.pi * (position - start) / duration)) * cents * (0.5 / 1200)
            pitch = shift * 2.0 ** progress
        pitch = float(torch.tensor(pitch, dtype=torch.float32))  # sox keeps the ratio in a float
        spectrum = torch.fft.fft(padded[:, f * step:f * step + size] * window)[:, :half + 1]
        magnitude = (2 * spectrum.abs()).to(torch.float32)
        phase = torch.atan2(spectrum.imag, spectrum.real)
        delta = phase - last_phase.double() - k * expected
        last_phase = phase.to(torch.float32)
        turns = torch.trunc(delta / math.pi)
        turns = turns + torch.where(turns >= 0, torch.remainder(turns, 2), -torch.remainder(-turns, 2))
        delta = delta - math.pi * turns
        true_freq = (k * per_bin + oversample * delta / (2 * math.pi) * per_bin).to(torch.float32)
        # move each bin to k * pitch (magnitudes add up, the last frequency written wins)
        pitch32 = torch.tensor(pitch, dtype=torch.float32, device=x.device)
        index = torch.floor(k.float() * pitch32).long()  # float32 product, as in sox
        keep = index <= half
        syn_magn = torch.zeros_like(magnitude).index_add(1, index[keep], magnitude[:, keep])
        syn_freq = torch.zeros_like(true_freq)
        syn_freq[:, index[keep]] = true_freq[:, keep] * pitch32
        advance = (2 * math.pi * ((syn_freq.double() - k * per_bin) / per_bin) / oversample + k * expected)
        sum_phase = (sum_phase.double() + advance).to(torch.float32)
        bins = torch.zeros(rows, size, dtype=torch.complex128, device=x.device)
        bins[:, :half + 1] = torch.polar(syn_magn.double(), sum_phase.double())
        frame = torch.fft.ifft(bins).real * size
        out[:, f * step:f * step + size] += 2 * window * frame / (half * oversample)
    y = torch.nn.functional.pad(out[:, :max(0, length - step)], (step, 0))[:, :length]
    return restore(y.to(x.dtype).reshape(*lead, length), dtype)
