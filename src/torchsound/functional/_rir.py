"""Room impulse responses of shoebox rooms by the image-source method (``simulate_rir_ism``)."""

from __future__ import annotations

import math

import torch

from .._internal.checks import check_int, check_tensor
from ._convolution import fftconvolve

# torchaudio's octave-band centres (Hz) when multi-band absorption comes without ``center_frequency``.
_DEFAULT_CENTERS = (125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
# Size of the FFT the band filters are designed on (torchaudio's fixed choice; filters have n_fft - 1 taps).
_BAND_FILTER_N_FFT = 512


def _wall_reflection(absorption, dtype, device) -> torch.Tensor:
    """Pressure reflection coefficients ``sqrt(1 - absorption)``, ``(band, 6)`` (one band unless multi-band)."""
    fn = "simulate_rir_ism"
    if isinstance(absorption, (int, float)) and not isinstance(absorption, bool):
        coeffs = torch.full((1, 6), float(absorption), dtype=dtype, device=device)
    elif isinstance(absorption, torch.Tensor):
        coeffs = absorption.to(device=device, dtype=dtype)
        if coeffs.ndim == 1:
            coeffs = coeffs[None]
        if coeffs.ndim != 2 or coeffs.shape[0] == 0 or coeffs.shape[1] != 6:
            raise ValueError(
                f"{fn}: absorption must be a float or have shape (6,) or (num_bands, 6) "
                f"(west, east, south, north, floor, ceiling), got {tuple(absorption.shape)}"
            )
    else:
        raise TypeError(f"{fn}: absorption must be a float or a Tensor, got {type(absorption).__name__}")
    if not torch.compiler.is_compiling() and bool(((coeffs < 0) | (coeffs > 1)).any()):
        raise ValueError(f"{fn}: absorption coefficients must be within [0, 1], got {coeffs.tolist()}")
    return torch.sqrt(1 - coeffs)


def _band_centers(center_frequency, num_bands: int, dtype, device) -> torch.Tensor:
    """The ``(num_bands,)`` octave-band centres: torchaudio's defaults or the validated argument."""
    fn = "simulate_rir_ism"
    if center_frequency is None:
        if num_bands != len(_DEFAULT_CENTERS):
            raise ValueError(
                f"{fn}: absorption has {num_bands} bands but the default center_frequency has "
                f"{len(_DEFAULT_CENTERS)} ({list(_DEFAULT_CENTERS)}); pass center_frequency of shape ({num_bands},)"
            )
        return torch.tensor(_DEFAULT_CENTERS, dtype=dtype, device=device)
    if not isinstance(center_frequency, torch.Tensor):
        raise TypeError(f"{fn}: center_frequency must be a Tensor or None, got {type(center_frequency).__name__}")
    if center_frequency.shape != (num_bands,):
        raise ValueError(
            f"{fn}: center_frequency must have one frequency per absorption band, shape ({num_bands},), "
            f"got {tuple(center_frequency.shape)}"
        )
    center = center_frequency.to(device=device, dtype=dtype)
    if not torch.compiler.is_compiling() and not bool((center > 0).all() and (center.diff() > 0).all()):
        raise ValueError(f"{fn}: center_frequency must be positive and strictly increasing, got {center.tolist()}")
    return center


def _octave_band_filters(center: torch.Tensor, sample_rate: float, n_fft: int) -> torch.Tensor:
    """Zero-phase band-pass filters of a raised-cosine octave filterbank (pyroomacoustics' design).

    Band ``b`` rises as ``(1 + cos(2 pi f / c_b)) / 2`` from its lower edge to its centre ``c_b`` and falls as
    ``(1 - cos(2 pi f / u_b)) / 2`` towards its upper edge ``u_b``; the edges are the neighbouring centres
    (``c_0 / 2`` below the first, Nyquist above the last) and the last band stays 1 above its centre.

    Shape:
        - center: ``(band,)``
        - output: ``(band, n_fft - 1)``, the zero-lag tap at index ``n_fft // 2 - 1``.
    """
    nyquist = center.new_full((1,), sample_rate / 2)
    lower = torch.cat([center[:1] / 2, center[:-1]])
    upper = torch.cat([center[1:], nyquist])
    freq = torch.arange(n_fft // 2 + 1, dtype=center.dtype, device=center.device)[:, None] * (sample_rate / n_fft)
    rising = (freq >= lower) & (freq < center)
    is_last = torch.arange(center.numel(), device=center.device) == center.numel() - 1
    falling = (freq >= center) & (freq < upper) & ~is_last
    shelf = (freq >= center) & is_last
    response = torch.where(rising, 0.5 * (1 + torch.cos(2 * math.pi * freq / center)), freq.new_zeros(()))
    response = torch.where(falling, 0.5 * (1 - torch.cos(2 * math.pi * freq / upper)), response)
    response = torch.where(shelf, freq.new_ones(()), response)  # (freq, band)
    # Real, even impulse responses centred by fftshift; the one unpaired tap (lag -n_fft/2) is dropped.
    filters = torch.fft.fftshift(torch.fft.irfft(response, n=n_fft, dim=0), dim=0)[1:]
    return filters.T


def _image_sources(room, source, max_order: int, reflection):
    """Positions of the image sources up to ``max_order`` reflections and their gains per band.

    Shape:
        - room, source: ``(3,)``; reflection: ``(band, 6)``
        - output: images ``(image, 3)``, gain ``(band, image)``
    """
    # Image indices (nx, ny, nz) with |nx| + |ny| + |nz| <= max_order.
    axis = torch.arange(-max_order, max_order + 1, device=room.device)
    grid = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)
    grid = grid[grid.abs().sum(-1) <= max_order]
    odd = grid % 2 == 1
    images = torch.where(odd, room * (grid + 1) - source, room * grid + source)
    # Bounces on the low wall (west/south/floor) and high wall of each axis.
    low = torch.div(grid, 2, rounding_mode="floor").abs()
    high = torch.div(grid + 1, 2, rounding_mode="floor").abs()
    gain = (reflection[:, None, 0::2] ** low * reflection[:, None, 1::2] ** high).prod(-1)
    return images, gain


def simulate_rir_ism(
    room: torch.Tensor,
    source: torch.Tensor,
    mic_array: torch.Tensor,
    max_order: int,
    absorption: float | torch.Tensor,
    output_length: int | None = None,
    delay_filter_length: int = 81,
    center_frequency: torch.Tensor | None = None,
    sound_speed: float = 343.0,
    sample_rate: float = 16000.0,
) -> torch.Tensor:
    r"""Room impulse response of a shoebox room by the image-source method (Allen & Berkley).

    Every image source up to ``max_order`` reflections contributes ``prod(reflection^bounces) / distance``
    at its delay, placed with a Hann-windowed sinc fractional-delay filter of ``delay_filter_length``
    taps (like pyroomacoustics, whose output is this divided by ``4 pi``). The response starts
    ``delay_filter_length // 2`` samples late (the filter's centre).

    With multi-band absorption ``(band, 6)`` a response is built per band with that band's reflection
    coefficients; each is filtered by its zero-phase band-pass filter (a raised-cosine octave filterbank of
    511 taps around ``center_frequency``, as in torchaudio and pyroomacoustics; ``"same"``-mode convolution,
    so the length does not change) and the bands are summed.

    Args:
        room: room size ``(3,)`` in metres. source: ``(3,)``. mic_array: ``(channel, 3)``.
        max_order: maximum number of reflections.
        absorption: energy absorption of all walls (float), per wall ``(6,)`` (west, east, south,
            north, floor, ceiling), or per octave band and wall ``(band, 6)``.
        output_length: crop or zero-pad the result to this length.
        delay_filter_length: odd length of the fractional-delay filter.
        center_frequency: centre frequencies (Hz) of the absorption bands, positive and increasing, ``(band,)``;
            ``None`` means ``[125, 250, 500, 1000, 2000, 4000, 8000]`` (then ``band`` must be 7). Ignored
            when ``absorption`` has one band, as in torchaudio.
        sound_speed: m/s. sample_rate: Hz.

    Shape:
        - output: ``(channel, rir_length)`` where ``rir_length = ceil(max_delay) + delay_filter_length``
          (``max_delay``: the farthest image source's delay in samples) unless ``output_length`` is given.
          Its dtype is ``room``'s (float64 for integer rooms; float16/bfloat16 computed in float32) and so is
          its device.
    """
    fn = "simulate_rir_ism"
    for name, t in (("room", room), ("source", source), ("mic_array", mic_array)):
        check_tensor(name, t, fn=fn)
    if room.shape != (3,):
        raise ValueError(f"{fn}: room must have shape (3,), got {tuple(room.shape)}")
    if source.shape != (3,):
        raise ValueError(f"{fn}: source must have shape (3,), got {tuple(source.shape)}")
    if mic_array.ndim != 2 or mic_array.shape[1] != 3:
        raise ValueError(f"{fn}: mic_array must have shape (channel, 3), got {tuple(mic_array.shape)}")
    check_int("max_order", max_order, fn=fn, minimum=0)
    check_int("delay_filter_length", delay_filter_length, fn=fn, minimum=1)
    if delay_filter_length % 2 != 1:
        raise ValueError(f"{fn}: delay_filter_length must be odd, got {delay_filter_length}")
    out_dtype = room.dtype if room.is_floating_point() else torch.float64
    # half precision cannot hold delays in samples (float16 overflows past 65504) nor run CPU FFTs: use float32
    dtype = torch.float32 if out_dtype in (torch.float16, torch.bfloat16) else out_dtype
    device = room.device
    room, source, mics = room.to(dtype), source.to(device=device, dtype=dtype), mic_array.to(device=device, dtype=dtype)
    reflection = _wall_reflection(absorption, dtype, device)  # (B, 6)
    bands = reflection.shape[0]
    center = _band_centers(center_frequency, bands, dtype, device) if bands > 1 else None

    images, gain = _image_sources(room, source, max_order, reflection)
    dist = torch.linalg.norm(images[:, None, :] - mics[None, :, :], dim=-1)  # (I, C)
    amplitude = gain[..., None] / dist  # (B, I, C)
    delay = dist * sample_rate / sound_speed
    start = torch.ceil(delay)
    half = delay_filter_length // 2
    taps = torch.arange(-half, half + 1, device=device, dtype=dtype)
    offset = taps + start[..., None] - delay[..., None]  # n - delay
    hann = torch.where(offset.abs() <= half, 0.5 * (1 + torch.cos(math.pi * offset / half)), torch.zeros_like(offset))
    irs = amplitude[..., None] * torch.special.sinc(offset) * hann  # (B, I, C, L)

    # Overlap-add every image's short response at its integer delay, per band and channel.
    length = int(start.max().item()) + delay_filter_length
    channels = mics.shape[0]
    position = start.long()[..., None] + torch.arange(delay_filter_length, device=device)  # (I, C, L)
    row = torch.arange(bands * channels, device=device).reshape(bands, 1, channels, 1) * length
    flat_index = (row + position).reshape(-1)
    rir = torch.zeros(bands * channels * length, dtype=dtype, device=device).index_add(0, flat_index, irs.reshape(-1))
    rir = rir.reshape(bands, channels, length)
    if center is not None:
        filters = _octave_band_filters(center, sample_rate, _BAND_FILTER_N_FFT)  # (B, 511)
        rir = fftconvolve(rir, filters[:, None, :], mode="same")
    rir = rir.sum(0)
    if output_length is not None:
        rir = torch.nn.functional.pad(rir, (0, max(0, output_length - length)))[..., :output_length]
    return rir.to(out_dtype)
