"""prototype.functional.ray_tracing: pyroomacoustics' tracer on the same rays, closed forms, a slow per-ray
reference, diffuse-field physics, and torchaudio 2.8's argument errors."""

from __future__ import annotations

import importlib
import math
import re

import numpy as np
import pytest
import torch

from conftest import tol
from torchsound.prototype import functional as P

WALLS = ["west", "east", "south", "north", "floor", "ceiling"]


def _t(values, dtype=torch.float64):
    return torch.tensor(values, dtype=dtype)


def _pyroomacoustics(room, source, mics, num_rays, absorption, mic_radius, time_thres, hist_bin_size):
    """pyroomacoustics' libroom tracer (float32 C++) on torchaudio's rays: Fibonacci directions, energy 2 / num_rays."""
    import pyroomacoustics as pra
    from pyroomacoustics.doa.utils import fibonacci_spherical_sampling

    materials = {name: pra.Material(float(a), 0.0) for name, a in zip(WALLS, absorption)}
    shoebox = pra.ShoeBox(room, fs=16000, materials=materials, max_order=-1, ray_tracing=True, air_absorption=False)
    shoebox.set_ray_tracing(
        n_rays=num_rays,
        receiver_radius=mic_radius,
        energy_thres=1e-7,
        time_thres=time_thres,
        hist_bin_size=hist_bin_size,
    )
    shoebox.add_source(source)
    shoebox.add_microphone_array(np.asarray(mics).T)
    # directions computed in float64 like torchaudio's (the engine's own Fibonacci overload rounds them to
    # float32, which changes which rays graze a microphone: totals then differ by up to 0.2 %)
    directions = fibonacci_spherical_sampling(num_rays).T
    shoebox.room_engine.ray_tracing(directions, np.ones((num_rays, 1)), np.asarray(source, dtype=float))
    return np.stack([mic.histograms[0].get_hist()[0] for mic in shoebox.room_engine.microphones]).astype(np.float64)


def _decay(hist):
    """Schroeder's backward integral: energy still to arrive after each bin."""
    return np.cumsum(hist[..., ::-1], -1)[..., ::-1]


# room, source, mics, rays, absorption per wall, mic radius, time_thres, hist_bin_size (a whole number of
# 1/16000 s samples, as pyroomacoustics rounds it)
PRA_CASES = [
    ([3.0, 4.0, 2.5], [1.0, 1.5, 1.2], [[2.0, 3.0, 1.0], [0.5, 0.5, 2.0]], 2000, [0.1] * 6, 0.5, 0.5, 0.004),
    (
        [6.0, 4.0, 3.0],
        [1.5, 2.2, 1.3],
        [[4.0, 1.0, 1.5], [3.0, 3.1, 1.0]],
        1500,
        [0.05, 0.1, 0.2, 0.3, 0.4, 0.5],
        0.3,
        0.3,
        0.002,
    ),
    ([5.0, 5.0, 3.0], [2.5, 2.5, 1.5], [[1.0, 1.0, 1.0]], 3000, [0.6] * 6, 0.2, 0.2, 0.001),
]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("case", range(len(PRA_CASES)))
def test_matches_pyroomacoustics_on_the_same_rays(case, dtype):
    room, source, mics, rays, absorption, radius, duration, width = PRA_CASES[case]
    ours = P.ray_tracing(
        _t(room, dtype),
        _t(source, dtype),
        _t(mics, dtype),
        rays,
        _t(absorption, dtype),
        mic_radius=radius,
        time_thres=duration,
        hist_bin_size=width,
    )
    assert ours.shape == (len(mics), 1, round(duration / width)) and ours.dtype == dtype
    ours = ours[:, 0].double().numpy()
    ref = _pyroomacoustics(room, source, mics, rays, absorption, radius, duration, width)[:, : ours.shape[-1]]
    assert ref.shape == ours.shape

    # Direct path: the same first bin, the same energy (same rays hit the microphone sphere)
    for got, want in zip(ours, ref):
        first = np.flatnonzero(want)[0]
        assert np.flatnonzero(got)[0] == first
        torch.testing.assert_close(torch.tensor(got[first]), torch.tensor(want[first]), **tol("float32"))
    # Totals and the integrated decay curves agree (see the tolerance row for why not to rounding)
    total = ref.sum(-1, keepdims=True)
    torch.testing.assert_close(
        torch.from_numpy(ours.sum(-1, keepdims=True) / total),
        torch.ones_like(torch.from_numpy(total)),
        **tol("ray_tracing_pyroomacoustics"),
    )
    torch.testing.assert_close(
        torch.from_numpy(_decay(ours) / total),
        torch.from_numpy(_decay(ref) / total),
        **tol("ray_tracing_pyroomacoustics"),
    )
    # Bin by bin: almost all equal to float32 rounding; the others differ by at most two rays, each of which
    # logs at most (2 / rays) / min_r(r^2 p_hit(r)) = 4 / (rays * radius^2)
    same = np.isclose(ours, ref, rtol=1e-5, atol=1e-7 * ref.max())
    assert same.mean() > 0.9
    assert np.abs(ours - ref).max() <= 2 * 4 / (rays * radius**2)


def _passes_on_x_axis(width_x, source_x, mic_x, absorption, energy_thres, max_distance):
    """Distances and energies at which a ray cast along +x passes a microphone on its line (closed form).

    The ray bounces between the west and east walls: going east it passes the microphone at
    ``mic_x - source_x + 2 W k`` after 2k bounces; going west at ``2 W - mic_x - source_x + 2 W k`` after 2k + 1.
    It stops after the first bounce that leaves its energy under ``energy_thres`` or that ends past ``max_distance``.
    """
    out = []
    bounces = 0
    while True:
        k, odd = divmod(bounces, 2)
        out.append(
            (
                mic_x - source_x + 2 * width_x * k if not odd else 2 * width_x - mic_x - source_x + 2 * width_x * k,
                (1 - absorption) ** bounces,
            )
        )
        wall_at = (width_x - source_x + 2 * width_x * k) if not odd else (2 * width_x - source_x + 2 * width_x * k)
        bounces += 1
        if wall_at > max_distance or (1 - absorption) ** bounces < energy_thres:
            return out


def _r2_p_hit(r, radius):
    return r * r * (1 - math.sqrt(1 - radius * radius / max(radius * radius, r * r)))


@pytest.mark.parametrize(
    "absorption,energy_thres,duration,width",
    # the last: 0.1 s is not a whole number of 3 ms bins, so there are 34 bins of 0.1 / 34 s (torchaudio's rule)
    [(0.5, 1e-3, 0.3, 0.004), (0.2, 1e-7, 0.1, 0.004), (0.0, 1e-7, 0.05, 0.004), (0.2, 1e-7, 0.1, 0.003)],
)
def test_single_ray_closed_form(absorption, energy_thres, duration, width):
    # One ray: Fibonacci's first direction is exactly +x. A microphone on its line, one 0.3 m off it (within
    # the radius: the same passes) and one 1 m off (never hit).
    room, source = _t([5.0, 4.0, 3.0]), _t([1.0, 2.0, 1.5])
    mics = _t([[3.0, 2.0, 1.5], [3.0, 2.3, 1.5], [3.0, 3.0, 1.5]])
    hist = P.ray_tracing(
        room, source, mics, 1, absorption, energy_thres=energy_thres, time_thres=duration, hist_bin_size=width
    )
    num_bins = math.ceil(duration / width)
    expected = torch.zeros(num_bins, dtype=torch.float64)
    # torchaudio turns a float coefficient into a float32 tensor first: its reflection is 1 - float32(absorption)
    absorption32 = float(np.float32(absorption))
    for distance, energy in _passes_on_x_axis(5.0, 1.0, 3.0, absorption32, energy_thres, duration * 343.0):
        b = math.floor(distance / 343.0 / (duration / num_bins))
        if b < num_bins:
            expected[b] += 2.0 * energy / _r2_p_hit(distance, 0.5)
    assert expected.count_nonzero() >= 2
    torch.testing.assert_close(hist[0, 0], expected, **tol("float64"))
    torch.testing.assert_close(hist[1, 0], expected, **tol("float64"))
    assert hist[2].count_nonzero() == 0


def test_direct_path_bin_and_energy():
    """The direct sound lands in the bin of its distance with energy ~1/d^2, as the r^2 p_hit normalisation intends."""
    from scipy.integrate import quad

    radius, d, rays = 0.5, 2.0, 20000
    # walls 0.9 absorbing, 3 m or more from source and mic: nothing else arrives before 8 m of path
    hist = P.ray_tracing(
        _t([10.0, 10.0, 10.0]),
        _t([5.0, 5.0, 5.0]),
        _t([[5.0, 7.0, 5.0]]),
        rays,
        0.9,
        mic_radius=radius,
        time_thres=0.02,
    )
    # rays hitting the sphere travel between sqrt(d^2 - R^2) = 1.94 m and 2 m to their closest point: bin 1
    assert hist[0, 0, 0] == 0 and hist[0, 0, 1] > 0 and hist[0, 0, 2:].abs().sum() < 1e-2 * hist[0, 0, 1]
    # expected logged energy: uniform directions within the cap, each logged at its closest-approach distance
    expected = quad(lambda th: math.sin(th) / _r2_p_hit(d * math.cos(th), radius), 0, math.asin(radius / d))[0]
    assert expected == pytest.approx(1 / d**2, rel=1e-3)
    # Fibonacci directions sample the cap (~160 rays) with a discrepancy of a few rays
    assert float(hist[0, 0, 1]) == pytest.approx(expected, rel=0.03)


def test_lossless_room_keeps_a_constant_diffuse_energy():
    """No absorption: the energy is conserved, and the late histogram is flat at the diffuse-field level.

    A ray crosses a microphone sphere (cross-section pi R^2) on average cT pi R^2 / V times in a bin of T
    seconds, logging each time (2 / rays) * 2 / R^2 (far from the source r^2 p_hit -> R^2 / 2): 4 pi c T / V a bin.
    """
    room, rays, width = [3.0, 4.0, 2.5], 4000, 0.004
    hist = P.ray_tracing(
        _t(room),
        _t([1.0, 1.5, 1.2]),
        _t([[2.0, 3.0, 1.0], [0.5, 0.5, 2.0]]),
        rays,
        0.0,
        time_thres=0.2,
        hist_bin_size=width,
    )
    level = 4 * math.pi * 343.0 * width / math.prod(room)
    late = hist[:, 0, 10:]  # after 40 ms the field is mixed
    # bins fluctuate by ~6 % (a few hundred crossings each); their mean over 40 bins is a 1 % estimate,
    # plus ~2 % from r^2 p_hit not yet at its limit for the nearest passes
    torch.testing.assert_close(late.mean(-1), torch.full((2,), level, dtype=torch.float64), rtol=0.05, atol=0)
    # no decay: the last and first halves of the late part carry the same energy
    torch.testing.assert_close(late[:, 20:].mean(-1), late[:, :20].mean(-1), rtol=0.05, atol=0)


# ---------------------------------------------------------------------------------------------------------
# A slow per-ray reference of torchaudio's algorithm (its documentation and pyroomacoustics' paper), written
# independently: the exit wall is the nearest plane the ray runs toward, scalars in Python floats.


def _side_of_wall(point, room, axis, high, eps=1e-5):
    """+1 outside the wall (beyond its plane along the outward normal), -1 inside, 0 on it."""
    off = point[axis] - room[axis] if high else -point[axis]
    return (off > eps) - (off < -eps)


def _slow_ray_tracing(room, source, mics, num_rays, absorption, scattering, radius, c, energy_thres, duration, width):
    eps = 1e-5
    bands = len(absorption)
    num_bins = math.ceil(duration / width)
    bin_width = duration / num_bins
    hist = np.zeros((len(mics), bands, num_bins))
    e0 = 2.0 / num_rays
    for i in range(num_rays):
        z = 2.0 / num_rays * (i + 0.5) - 1
        phi = i * math.pi * (3 - math.sqrt(5))
        rho = math.sqrt(1 - z * z)
        d = [math.cos(phi) * rho, math.sin(phi) * rho, z]
        o = list(source)
        energy = [e0] * bands
        travelled = 0.0
        while True:
            # time to each wall plane the ray runs toward; the nearest is hit
            times = [
                ((room[a] - o[a]) / d[a] if d[a] > 0 else -o[a] / d[a]) if abs(d[a]) >= eps else math.inf
                for a in range(3)
            ]
            a = min(range(3), key=lambda k: times[k])
            t = max(times[a], 0.0)
            hit = [o[k] + t * d[k] for k in range(3)]
            high = d[a] > 0
            for m, mic in enumerate(mics):
                v = [mic[k] - o[k] for k in range(3)]
                along = sum(v[k] * d[k] for k in range(3))
                off = math.dist(v, [along * d[k] for k in range(3)])
                if -eps < along < t + eps and off < radius + eps:
                    r = travelled + abs(along)
                    b = math.floor(r / c / bin_width)
                    if b < num_bins:
                        for k in range(bands):
                            hist[m, k, b] += energy[k] / _r2_p_hit(r, radius)
            travelled += t
            wall = 2 * a + high
            energy = [energy[k] * (1 - absorption[k][wall]) for k in range(bands)]
            if any(s[wall] > 0 for s in scattering):
                for m, mic in enumerate(mics):
                    if _side_of_wall(mic, room, a, high) != _side_of_wall(o, room, a, high):
                        continue
                    hop = math.dist(mic, hit)
                    r = travelled + hop
                    if hop < radius:
                        continue
                    cover = 1 - math.sqrt(1 - radius * radius / (hop * hop))
                    lambert = 2 * abs(mic[a] - hit[a]) / hop
                    rain = [scattering[k][wall] * energy[k] * cover * lambert for k in range(bands)]
                    if r < duration * c and max(rain) > e0 * energy_thres:
                        for k in range(bands):
                            hist[m, k, math.floor(r / c / bin_width)] += rain[k] / _r2_p_hit(r, radius)
                energy = [energy[k] * (1 - scattering[k][wall]) for k in range(bands)]
            if travelled > duration * c or max(energy) < e0 * energy_thres:
                break
            d[a] = -d[a]
            o = hit
    return hist


def test_scattering_and_bands_match_a_slow_per_ray_reference():
    room, source, mics = [4.0, 3.0, 2.5], [1.2, 1.1, 1.3], [[3.0, 2.2, 1.0], [0.6, 2.5, 2.0]]
    absorption = [[0.1, 0.2, 0.3, 0.1, 0.2, 0.3], [0.5, 0.4, 0.3, 0.6, 0.2, 0.1]]
    scattering = [[0.2, 0.1, 0.4, 0.3, 0.0, 0.5], [0.6, 0.3, 0.2, 0.1, 0.4, 0.0]]
    rays, duration, width, radius = 60, 0.06, 0.002, 0.4
    ours = P.ray_tracing(
        _t(room),
        _t(source),
        _t(mics),
        rays,
        _t(absorption),
        _t(scattering),
        mic_radius=radius,
        energy_thres=1e-3,
        time_thres=duration,
        hist_bin_size=width,
    )
    ref = _slow_ray_tracing(room, source, mics, rays, absorption, scattering, radius, 343.0, 1e-3, duration, width)
    assert ours.shape == (2, 2, 30) and np.count_nonzero(ref) > 60
    torch.testing.assert_close(ours, torch.from_numpy(ref), **tol("float64"))


def test_scattering_float_broadcasts_over_bands_and_moves_energy_to_the_rain():
    room, source, mics = _t([4.0, 3.0, 2.5]), _t([1.2, 1.1, 1.3]), _t([[3.0, 2.2, 1.0]])
    absorption = _t([[0.1] * 6, [0.3] * 6, [0.5] * 6])
    scattered = P.ray_tracing(room, source, mics, 200, absorption, 0.3, time_thres=0.05)
    assert scattered.shape == (1, 3, 13)
    # a float scattering is the same as a per-band tensor of that value
    torch.testing.assert_close(
        scattered,
        P.ray_tracing(room, source, mics, 200, absorption, torch.full((3, 6), 0.3), time_thres=0.05),
        **tol("float64"),
    )
    # the direct path is untouched by scattering, later bins change
    specular = P.ray_tracing(room, source, mics, 200, absorption, time_thres=0.05)
    torch.testing.assert_close(scattered[..., :2], specular[..., :2], **tol("float64"))
    assert not torch.allclose(scattered, specular)


def test_bands_are_independent_runs_without_an_energy_threshold():
    """Without energy threshold rays stop on time only, so band k equals a single-band run with band k's walls."""
    room, source, mics = _t([3.0, 4.0, 2.5]), _t([1.0, 1.5, 1.2]), _t([[2.0, 3.0, 1.0]])
    absorption = torch.linspace(0.05, 0.6, 7, dtype=torch.float64)[:, None] + torch.linspace(
        0, 0.3, 6, dtype=torch.float64
    )
    multi = P.ray_tracing(room, source, mics, 300, absorption, energy_thres=0.0, time_thres=0.1)
    assert multi.shape == (1, 7, 25)
    for k in range(7):
        single = P.ray_tracing(room, source, mics, 300, absorption[k], energy_thres=0.0, time_thres=0.1)
        torch.testing.assert_close(multi[:, k], single[:, 0], **tol("float64"))


def test_channels_are_independent_and_dtypes_follow_the_input():
    room, source, mics = (
        _t([3.0, 4.0, 2.5]),
        _t([1.0, 1.5, 1.2]),
        _t([[2.0, 3.0, 1.0], [0.5, 0.5, 2.0], [2.5, 1.0, 0.5]]),
    )
    absorption = torch.full((6,), 0.2, dtype=torch.float64)
    copies = [t.clone() for t in (room, source, mics, absorption)]
    both = P.ray_tracing(room, source, mics, 500, absorption, time_thres=0.1)
    for before, after in zip(copies, (room, source, mics, absorption)):
        assert torch.equal(before, after)  # inputs untouched
    for m in range(3):
        torch.testing.assert_close(
            both[m], P.ray_tracing(room, source, mics[m : m + 1], 500, absorption, time_thres=0.1)[0], **tol("float64")
        )
    half = P.ray_tracing(room.half(), source.half(), mics.half(), 500, 0.2, time_thres=0.1)
    assert half.dtype == torch.float16
    # float16 coordinates are the float32 run on the rounded coordinates (all three are exact in float16)
    single = P.ray_tracing(room.float(), source.float(), mics.float(), 500, 0.2, time_thres=0.1)
    torch.testing.assert_close(half, single.half(), **tol("float16"))


def test_gradient_with_respect_to_absorption():
    room, source, mics = _t([3.0, 4.0, 2.5]), _t([1.0, 1.5, 1.2]), _t([[2.0, 3.0, 1.0]])
    absorption = torch.tensor([0.1, 0.2, 0.3, 0.2, 0.1, 0.4], dtype=torch.float64, requires_grad=True)
    scattering = torch.tensor([0.1, 0.05, 0.2, 0.1, 0.3, 0.1], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, s: P.ray_tracing(room, source, mics, 20, a, s, energy_thres=0.0, time_thres=0.03),
        (absorption, scattering),
    )


# ---------------------------------------------------------------------------------------------------------
# Errors: the same type and message as torchaudio 2.8's wrapper (which checks before its compiled kernel)

ROOM, SOURCE, MICS = _t([3.0, 4.0, 2.5]), _t([1.0, 1.5, 1.2]), _t([[2.0, 3.0, 1.0]])
ORACLE_ERRORS = {
    "time_thres": ((ROOM, SOURCE, MICS, 10), {"time_thres": 0.001, "hist_bin_size": 0.004}),
    "dtypes": ((ROOM.float(), SOURCE, MICS, 10), {}),
    "room shape": ((torch.ones(2, dtype=torch.float64), SOURCE, MICS, 10), {}),
    "source shape": ((ROOM, torch.ones(1, 3, dtype=torch.float64), MICS, 10), {}),
    "mic shape": ((ROOM, SOURCE, torch.ones(3, dtype=torch.float64), 10), {}),
    "negative float": ((ROOM, SOURCE, MICS, 10), {"absorption": -0.1}),
    "negative tensor": ((ROOM, SOURCE, MICS, 10), {"scattering": torch.full((6,), -0.1)}),
    "1D size": ((ROOM, SOURCE, MICS, 10), {"absorption": torch.full((4,), 0.1)}),
    "2D walls": ((ROOM, SOURCE, MICS, 10), {"scattering": torch.full((7, 4), 0.1)}),
    "band mismatch": (
        (ROOM, SOURCE, MICS, 10),
        {"absorption": torch.full((7, 6), 0.1), "scattering": torch.full((3, 6), 0.1)},
    ),
    "type": ((ROOM, SOURCE, MICS, 10), {"absorption": "0.1"}),
    "3D tensor": ((ROOM, SOURCE, MICS, 10), {"absorption": torch.full((1, 7, 6), 0.1)}),
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", list(ORACLE_ERRORS))
def test_errors_match_torchaudio(torchaudio28, case):
    args, kwargs = ORACLE_ERRORS[case]
    theirs_fn = importlib.import_module(torchaudio28.__name__ + ".prototype.functional").ray_tracing
    with pytest.raises(Exception) as theirs:
        theirs_fn(*args, **kwargs)
    assert theirs.type in (ValueError, TypeError)
    # theirs says "must be float or Tensor."; ours adds what was accepted and found
    message = str(theirs.value).rstrip(".") if theirs.type is TypeError else str(theirs.value)
    with pytest.raises(theirs.type, match=re.escape(message)):
        P.ray_tracing(*args, **kwargs)


def test_errors_torchaudio_left_to_its_kernel():
    with pytest.raises(TypeError, match="num_rays must be an int"):
        P.ray_tracing(ROOM, SOURCE, MICS, 10.0)
    with pytest.raises(ValueError, match="num_rays must be >= 1"):
        P.ray_tracing(ROOM, SOURCE, MICS, 0)
    with pytest.raises(ValueError, match="mic_radius must be positive"):
        P.ray_tracing(ROOM, SOURCE, MICS, 10, mic_radius=0.0)
    with pytest.raises(ValueError, match="hist_bin_size must be positive"):
        P.ray_tracing(ROOM, SOURCE, MICS, 10, time_thres=-1.0, hist_bin_size=-2.0)
    with pytest.raises(ValueError, match="source must lie inside the room"):
        P.ray_tracing(ROOM, _t([1.0, 5.0, 1.0]), MICS, 10)
    with pytest.raises(TypeError, match="floating-point"):
        P.ray_tracing(ROOM.long(), SOURCE.long(), MICS.long(), 10)
    with pytest.raises(ValueError, match="must be on one device, got cpu, meta and cpu"):
        P.ray_tracing(ROOM, SOURCE.to("meta"), MICS, 10)
    with pytest.raises(TypeError, match="room must be a torch.Tensor"):
        P.ray_tracing([3.0, 4.0, 2.5], SOURCE, MICS, 10)
