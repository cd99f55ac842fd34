"""Module wrappers for multichannel beamforming: PSD estimation and MVDR beamformers."""

from __future__ import annotations

import warnings

from typing import Tuple

import torch

from ..functional import _multichannel as F

__all__ = ["MVDR", "PSD", "RTFMVDR", "SoudenMVDR"]


class PSD(torch.nn.Module):
    """Power spectral density (spatial covariance) matrices of a multichannel spectrogram.

    Args:
        multi_mask: the mask has a channel dimension; it is averaged over channels first.
        normalize: normalise the mask to sum to one over time.
        eps: added to the mask's sum to avoid dividing by zero.

    Shape:
        - specgram: ``(..., channel, freq, time)`` complex
        - mask: ``(..., freq, time)``, or ``(..., channel, freq, time)`` with ``multi_mask``
        - output: ``(..., freq, channel, channel)``
    """

    def __init__(self, multi_mask: bool = False, normalize: bool = True, eps: float = 1e-15):
        super().__init__()
        self.multi_mask = multi_mask
        self.normalize = normalize
        self.eps = eps

    def forward(self, specgram: torch.Tensor, mask: torch.Tensor | None = None):
        if mask is not None and self.multi_mask:
            mask = mask.mean(dim=-3)
        return F.psd(specgram, mask, self.normalize, self.eps)


class MVDR(torch.nn.Module):
    """Minimum variance distortionless response beamformer driven by time-frequency masks.

    The speech and noise PSD matrices come from the masks; the weights use one of three solutions:
    ``"ref_channel"`` (Souden), ``"stv_evd"`` (steering vector by eigendecomposition) or
    ``"stv_power"`` (steering vector by power iteration). Computed in complex128 and returned in
    the input's dtype. With ``online`` the PSD matrices are running averages over calls.

    Args:
        ref_channel: reference channel.
        solution: ``"ref_channel"``, ``"stv_evd"`` or ``"stv_power"``.
        multi_mask: masks have a channel dimension (averaged over channels).
        diag_loading: regularise the noise PSD matrix.
        diag_eps: diagonal loading factor.
        online: update the PSD matrices recursively across calls.

    Shape:
        - specgram: ``(..., channel, freq, time)`` complex
        - mask_s, mask_n: ``(..., freq, time)``, or ``(..., channel, freq, time)`` with ``multi_mask``
        - output: ``(..., freq, time)``
    """

    def __init__(self, ref_channel: int = 0, solution: str = "ref_channel", multi_mask: bool = False,
                 diag_loading: bool = True, diag_eps: float = 1e-7, online: bool = False):
        super().__init__()
        if solution not in ("ref_channel", "stv_evd", "stv_power"):
            raise ValueError(f"MVDR: solution must be 'ref_channel', 'stv_evd' or 'stv_power', got {repr(solution)}")
        self.ref_channel = ref_channel
        self.solution = solution
        self.multi_mask = multi_mask
        self.diag_loading = diag_loading
        self.diag_eps = diag_eps
        self.online = online
        self.psd = PSD(multi_mask)
        # running statistics of online mode; a 1-element placeholder means "no call yet"
        self.register_buffer("psd_s", torch.zeros(1))
        self.register_buffer("psd_n", torch.zeros(1))
        self.register_buffer("mask_sum_s", torch.zeros(1))
        self.register_buffer("mask_sum_n", torch.zeros(1))

    def _weights(self, psd_s: torch.Tensor, psd_n: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
        if self.diag_loading:
            psd_n = F._diagonal_load(psd_n, self.diag_eps, eps)
        if self.solution == "ref_channel":
            return F.mvdr_weights_souden(psd_s, psd_n, self.ref_channel, diagonal_loading=False, eps=eps)
        if self.solution == "stv_evd":
            stv = F.rtf_evd(psd_s)
        else:
            # one multiplication by phi, then by psd_s: torchaudio's three-iteration power method
            stv = F.rtf_power(psd_s, psd_n, self.ref_channel, n_iter=3, diagonal_loading=False)
        # eigenvector phase is arbitrary; the reference scaling cancels it
        return F.mvdr_weights_rtf(stv, psd_n, self.ref_channel, diagonal_loading=False, eps=eps)

    def _online_update(self, psd_s: torch.Tensor, psd_n: torch.Tensor, mask_s: torch.Tensor,
                       mask_n: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.multi_mask:
            mask_s = mask_s.mean(dim=-3)
            mask_n = mask_n.mean(dim=-3)
        sum_s, sum_n = mask_s.sum(dim=-1), mask_n.sum(dim=-1)
        if self.psd_s.ndim == 1:
            new_s, new_n, total_s, total_n = psd_s, psd_n, sum_s, sum_n
        else:
            total_s = self.mask_sum_s + sum_s
            total_n = self.mask_sum_n + sum_n
            # PSDs are per-call normalised averages: combine them weighted by their mask mass
            new_s = self.psd_s * (self.mask_sum_s / total_s)[..., None, None] + psd_s * (1 / total_s)[..., None, None]
            new_n = self.psd_n * (self.mask_sum_n / total_n)[..., None, None] + psd_n * (1 / total_n)[..., None, None]
        self.psd_s, self.psd_n, self.mask_sum_s, self.mask_sum_n = new_s, new_n, total_s, total_n
        return new_s, new_n

    def forward(self, specgram: torch.Tensor, mask_s: torch.Tensor, mask_n: torch.Tensor | None = None) -> torch.Tensor:
        if not torch.jit.is_scripting() and (not isinstance(specgram, torch.Tensor) or specgram.ndim < 3):
            shape = tuple(specgram.shape) if isinstance(specgram, torch.Tensor) else type(specgram).__name__
            raise ValueError(f"MVDR: specgram must be at least 3D (..., channel, freq, time), got {shape}")
        if not specgram.is_complex():
            raise ValueError(f"MVDR: specgram must be torch.cfloat or torch.cdouble, got {specgram.dtype}")
        dtype = specgram.dtype
        specgram = specgram.to(torch.complex128)
        if mask_n is None:
            warnings.warn("MVDR: mask_n is not provided, using 1 - mask_s as mask_n.", stacklevel=2)
            mask_n = 1 - mask_s
        mask_s = mask_s.to(torch.float64)
        mask_n = mask_n.to(torch.float64)
        psd_s = self.psd(specgram, mask_s)
        psd_n = self.psd(specgram, mask_n)
        if self.online:
            psd_s, psd_n = self._online_update(psd_s, psd_n, mask_s, mask_n)
        weights = self._weights(psd_s, psd_n)
        return F.apply_beamforming(weights, specgram).to(dtype)


class SoudenMVDR(torch.nn.Module):
    """MVDR beamformer with Souden's solution (see ``functional.mvdr_weights_souden``).

    Shape:
        - specgram: ``(..., channel, freq, time)`` complex
        - psd_s, psd_n: ``(..., freq, channel, channel)``
        - output: ``(..., freq, time)``
    """

    def forward(self, specgram: torch.Tensor, psd_s: torch.Tensor, psd_n: torch.Tensor,
                reference_channel: int | torch.Tensor, diagonal_loading: bool = True,
                diag_eps: float = 1e-7, eps: float = 1e-8) -> torch.Tensor:
        weights = F.mvdr_weights_souden(psd_s, psd_n, reference_channel, diagonal_loading, diag_eps, eps)
        return F.apply_beamforming(weights, specgram)


class RTFMVDR(torch.nn.Module):
    """MVDR beamformer from a relative transfer function (see ``functional.mvdr_weights_rtf``).

    Shape:
        - specgram: ``(..., channel, freq, time)`` complex
        - rtf: ``(..., freq, channel)``
        - psd_n: ``(..., freq, channel, channel)``
        - output: ``(..., freq, time)``
    """

    def forward(self, specgram: torch.Tensor, rtf: torch.Tensor, psd_n: torch.Tensor,
                reference_channel: int | torch.Tensor, diagonal_loading: bool = True,
                diag_eps: float = 1e-7, eps: float = 1e-8) -> torch.Tensor:
        weights = F.mvdr_weights_rtf(rtf, psd_n, reference_channel, diagonal_loading, diag_eps, eps)
        return F.apply_beamforming(weights, specgram)
