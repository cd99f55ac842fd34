"""Voice activity detection that trims leading silence (sox ``vad``, torchaudio's numerics).

The per-frame spectra of every measurement window are computed at once with one batched FFT;
only the short recursions over measurement frames (20 per second by default: spectrum
smoothing, the adaptive noise floor and the trigger search) run frame by frame, and they stop at
the trigger like sox does.
"""

from __future__ import annotations

import math
from typing import List

import torch

from .._internal.checks import check_float
from ._filtering import _check_number


def vad(
    waveform: torch.Tensor,
    sample_rate: int,
    trigger_level: float = 7.0,
    trigger_time: float = 0.25,
    search_time: float = 1.0,
    allowed_gap: float = 0.25,
    pre_trigger_time: float = 0.0,
    boot_time: float = 0.35,
    noise_up_time: float = 0.1,
    noise_down_time: float = 0.01,
    noise_reduction_amount: float = 1.35,
    measure_freq: float = 20.0,
    measure_duration: float | None = None,
    measure_smooth_time: float = 0.4,
    hp_filter_freq: float = 50.0,
    lp_filter_freq: float = 6000.0,
    hp_lifter_freq: float = 150.0,
    lp_lifter_freq: float = 2000.0,
) -> torch.Tensor:
    r"""Trim silence and quiet background sounds from the start of a recording (sox ``vad``).

    To trim the end as well, reverse, apply, and reverse again. Channels are analysed together:
    all are cut at the first trigger found in any of them. Arguments as in sox (times in seconds,
    frequencies in Hz).

    Shape:
        - waveform: ``(channel, time)`` or ``(time,)``
        - output: ``(channel, time')`` or ``(time',)``, ``time' <= time``
    """
    if not torch.jit.is_scripting():  # validation (eager only: it uses Python's types)
        fn = "vad"
        check_float("waveform", waveform, fn=fn)
        _check_number("sample_rate", sample_rate, fn, positive=True)
        for name, value in (("measure_freq", measure_freq), ("search_time", search_time),
                            ("trigger_time", trigger_time), ("noise_up_time", noise_up_time),
                            ("noise_down_time", noise_down_time), ("measure_smooth_time", measure_smooth_time),
                            ("lp_lifter_freq", lp_lifter_freq), ("hp_lifter_freq", hp_lifter_freq)):
            _check_number(name, value, fn, positive=True)
    if measure_duration is None:
        measure_duration = 2.0 / measure_freq
    measure_len = int(sample_rate * measure_duration + 0.5)
    dft_len = 16
    while dft_len < measure_len:
        dft_len *= 2
    period = int(sample_rate / measure_freq + 0.5)
    measures_len = math.ceil(search_time * measure_freq)
    search_pre_trigger = measures_len * period
    gap_len = int(allowed_gap * measure_freq + 0.5)
    fixed_pre_trigger = int(pre_trigger_time * sample_rate + 0.5)
    kept_before = fixed_pre_trigger + search_pre_trigger + measure_len

    spec_start = max(int(hp_filter_freq / sample_rate * dft_len + 0.5), 1)
    spec_end = min(int(lp_filter_freq / sample_rate * dft_len + 0.5), dft_len // 2)
    cep_start = math.ceil(sample_rate * 0.5 / lp_lifter_freq)
    cep_end = min(math.floor(sample_rate * 0.5 / hp_lifter_freq), dft_len // 4)
    if cep_end <= cep_start:
        raise ValueError(
            f"vad: the lifter band is empty (hp_lifter_freq={hp_lifter_freq}, lp_lifter_freq={lp_lifter_freq}, "
            f"sample_rate={sample_rate}); raise lp_lifter_freq or lower hp_lifter_freq"
        )
    if spec_end <= spec_start:
        raise ValueError(f"vad: the filter band is empty (hp_filter_freq={hp_filter_freq}, lp_filter_freq={lp_filter_freq})")

    device = waveform.device
    f64 = torch.float64
    spectrum_window = 2.0 / math.sqrt(measure_len) * torch.hann_window(measure_len, dtype=f64, device=device)
    cepstrum_window = 2.0 / math.sqrt(spec_end - spec_start) * torch.hann_window(spec_end - spec_start, dtype=f64, device=device)
    up_mult = math.exp(-1.0 / (noise_up_time * measure_freq))
    down_mult = math.exp(-1.0 / (noise_down_time * measure_freq))
    smooth_mult = math.exp(-1.0 / (measure_smooth_time * measure_freq))
    trigger_mult = math.exp(-1.0 / (trigger_time * measure_freq))
    boot_count_max = int(boot_time * measure_freq - 0.5)

    shape = waveform.shape
    flat = waveform.reshape(-1, shape[-1])
    channels, length = flat.shape
    ends = list(range(measure_len, length, period))  # window i covers [end - measure_len, end)
    if len(ends) == 0 or channels == 0:
        return _untriggered(waveform, fixed_pre_trigger)
    # All measurement windows at once: (channels, frames, measure_len) -> |rfft| in the filter band.
    frames = flat.to(f64).unfold(-1, measure_len, period)[:, : len(ends)]
    magnitudes = torch.fft.rfft(frames * spectrum_window, n=dft_len).abs()[..., spec_start:spec_end]

    spectrum = torch.zeros(channels, spec_end - spec_start, dtype=f64, device=device)
    noise = torch.zeros_like(spectrum)
    mean_meas = [0.0] * channels
    measures = [[0.0] * measures_len for _ in range(channels)]
    measures_index = 0
    boot_count = 0
    triggered = False
    to_flush = 0
    position = ends[0]  # the last frame's end is used after the loop
    for frame, position in enumerate(ends):  # noqa: B007  # loop over measurement frames (not samples)
        mult = boot_count / (1.0 + boot_count) if boot_count >= 0 else smooth_mult
        spectrum = spectrum * mult + magnitudes[:, frame] * (1 - mult)
        power = spectrum**2
        if boot_count >= 0:
            noise_mult = torch.zeros_like(power)
        else:
            noise_mult = torch.where(power > noise, torch.full_like(power, up_mult), torch.full_like(power, down_mult))
        noise = noise * noise_mult + power * (1 - noise_mult)
        clean = torch.sqrt(torch.clamp(power - noise_reduction_amount * noise, min=0))
        cepstrum = torch.fft.rfft(clean * cepstrum_window, n=dft_len // 2)  # zero-padded as in sox
        energy: List[float] = cepstrum[:, cep_start:cep_end].abs().pow(2).sum(-1).tolist()
        for ch in range(channels):
            e = energy[ch]
            meas = max(0.0, 21 + (math.log(e / (cep_end - cep_start)) if e > 0 else -math.inf))
            measures[ch][measures_index] = meas
            mean_meas[ch] = mean_meas[ch] * trigger_mult + meas * (1.0 - trigger_mult)
            triggered = triggered or mean_meas[ch] >= trigger_level
            if triggered:
                to_flush = _flush_count(measures[ch], measures_index, trigger_level, gap_len, to_flush)
        measures_index = (measures_index + 1) % measures_len
        if boot_count >= 0:
            boot_count = -1 if boot_count == boot_count_max else boot_count + 1
        if triggered:
            break
    if not triggered:
        return _untriggered(waveform, fixed_pre_trigger)
    flushed = (measures_len - to_flush) * period
    start = max(0, position - kept_before + flushed)
    return waveform[..., start:]


def _untriggered(waveform: torch.Tensor, fixed_pre_trigger: int) -> torch.Tensor:
    """No trigger: torchaudio keeps the fixed pre-trigger buffer (the first ``pre_trigger_time`` seconds), or the
    whole waveform when it is shorter than that buffer; empty with the default ``pre_trigger_time=0``."""
    if waveform.shape[-1] >= fixed_pre_trigger:
        return waveform[..., :fixed_pre_trigger]
    return waveform


def _flush_count(measures: List[float], index: int, trigger_level: float, gap_len: int, current: int) -> int:
    """sox's look-back: how many of the last measures (newest first) belong to the triggered sound."""
    n = len(measures)
    k = index
    j_trigger, j_zero = n, n
    for j in range(n):
        if measures[k] >= trigger_level and j <= j_trigger + gap_len:
            j_zero = j_trigger = j
        elif measures[k] == 0 and j_trigger >= j_zero:
            j_zero = j
        k = (k + n - 1) % n
    j = min(n - 1, j_zero)
    return min(max(current, j), n)
