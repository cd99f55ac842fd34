"""Frame-level feature post-processing: delta coefficients and sliding-window mean/variance normalisation."""

from __future__ import annotations

import torch
import torch.nn.functional as nnf

from .._internal.checks import check_choice, check_float, check_int, check_min_dim
from .._internal.dtypes import restore, upcast


def compute_deltas(specgram: torch.Tensor, win_length: int = 5, mode: str = "replicate") -> torch.Tensor:
    r"""Delta (time-derivative) coefficients by regression over ``win_length`` frames.

    ``d[t] = sum_{n=1}^{N} n * (c[t + n] - c[t - n]) / (2 * sum_{n=1}^{N} n^2)`` with
    ``N = (win_length - 1) // 2``; the edges are padded with ``mode``.

    Args:
        specgram: features, time last.
        win_length: regression window (``>= 3``).
        mode: padding mode: ``"replicate"``, ``"constant"``, ``"reflect"`` or ``"circular"``.

    Shape:
        specgram: ``(..., freq, time)``; output: same.
    """
    fn = "compute_deltas"
    check_float("specgram", specgram, fn=fn)
    check_int("win_length", win_length, fn=fn, minimum=3)
    check_choice("mode", mode, ("replicate", "constant", "reflect", "circular"), fn=fn)
    x, orig_dtype = upcast(specgram)
    shape = x.shape
    n = (win_length - 1) // 2
    denom = n * (n + 1) * (2 * n + 1) / 3
    x = x.reshape(-1, 1, shape[-1])
    if x.shape[0] == 0:
        return specgram.clone()
    x = nnf.pad(x, (n, n), mode=mode)
    kernel = torch.arange(-n, n + 1, dtype=x.dtype, device=x.device).reshape(1, 1, -1) / denom
    out = nnf.conv1d(x, kernel)
    return restore(out.reshape(shape), orig_dtype)


def _cmn_windows(num_frames: int, cmn_window: int, min_cmn_window: int, center: bool, device: torch.device):
    """[start, end) of the normalisation window of each frame (Kaldi's apply-cmvn-sliding rules)."""
    t = torch.arange(num_frames, device=device)
    if center:
        start = t - cmn_window // 2
        end = start + cmn_window
    else:
        start = t - cmn_window
        end = t + 1
    shift = torch.clamp(-start, min=0)  # a window that starts before 0 slides right
    start, end = start + shift, end + shift
    if not center:  # causal: never look ahead further than min_cmn_window frames
        end = torch.where(end > t, torch.clamp(t + 1, min=min_cmn_window), end)
    over = torch.clamp(end - num_frames, min=0)  # a window past the end slides left
    start = torch.clamp(start - over, min=0)
    end = end - over
    return start, end


def sliding_window_cmn(
    specgram: torch.Tensor,
    cmn_window: int = 600,
    min_cmn_window: int = 100,
    center: bool = False,
    norm_vars: bool = False,
) -> torch.Tensor:
    r"""Sliding-window cepstral mean (and variance) normalisation, as Kaldi's ``apply-cmvn-sliding``.

    Each frame has the mean of a window of ``cmn_window`` frames subtracted: the window ends at the
    frame (causal, but at least ``min_cmn_window`` frames long at the start) or is centred on it
    (``center=True``); with ``norm_vars`` it is also divided by the window's standard deviation.
    Window sums come from float64 prefix sums, so the result does not drift on long inputs.

    Shape:
        specgram: ``(..., time, freq)`` (time is the second-to-last dimension, as in torchaudio);
        output: same.
    """
    fn = "sliding_window_cmn"
    check_float("specgram", specgram, fn=fn)
    check_int("cmn_window", cmn_window, fn=fn, minimum=1)
    check_int("min_cmn_window", min_cmn_window, fn=fn, minimum=0)
    check_min_dim("specgram", specgram, 2, fn=fn)
    x, orig_dtype = upcast(specgram)
    num_frames = x.shape[-2]
    if num_frames == 0:
        return specgram.clone()
    start, end = _cmn_windows(num_frames, cmn_window, min_cmn_window, center, x.device)
    acc = torch.float64 if x.device.type != "mps" else x.dtype
    xd = x.to(acc)
    zero = torch.zeros_like(xd[..., :1, :])
    prefix = torch.cat([zero, xd.cumsum(-2)], dim=-2)
    count = (end - start).to(acc).unsqueeze(-1)
    mean = (prefix.index_select(-2, end) - prefix.index_select(-2, start)) / count
    out = xd - mean
    if norm_vars:
        prefix_sq = torch.cat([zero, xd.square().cumsum(-2)], dim=-2)
        mean_sq = (prefix_sq.index_select(-2, end) - prefix_sq.index_select(-2, start)) / count
        single = count == 1  # a one-frame window has no variance: Kaldi outputs zeros there
        out = torch.where(single, torch.zeros_like(out), out * torch.rsqrt(mean_sq - mean.square()))
    return restore(out.to(x.dtype), orig_dtype)

