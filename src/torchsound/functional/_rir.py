"""Room impulse responses of shoebox rooms by the image-source method (``simulate_rir_ism``)."""

from __future__ import annotations

import math

import torch

from .._internal.checks import check_int, check_tensor


def _wall_reflection(absorption, dtype, device) -> torch.Tensor:
    """Pressure reflection coefficients ``sqrt(1 - absorption)`` of the six walls, ``(6,)``."""
    fn = "simulate_rir_ism"
    if isinstance(absorption, (int, float)) and not isinstance(absorption, bool):
        coeffs = torch.full((6,), float(absorption), dtype=dtype, device=device)
    elif isinstance(absorption, torch.Tensor):
        coeffs = absorption.to(device=device, dtype=dtype)
        if coeffs.ndim == 2 and coeffs.shape[0] == 1:
            coeffs = coeffs[0]
        if coeffs.ndim == 2:
            raise ValueError(
                f"{fn}: multi-band absorption of shape {tuple(absorption.shape)} is not supported; "
                "pass one coefficient per wall, shape (6,), or a float"
            )
        if coeffs.shape != (6,):
            raise ValueError(f"{fn}: absorption must be a float or have shape (6,) (west, east, south, north, floor, ceiling), got {tuple(absorption.shape)}")
    else:
        raise TypeError(f"{fn}: absorption must be a float or a Tensor, got {type(absorption).__name__}")
    if not torch.compiler.is_compiling() and bool(((coeffs < 0) | (coeffs > 1)).any()):
        raise ValueError(f"{fn}: absorption coefficients must be within [0, 1], got {coeffs.tolist()}")
    return torch.sqrt(1 - coeffs)


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

    Args:
        room: room size ``(3,)`` in metres. source: ``(3,)``. mic_array: ``(channel, 3)``.
        max_order: maximum number of reflections.
        absorption: energy absorption of all walls (float) or per wall ``(6,)`` (west, east, south,
            north, floor, ceiling). Multi-band ``(7, 6)`` absorption is not supported.
        output_length: crop or zero-pad the result to this length.
        delay_filter_length: odd length of the fractional-delay filter.
        center_frequency: only meaningful for multi-band absorption (not supported); must be None.
        sound_speed: m/s. sample_rate: Hz.

    Shape:
        - output: ``(channel, rir_length)``
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
    if center_frequency is not None:
        raise ValueError(f"{fn}: center_frequency applies to multi-band absorption, which is not supported")
    dtype = room.dtype if room.is_floating_point() else torch.float64
    device = room.device
    room, source, mics = room.to(dtype), source.to(device=device, dtype=dtype), mic_array.to(device=device, dtype=dtype)
    reflection = _wall_reflection(absorption, dtype, device)

    # Image indices (nx, ny, nz) with |nx| + |ny| + |nz| <= max_order.
    axis = torch.arange(-max_order, max_order + 1, device=device)
    grid = torch.stack(torch.meshgrid(axis, axis, axis, indexing="ij"), dim=-1).reshape(-1, 3)
    grid = grid[grid.abs().sum(-1) <= max_order]
    odd = grid % 2 == 1
    images = torch.where(odd, room * (grid + 1) - source, room * grid + source)  # (I, 3)
    # Bounces on the low wall (west/south/floor) and high wall of each axis.
    low = torch.div(grid, 2, rounding_mode="floor").abs()
    high = torch.div(grid + 1, 2, rounding_mode="floor").abs()
    gain = (reflection[0::2] ** low * reflection[1::2] ** high).prod(-1)  # (I,)

    dist = torch.linalg.norm(images[:, None, :] - mics[None, :, :], dim=-1)  # (I, C)
    amplitude = gain[:, None] / dist
    delay = dist * sample_rate / sound_speed
    start = torch.ceil(delay)
    half = delay_filter_length // 2
    taps = torch.arange(-half, half + 1, device=device, dtype=dtype)
    offset = taps + start[..., None] - delay[..., None]  # n - delay
    hann = torch.where(offset.abs() <= half, 0.5 * (1 + torch.cos(math.pi * offset / half)), torch.zeros_like(offset))
    irs = amplitude[..., None] * torch.special.sinc(offset) * hann  # (I, C, L)

    length = int(start.max().item()) + delay_filter_length
    channels = mics.shape[0]
    position = (start.long()[..., None] + torch.arange(delay_filter_length, device=device))  # (I, C, L)
    flat_index = (torch.arange(channels, device=device)[None, :, None] * length + position).reshape(-1)
    rir = torch.zeros(channels * length, dtype=dtype, device=device).index_add(0, flat_index, irs.reshape(-1))
    rir = rir.reshape(channels, length)
    if output_length is not None:
        rir = torch.nn.functional.pad(rir, (0, max(0, output_length - length)))[..., :output_length]
    return rir
