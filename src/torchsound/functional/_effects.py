"""Sound effects with torchaudio's (sox's) numerics, vectorised over time.

``phaser`` and ``flanger`` are delay lines with feedback and a modulated delay. Instead of a loop
over samples they are solved as the linear recurrences they are: the phaser's
``y[i] = g x[i] + decay * y[i - D(i)]`` (one parent per sample) by pointer jumping in
``O(log)`` passes, the flanger's regeneration loop by a fixed-point (Neumann series) iteration
that converges geometrically with ``|regen|``.
"""

from __future__ import annotations

import math
from typing import List, Optional

import torch

from .._internal.checks import check_choice, check_float, check_tensor
from .._internal.dtypes import restore, upcast
from ._filtering import _check_number, lfilter
from ._resampling import resample

_FADE_SHAPES = ("quarter_sine", "half_sine", "linear", "logarithmic", "exponential")


def gain(waveform: torch.Tensor, gain_db: float = 1.0) -> torch.Tensor:
    r"""Amplify or attenuate by ``gain_db`` decibels (no clipping).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="gain")
    _check_number("gain_db", gain_db, "gain")
    if gain_db == 0:
        return waveform
    return waveform * 10 ** (gain_db / 20)


def dcshift(waveform: torch.Tensor, shift: float, limiter_gain: float | None = None) -> torch.Tensor:
    r"""Add a DC offset ``shift`` (in ``[-2, 2]``), optionally with sox's limiter on the shifted side.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="dcshift")
    _check_number("shift", shift, "dcshift")
    shifted = (waveform + shift).clamp(-1.0, 1.0)
    if limiter_gain is None or shift == 0:
        return shifted
    _check_number("limiter_gain", limiter_gain, "dcshift")
    threshold = 1.0 - (abs(shift) - limiter_gain)
    if shift > 0:
        mask = waveform > threshold
        limited = ((waveform - threshold) * limiter_gain / (1 - threshold) + threshold + shift).clamp(max=threshold)
    else:
        mask = waveform < -threshold
        limited = ((waveform + threshold) * limiter_gain / (1 - threshold) - threshold + shift).clamp(min=-threshold)
    return torch.where(mask, limited, shifted)


def contrast(waveform: torch.Tensor, enhancement_amount: float = 75.0) -> torch.Tensor:
    r"""sox ``contrast``: ``sin(pi/2 x + a sin(2 pi x))`` with ``a = enhancement_amount / 750``.

    Args:
        enhancement_amount: in ``[0, 100]``.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="contrast")
    _check_number("enhancement_amount", enhancement_amount, "contrast")
    if not 0 <= enhancement_amount <= 100:
        raise ValueError(f"contrast: enhancement_amount must be in [0, 100], got {enhancement_amount}")
    quarter = waveform * (math.pi / 2)
    return torch.sin(quarter + enhancement_amount / 750.0 * torch.sin(quarter * 4))


def overdrive(waveform: torch.Tensor, gain: float = 20, colour: float = 20) -> torch.Tensor:
    r"""sox ``overdrive``: soft cubic clipping of the amplified signal, DC-blocked, mixed with the input.

    Args:
        gain: drive in dB (``[0, 100]`` in sox).
        colour: amount of even harmonics (``[0, 100]``).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="overdrive")
    _check_number("gain", gain, "overdrive")
    _check_number("colour", colour, "overdrive")
    x, dtype = upcast(waveform)
    driven = x * math.exp(gain * math.log(10) / 20) + colour / 200
    clipped = torch.where(
        driven < -1,
        torch.full_like(driven, -2.0 / 3.0),
        torch.where(driven > 1, torch.full_like(driven, 2.0 / 3.0), driven - driven**3 / 3),
    )
    # DC blocker: out[n] = in[n] - in[n-1] + 0.995 out[n-1]
    blocked = lfilter(
        clipped,
        torch.tensor([1.0, -0.995], dtype=torch.float64, device=x.device),
        torch.tensor([1.0, -1.0], dtype=torch.float64, device=x.device),
        clamp=False,
    )
    return restore((x * 0.5 + blocked * 0.75).clamp(-1.0, 1.0), dtype)


def _wave_table(kind: str, as_int: bool, size: int, low: float, high: float, phase: float,
                device: torch.device) -> torch.Tensor:
    """sox's ``lsx_generate_wave_table``: one period of a sine or triangle scaled to ``[low, high]``."""
    offset = int(phase / math.pi / 2 * size + 0.5)
    point = (torch.arange(size, device=device) + offset) % size
    p = point.to(torch.float64)
    if kind == "sine":
        d = (torch.sin(p / size * 2 * math.pi) + 1) / 2
    else:
        d = p * 2 / size
        quadrant = torch.div(4 * point, size, rounding_mode="floor")
        d = torch.where(quadrant == 0, d + 0.5, torch.where(quadrant == 3, d - 1.5, 1.5 - d))
    d = d * (high - low) + low
    if as_int:
        return torch.where(d < 0, d - 0.5, d + 0.5).to(torch.int64)  # round half away from zero (truncation)
    return d.to(torch.float32)


def _chain_sum(value: torch.Tensor, weight: torch.Tensor, parent: torch.Tensor, steps: int) -> torch.Tensor:
    """Solve ``y[i] = value[i] + weight[i] * y[parent[i]]`` (parents earlier; ``parent == n`` means none) by pointer jumping.

    ``value``, ``weight``: ``(B, n)``; ``parent``: ``(n,)`` long. Runs ``steps`` doubling passes.
    """
    batch, n = value.shape
    # A sentinel column n with value 0, weight 0 and itself as parent ends every chain.
    y = torch.cat([value, value.new_zeros(batch, 1)], dim=1)
    w = torch.cat([weight, weight.new_zeros(batch, 1)], dim=1)
    par = torch.cat([parent, torch.tensor([n], device=parent.device)])
    for _ in range(steps):  # log-depth: each pass doubles the resolved chain length
        y = y + w * y[:, par]
        w = w * w[:, par]
        par = par[par]
    return y[:, :n]


def phaser(
    waveform: torch.Tensor,
    sample_rate: int,
    gain_in: float = 0.4,
    gain_out: float = 0.74,
    delay_ms: float = 3.0,
    decay: float = 0.4,
    mod_speed: float = 0.5,
    sinusoidal: bool = True,
) -> torch.Tensor:
    r"""sox ``phaser``: ``y[i] = gain_in x[i] + decay y[i - D(i)]`` with an LFO-modulated delay ``D``, times ``gain_out``.

    Args:
        sample_rate: Hz.
        gain_in, gain_out: input and output gains.
        delay_ms: maximum delay (ms).
        decay: feedback gain (``|decay| < 1``).
        mod_speed: LFO frequency (Hz).
        sinusoidal: sine LFO if True, else triangle.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    fn = "phaser"
    check_float("waveform", waveform, fn=fn)
    _check_number("sample_rate", sample_rate, fn, positive=True)
    _check_number("delay_ms", delay_ms, fn, positive=True)
    _check_number("mod_speed", mod_speed, fn, positive=True)
    _check_number("decay", decay, fn)
    if not abs(decay) < 1:
        raise ValueError(f"phaser: decay must satisfy |decay| < 1, got {decay}")
    x, dtype = upcast(waveform)
    shape = x.shape
    n = shape[-1]
    flat = x.reshape(-1, n).to(torch.float64)
    delay_len = int(delay_ms * 0.001 * sample_rate + 0.5)
    if delay_len < 1:
        raise ValueError(f"phaser: delay_ms * sample_rate must be at least half a sample, got {delay_ms} ms at {sample_rate} Hz")
    mod_len = int(sample_rate / mod_speed + 0.5)
    mod = _wave_table("sine" if sinusoidal else "triangle", True, mod_len, 1.0, float(delay_len), math.pi / 2, x.device)
    # At step i sox reads slot (i + mod[i]) % L, last written at step i - D with D = L + 1 - mod[i].
    i = torch.arange(n, device=x.device)
    delay = delay_len + 1 - mod[i % mod_len]
    source = i - delay
    parent = torch.where(source >= 0, source, torch.full_like(source, n))
    steps = _jump_steps(n, abs(decay))
    weight = torch.full_like(flat, float(decay))
    y = _chain_sum(flat * gain_in, weight, parent, steps)
    out = (y * gain_out).clamp(-1.0, 1.0)
    return restore(out.to(x.dtype).reshape(shape), dtype)


def _jump_steps(n: int, ratio: float) -> int:
    """Doubling passes after which chains of length ``n`` are resolved or ``ratio ** length`` < 1e-18."""
    full = 0  # (n - 1).bit_length(): the smallest b with 2^b >= n (a loop, which TorchScript compiles)
    while (1 << full) < n:
        full += 1
    full = max(1, full)
    if ratio == 0:
        return 1
    needed = max(1, math.ceil(math.log(max(1.0, math.log(1e-18) / math.log(ratio))) / math.log(2.0)) + 1)
    return min(full, needed)


def flanger(
    waveform: torch.Tensor,
    sample_rate: int,
    delay: float = 0.0,
    depth: float = 2.0,
    regen: float = 0.0,
    width: float = 71.0,
    speed: float = 0.5,
    phase: float = 25.0,
    modulation: str = "sinusoidal",
    interpolation: str = "linear",
) -> torch.Tensor:
    r"""sox ``flanger``: a short LFO-modulated delay mixed with the input, with optional regeneration.

    Args:
        sample_rate: Hz.
        delay: base delay (ms, 0..30). depth: swept delay (ms, 0..10). regen: feedback (%, -95..95).
        width: delayed-signal mix (%, 0..100). speed: sweeps per second (Hz, 0.1..10).
        phase: LFO phase shift between channels (%, 0..100).
        modulation: ``"sinusoidal"`` or ``"triangular"``. interpolation: ``"linear"`` or ``"quadratic"``.

    Shape:
        - waveform: ``(..., channel, time)`` with at most 4 channels
        - output: ``(..., channel, time)``
    """
    if not torch.jit.is_scripting():  # validation (eager only: it uses Python's types)
        fn = "flanger"
        check_float("waveform", waveform, fn=fn)
        check_choice("modulation", modulation, ("sinusoidal", "triangular"), fn=fn)
        check_choice("interpolation", interpolation, ("linear", "quadratic"), fn=fn)
        _check_number("sample_rate", sample_rate, fn, positive=True)
        _check_number("speed", speed, fn, positive=True)
        for name, value in (("delay", delay), ("depth", depth), ("regen", regen), ("width", width), ("phase", phase)):
            _check_number(name, value, fn)
    if waveform.ndim < 2 or waveform.shape[-2] > 4:
        raise ValueError(f"flanger: waveform must be (..., channel, time) with at most 4 channels, got {list(waveform.shape)}")
    if not abs(regen) < 100:
        raise ValueError(f"flanger: regen must be within (-100, 100) percent, got {regen}")
    x, dtype = upcast(waveform)
    shape = x.shape
    channels, n = shape[-2], shape[-1]
    flat = x.reshape(-1, channels, n).to(torch.float64)
    feedback = regen / 100
    mix = width / 100
    in_gain = 1.0 / (1 + mix)
    delay_gain = mix / (1 + mix) * (1 - abs(feedback))
    buf_len = int((delay / 1000 + depth / 1000) * sample_rate + 0.5) + 2
    lfo_len = int(sample_rate / speed)
    table_min = math.floor(delay / 1000 * sample_rate + 0.5)
    lfo = _wave_table(
        "sine" if modulation == "sinusoidal" else "triangle", False, lfo_len, float(table_min), buf_len - 2.0,
        3 * math.pi / 2, x.device,
    )
    i = torch.arange(n, device=x.device)
    chan_shift = (torch.arange(channels, device=x.device) * lfo_len * (phase / 100) + 0.5).to(torch.int64)
    d = lfo[(i[None, :] + chan_shift[:, None]) % lfo_len].to(torch.float64)  # (C, n), float32 values as in sox
    frac = d - torch.floor(d)
    whole = torch.floor(d).to(torch.int64)
    taps = 3 if interpolation == "quadratic" else 2
    # The buffer slot at distance whole+k holds the sample written (whole+k) % buf_len steps ago:
    # (C, n) source indices per tap (negative: not written yet -> 0)
    sources = [i[None, :] - (whole + k) % buf_len for k in range(taps)]

    # buffer[i] = x[i] + feedback * delayed[i-1]; delayed[i] = interp(buffer at the taps).
    delayed = _flanger_delayed(flat, sources, frac, interpolation)
    if feedback != 0:
        # Fixed point of the regeneration loop; each pass multiplies the error by <= |feedback|
        # and also resolves one more feedback round exactly.
        passes = min(n, math.ceil(math.log(1e-17) / math.log(abs(feedback))) + 1)
        for _ in range(passes):
            previous = torch.nn.functional.pad(delayed[..., :-1], (1, 0))
            delayed = _flanger_delayed(flat + feedback * previous, sources, frac, interpolation)
    out = (flat * in_gain + delayed * delay_gain).clamp(-1.0, 1.0)
    return restore(out.to(x.dtype).reshape(shape), dtype)


def _flanger_delayed(buffer: torch.Tensor, sources: List[torch.Tensor], frac: torch.Tensor,
                     interpolation: str) -> torch.Tensor:
    """The flanger's delayed signal: ``buffer`` ``(B, C, n)`` read at the tap ``sources`` and interpolated."""
    padded = torch.cat([buffer.new_zeros(list(buffer.shape[:-1]) + [1]), buffer], dim=-1)  # index 0 = silence
    vals = [padded.gather(-1, (src.clamp(min=-1) + 1).expand(buffer.shape[0], -1, -1)) for src in sources]
    if interpolation == "linear":
        return vals[0] + (vals[1] - vals[0]) * frac
    d1, d2 = vals[1] - vals[0], vals[2] - vals[0]
    a = d2 * 0.5 - d1
    b = d1 * 2 - d2 * 0.5
    return vals[0] + (a * frac + b) * frac


def dither(waveform: torch.Tensor, density_function: str = "TPDF", noise_shaping: bool = False) -> torch.Tensor:
    r"""torchaudio's ``dither``: quantise to 16 bits after adding a dither signal.

    ``"TPDF"`` adds a triangular (Bartlett) ramp across the signal, ``"RPDF"`` one random sample of the
    input minus 0.5, ``"GPDF"`` a sum of seven random input samples (torchaudio's definitions, drawn
    from torch's global generator); ``noise_shaping`` adds the previous sample's quantisation error.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    fn = "dither"
    check_float("waveform", waveform, fn=fn)
    check_choice("density_function", density_function, ("TPDF", "RPDF", "GPDF"), fn=fn)
    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    channels, length = flat.shape
    top_channel, top_time = channels - 1, length - 1
    scaled = flat * (2**15 - 2)
    if density_function == "TPDF":
        noisy = scaled + torch.bartlett_window(length, dtype=flat.dtype, device=flat.device)
    else:
        ch = int(torch.randint(top_channel, [1]).item()) if top_channel > 0 else 0
        t = int(torch.randint(top_time, [1]).item()) if top_time > 0 else 0
        if density_function == "RPDF":
            noisy = scaled + (flat[ch, t] - 0.5)
        else:
            total = flat[ch, t]
            for _ in range(6):
                c = int(torch.randint(top_channel, [1]).item()) if top_channel > 0 else 0
                total = total + flat[c, int(torch.randint(top_time, [1]).item()) if top_time > 0 else 0]
            noisy = scaled + total
    dithered = torch.round(noisy) / 2**15
    if noise_shaping:
        error = dithered - flat
        dithered = dithered + torch.nn.functional.pad(error[..., :-1], (1, 0))
    return dithered.reshape(shape)


def add_noise(
    waveform: torch.Tensor, noise: torch.Tensor, snr: torch.Tensor, lengths: torch.Tensor | None = None
) -> torch.Tensor:
    r"""Add ``noise`` scaled so that the signal-to-noise ratio is ``snr`` dB (over the first ``lengths`` samples).

    Args:
        waveform, noise: the same length ``L``; leading dimensions broadcast against each other (as in
            torchaudio, e.g. one noise ``(1, 1, L)`` for a batch ``(B, C, L)``).
        snr: dB, broadcastable to the broadcast leading shape.
        lengths: valid lengths, broadcastable to the broadcast leading shape (None: all).

    Shape:
        - waveform, noise: ``(..., L)``; snr, lengths: ``(...)``
        - output: ``(..., L)``, the broadcast shape of ``waveform`` and ``noise``
    """
    if not torch.jit.is_scripting():  # validation (eager only: it uses Python's types)
        fn = "add_noise"
        check_float("waveform", waveform, fn=fn)
        check_float("noise", noise, fn=fn)
        check_tensor("snr", snr, fn=fn)
        if noise.ndim == 0 or waveform.ndim == 0 or noise.shape[-1] != waveform.shape[-1]:
            raise ValueError(
                f"add_noise: noise must have the waveform's length {waveform.shape[-1:]}, got shape {list(noise.shape)}"
            )
        if not _broadcasts_each(noise.shape, waveform.shape):
            raise ValueError(
                f"add_noise: noise shape {list(noise.shape)} does not broadcast with the waveform's {list(waveform.shape)}"
            )
        lead = torch.broadcast_shapes(waveform.shape, noise.shape)[:-1]
        for name, t in (("snr", snr), ("lengths", lengths)):
            if t is not None and not _broadcasts_to(t.shape, lead):
                raise ValueError(f"add_noise: {name} must broadcast to the leading shape {list(lead)}, got {list(t.shape)}")
    x, dtype = upcast(waveform)
    nz = noise.to(x.dtype)
    if lengths is not None:
        mask = torch.arange(x.shape[-1], device=x.device) < lengths.to(x.device).unsqueeze(-1)
        sig_energy = (x * mask).pow(2).sum(-1)
        noise_energy = (nz * mask).pow(2).sum(-1)
    else:
        sig_energy = x.pow(2).sum(-1)
        noise_energy = nz.pow(2).sum(-1)
    original_snr = 10 * (torch.log10(sig_energy) - torch.log10(noise_energy))
    scale = 10 ** ((original_snr - snr.to(device=x.device, dtype=x.dtype)) / 20.0)
    return restore(x + scale.unsqueeze(-1) * nz, dtype)


def _broadcasts_each(a, b) -> bool:
    """Whether shapes ``a`` and ``b`` broadcast together (each dimension equal or 1 on one side)."""
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


def _broadcasts_to(shape, target) -> bool:
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


def speed(
    waveform: torch.Tensor, orig_freq: int, factor: float, lengths: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    r"""Change speed (and pitch) by ``factor`` by resampling from ``factor * orig_freq`` to ``orig_freq``.

    Returns ``(output, output_lengths)`` (``None`` lengths when ``lengths`` is None).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., ceil(time / factor))`` (to rational rounding of the rates)
    """
    fn = "speed"
    _check_number("orig_freq", orig_freq, fn, positive=True)
    _check_number("factor", factor, fn, positive=True)
    source = int(factor * orig_freq)
    target = int(orig_freq)
    if source <= 0:
        raise ValueError(f"speed: factor * orig_freq must be at least 1 Hz, got {factor} * {orig_freq}")
    gcd = math.gcd(source, target)
    source, target = source // gcd, target // gcd
    out_lengths = None if lengths is None else torch.ceil(lengths * target / source).to(lengths.dtype)
    return resample(waveform, source, target), out_lengths


def fade_envelope(length: int, fade_in_len: int, fade_out_len: int, fade_shape: str,
                  dtype: Optional[torch.dtype] = None, device: Optional[torch.device] = None) -> torch.Tensor:
    r"""The gain curve of :class:`torchsound.transforms.Fade`: fade-in times fade-out, ``(length,)``.

    Shapes: ``"linear"``, ``"exponential"``, ``"logarithmic"``, ``"quarter_sine"``, ``"half_sine"``.
    """
    fn = "fade_envelope"
    if not torch.jit.is_scripting():
        check_choice("fade_shape", fade_shape, _FADE_SHAPES, fn=fn)
    if fade_in_len < 0 or fade_out_len < 0:
        raise ValueError(f"{fn}: fade lengths must be non-negative, got {fade_in_len} and {fade_out_len}")
    if fade_in_len > length or fade_out_len > length:
        raise ValueError(f"{fn}: fade lengths ({fade_in_len}, {fade_out_len}) exceed the waveform length {length}")
    if dtype is None:
        dtype = torch.float32
    ramp_in = torch.linspace(0, 1, fade_in_len, dtype=dtype, device=device)
    ramp_out = torch.linspace(0, 1, fade_out_len, dtype=dtype, device=device)
    if fade_shape == "linear":
        fade_in, fade_out = ramp_in, 1 - ramp_out
    elif fade_shape == "exponential":
        # torchaudio's curve: 2^(t-1) * t in, 2^-t * (1-t) out (0 at the ends, unlike a pure exponential).
        fade_in, fade_out = torch.pow(2, ramp_in - 1) * ramp_in, torch.pow(2, -ramp_out) * (1 - ramp_out)
    elif fade_shape == "logarithmic":
        fade_in, fade_out = torch.log10(0.1 + ramp_in) + 1, torch.log10(1.1 - ramp_out) + 1
    elif fade_shape == "quarter_sine":
        fade_in, fade_out = torch.sin(ramp_in * math.pi / 2), torch.sin(ramp_out * math.pi / 2 + math.pi / 2)
    else:
        fade_in = torch.sin(ramp_in * math.pi - math.pi / 2) / 2 + 0.5
        fade_out = torch.sin(ramp_out * math.pi + math.pi / 2) / 2 + 0.5
    ones_in = torch.ones(length - fade_in_len, dtype=dtype, device=device)
    ones_out = torch.ones(length - fade_out_len, dtype=dtype, device=device)
    return torch.cat([fade_in, ones_in]).clamp(0, 1) * torch.cat([ones_out, fade_out]).clamp(0, 1)
