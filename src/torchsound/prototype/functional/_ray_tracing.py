"""Energy histograms of a shoebox room by ray tracing (``ray_tracing``), as torchaudio 2.8's prototype.

The algorithm is pyroomacoustics' specular ray tracer with one-hop diffuse rain, as torchaudio ported it:
rays leave the source in Fibonacci-sphere directions (deterministic), bounce specularly off the six walls
losing ``absorption`` and ``scattering`` of their energy at each hit, and every segment that passes within
``mic_radius`` of a microphone logs its energy in that microphone's time histogram. With scattering, each
wall hit also sends the scattered share straight to every microphone it can see (Lambert's law).

All rays advance together: the loop runs over reflection orders, each step a batch of tensor operations
over the rays still alive (a ray dies past ``time_thres`` or when its energy falls under the threshold).
"""

from __future__ import annotations

import math

import torch

from ..._internal.checks import check_int, check_positive, check_tensor

# Geometric tolerance of torchaudio's (and pyroomacoustics') tracer: how far outside a wall or the
# microphone sphere a point may lie and still count as on it.
_EPS = 1e-5


def _coefficients(coeffs, name: str) -> torch.Tensor:
    """Absorption or scattering as a ``(num_bands, 6)`` tensor, checked like torchaudio's wrapper."""
    if isinstance(coeffs, (int, float)) and not isinstance(coeffs, bool):
        if coeffs < 0:
            raise ValueError(f"`{name}` must be non-negative. Found: {coeffs}")
        # like torchaudio, a Python float goes through the default dtype (float32) before the input's dtype
        return torch.full((1, 6), float(coeffs))
    if isinstance(coeffs, torch.Tensor) and coeffs.ndim in (1, 2):
        if bool((coeffs < 0).any()):
            raise ValueError(f"`{name}` must be non-negative. Found: {coeffs}")
        if coeffs.ndim == 1:
            if coeffs.numel() != 6:
                raise ValueError(
                    f"The shape of `{name}` must be (6,) when it is a 1D Tensor. Found the shape {coeffs.shape}."
                )
            return coeffs.unsqueeze(0)
        if coeffs.shape[1] != 6:
            raise ValueError(
                f"The shape of `{name}` must be (NUM_BANDS, 6) when it is a 2D Tensor. Found: {coeffs.shape}."
            )
        return coeffs
    found = f"a {coeffs.ndim}D Tensor" if isinstance(coeffs, torch.Tensor) else type(coeffs).__name__
    raise TypeError(f"`{name}` must be float or Tensor (1D of 6 walls or 2D (num_bands, 6)). Found: {found}.")


def _fibonacci_directions(num_rays: int, dtype, device) -> torch.Tensor:
    """Unit vectors spread almost evenly over the sphere (golden-angle spiral), ``(num_rays, 3)``."""
    i = torch.arange(num_rays, dtype=torch.float64, device=device)
    step = 2.0 / num_rays
    z = i * step - 1 + step / 2
    rho = torch.sqrt(1 - z * z)
    phi = i * (math.pi * (3 - math.sqrt(5)))
    return torch.stack([torch.cos(phi) * rho, torch.sin(phi) * rho, z], dim=-1).to(dtype)


def _next_wall(room: torch.Tensor, origin: torch.Tensor, direction: torch.Tensor):
    """Where each ray (``origin``, unit ``direction``, both ``(N, 3)``) leaves the box.

    Returns the hit point ``(N, 3)``, the wall ``(N,)`` numbered west, east, south, north, floor, ceiling
    (low/high x, y, z), its axis ``(N,)``, whether a wall was found ``(N,)`` (only rounding can prevent it)
    and the distance ``(N,)``. Like torchaudio, the axes are tried in order x, y, z and the first whose
    wall plane is met inside the box (within ``_EPS``) wins.
    """
    toward_high = direction > 0
    # distance to the facing wall along each axis; an origin a rounding step outside counts as on the wall
    gap = torch.where(toward_high, room - origin, origin).clamp_min(0)
    speed = direction.abs()
    usable = speed >= _EPS  # a ray (almost) parallel to an axis' walls can't hit them
    ratio = gap / torch.where(usable, speed, torch.ones_like(speed))  # (N, 3)
    candidates = origin[:, None, :] + ratio[..., None] * direction[:, None, :]  # (N, axis, 3)
    inside = ((candidates > -_EPS) & (candidates < room + _EPS)).all(-1) & usable  # (N, axis)
    axis = torch.argmax(inside.to(torch.uint8), dim=-1)  # first axis that works
    rows = torch.arange(origin.shape[0], device=origin.device)
    hit = candidates[rows, axis]
    wall = 2 * axis + toward_high[rows, axis].long()
    return hit, wall, axis, inside.any(-1), torch.linalg.norm(hit - origin, dim=-1)


def _side(offset: torch.Tensor) -> torch.Tensor:
    """-1, 0 or 1: which side of a wall a signed distance puts a point, 0 within ``_EPS`` of the plane."""
    return (offset > _EPS).long() - (offset < -_EPS).long()


def _arrival_energy(distance: torch.Tensor, mic_radius: float) -> torch.Tensor:
    """``r^2 * p_hit(r)``: what a ray's energy is divided by when logged at a microphone ``r`` metres down its path.

    ``p_hit`` is the fraction of rays from a point ``r`` away that hit a sphere of ``mic_radius``; the
    normalisation makes the logged direct-path energy ``1 / r^2`` whatever the number of rays
    (Schroeder, "Physically based real-time auralization...", eq. 5.54, as in pyroomacoustics).
    """
    radius_sq = mic_radius * mic_radius
    sq = distance * distance
    return sq * (1 - torch.sqrt(1 - radius_sq / sq.clamp_min(radius_sq)))


def ray_tracing(
    room: torch.Tensor,
    source: torch.Tensor,
    mic_array: torch.Tensor,
    num_rays: int,
    absorption: float | torch.Tensor = 0.0,
    scattering: float | torch.Tensor = 0.0,
    mic_radius: float = 0.5,
    sound_speed: float = 343.0,
    energy_thres: float = 1e-7,
    time_thres: float = 10.0,
    hist_bin_size: float = 0.004,
) -> torch.Tensor:
    r"""Energy histograms of a shoebox room by ray tracing (pyroomacoustics' algorithm, as torchaudio 2.8).

    ``num_rays`` rays leave ``source`` in Fibonacci-sphere directions, each with energy ``2 / num_rays``.
    At every wall a ray is reflected specularly and its energy multiplied by ``1 - absorption``; with
    scattering, the share ``scattering`` of what is left is sent straight to each microphone on the same
    side of the wall (weighted by Lambert's cosine law and the microphone's apparent size) and removed
    from the ray. A ray segment passing within ``mic_radius`` of a microphone logs its energy, divided by
    ``r^2 * p_hit(r)`` (``r`` the distance travelled, ``p_hit`` the share of a sphere of directions the
    microphone covers from there), in the time bin of its arrival. A ray stops once it has travelled
    ``time_thres * sound_speed`` metres or its highest band energy falls below ``energy_thres * 2 / num_rays``.

    Args:
        room: room size ``(3,)`` in metres (x: west-east, y: south-north, z: floor-ceiling).
        source: ``(3,)``, inside the room. mic_array: ``(channel, 3)``.
        num_rays: number of rays cast.
        absorption: energy absorption of the walls: a float for all walls and bands, ``(6,)`` per wall
            (west, east, south, north, floor, ceiling), or ``(num_bands, 6)``.
        scattering: scattering coefficients, same forms as ``absorption`` (broadcast against it over bands).
        mic_radius: microphone radius in metres. sound_speed: m/s.
        energy_thres: energy, relative to a ray's initial energy, below which a ray is dropped.
        time_thres: duration traced, in seconds. hist_bin_size: histogram bin width, in seconds.

    Shape:
        - output: ``(channel, num_bands, num_bins)``, ``num_bins = ceil(time_thres / hist_bin_size)``
          (bins are ``time_thres / num_bins`` wide); ``num_bands`` is 1 when absorption and scattering
          are floats or 1D.
    """
    fn = "ray_tracing"
    if time_thres < hist_bin_size:
        raise ValueError(
            "`time_thres` must be greater than `hist_bin_size`. "
            f"Found: hist_bin_size={hist_bin_size}, time_thres={time_thres}."
        )
    for name, t in (("room", room), ("source", source), ("mic_array", mic_array)):
        check_tensor(name, t, fn=fn)
    if room.dtype != source.dtype or source.dtype != mic_array.dtype:
        raise ValueError(
            "dtype of `room`, `source` and `mic_array` must match. "
            f"Found: `room` ({room.dtype}), `source` ({source.dtype}) and `mic_array` ({mic_array.dtype})"
        )
    if not (room.ndim == 1 and room.numel() == 3):
        raise ValueError(f"`room` must be a 1D Tensor with 3 elements. Found {room.shape}.")
    if not (source.ndim == 1 and source.numel() == 3):
        raise ValueError(f"`source` must be 1D Tensor with 3 elements. Found {source.shape}.")
    if not (mic_array.ndim == 2 and mic_array.shape[1] == 3):
        raise ValueError(f"`mic_array` must be a 2D Tensor with shape (num_channels, 3). Found {mic_array.shape}.")
    if source.device != room.device or mic_array.device != room.device:
        raise ValueError(
            f"{fn}: room, source and mic_array must be on one device, got {room.device}, {source.device} and {mic_array.device}"
        )
    if not room.is_floating_point():
        raise TypeError(f"{fn}: room, source and mic_array must be floating-point tensors, got {room.dtype}")
    check_int("num_rays", num_rays, fn=fn, minimum=1)
    for name, value in (("mic_radius", mic_radius), ("sound_speed", sound_speed), ("hist_bin_size", hist_bin_size)):
        check_positive(name, value, fn=fn)
    check_positive("energy_thres", energy_thres, fn=fn, allow_zero=True)

    out_dtype = room.dtype
    dtype = torch.float32 if out_dtype in (torch.float16, torch.bfloat16) else out_dtype
    device = room.device
    room, source, mics = room.to(dtype), source.to(dtype), mic_array.to(dtype)
    if not bool(((source >= 0) & (source <= room)).all()):
        raise ValueError(f"{fn}: source must lie inside the room [0, {room.tolist()}], got {source.tolist()}")
    absorption = _coefficients(absorption, "absorption").to(device, dtype)
    scattering = _coefficients(scattering, "scattering").to(device, dtype)
    # Bring absorption and scattering to the same number of bands
    if absorption.shape[0] == 1 and scattering.shape[0] > 1:
        absorption = absorption.expand(scattering.shape)
    if scattering.shape[0] == 1 and absorption.shape[0] > 1:
        scattering = scattering.expand(absorption.shape)
    if absorption.shape != scattering.shape:
        raise ValueError(
            "`absorption` and `scattering` must be broadcastable to the same number of bands and walls. "
            f"Inferred shapes absorption={absorption.shape} and scattering={scattering.shape}"
        )

    num_bands, num_mics = absorption.shape[0], mics.shape[0]
    num_bins = math.ceil(time_thres / hist_bin_size)
    bin_width = time_thres / num_bins
    energy_0 = 2.0 / num_rays
    min_energy = energy_0 * energy_thres
    max_distance = time_thres * sound_speed
    reflection = (1 - absorption).T  # (wall, band)
    kept = (1 - scattering).T
    scatter = scattering.T
    do_scattering = bool((scattering > 0).any())

    hist = torch.zeros(num_mics * num_bins, num_bands, dtype=dtype, device=device)
    mic_rows = torch.arange(num_mics, device=device) * num_bins

    def log(mic: torch.Tensor, distance: torch.Tensor, energy: torch.Tensor) -> torch.Tensor:
        # one arrival per row: microphone index (K,), path length in float64 (K,), band energies (K, band)
        time_bin = torch.floor(distance / sound_speed / bin_width)
        late = time_bin >= num_bins
        index = mic_rows[mic] + time_bin.clamp(0, num_bins - 1).long()
        value = energy / _arrival_energy(distance, mic_radius)[:, None].to(dtype)
        return hist.index_add(0, index, value.masked_fill(late[:, None], 0))

    origin = source.expand(num_rays, 3)
    direction = _fibonacci_directions(num_rays, dtype, device)
    energy = torch.full((num_rays, num_bands), energy_0, dtype=dtype, device=device)
    travelled = torch.zeros(num_rays, dtype=torch.float64, device=device)  # long paths: accumulate in float64
    while origin.shape[0] > 0:
        hit, wall, axis, found, length = _next_wall(room, origin, direction)

        # Specular path: does the segment origin -> hit pass within mic_radius of a microphone?
        to_mic = mics[None, :, :] - origin[:, None, :]  # (N, M, 3)
        along = (to_mic * direction[:, None, :]).sum(-1)  # (N, M), to the point of closest approach
        miss_sq = (to_mic * to_mic).sum(-1) - along * along  # squared distance of the mic from the ray's line
        hits = (
            found[:, None] & (along > -_EPS) & (along < length[:, None] + _EPS) & (miss_sq < (mic_radius + _EPS) ** 2)
        )
        ray, mic = hits.nonzero(as_tuple=True)
        hist = log(mic, travelled[ray] + along[ray, mic].abs().double(), energy[ray])

        travelled = travelled + length.double()
        energy = energy * reflection[wall]
        if do_scattering:
            # Diffuse rain: one hop from the hit point to every microphone on the ray's side of the wall
            to_mic = mics[None, :, :] - hit[:, None, :]
            hop = torch.linalg.norm(to_mic, dim=-1)  # (N, M)
            # signed distance outside the wall plane (outward normal) of the ray's origin and of each microphone
            high = wall % 2 == 1
            plane, outward = torch.where(high, room[axis], 0.0), torch.where(high, 1.0, -1.0).to(dtype)
            rows = torch.arange(hit.shape[0], device=device)
            seen = (
                _side((mics.T[axis] - plane[:, None]) * outward[:, None])
                == _side((origin[rows, axis] - plane) * outward)[:, None]
            )
            # a hit point inside the microphone's sphere is never logged (torchaudio's square root of a
            # negative number there gives NaN, which fails its threshold)
            ratio = mic_radius * mic_radius / (hop * hop)
            at_mic = travelled[:, None] + hop.double()
            ray, mic = (seen & (ratio <= 1) & (at_mic < max_distance)).nonzero(as_tuple=True)
            covered = 1 - torch.sqrt(1 - ratio[ray, mic])  # share of the hemisphere the microphone covers
            lambert = 2 * (to_mic[ray, mic, axis[ray]] / hop[ray, mic]).abs()
            rain = scatter[wall[ray]] * energy[ray] * (covered * lambert)[:, None]  # (K, band)
            strong = rain.amax(-1) > min_energy
            hist = log(mic[strong], at_mic[ray, mic][strong], rain[strong])
            energy = energy * kept[wall]

        alive = found & (travelled <= max_distance) & (energy.amax(-1) >= min_energy)
        # specular reflection off an axis-aligned wall flips one component of the direction
        flip = torch.nn.functional.one_hot(axis, 3).to(torch.bool)
        origin, direction = hit, torch.where(flip, -direction, direction)
        if not bool(alive.all()):
            origin, direction, energy, travelled = origin[alive], direction[alive], energy[alive], travelled[alive]

    return hist.view(num_mics, num_bins, num_bands).transpose(1, 2).to(out_dtype)
