"""Multichannel PSD and MVDR beamforming against direct numpy/scipy formulas and signal properties."""

import numpy as np
import pytest
import scipy.linalg
import torch
from _harness import (
    check_batch_equals_loop,
    check_compile,
    check_dtype_device,
    check_gradcheck,
    check_no_inplace,
)
from conftest import tol

import torchsound.functional as F
import torchsound.transforms as T

C, FREQ, TIME = 3, 5, 40


def _spec(*batch, seed=0, dtype=torch.complex128):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*batch, C, FREQ, TIME, dtype=dtype, generator=g)


def _mask(*batch, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(*batch, FREQ, TIME, dtype=torch.float64, generator=g)


def _psd_pair(*batch):
    x = _spec(*batch, seed=2)
    return F.psd(x, _mask(*batch, seed=3)), F.psd(x, 1 - _mask(*batch, seed=3))


def _np_psd(x, mask=None, normalize=True, eps=1e-10):
    x = x.numpy()
    if mask is None:
        return np.einsum("...cft,...eft->...fce", x, x.conj())
    m = mask.numpy()
    if normalize:
        m = m / (m.sum(-1, keepdims=True) + eps)
    return np.einsum("...ft,...cft,...eft->...fce", m, x, x.conj())


def _np_load(m, reg=1e-7, eps=1e-8):
    tr = np.trace(m, axis1=-2, axis2=-1).real
    return m + (tr * reg + eps)[..., None, None] * np.eye(m.shape[-1])


@pytest.mark.parametrize("normalize", [True, False])
def test_psd_matches_numpy(normalize):
    x, mask = _spec(2), _mask(2)
    torch.testing.assert_close(F.psd(x, mask, normalize).numpy(), _np_psd(x, mask, normalize), **tol("float64"))
    torch.testing.assert_close(F.psd(x).numpy(), _np_psd(x), **tol("float64"))


def test_souden_matches_numpy_int_and_onehot():
    psd_s, psd_n = _psd_pair(2)
    s, n = psd_s.numpy(), _np_load(psd_n.numpy())
    num = np.linalg.solve(n, s)
    ws = num / (np.trace(num, axis1=-2, axis2=-1)[..., None, None] + 1e-8)
    torch.testing.assert_close(F.mvdr_weights_souden(psd_s, psd_n, 1).numpy(), ws[..., :, 1], **tol("float64"))
    onehot = torch.tensor([[0, 0, 1], [1, 0, 0]], dtype=torch.float64)
    got = F.mvdr_weights_souden(psd_s, psd_n, onehot).numpy()
    torch.testing.assert_close(got, np.stack([ws[0, :, :, 2], ws[1, :, :, 0]]), **tol("float64"))


def test_rtf_weights_match_numpy_and_are_distortionless():
    psd_s, psd_n = _psd_pair(2)
    rtf = F.rtf_evd(psd_s)
    v, n = rtf.numpy(), _np_load(psd_n.numpy())
    num = np.linalg.solve(n, v[..., None])[..., 0]
    den = np.einsum("...c,...c->...", v.conj(), num).real
    want = num / (den[..., None] + 1e-8)
    w = F.mvdr_weights_rtf(rtf, psd_n)
    torch.testing.assert_close(w.numpy(), want, **tol("float64"))
    # distortionless (eps=0): w^H v == 1 without a reference, == v_ref with one
    w = F.mvdr_weights_rtf(rtf, psd_n, eps=0.0)
    torch.testing.assert_close((w.conj() * rtf).sum(-1), torch.ones(2, FREQ, dtype=torch.complex128), **tol("float64"))
    w_ref = F.mvdr_weights_rtf(rtf, psd_n, 2, eps=0.0)
    torch.testing.assert_close((w_ref.conj() * rtf).sum(-1), rtf[..., 2], **tol("float64"))
    onehot = torch.tensor([0.0, 0.0, 1.0]).expand(2, C)
    torch.testing.assert_close(F.mvdr_weights_rtf(rtf, psd_n, onehot, eps=0.0), w_ref, **tol("float64"))


def test_rtf_evd_is_principal_eigenvector():
    psd_s, _ = _psd_pair(2)
    v = F.rtf_evd(psd_s)
    for idx in np.ndindex(2, FREQ):
        vals, vecs = scipy.linalg.eigh(psd_s[idx].numpy())
        ref = vecs[:, np.argmax(vals)]
        # eigenvectors are unique up to a unit-modulus phase
        assert abs(abs(np.vdot(ref, v[idx].numpy())) - 1) < 1e-10


@pytest.mark.parametrize("n_iter", [1, 2, 3, 5])
def test_rtf_power_matches_numpy(n_iter):
    psd_s, psd_n = _psd_pair(2)
    s, n = psd_s.numpy(), _np_load(psd_n.numpy())
    phi = np.linalg.solve(n, s)
    r = phi[..., :, 0:1]
    if n_iter == 1:
        r = n @ r
    else:
        for _ in range(n_iter - 2):
            r = phi @ r
        r = s @ r
    torch.testing.assert_close(F.rtf_power(psd_s, psd_n, 0, n_iter).numpy(), r[..., 0], **tol("float64"))


def test_power_iteration_converges_to_generalised_eigenvector():
    psd_s, psd_n = _psd_pair()
    r = F.rtf_power(psd_s, psd_n, 0, n_iter=60, diagonal_loading=False)
    for f in range(FREQ):
        _, vecs = scipy.linalg.eigh(psd_s[f].numpy(), psd_n[f].numpy())
        want = psd_n[f].numpy() @ vecs[:, -1]  # steering vector: Phi_N times principal generalised eigvector
        cos = abs(np.vdot(want, r[f].numpy())) / np.linalg.norm(want) / np.linalg.norm(r[f].numpy())
        assert cos > 1 - 1e-6


def test_apply_beamforming_matches_einsum():
    x = _spec(2)
    g = torch.Generator().manual_seed(5)
    w = torch.randn(2, FREQ, C, dtype=torch.complex128, generator=g)
    want = np.einsum("...fc,...cft->...ft", w.numpy().conj(), x.numpy())
    torch.testing.assert_close(F.apply_beamforming(w, x).numpy(), want, **tol("float64"))


def _mixture(seed=0, time=400):
    """Point source through random steering vectors plus diffuse noise, in the STFT domain."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(FREQ, time, dtype=torch.complex128, generator=g)
    steer = torch.randn(C, FREQ, 1, dtype=torch.complex128, generator=g)
    image = steer * src  # (channel, freq, time)
    noise = 0.7 * torch.randn(C, FREQ, time, dtype=torch.complex128, generator=g)
    power_s, power_n = image.abs()[0] ** 2, noise.abs()[0] ** 2
    mask_s = power_s / (power_s + power_n)
    return image + noise, image, mask_s


def _snr(est, ref):
    # scale-invariant SNR in the complex STFT domain
    alpha = (ref.conj() * est).sum() / (ref.abs() ** 2).sum()
    target = alpha * ref
    return float(10 * torch.log10((target.abs() ** 2).sum() / ((est - target).abs() ** 2).sum()))


@pytest.mark.parametrize("solution", ["ref_channel", "stv_evd", "stv_power"])
def test_mvdr_improves_snr_on_a_synthetic_mixture(solution):
    mix, image, mask_s = _mixture()
    out = T.MVDR(ref_channel=0, solution=solution)(mix.to(torch.complex64), mask_s.float(), 1 - mask_s.float())
    assert out.dtype == torch.complex64
    before, after = _snr(mix[0], image[0]), _snr(out.to(torch.complex128), image[0])
    assert after > before + 3, (before, after)


def test_souden_and_rtf_mvdr_improve_snr():
    mix, image, mask_s = _mixture(seed=1)
    psd_s, psd_n = F.psd(mix, mask_s), F.psd(mix, 1 - mask_s)
    before = _snr(mix[0], image[0])
    out_souden = T.SoudenMVDR()(mix, psd_s, psd_n, 0)
    out_rtf = T.RTFMVDR()(mix, F.rtf_power(psd_s, psd_n, 0), psd_n, 0)
    assert _snr(out_souden, image[0]) > before + 3
    assert _snr(out_rtf, image[0]) > before + 3
    # the modules are exactly the functional chain
    torch.testing.assert_close(out_souden, F.apply_beamforming(F.mvdr_weights_souden(psd_s, psd_n, 0), mix), rtol=0, atol=0)
    w_rtf = F.mvdr_weights_rtf(F.rtf_power(psd_s, psd_n, 0), psd_n, 0)
    torch.testing.assert_close(out_rtf, F.apply_beamforming(w_rtf, mix), rtol=0, atol=0)


def test_mvdr_solutions_match_functional_chain():
    mix, _, mask_s = _mixture(seed=2, time=60)
    psd_s, psd_n = F.psd(mix, mask_s, eps=1e-15), F.psd(mix, 1 - mask_s, eps=1e-15)
    loaded = psd_n + (torch.diagonal(psd_n, 0, -2, -1).sum(-1).real * 1e-7 + 1e-8)[..., None, None] * torch.eye(C)
    want = {
        "ref_channel": F.mvdr_weights_souden(psd_s, loaded, 1, diagonal_loading=False),
        "stv_evd": F.mvdr_weights_rtf(F.rtf_evd(psd_s), loaded, 1, diagonal_loading=False),
        "stv_power": F.mvdr_weights_rtf(F.rtf_power(psd_s, loaded, 1, diagonal_loading=False), loaded, 1,
                                        diagonal_loading=False),
    }
    for solution, w in want.items():
        got = T.MVDR(ref_channel=1, solution=solution)(mix, mask_s, 1 - mask_s)
        torch.testing.assert_close(got, F.apply_beamforming(w, mix), **tol("float64"), msg=solution)


def test_mvdr_online_first_call_equals_offline_and_mask_n_default_warns():
    mix, _, mask_s = _mixture(seed=3, time=60)
    online = T.MVDR(online=True)
    torch.testing.assert_close(online(mix, mask_s, 1 - mask_s), T.MVDR()(mix, mask_s, 1 - mask_s))
    second = online(mix, mask_s, 1 - mask_s)
    assert torch.isfinite(second).all() and online.psd_s.shape == (FREQ, C, C)
    with pytest.warns(UserWarning, match="mask_n"):
        out = T.MVDR()(mix, mask_s)
    torch.testing.assert_close(out, T.MVDR()(mix, mask_s, 1 - mask_s))


def test_psd_transform_multi_mask_averages_channels():
    x = _spec(2)
    g = torch.Generator().manual_seed(9)
    masks = torch.rand(2, C, FREQ, TIME, dtype=torch.float64, generator=g)
    torch.testing.assert_close(T.PSD(multi_mask=True)(x, masks), F.psd(x, masks.mean(-3), eps=1e-15), rtol=0, atol=0)
    torch.testing.assert_close(T.PSD()(x), F.psd(x), rtol=0, atol=0)


def test_harness_properties():
    x = _spec(2, 2, dtype=torch.complex64)
    mask = _mask(2, 2).float()
    check_no_inplace(lambda s: F.psd(s, mask), x)
    check_dtype_device(lambda s: F.psd(s, mask), x)
    check_batch_equals_loop(lambda s: F.psd(s), x, batch_dims=2)
    psd_s, psd_n = _psd_pair(4)
    pair = torch.stack([psd_s, psd_n], 1)  # (batch, 2, freq, C, C)
    for fn in (lambda p: F.mvdr_weights_souden(p[..., 0, :, :, :], p[..., 1, :, :, :], 0),
               lambda p: F.rtf_power(p[..., 0, :, :, :], p[..., 1, :, :, :], 1),
               lambda p: F.mvdr_weights_rtf(F.rtf_evd(p[..., 0, :, :, :]), p[..., 1, :, :, :], 0),
               lambda p: F.rtf_evd(p[..., 0, :, :, :] + p[..., 1, :, :, :]).abs()):
        check_no_inplace(fn, pair)
        check_dtype_device(fn, pair.to(torch.complex64), expect_dtype=fn(pair[:1].to(torch.complex64)).dtype)
        check_batch_equals_loop(fn, pair, **tol("float64"))
    small = _spec(1, seed=4)[..., :4, :6]
    small_mask = _mask(1, seed=4)[..., :4, :6]
    check_gradcheck(lambda s, m: F.psd(s, m), small, small_mask)
    s_small, n_small = F.psd(small, small_mask), F.psd(small, 1 - small_mask)
    check_gradcheck(lambda a, b: F.mvdr_weights_souden(a, b, 0), s_small, n_small)
    check_gradcheck(lambda a, b: F.rtf_power(a, b, 0), s_small, n_small)
    check_gradcheck(lambda v, b: F.mvdr_weights_rtf(v, b, 1), s_small[..., 0], n_small)
    check_gradcheck(lambda w, s: F.apply_beamforming(w, s), small[..., 0].transpose(-1, -2).clone(), small)


def test_compiles():
    x, mask = _spec(2, dtype=torch.complex64), _mask(2).float()
    check_compile(lambda s: T.SoudenMVDR()(s, F.psd(s, mask), F.psd(s, 1 - mask), 0), x)
    check_compile(lambda s: T.RTFMVDR()(s, F.rtf_power(F.psd(s, mask), F.psd(s, 1 - mask), 1), F.psd(s, 1 - mask), 1), x)


def test_errors():
    x = _spec()
    with pytest.raises(ValueError, match="specgram must be a complex"):
        F.psd(x.real)
    with pytest.raises(ValueError, match="mask must be"):
        F.psd(x, torch.rand(FREQ, TIME + 1))
    psd_s, psd_n = _psd_pair()
    with pytest.raises(ValueError, match="same shape"):
        F.mvdr_weights_souden(psd_s, psd_n[:2], 0)
    with pytest.raises(ValueError, match="reference_channel must be in"):
        F.mvdr_weights_souden(psd_s, psd_n, 5)
    with pytest.raises(TypeError, match="reference_channel must be an int or a torch.Tensor"):
        F.rtf_power(psd_s, psd_n, 0.5)
    with pytest.raises(ValueError, match="n_iter must be a positive int"):
        F.rtf_power(psd_s, psd_n, 0, n_iter=0)
    with pytest.raises(ValueError, match="beamform_weights must be"):
        F.apply_beamforming(torch.zeros(FREQ + 1, C, dtype=torch.complex128), x)
    with pytest.raises(ValueError, match="batch dimensions"):
        F.apply_beamforming(torch.zeros(2, FREQ, C, dtype=torch.complex128), x)
    with pytest.raises(ValueError, match="solution must be"):
        T.MVDR(solution="bogus")
    with pytest.raises(ValueError, match="specgram must be torch.cfloat"):
        T.MVDR()(x.real, _mask())


def test_device_kept(device):
    mix, _, mask_s = _mixture(seed=4, time=60)
    want = T.MVDR(solution="stv_power")(mix, mask_s, 1 - mask_s)
    got = T.MVDR(solution="stv_power").to(device)(mix.to(device), mask_s.to(device), 1 - mask_s.to(device))
    assert got.device.type == torch.device(device).type
    torch.testing.assert_close(got.cpu(), want, rtol=1e-8, atol=1e-10)
