"""Multi-band ``simulate_rir_ism``: torchaudio 2.8's algorithm, pyroomacoustics' octave-band ISM, properties.

torchaudio 2.8 runs two steps of ``simulate_rir_ism`` in compiled ops the oracle lacks: ``_simulate_rir``
(overlap-add of the per-image responses) and ``_make_rir_filter`` (the octave-band filters). The ``oracle_rir``
fixture stands in for them with direct references written here (a loop over images; pyroomacoustics' own
cosine magnitude response, made zero-phase the way torchaudio's C++ does: irfft, fftshift, first tap dropped),
so the rest of torchaudio's pure-Python function (image sources, attenuation, fractional delays, default
centres, "same"-mode ``fftconvolve``, band sum, cropping) runs as the reference.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from _harness import check_gradcheck
from conftest import tol

import torchsound.functional as F
import torchsound.prototype.functional as P
from torchsound.functional._rir import _image_sources

CENTERS = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0]
WALLS = ["west", "east", "south", "north", "floor", "ceiling"]
ROOM, SOURCE, MICS = [6.0, 4.0, 3.0], [1.5, 2.2, 1.3], [[4.0, 1.0, 1.5], [3.0, 3.1, 1.0]]


def _geometry(dtype=torch.float64, device="cpu"):
    return tuple(torch.tensor(v, dtype=dtype, device=device) for v in (ROOM, SOURCE, MICS))


def _absorption(bands=7, dtype=torch.float64):
    return torch.rand(bands, 6, dtype=dtype) * 0.8 + 0.05


def _overlap_add_loop(irs, delay_i, rir_length):
    """torchaudio's ``_simulate_rir``: every image's short response added at its integer delay, one at a time."""
    bands, images, mics, taps = irs.shape
    out = irs.new_zeros(bands, mics, rir_length)
    for b in range(bands):
        for i in range(images):
            for m in range(mics):
                start = int(delay_i[i, m])
                out[b, m, start : start + taps] += irs[b, i, m]
    return out


def _band_filters_reference(centers, sample_rate, n_fft):
    """torchaudio's ``_make_rir_filter``, bin by bin: ``(band, n_fft - 1)`` zero-phase filters.

    Band ``b`` rises as ``(1 + cos(2 pi f / c_b)) / 2`` on ``[lower_b, c_b)`` and falls as ``(1 - cos(2 pi f / upper_b)) / 2``
    on ``[c_b, upper_b)``; the edges are the neighbouring centres (``c_0 / 2`` and Nyquist at the ends) and the last
    band is 1 from its centre up. Then irfft, fftshift, and the first tap dropped.
    """
    c = [float(v) for v in centers]
    n = len(c)
    magnitude = np.zeros((n, n_fft // 2 + 1))
    for b in range(n):
        lower = c[0] / 2 if b == 0 else c[b - 1]
        upper = sample_rate / 2 if b == n - 1 else c[b + 1]
        for k in range(n_fft // 2 + 1):
            f = k / n_fft * sample_rate
            if lower <= f < c[b]:
                magnitude[b, k] = 0.5 * (1 + np.cos(2 * np.pi * f / c[b]))
            elif b < n - 1 and c[b] <= f < upper:
                magnitude[b, k] = 0.5 * (1 - np.cos(2 * np.pi * f / upper))
            elif b == n - 1 and f >= c[b]:
                magnitude[b, k] = 1.0
    filters = np.fft.fftshift(np.fft.irfft(magnitude, n=n_fft, axis=-1), axes=-1)[:, 1:]
    return torch.from_numpy(filters).to(centers.dtype)


def test_band_filter_reference_is_pyroomacoustics_design():
    """The bin-by-bin magnitudes above are pyroomacoustics' cosine octave filterbank (which torchaudio cites)."""
    from pyroomacoustics.acoustics import cosine_magnitude_octave_filter_response

    for centers, rate in [(CENTERS, 16000), ([100.0, 300.0, 900.0, 2500.0], 8000)]:
        magnitude = cosine_magnitude_octave_filter_response(512, np.array(centers), rate, keep_dc=False)[0]
        want = np.fft.fftshift(np.fft.irfft(magnitude, n=512, axis=-1), axes=-1)[:, 1:]
        np.testing.assert_allclose(_band_filters_reference(torch.tensor(centers, dtype=torch.float64), rate, 512).numpy(),
                                   want, rtol=0, atol=tol("float64")["atol"])


@pytest.fixture
def oracle_rir(torchaudio28, monkeypatch):
    monkeypatch.setattr(torch.ops.torchaudio, "_simulate_rir", _overlap_add_loop, raising=False)
    monkeypatch.setattr(torch.ops.torchaudio, "_make_rir_filter", _band_filters_reference, raising=False)
    import torchaudio.prototype.functional._rir as oracle_module  # the oracle's (torchaudio28 is on sys.path)

    def run(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torchaudio 2.8's deprecation notice
            return oracle_module.simulate_rir_ism(*args, **kwargs)

    run.module = oracle_module
    return run


@pytest.mark.parametrize("bands", [1, 7])
@pytest.mark.parametrize("order", [0, 3])
def test_image_sources_match_torchaudio(oracle_rir, bands, order):
    room, source, _ = _geometry()
    absorption = _absorption(bands)
    images, gain = _image_sources(room, source, order, torch.sqrt(1 - absorption))
    want_images, want_gain = oracle_rir.module._compute_image_sources(room, source, order, absorption)
    torch.testing.assert_close(images, want_images, **tol("float64"))
    torch.testing.assert_close(gain, want_gain, **tol("float64"))


@pytest.mark.parametrize(
    "order,kwargs",
    [(0, {}), (3, {}), (3, dict(output_length=700)), (2, dict(output_length=4000, delay_filter_length=41)),
     (2, dict(sound_speed=340.0, sample_rate=22050.0))],
)
def test_multiband_matches_torchaudio(oracle_rir, order, kwargs):
    room, source, mics = _geometry()
    absorption = _absorption()
    got = P.simulate_rir_ism(room, source, mics, order, absorption, **kwargs)
    want = oracle_rir(room, source, mics, order, absorption, **kwargs)
    assert got.shape == want.shape and got.dtype == torch.float64
    torch.testing.assert_close(got, want, **tol("float64"))


def test_custom_center_frequency_and_band_count_match_torchaudio(oracle_rir):
    # 5 bands at 8 kHz; the last centre above Nyquist leaves its band empty in both implementations
    room, source, mics = _geometry()
    absorption, center = _absorption(5), torch.tensor([100.0, 300.0, 900.0, 2500.0, 5000.0], dtype=torch.float64)
    got = P.simulate_rir_ism(room, source, mics, 2, absorption, center_frequency=center, sample_rate=8000.0)
    want = oracle_rir(room, source, mics, 2, absorption, center_frequency=center, sample_rate=8000.0)
    torch.testing.assert_close(got, want, **tol("float64"))
    # torchaudio's default centres reach 8 kHz, above the Nyquist frequency of 8 kHz audio: still accepted
    absorption = _absorption()
    torch.testing.assert_close(P.simulate_rir_ism(room, source, mics, 1, absorption, sample_rate=8000.0),
                               oracle_rir(room, source, mics, 1, absorption, sample_rate=8000.0), **tol("float64"))


def test_float32_matches_torchaudio(oracle_rir):
    room, source, mics = _geometry(torch.float32)
    absorption = _absorption(dtype=torch.float32)
    got = P.simulate_rir_ism(room, source, mics, 3, absorption)
    want = oracle_rir(room, source, mics, 3, absorption)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, want, **tol("float32_fft"))


def test_single_band_unchanged_and_center_frequency_ignored(oracle_rir):
    room, source, mics = _geometry()
    row = _absorption(1)
    flat = P.simulate_rir_ism(room, source, mics, 3, row[0])
    torch.testing.assert_close(flat, oracle_rir(room, source, mics, 3, row[0]), **tol("float64"))
    # (1, 6) is the same single band; center_frequency only matters with several bands (torchaudio ignores it)
    assert torch.equal(P.simulate_rir_ism(room, source, mics, 3, row), flat)
    center = torch.tensor(CENTERS, dtype=torch.float64)
    assert torch.equal(P.simulate_rir_ism(room, source, mics, 3, row[0], center_frequency=center), flat)
    torch.testing.assert_close(oracle_rir(room, source, mics, 3, row[0], center_frequency=center), flat, **tol("float64"))


def test_equal_rows_are_the_single_band_response_through_the_filterbank_sum(oracle_rir):
    """Equal rows give the single-band RIR filtered by the sum of the band filters (linearity).

    That sum passes every DFT bin from the first centre (125 Hz) up with gain exactly 1 and removes everything
    below half of it (62.5 Hz): the bands partition unity above 125 Hz. So the multi-band result equals the
    single-band one only up to the DC/sub-125 Hz content (torchaudio's too: 1-4 % of the peak in this room).
    """
    room, source, mics = _geometry()
    row = _absorption(1)[0]
    single = P.simulate_rir_ism(room, source, mics, 4, row)
    multi = P.simulate_rir_ism(room, source, mics, 4, row.expand(7, 6))
    total = _band_filters_reference(torch.tensor(CENTERS, dtype=torch.float64), 16000.0, 512).sum(0)
    torch.testing.assert_close(multi, F.fftconvolve(single, total[None], mode="same"), **tol("float64"))
    response = np.fft.rfft(total.numpy(), n=512)
    freq = np.fft.rfftfreq(512, 1 / 16000)
    np.testing.assert_allclose(np.abs(response[freq >= CENTERS[0]]), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(response[freq < CENTERS[0] / 2]), 0.0, atol=1e-12)
    # torchaudio's own single-band and equal-row results differ the same way
    torch.testing.assert_close(oracle_rir(room, source, mics, 4, row.expand(7, 6)) - oracle_rir(room, source, mics, 4, row),
                               multi - single, **tol("float64"))


def _pyroomacoustics_multiband(order, absorption):
    import pyroomacoustics as pra
    from pyroomacoustics.acoustics import OctaveBandsFactory

    saved = pra.constants.get("rir_hpf_enable")
    pra.constants.set("rir_hpf_enable", False)  # compare the raw image-source response
    try:
        materials = {wall: pra.Material({"coeffs": absorption[:, k].tolist(), "center_freqs": CENTERS})
                     for k, wall in enumerate(WALLS)}
        shoebox = pra.ShoeBox(ROOM, fs=16000, materials=materials, max_order=order, air_absorption=False)
        # pyroomacoustics 0.10 defaults to Antoni's filterbank; torchaudio follows its cosine octave filterbank
        shoebox.octave_bands = OctaveBandsFactory(base_frequency=125.0, fs=16000, n_fft=512, keep_dc=False)
        shoebox.add_source(SOURCE)
        shoebox.add_microphone_array(np.asarray(MICS).T)
        shoebox.compute_rir()
        return [shoebox.rir[m][0] for m in range(len(MICS))]
    finally:
        pra.constants.set("rir_hpf_enable", saved)


@pytest.mark.parametrize("order", [0, 2, 6])
def test_multiband_matches_pyroomacoustics(order):
    """Same per-band, per-wall absorption in both; pyroomacoustics' filters have one tap more (512, the extra
    one 256 samples from the centre) and it evaluates the fractional-delay sinc from a float32 lookup table:
    measured 1.9e-3 of the peak, within the single-band row ``rir_pyroomacoustics``."""
    absorption = _absorption()
    ours = P.simulate_rir_ism(*_geometry(), order, absorption)
    for channel, reference in enumerate(_pyroomacoustics_multiband(order, absorption.numpy())):
        n = min(len(reference), ours.shape[-1])
        peak = np.abs(reference).max()
        torch.testing.assert_close(ours[channel, :n] / peak, torch.from_numpy(reference[:n] / peak).double(),
                                   **tol("rir_pyroomacoustics"))
        if order > 0:  # lengths differ by a sample or so; only the band-filtered direct path leaves a visible tail
            assert np.abs(reference[n:]).max(initial=0) < 1e-3 * peak
            assert np.abs(ours[channel, n:].numpy()).max(initial=0) < 1e-3 * peak


def test_per_wall_band_absorption_reaches_its_wall():
    """Absorbing one wall in one band only changes that band: the RIR through that band's filter alone."""
    room, source, mics = _geometry()
    base = torch.full((7, 6), 0.3, dtype=torch.float64)
    changed = base.clone()
    changed[3, WALLS.index("east")] = 0.9
    difference = P.simulate_rir_ism(room, source, mics, 2, changed) - P.simulate_rir_ism(room, source, mics, 2, base)
    # the same difference built from single-band runs filtered by band 3's filter
    single = P.simulate_rir_ism(room, source, mics, 2, changed[3]) - P.simulate_rir_ism(room, source, mics, 2, base[3])
    band3 = _band_filters_reference(torch.tensor(CENTERS, dtype=torch.float64), 16000.0, 512)[3]
    torch.testing.assert_close(difference, F.fftconvolve(single, band3[None], mode="same"), **tol("float64"))
    assert difference.abs().max() > 1e-3  # the east wall is reached within 2 reflections


def test_center_frequency_errors(oracle_rir):
    room, source, mics = _geometry()
    absorption = _absorption()
    five = torch.tensor([125.0, 250.0, 500.0, 1000.0, 2000.0], dtype=torch.float64)
    # torchaudio raises ValueError from its band convolution when the counts differ; ours names the argument
    with pytest.raises(ValueError, match="not broadcastable"):
        oracle_rir(room, source, mics, 1, absorption, center_frequency=five)
    with pytest.raises(ValueError, match=r"center_frequency must have one frequency per absorption band, shape \(7,\)"):
        P.simulate_rir_ism(room, source, mics, 1, absorption, center_frequency=five)
    with pytest.raises(ValueError, match="not broadcastable"):
        oracle_rir(room, source, mics, 1, absorption[:5])
    with pytest.raises(ValueError, match="absorption has 5 bands but the default center_frequency has 7"):
        P.simulate_rir_ism(room, source, mics, 1, absorption[:5])
    with pytest.raises(ValueError, match="center_frequency must have one frequency"):
        P.simulate_rir_ism(room, source, mics, 1, absorption, center_frequency=torch.ones(7, 1))
    with pytest.raises(TypeError, match="center_frequency must be a Tensor or None, got list"):
        P.simulate_rir_ism(room, source, mics, 1, absorption, center_frequency=CENTERS)
    # torchaudio does not check the values (a zero centre turns band 0 into a bump over 0-250 Hz); ours does
    zero = torch.tensor([0.0] + CENTERS[1:], dtype=torch.float64)
    with pytest.raises(ValueError, match="center_frequency must be positive and strictly increasing"):
        P.simulate_rir_ism(room, source, mics, 1, absorption, center_frequency=zero)
    with pytest.raises(ValueError, match="strictly increasing"):
        P.simulate_rir_ism(room, source, mics, 1, absorption, center_frequency=torch.tensor(CENTERS[::-1]))
    with pytest.raises(ValueError, match=r"absorption must be a float or have shape \(6,\) or \(num_bands, 6\)"):
        P.simulate_rir_ism(room, source, mics, 1, torch.full((7, 5), 0.2))
    with pytest.raises(ValueError, match=r"within \[0, 1\]"):
        P.simulate_rir_ism(room, source, mics, 1, torch.full((7, 6), 1.2))


def test_dtype_device_and_gradient(device):
    room, source, mics = _geometry(torch.float64)
    absorption = _absorption()
    reference = P.simulate_rir_ism(room, source, mics, 2, absorption)
    # float32 geometry gives a float32 result on the geometry's device; absorption follows it
    got = P.simulate_rir_ism(room.float().to(device), source.float().to(device), mics.float().to(device), 2, absorption)
    assert got.dtype == torch.float32 and got.device.type == device.type
    torch.testing.assert_close(got.cpu().double(), reference, **tol("float32_fft"))
    center = torch.tensor(CENTERS, dtype=torch.float64, device=device)
    got64 = P.simulate_rir_ism(room.to(device), source.to(device), mics.to(device), 2, absorption.to(device), center_frequency=center)
    torch.testing.assert_close(got64.cpu(), reference, **tol("float64"))
    # half precision: computed in float32 from the rounded geometry, rounded once at the end
    for half in (torch.float16, torch.bfloat16):
        rounded = [t.to(half).to(device) for t in (room, source, mics)]
        got = P.simulate_rir_ism(*rounded, 2, absorption)
        assert got.dtype == half
        want = P.simulate_rir_ism(*(t.float() for t in rounded), 2, absorption)
        torch.testing.assert_close(got.float(), want, **tol("float16" if half == torch.float16 else "bfloat16"))
    # differentiable in the absorption of every band and wall
    check_gradcheck(lambda a: P.simulate_rir_ism(room, source, mics[:1], 1, a, output_length=400), _absorption() * 0.8,
                    fast_mode=True)
