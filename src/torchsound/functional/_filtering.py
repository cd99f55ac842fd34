"""IIR filtering without a loop over time: ``lfilter``, ``filtfilt``, the sox biquads, pre/de-emphasis.

How ``lfilter`` avoids a per-sample loop
----------------------------------------
A filter ``b / a`` is an FIR part ``b`` (a sum of a few shifted copies of the input) followed by an
all-pole part ``y[n] = u[n] - a1 y[n-1] - ... - ap y[n-p]``. The all-pole part has the state
``s[n] = (y[n], y[n-1], ..., y[n-p+1])`` and the companion matrix ``A``: ``s[n] = A s[n-1] + e0 u[n]``.

Time is split into blocks of ``L`` samples. Within a block the zero-state response is a matmul with
the ``L x L`` lower-triangular Toeplitz matrix of the (exact, truncated-to-the-block) impulse
response, and the effect of the state entering the block is ``O s_prev`` with ``O[j] = e0^T A^(j+1)``.
The states at block ends obey the same kind of recurrence, ``S[k] = A^L S[k-1] + c[k]``, which is
solved by the same blocking again (``_linear_scan``), recursively: depth ``log_G(#blocks)``, all
tensor ops, exact in exact arithmetic. Everything runs in float64 so high-Q filters stay accurate;
the result comes back in the input dtype. Gradients flow through the tensor ops (autograd).
"""

from __future__ import annotations

import math

import torch

from .._internal.checks import _unchecked, check_float, check_tensor
from .._internal.dtypes import upcast
from .._internal.script import scripted_as
from . import _biquad_coeffs as coeffs
from ._filtering_script import (  # TorchScript twins
    _allpass_script, _band_script, _bandpass_script, _bandreject_script, _bass_script, _biquad_script,
    _deemph_script, _deemphasis_script, _equalizer_script, _filtfilt_script, _highpass_script,
    _lfilter_script, _lowpass_script, _preemphasis_script, _riaa_script, _treble_script,
)

_BLOCK = 32  # samples per block of the all-pole part (matmul cost per sample ~ _BLOCK)
_GROUP = 16  # blocks per group in the recursive scan over block states
_MAX_CANCELLATION = 1e4  # largest growth of rounding allowed in a block's products (see _accurate_block)


def _powers(mat: torch.Tensor, count: int) -> torch.Tensor:
    """``[M^0, M^1, ..., M^(count-1)]`` for a batch of square matrices ``(..., p, p)`` -> ``(..., count, p, p)``.

    Built by doubling (log2(count) batched matmuls), not a loop over ``count``.
    """
    eye = torch.eye(mat.shape[-1], dtype=mat.dtype, device=mat.device).expand(mat.shape)
    pows = eye.unsqueeze(-3)
    step = mat
    while pows.shape[-3] < count:
        pows = torch.cat([pows, pows @ step.unsqueeze(-3)], dim=-3)
        step = step @ step
    return pows[..., :count, :, :]


def _linear_scan(c: torch.Tensor, mat: torch.Tensor) -> torch.Tensor:
    """Solve ``s[n] = M s[n-1] + c[n]`` with ``s[-1] = 0``.

    ``c``: ``(B, F, N, p)``, ``mat``: ``(F, p, p)`` (one matrix per filter). Returns ``(B, F, N, p)``.
    Groups of ``G`` steps are solved by one block-Toeplitz matmul each; the states entering the
    groups obey the same recurrence with ``M^G``, solved recursively (depth ``log_G(N)``).
    """
    batch, filters, length, order = c.shape
    group = min(_GROUP, length)
    num_groups = -(-length // group)
    pad = num_groups * group - length
    if pad:
        c = torch.nn.functional.pad(c, (0, 0, 0, pad))
    pows = _powers(mat, group + 1)  # (F, G+1, p, p)
    # local[j] = sum_{i<=j} M^(j-i) c[i]
    idx = torch.arange(group, device=c.device)
    lag = idx[:, None] - idx[None, :]  # (G, G) = j - i
    blocks = pows[:, lag.clamp(min=0)] * (lag >= 0).to(c.dtype)[None, :, :, None, None]  # (F, G, G, p, p)
    toeplitz = blocks.permute(0, 1, 3, 2, 4).reshape(filters, group * order, group * order)
    local = _mm(c.reshape(batch, filters, num_groups, group * order), toeplitz)
    if num_groups > 1:
        # State entering each group: scan over the group-end states with M^G, then shift by one.
        ends = _linear_scan(local[..., -order:].reshape(batch, filters, num_groups, order), pows[:, group])
        entering = torch.nn.functional.pad(ends[:, :, :-1], (0, 0, 1, 0))
        # s[j] = local[j] + M^(j+1) entering
        local = local + _mm(entering, pows[:, 1:].reshape(filters, group * order, order))
    return local.reshape(batch, filters, num_groups * group, order)[:, :, :length]


def _companion(a: torch.Tensor) -> torch.Tensor:
    """Companion matrices ``(F, p, p)`` of monic ``a``: first row ``-a[1:]``, ones below the diagonal."""
    filters, order = a.shape[0], a.shape[-1] - 1
    shift = torch.diag_embed(torch.ones(order - 1, dtype=a.dtype, device=a.device), offset=-1)
    return torch.cat([-a[:, 1:].unsqueeze(1), shift[1:].expand(filters, order - 1, order)], dim=1)


def _contractive_basis(comp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(R, R^-1, found)`` with ``R A R^-1`` a contraction, from the Lyapunov equation ``P - A^T P A = I``, ``P = R^T R``.

    For a stable ``A`` such a ``P`` exists and is positive definite; for an unstable one the
    Cholesky factorisation fails and the identity is used (the output then grows, as it must).
    """
    filters, order, _ = comp.shape
    eye = torch.eye(order, dtype=comp.dtype, device=comp.device)
    # vec(A^T P A) = kron(A^T, A^T) vec(P) (row-major vec).
    kron = torch.einsum("fji,flk->fikjl", comp, comp).reshape(filters, order * order, order * order)
    system = torch.eye(order * order, dtype=comp.dtype, device=comp.device) - kron
    gram = torch.linalg.solve(system, eye.reshape(1, -1, 1).expand(filters, -1, 1)).reshape(filters, order, order)
    gram = (gram + gram.transpose(-1, -2)) / 2
    lower, info = torch.linalg.cholesky_ex(gram)
    ok = (info == 0) & torch.isfinite(lower).all(dim=(-1, -2))
    lower = torch.where(ok[:, None, None], torch.nan_to_num(lower), eye)
    upper = lower.transpose(-1, -2)  # R with P = R^T R
    upper_inv = torch.linalg.solve_triangular(upper, eye.expand_as(upper), upper=True)
    return upper, upper_inv, ok


def _block_matrices(b: torch.Tensor, a: torch.Tensor, block: int):
    """Exact block operators of the monic filter ``b / a`` (float64), each ``(F, ...)``.

    Returns ``(within, previous, state_gain, tail_within, tail_previous, step)``:
    block output = ``within @ x_block + previous @ x_prev_tail + state_gain @ z_prev``, where
    ``x_prev_tail = (x[-1], ..., x[-q])`` and ``z_prev`` is the state entering the block in the
    contractive basis; ``z_next = step @ z_prev + tail_within @ x_block + tail_previous @ x_prev_tail``.
    """
    taps = b.shape[-1]
    order = a.shape[-1] - 1
    comp = _companion(a)
    # Work in a basis where the state matrix is a contraction (||A'|| < 1): powers then never grow,
    # so high-order filters with clustered poles keep full precision (see _contractive_basis).
    basis, basis_inv, found = _contractive_basis(comp)
    pows = _powers(basis @ comp @ basis_inv, block + 1)  # (F, L+1, p, p)
    row = basis_inv[:, 0:1, :].unsqueeze(1)  # e0^T R^-1
    col = basis[:, :, 0:1].unsqueeze(1)  # R e0
    impulse = (row @ pows[:, :block] @ col)[..., 0, 0]  # all-pole impulse response h[j] = e0^T A^j e0
    state_gain = (row @ pows[:, 1:])[..., 0, :]  # y[j] gains e0^T A^(j+1) R^-1 z: (F, L, p)
    idx = torch.arange(block, device=b.device)
    lag = idx[:, None] - idx[None, :]
    all_pole = impulse[:, lag.clamp(min=0)] * (lag >= 0).to(b.dtype)  # (F, L, L) lower Toeplitz
    b_pad = torch.nn.functional.pad(b, (0, block + taps))
    fir_now = b_pad[:, lag.clamp(min=0)] * (lag >= 0).to(b.dtype)  # u[j] += b[j-i] x[i]
    prev = idx[:, None] + 1 + torch.arange(taps - 1, device=b.device)[None, :]  # u[j] += b[j+1+m] x[-1-m]
    fir_prev = b_pad[:, prev.clamp(max=block + taps - 1)] * (prev < taps).to(b.dtype)
    within = all_pole @ fir_now
    previous = all_pole @ fir_prev
    ends = torch.arange(block - 1, block - 1 - order, -1, device=b.device)  # rows (y[L-1], ..., y[L-p])
    tail_within = basis @ within[:, ends]
    tail_previous = basis @ previous[:, ends]
    return within, previous, state_gain, tail_within, tail_previous, pows[:, block], impulse, found


def _accurate_block(impulse: torch.Tensor, within: torch.Tensor, b: torch.Tensor, order: int) -> int:
    """The longest block (at least ``order``) whose products stay accurate, from a first build's operators.

    Root cause of the precision loss of high-order high-pass filters: ``within = all_pole @ fir`` forms
    the response ``g`` of ``b / a`` from the all-pole response ``h`` (tens of thousands for poles near
    z = 1) and alternating binomial taps ``b`` that cancel it, so rounding is ``eps * max|h| * sum|b| / max|g|``
    relative; the block-end state (the last ``order`` outputs) carries that error into every later block,
    amplified again by ``h``. ``h`` grows along the block, so shorter blocks lose less (9th-order
    Butterworth high-pass at 850 Hz / 22.05 kHz: 6e-4 at 32 samples, 8e-7 at 9). Low-pass and
    moderate filters (no cancellation) keep the full block.
    """
    cancellation = impulse.abs().cummax(dim=-1).values * b.abs().sum(-1, keepdim=True)
    cancellation = cancellation / within[:, :, 0].abs().amax(-1, keepdim=True).clamp_min(1e-300)
    ok = (cancellation <= _MAX_CANCELLATION).all(dim=0).long().cumprod(0)  # leading run of accurate lengths
    return max(order, int(ok.sum()))


def _iir(x: torch.Tensor, b: torch.Tensor, a: torch.Tensor, clamp: bool) -> torch.Tensor:
    """Filter ``x``: ``(B, F, N)`` by monic float64 ``b``, ``a``: ``(F, p+1)``; compute dtype is ``x.dtype``."""
    batch, filters, length = x.shape
    order = a.shape[-1] - 1
    if length == 0 or order == 0 or batch == 0:
        y = x * b[:, :1].to(x.dtype)
        return y.clamp(-1.0, 1.0) if clamp else y
    block = min(max(_BLOCK, order), length)
    num_blocks = -(-length // block)
    pad = num_blocks * block - length
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
    mats = _block_matrices(b, a, block)
    if order > 2 and not torch.compiler.is_compiling() and not _has_contractive_basis(a, mats[-1]):
        return _iir_by_recursion(x[..., :length], b, a, clamp)
    if order > 2 and x.dtype == torch.float64 and not torch.compiler.is_compiling():  # float32: bulk rounding dominates
        accurate = _accurate_block(mats[-2], mats[0], b, order)
        if accurate < block:
            block = accurate
            num_blocks = -(-length // block)
            x = torch.nn.functional.pad(x[..., :length], (0, num_blocks * block - length))
            mats = _block_matrices(b, a, block)
    within, previous, state_gain, tail_within, tail_previous, step = [m.to(x.dtype) for m in mats[:-2]]
    xb = x.reshape(batch, filters, num_blocks, block)
    y = _mm(xb, within)  # zero-state response of each block to its own input
    if num_blocks > 1:
        # Input tail of the previous block, newest first (zeros before the first block).
        prev = torch.nn.functional.pad(xb[:, :, :-1, block - order :].flip(-1), (0, 0, 1, 0))
        # State at each block end if the block started from rest (float64-formed ``R @ rows``, so an
        # ill-conditioned basis costs no precision in float32), then the exact states by a scan.
        local_ends = _mm(xb, tail_within) + _mm(prev, tail_previous)
        ends = _linear_scan(local_ends.to(torch.float64), step.to(torch.float64)).to(x.dtype)
        entering = torch.nn.functional.pad(ends[:, :, :-1], (0, 0, 1, 0))
        # + effect of the previous block's input and of the state entering the block
        y = _mm_add_(y, torch.cat([prev, entering], dim=-1), torch.cat([previous, state_gain], dim=-1))
    if clamp:
        y = y.clamp_(-1.0, 1.0)
    return y.reshape(batch, filters, num_blocks * block)[..., :length]


def _has_contractive_basis(a: torch.Tensor, found: torch.Tensor) -> bool:
    """Whether the block method may run: every filter got a contractive basis (``found``, from
    :func:`_contractive_basis`), or is unstable (its output grows whatever the method, so it keeps the fast path).

    For a stable filter whose Lyapunov solution is too ill-conditioned for a Cholesky factor (e.g. a
    7th-order Butterworth high-pass at 200 Hz / 22.05 kHz, condition ~1e17) the block method would run
    in the companion basis, whose matrix powers overflow numerically (outputs of 1e93 were seen).
    """
    if bool(found.all()):
        return True
    unstable = torch.linalg.eigvals(_companion(a.detach())).abs().amax(-1) >= 1
    return bool((found | unstable).all())


def _iir_by_recursion(x: torch.Tensor, b: torch.Tensor, a: torch.Tensor, clamp: bool) -> torch.Tensor:
    """The difference equation sample by sample (FIR part at once, then the all-pole recursion).

    Slow (a Python step per sample, as torchaudio's own fallback) but exact to rounding: used only for
    filters the block method cannot represent stably (see :func:`_has_contractive_basis`).
    """
    batch, filters, length = x.shape
    order = a.shape[-1] - 1
    taps = b.shape[-1]
    windows = torch.nn.functional.pad(x, (taps - 1, 0)).unfold(-1, taps, 1)  # (B, F, N, taps), oldest first
    u = (windows * b.flip(-1).to(x.dtype)[None, :, None, :]).sum(-1)
    feedback = a[:, 1:].to(x.dtype)  # (F, p), for (y[n-1], ..., y[n-p])
    history = x.new_zeros(batch, filters, order)
    outputs = []
    for n in range(length):
        current = u[..., n] - (history * feedback).sum(-1)
        outputs.append(current)
        history = torch.cat([current.unsqueeze(-1), history[..., :-1]], dim=-1)
    y = torch.stack(outputs, dim=-1)
    return y.clamp(-1.0, 1.0) if clamp else y


def _mm_add_(y: torch.Tensor, x: torch.Tensor, mat: torch.Tensor) -> torch.Tensor:
    """``y += x @ mat^T`` per filter, in place where possible (``y`` is a fresh intermediate)."""
    batch, filters, rows, inner = x.shape
    if filters == 1:
        flat = y.reshape(-1, y.shape[-1])
        flat.addmm_(x.reshape(-1, inner), mat[0].transpose(0, 1))
        return flat.reshape(y.shape)
    return y + x @ mat.transpose(-1, -2)


def _mm(x: torch.Tensor, mat: torch.Tensor) -> torch.Tensor:
    """``x @ mat^T`` per filter: ``x``: ``(B, F, K, i)``, ``mat``: ``(F, j, i)`` -> ``(B, F, K, j)``."""
    batch, filters, rows, inner = x.shape
    if filters == 1:  # one GEMM over everything
        return (x.reshape(-1, inner) @ mat[0].transpose(0, 1)).reshape(batch, filters, rows, -1)
    return x @ mat.transpose(-1, -2)


def _check_coeffs(a_coeffs, b_coeffs, fn: str) -> None:
    check_tensor("a_coeffs", a_coeffs, fn=fn)
    check_tensor("b_coeffs", b_coeffs, fn=fn)
    if a_coeffs.shape != b_coeffs.shape:
        raise ValueError(
            f"{fn}: a_coeffs and b_coeffs must have the same shape, got {list(a_coeffs.shape)} and {list(b_coeffs.shape)}"
        )
    if a_coeffs.ndim not in (1, 2) or a_coeffs.shape[-1] == 0:
        raise ValueError(f"{fn}: a_coeffs must be 1-D (order+1,) or 2-D (num_filters, order+1), got shape {list(a_coeffs.shape)}")
    if not torch.compiler.is_compiling() and bool((a_coeffs[..., 0] == 0).any()):
        raise ValueError(f"{fn}: a_coeffs[..., 0] (a0) must be non-zero, got {a_coeffs[..., 0].tolist()}")


def _check_stable(a: torch.Tensor, fn: str) -> None:
    """Raise if any pole of ``1 / a`` lies on or outside the unit circle."""
    order = a.shape[-1] - 1
    if order == 0:
        return
    a = a.detach().to(torch.float64)
    a = a / a[..., :1]
    comp = torch.zeros(a.shape[0], order, order, dtype=a.dtype, device=a.device)
    comp[:, 0, :] = -a[:, 1:]
    if order > 1:
        comp[:, 1:, :-1] = torch.eye(order - 1, dtype=a.dtype, device=a.device)
    radius = torch.linalg.eigvals(comp).abs().max()
    if not bool(radius < 1):
        raise ValueError(f"{fn}: a_coeffs describe an unstable filter (largest pole radius {float(radius):.6g} >= 1)")


@scripted_as(_lfilter_script)
def lfilter(
    waveform: torch.Tensor,
    a_coeffs: torch.Tensor,
    b_coeffs: torch.Tensor,
    clamp: bool = True,
    batching: bool = True,
    *,
    check_stability: bool = False,
) -> torch.Tensor:
    r"""Filter ``waveform`` with the IIR filter ``b_coeffs / a_coeffs`` (difference equation, like ``scipy.signal.lfilter``).

    .. math:: a_0 y[n] = \sum_{k=0}^{q} b_k x[n-k] - \sum_{k=1}^{p} a_k y[n-k]

    The recursion is evaluated exactly by a block state-space method (matmuls and a log-depth
    scan over blocks), in float64 internally, with no loop over time on any device.
    Differentiable with respect to ``waveform``, ``a_coeffs`` and ``b_coeffs``.

    Args:
        waveform: audio, floating point.
        a_coeffs: denominator ``(order+1,)`` or a bank ``(num_filters, order+1)``; ``a_coeffs[..., 0]`` must be non-zero.
        b_coeffs: numerator, same shape as ``a_coeffs``.
        clamp: if True, clamp the output to ``[-1, 1]`` (torchaudio's default; turn it off for
            signals that are not normalised audio).
        batching: with a 2-D filter bank, True applies filter ``i`` to channel ``i`` of ``waveform``
            (``waveform.shape[-2] == num_filters``); False applies every filter to every channel.
        check_stability: if True, raise ``ValueError`` when a pole lies on or outside the unit circle.

    Shape:
        - waveform: ``(..., time)``; with a 2-D bank and ``batching=True``: ``(..., num_filters, time)``.
        - output: same as ``waveform``; with a 2-D bank and ``batching=False``: ``(..., num_filters, time)``.
    """
    fn = "lfilter"
    check_float("waveform", waveform, fn=fn)
    _check_coeffs(a_coeffs, b_coeffs, fn)
    if check_stability:
        _check_stability_any(a_coeffs, fn)
    if a_coeffs.ndim == 2:
        if batching:
            if waveform.ndim < 2 or waveform.shape[-2] != a_coeffs.shape[0]:
                raise ValueError(
                    f"{fn}: with batching=True, waveform.shape[-2] must equal the number of filters "
                    f"{a_coeffs.shape[0]}, got waveform shape {list(waveform.shape)}"
                )
        else:
            waveform = waveform.unsqueeze(-2).expand(*waveform.shape[:-1], a_coeffs.shape[0], waveform.shape[-1])
    else:
        a_coeffs = a_coeffs.unsqueeze(0)
        b_coeffs = b_coeffs.unsqueeze(0)
    shape = waveform.shape
    filters = a_coeffs.shape[0]
    # Filter matrices are built in float64; the bulk matmuls run in float64 for float64 input and in
    # float32 otherwise, the block-state scan always in float64.
    x, _ = upcast(waveform.reshape(math.prod(shape[:-1]) // filters, filters, shape[-1]))
    a = a_coeffs.to(device=x.device, dtype=torch.float64)
    b = b_coeffs.to(device=x.device, dtype=torch.float64)
    a0 = a[:, :1]
    # Block matmuls would smear a NaN/inf over whole blocks (0 * nan = nan), earlier in time too.
    # Filter the finite part and mark everything from the first bad sample on as NaN, as a
    # sample-by-sample recursion would.
    bad = None if not torch.compiler.is_compiling() and bool(torch.isfinite(x).all()) else ~torch.isfinite(x)
    if bad is not None:
        x = x.masked_fill(bad, 0.0)
    y = _iir(x, b / a0, a / a0, clamp)
    if bad is not None:
        y = y.masked_fill(bad.cummax(dim=-1).values, float("nan"))
    return y.to(waveform.dtype).reshape(shape)


def _check_stability_any(a_coeffs: torch.Tensor, fn: str) -> None:
    _check_stable(a_coeffs if a_coeffs.ndim == 2 else a_coeffs.unsqueeze(0), fn)


@scripted_as(_filtfilt_script)
def filtfilt(waveform: torch.Tensor, a_coeffs: torch.Tensor, b_coeffs: torch.Tensor, clamp: bool = True) -> torch.Tensor:
    r"""Zero-phase filtering: ``lfilter`` forward, then backward over the reversed result (torchaudio's definition).

    No edge padding or initial conditions are used (unlike ``scipy.signal.filtfilt``'s defaults);
    ``clamp`` applies to the final result only.

    Args:
        waveform: audio ``(..., time)``; with a 2-D bank ``(..., num_filters, time)``.
        a_coeffs, b_coeffs: as in :func:`lfilter` (a 2-D bank is applied channel by channel).
        clamp: clamp the output to ``[-1, 1]``.

    Shape:
        - waveform: ``(..., time)``
        - output: same as ``waveform``.
    """
    forward = lfilter(waveform, a_coeffs, b_coeffs, clamp=False, batching=True)
    return lfilter(forward.flip(-1), a_coeffs, b_coeffs, clamp=clamp, batching=True).flip(-1)


# ---------------------------------------------------------------------------------------------
# Biquads: coefficient formulas as sox implements them (RBJ audio-EQ cookbook), as torchaudio.


@scripted_as(_biquad_script)
def biquad(waveform: torch.Tensor, b0: float, b1: float, b2: float, a0: float, a1: float, a2: float) -> torch.Tensor:
    r"""Second-order IIR filter ``(b0 + b1 z^-1 + b2 z^-2) / (a0 + a1 z^-1 + a2 z^-2)`` (output clamped to ``[-1, 1]``).

    Coefficients may be Python numbers or 0-dim tensors (gradients flow through tensors).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="biquad")

    def as_coeff(v):
        # Numbers become float64 (lfilter computes in float64 anyway; rounding the coefficients to
        # the waveform's dtype would detune the filter, badly so in bfloat16).
        if isinstance(v, torch.Tensor):
            return v.to(device=waveform.device).reshape(1)
        return torch.tensor([float(v)], dtype=torch.float64, device=waveform.device)

    a = torch.cat([as_coeff(a0), as_coeff(a1), as_coeff(a2)]).to(torch.float64)
    b = torch.cat([as_coeff(b0), as_coeff(b1), as_coeff(b2)]).to(torch.float64)
    return lfilter(waveform, a, b)


def _param(value, waveform: torch.Tensor) -> torch.Tensor:
    """A filter parameter (number or 0-dim tensor) as a float64 tensor on the waveform's device.

    Tensors keep their autograd graph, so gradients reach ``cutoff_freq``, ``Q``, ``gain`` etc. as in
    torchaudio; numbers become float64 (rounding them to the waveform's dtype would detune the filter).
    """
    if isinstance(value, torch.Tensor):
        return value.to(device=waveform.device, dtype=torch.float64).reshape(())
    return torch.tensor(float(value), dtype=torch.float64, device=waveform.device)  # not via float32


def _w0_alpha(waveform, sample_rate, freq, Q, fn: str) -> tuple[torch.Tensor, torch.Tensor]:
    _check_rate(sample_rate, fn)
    _check_number("Q", Q, fn, positive=True)
    w0 = 2 * math.pi * _param(freq, waveform) / sample_rate
    return w0, torch.sin(w0) / 2 / _param(Q, waveform)


def _check_rate(sample_rate, fn: str) -> None:
    _check_number("sample_rate", sample_rate, fn, positive=True)


def _check_number(name: str, value, fn: str, positive: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not (
        isinstance(value, torch.Tensor) and value.numel() == 1
    ):
        raise TypeError(f"{fn}: {name} must be a number, got {type(value).__name__} {repr(value)}")
    if positive and not float(value.detach() if isinstance(value, torch.Tensor) else value) > 0:
        raise ValueError(f"{fn}: {name} must be positive, got {repr(value)}")


_check_number.__prepare_scriptable__ = lambda: _unchecked  # scripted code runs unchecked (see _internal/checks.py)


@scripted_as(_lowpass_script)
def lowpass_biquad(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Two-pole low-pass filter (sox ``lowpass``). ``cutoff_freq`` and ``Q`` may be tensors (differentiable).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    return biquad(waveform, *coeffs.lowpass(*_w0_alpha(waveform, sample_rate, cutoff_freq, Q, "lowpass_biquad")))


@scripted_as(_highpass_script)
def highpass_biquad(waveform: torch.Tensor, sample_rate: int, cutoff_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Two-pole high-pass filter (sox ``highpass``). ``cutoff_freq`` and ``Q`` may be tensors (differentiable).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    return biquad(waveform, *coeffs.highpass(*_w0_alpha(waveform, sample_rate, cutoff_freq, Q, "highpass_biquad")))


@scripted_as(_allpass_script)
def allpass_biquad(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Two-pole all-pass filter (sox ``allpass``). ``central_freq`` and ``Q`` may be tensors (differentiable).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    return biquad(waveform, *coeffs.allpass(*_w0_alpha(waveform, sample_rate, central_freq, Q, "allpass_biquad")))


@scripted_as(_bandpass_script)
def bandpass_biquad(
    waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707, const_skirt_gain: bool = False
) -> torch.Tensor:
    """Two-pole band-pass filter (sox ``bandpass``; ``const_skirt_gain`` is sox's ``-c``: peak gain Q, else 0 dB).

    ``central_freq`` and ``Q`` may be tensors (differentiable).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q, "bandpass_biquad")
    return biquad(waveform, *coeffs.bandpass(w0, alpha, const_skirt_gain))


@scripted_as(_bandreject_script)
def bandreject_biquad(waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707) -> torch.Tensor:
    """Two-pole band-reject (notch) filter (sox ``bandreject``). ``central_freq`` and ``Q`` may be tensors.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    return biquad(waveform, *coeffs.bandreject(*_w0_alpha(waveform, sample_rate, central_freq, Q, "bandreject_biquad")))


@scripted_as(_band_script)
def band_biquad(
    waveform: torch.Tensor, sample_rate: int, central_freq: float, Q: float = 0.707, noise: bool = False
) -> torch.Tensor:
    """Two-pole band filter (sox ``band``); ``noise=True`` is sox's ``-n`` (for un-pitched audio).

    ``central_freq`` and ``Q`` may be tensors (differentiable).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    fn = "band_biquad"
    _check_rate(sample_rate, fn)
    _check_number("Q", Q, fn, positive=True)
    freq = _param(central_freq, waveform)
    w0 = 2 * math.pi * freq / sample_rate
    bandwidth_w = 2 * math.pi * (freq / _param(Q, waveform)) / sample_rate
    return biquad(waveform, *coeffs.band(w0, bandwidth_w, noise))


@scripted_as(_bass_script)
def bass_biquad(
    waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 100, Q: float = 0.707
) -> torch.Tensor:
    """Low-shelf boost or cut of ``gain`` dB (sox ``bass``). ``gain``, ``central_freq``, ``Q`` may be tensors.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q, "bass_biquad")
    _check_number("gain", gain, "bass_biquad")
    return biquad(waveform, *coeffs.shelf(_param(gain, waveform), w0, alpha, treble=False))


@scripted_as(_treble_script)
def treble_biquad(
    waveform: torch.Tensor, sample_rate: int, gain: float, central_freq: float = 3000, Q: float = 0.707
) -> torch.Tensor:
    """High-shelf boost or cut of ``gain`` dB (sox ``treble``). ``gain``, ``central_freq``, ``Q`` may be tensors.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, central_freq, Q, "treble_biquad")
    _check_number("gain", gain, "treble_biquad")
    return biquad(waveform, *coeffs.shelf(_param(gain, waveform), w0, alpha, treble=True))


@scripted_as(_equalizer_script)
def equalizer_biquad(
    waveform: torch.Tensor, sample_rate: int, center_freq: float, gain: float, Q: float = 0.707
) -> torch.Tensor:
    """Peaking equaliser: ``gain`` dB around ``center_freq`` (sox ``equalizer``). Parameters may be tensors.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    w0, alpha = _w0_alpha(waveform, sample_rate, center_freq, Q, "equalizer_biquad")
    _check_number("gain", gain, "equalizer_biquad")
    return biquad(waveform, *coeffs.equalizer(_param(gain, waveform), w0, alpha))


@scripted_as(_deemph_script)
def deemph_biquad(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """ISO 908 CD de-emphasis (sox ``deemph``), a treble shelf; ``sample_rate`` must be 44100 or 48000.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    gain, w0, alpha = coeffs.deemph_shelf(sample_rate)
    return biquad(waveform, *coeffs.shelf(*[_param(v, waveform) for v in (gain, w0, alpha)], treble=True))


@scripted_as(_riaa_script)
def riaa_biquad(waveform: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """RIAA vinyl playback equalisation (sox ``riaa``), 0 dB at 1 kHz; ``sample_rate`` in 44100, 48000, 88200, 96000.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    return biquad(waveform, *coeffs.riaa(sample_rate))


# ---------------------------------------------------------------------------------------------


@scripted_as(_preemphasis_script)
def preemphasis(waveform, coeff: float = 0.97) -> torch.Tensor:
    r"""Pre-emphasis ``y[n] = x[n] - coeff * x[n-1]`` (first sample kept).

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="preemphasis")
    _check_number("coeff", coeff, "preemphasis")
    head = waveform[..., :1]
    return torch.cat([head, waveform[..., 1:] - coeff * waveform[..., :-1]], dim=-1)


@scripted_as(_deemphasis_script)
def deemphasis(waveform, coeff: float = 0.97, clamp: bool = True) -> torch.Tensor:
    r"""De-emphasis ``y[n] = x[n] + coeff * y[n-1]``, the inverse of :func:`preemphasis`.

    Args:
        waveform: audio, floating point.
        coeff: the emphasis coefficient.
        clamp: clamp the output to ``[-1, 1]``, as torchaudio does (its ``lfilter`` default); ``False`` gives the
            exact inverse of :func:`preemphasis` on loud input.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., time)``
    """
    check_float("waveform", waveform, fn="deemphasis")
    _check_number("coeff", coeff, "deemphasis")
    a = torch.tensor([1.0, -float(coeff)], dtype=torch.float64, device=waveform.device)
    b = torch.tensor([1.0, 0.0], dtype=torch.float64, device=waveform.device)
    return lfilter(waveform, a, b, clamp=clamp)
