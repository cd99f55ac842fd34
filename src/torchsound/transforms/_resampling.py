"""``Resample`` as a module: the kernel is computed once and kept as a buffer."""

from __future__ import annotations

import math

import torch

from ..functional import _resampling as R


class Resample(torch.nn.Module):
    r"""Resample a waveform from ``orig_freq`` to ``new_freq``; see :func:`torchsound.functional.resample`.

    Args:
        orig_freq, new_freq: integer rates (Hz).
        resampling_method: ``"sinc_interp_hann"`` or ``"sinc_interp_kaiser"``.
        lowpass_filter_width, rolloff, beta: the windowed-sinc filter (as in torchaudio).
        dtype: dtype of the precomputed kernel (default: float32; it follows ``.to(dtype)``).
        quality: keyword-only preset ``"hq"`` or ``"vhq"`` replacing the filter arguments.

    Shape:
        - waveform: ``(..., time)``
        - output: ``(..., ceil(time * new_freq / orig_freq))``
    """

    def __init__(
        self,
        orig_freq: int = 16000,
        new_freq: int = 16000,
        resampling_method: str = "sinc_interp_hann",
        lowpass_filter_width: int = 6,
        rolloff: float = 0.99,
        beta: float | None = None,
        *,
        dtype: torch.dtype | None = None,
        quality: str | None = None,
    ) -> None:
        super().__init__()
        fn = "Resample"
        R._check_rate("orig_freq", orig_freq, fn)
        R._check_rate("new_freq", new_freq, fn)
        self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)
        params = R._params(lowpass_filter_width, rolloff, resampling_method, beta, quality, fn)
        self.lowpass_filter_width, self.rolloff, self.resampling_method, self.beta = params
        self.quality = quality
        gcd = math.gcd(self.orig_freq, self.new_freq)
        self._orig, self._new = self.orig_freq // gcd, self.new_freq // gcd
        if self._orig != self._new:
            self._layout = R._kernel(self._orig, self._new, *params, dtype or torch.float32, torch.device("cpu"))
            # the tensors as buffers, so that .to() moves them; the rest of the layout is plain ints
            self.register_buffer("kernel", self._layout.weights.clone(), persistent=False)
            self.register_buffer("slot_of_phase", self._layout.slot_of_phase.clone(), persistent=False)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        if self._orig == self._new:
            return waveform
        if torch.jit.is_scripting():  # the same kernel, evaluated densely (see functional.resample)
            return R._resample_script(waveform, self.orig_freq, self.new_freq, self.lowpass_filter_width, self.rolloff,
                                      self.resampling_method, self.beta)
        R.check_float("waveform", waveform, fn="Resample")
        x, dtype = R.upcast(waveform)
        kernel = self._layout._replace(
            weights=self.kernel.to(device=x.device, dtype=x.dtype), slot_of_phase=self.slot_of_phase.to(x.device)
        )
        y = R._apply(x, kernel, self._orig, self._new)
        return R.restore(y, dtype)
