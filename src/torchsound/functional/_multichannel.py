"""Multichannel speech enhancement: spatial covariance (PSD) matrices and MVDR beamforming.

Conventions (torchaudio's): a multichannel spectrogram is complex ``(..., channel, freq, time)``;
PSD matrices are ``(..., freq, channel, channel)``; beamforming weights and relative transfer
functions (RTF) are ``(..., freq, channel)``. A reference channel is an ``int`` or a one-hot
``(..., channel)`` tensor.
"""

from __future__ import annotations

from typing import Any, Union

import torch

__all__ = ["apply_beamforming", "mvdr_weights_rtf", "mvdr_weights_souden", "psd", "rtf_evd", "rtf_power"]


def _check_complex(name: str, x: torch.Tensor, fn: str, min_dim: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{fn}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_complex():
        raise ValueError(f"{fn}: {name} must be a complex tensor (torch.cfloat or torch.cdouble), got {x.dtype}")
    if x.ndim < min_dim:
        raise ValueError(f"{fn}: {name} must have at least {min_dim} dimensions, got shape {list(x.shape)}")


def _check_psd_pair(psd_s: torch.Tensor, psd_n: torch.Tensor, fn: str) -> None:
    for name, m in (("psd_s", psd_s), ("psd_n", psd_n)):
        _check_complex(name, m, fn, 3)
        if m.shape[-1] != m.shape[-2]:
            raise ValueError(f"{fn}: {name} must be (..., freq, channel, channel), got shape {list(m.shape)}")
    if psd_s.shape != psd_n.shape:
        raise ValueError(f"{fn}: psd_s and psd_n must have the same shape, got {list(psd_s.shape)} and {list(psd_n.shape)}")


def _unchecked(a: Any, b: Any, c: Any, d: Any = None) -> None:
    """What TorchScript compiles for the two checks above: scripted code runs without validation."""
    pass


_check_complex.__prepare_scriptable__ = lambda: _unchecked  # see _internal/script.py
_check_psd_pair.__prepare_scriptable__ = lambda: _unchecked


def _trace(mat: torch.Tensor) -> torch.Tensor:
    return torch.diagonal(mat, 0, -2, -1).sum(-1)


def _diagonal_load(mat: torch.Tensor, reg: float, eps: float = 1e-8) -> torch.Tensor:
    """Tikhonov regularisation: add ``(reg * trace + eps) * I`` so the matrix is safely invertible."""
    eye = torch.eye(mat.size(-1), dtype=mat.dtype, device=mat.device)
    load = _trace(mat).real[..., None, None] * reg + eps
    return mat + load * eye


def _pick_channel(mat_or_vec: torch.Tensor, reference_channel: Union[int, torch.Tensor], fn: str, matrix: bool) -> torch.Tensor:
    """Select the reference column of ``(..., C, C)`` (``matrix``) or entry of ``(..., C)``."""
    n_channel = mat_or_vec.size(-1)
    if not torch.jit.is_scripting() and isinstance(reference_channel, bool):
        raise TypeError(f"{fn}: reference_channel must be an int or a torch.Tensor, got bool")
    if isinstance(reference_channel, int):
        if not -n_channel <= reference_channel < n_channel:
            raise ValueError(f"{fn}: reference_channel must be in [0, {n_channel}), got {reference_channel}")
        return mat_or_vec[..., reference_channel]
    if isinstance(reference_channel, torch.Tensor):
        if reference_channel.size(-1) != n_channel:
            raise ValueError(
                f"{fn}: reference_channel tensor must be (..., {n_channel}) one-hot, got shape {list(reference_channel.shape)}")
        ref = reference_channel.to(mat_or_vec.dtype)
        ref = ref[..., None, None, :] if matrix else ref[..., None, :]
        return (mat_or_vec * ref).sum(-1)
    if not torch.jit.is_scripting():
        raise TypeError(f"{fn}: reference_channel must be an int or a torch.Tensor, got {type(reference_channel).__name__}")
    raise TypeError(f"{fn}: reference_channel must be an int or a torch.Tensor")


def psd(specgram: torch.Tensor, mask: torch.Tensor | None = None, normalize: bool = True, eps: float = 1e-10) -> torch.Tensor:
    r"""Power spectral density (spatial covariance) matrices, optionally weighted by a time-frequency mask.

    :math:`\Phi(f) = \sum_t m(f, t)\, X(f, t) X(f, t)^H`, with the mask normalised to sum to one over
    time when ``normalize`` is true.

    Args:
        specgram: complex multichannel spectrogram.
        mask: real time-frequency mask (None: every frame weighs 1).
        normalize: divide the mask by its sum over time (plus ``eps``).
        eps: added to the mask's sum to avoid dividing by zero.

    Shape:
        - specgram: ``(..., channel, freq, time)``
        - mask: ``(..., freq, time)``
        - output: ``(..., freq, channel, channel)``
    """
    _check_complex("specgram", specgram, "psd", 3)
    x = specgram.transpose(-3, -2)  # (..., freq, channel, time)
    if mask is None:
        return x @ x.conj().transpose(-1, -2)
    if not torch.jit.is_scripting() and mask.shape != specgram.shape[:-3] + specgram.shape[-2:]:
        raise ValueError(f"psd: mask must be (..., freq, time) = {tuple(specgram.shape[:-3] + specgram.shape[-2:])}, "
                         f"got {list(mask.shape)}")
    if normalize:
        mask = mask / (mask.sum(dim=-1, keepdim=True) + eps)
    # sum_t m(t) x(t) x(t)^H as one matmul: weight one factor by the mask
    weighted = x * mask.unsqueeze(-2).to(x.dtype)
    return weighted @ x.conj().transpose(-1, -2)


def mvdr_weights_souden(
    psd_s: torch.Tensor,
    psd_n: torch.Tensor,
    reference_channel: int | torch.Tensor,
    diagonal_loading: bool = True,
    diag_eps: float = 1e-7,
    eps: float = 1e-8,
) -> torch.Tensor:
    r"""MVDR weights by Souden's solution: :math:`w = \frac{\Phi_N^{-1}\Phi_S}{\mathrm{tr}(\Phi_N^{-1}\Phi_S)} u`.

    Args:
        psd_s: PSD matrices of the target speech.
        psd_n: PSD matrices of the noise.
        reference_channel: reference channel index, or one-hot tensor.
        diagonal_loading: regularise ``psd_n`` with ``diag_eps * trace`` on its diagonal.
        diag_eps: diagonal loading factor.
        eps: added to the trace to avoid dividing by zero.

    Shape:
        - psd_s, psd_n: ``(..., freq, channel, channel)``
        - reference_channel: int, or ``(..., channel)``
        - output: ``(..., freq, channel)``
    """
    _check_psd_pair(psd_s, psd_n, "mvdr_weights_souden")
    if diagonal_loading:
        psd_n = _diagonal_load(psd_n, diag_eps)
    numerator = torch.linalg.solve(psd_n, psd_s)
    ws = numerator / (_trace(numerator)[..., None, None] + eps)
    return _pick_channel(ws, reference_channel, "mvdr_weights_souden", True)


def mvdr_weights_rtf(
    rtf: torch.Tensor,
    psd_n: torch.Tensor,
    reference_channel: int | torch.Tensor | None = None,
    diagonal_loading: bool = True,
    diag_eps: float = 1e-7,
    eps: float = 1e-8,
) -> torch.Tensor:
    r"""MVDR weights from a relative transfer function: :math:`w = \frac{\Phi_N^{-1} v}{v^H \Phi_N^{-1} v}`.

    With a reference channel the weights are scaled by :math:`v_{ref}^*`, so the output is the
    target as heard at that channel.

    Args:
        rtf: relative transfer function (steering vector) of the target.
        psd_n: PSD matrices of the noise.
        reference_channel: None (distortionless towards ``rtf`` itself), channel index, or one-hot tensor.
        diagonal_loading: regularise ``psd_n`` with ``diag_eps * trace`` on its diagonal.
        diag_eps: diagonal loading factor.
        eps: added to the denominator to avoid dividing by zero.

    Shape:
        - rtf: ``(..., freq, channel)``
        - psd_n: ``(..., freq, channel, channel)``
        - output: ``(..., freq, channel)``
    """
    fn = "mvdr_weights_rtf"
    _check_complex("rtf", rtf, fn, 2)
    _check_complex("psd_n", psd_n, fn, 3)
    if psd_n.shape[:-1] != rtf.shape or psd_n.shape[-1] != psd_n.shape[-2]:
        raise ValueError(f"{fn}: psd_n must be (..., freq, channel, channel) matching rtf {list(rtf.shape)}, "
                         f"got {list(psd_n.shape)}")
    if diagonal_loading:
        psd_n = _diagonal_load(psd_n, diag_eps)
    numerator = torch.linalg.solve(psd_n, rtf.unsqueeze(-1)).squeeze(-1)
    denominator = (rtf.conj() * numerator).sum(-1)
    weights = numerator / (denominator.real.unsqueeze(-1) + eps)
    if reference_channel is not None:
        weights = weights * _pick_channel(rtf, reference_channel, fn, False).conj().unsqueeze(-1)
    return weights


def rtf_evd(psd_s: torch.Tensor) -> torch.Tensor:
    """Relative transfer function as the principal eigenvector of the speech PSD matrix.

    Args:
        psd_s: PSD matrices of the target speech (Hermitian).

    Shape:
        - psd_s: ``(..., freq, channel, channel)``
        - output: ``(..., freq, channel)``
    """
    _check_complex("psd_s", psd_s, "rtf_evd", 3)
    _, vectors = torch.linalg.eigh(psd_s)  # eigenvalues ascending
    return vectors[..., -1]


def rtf_power(
    psd_s: torch.Tensor,
    psd_n: torch.Tensor,
    reference_channel: int | torch.Tensor,
    n_iter: int = 3,
    diagonal_loading: bool = True,
    diag_eps: float = 1e-7,
) -> torch.Tensor:
    r"""Relative transfer function by power iteration on :math:`\Phi_N^{-1}\Phi_S`.

    Starts from the reference column of :math:`\Phi_N^{-1}\Phi_S`, multiplies by it ``n_iter - 2``
    times, and finally by :math:`\Phi_S` (by :math:`\Phi_N` when ``n_iter`` is 1), as torchaudio.

    Args:
        psd_s: PSD matrices of the target speech.
        psd_n: PSD matrices of the noise.
        reference_channel: channel index, or one-hot tensor.
        n_iter: number of power iterations (>= 1).
        diagonal_loading: regularise ``psd_n`` with ``diag_eps * trace`` on its diagonal.
        diag_eps: diagonal loading factor.

    Shape:
        - psd_s, psd_n: ``(..., freq, channel, channel)``
        - output: ``(..., freq, channel)``
    """
    _check_psd_pair(psd_s, psd_n, "rtf_power")
    if not torch.jit.is_scripting() and (isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1):
        raise ValueError(f"rtf_power: n_iter must be a positive int, got {repr(n_iter)}")
    if diagonal_loading:
        psd_n = _diagonal_load(psd_n, diag_eps)
    phi = torch.linalg.solve(psd_n, psd_s)
    rtf = _pick_channel(phi, reference_channel, "rtf_power", True).unsqueeze(-1)
    if n_iter == 1:
        return (psd_n @ rtf).squeeze(-1)
    for _ in range(n_iter - 2):
        rtf = phi @ rtf
    return (psd_s @ rtf).squeeze(-1)


def apply_beamforming(beamform_weights: torch.Tensor, specgram: torch.Tensor) -> torch.Tensor:
    r"""Apply beamforming weights: :math:`Y(f, t) = \sum_c w_c(f)^* X_c(f, t)`.

    Args:
        beamform_weights: complex weights.
        specgram: complex multichannel spectrogram.

    Shape:
        - beamform_weights: ``(..., freq, channel)``
        - specgram: ``(..., channel, freq, time)``
        - output: ``(..., freq, time)``
    """
    fn = "apply_beamforming"
    _check_complex("beamform_weights", beamform_weights, fn, 2)
    _check_complex("specgram", specgram, fn, 3)
    if not torch.jit.is_scripting():
        if beamform_weights.shape[:-2] != specgram.shape[:-3]:
            raise ValueError(f"{fn}: the batch dimensions of beamform_weights {tuple(beamform_weights.shape[:-2])} and "
                             f"specgram {tuple(specgram.shape[:-3])} must be equal")
    if not torch.jit.is_scripting() and beamform_weights.shape[-2:] != (specgram.shape[-2], specgram.shape[-3]):
        raise ValueError(f"{fn}: beamform_weights must be (..., freq, channel) = "
                         f"{(specgram.shape[-2], specgram.shape[-3])}, got {tuple(beamform_weights.shape[-2:])}")
    return (beamform_weights.conj().transpose(-1, -2).unsqueeze(-1) * specgram).sum(-3)
