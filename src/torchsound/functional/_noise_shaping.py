"""Requantization with TPDF dither and error-feedback noise shaping, as sox's ``dither`` effect does it.

The shaping filters are the published tables sox ships (Lipshitz, F-weighted, modified/improved E-weighted,
Gesemann, Shibata and its low/high variants), each designed for one sample rate; sox picks the table whose
rate is within 5 % of the signal's.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np
import torch

# (design rate, kind, coefficients): "fir" tables weight the previous errors; the "iir" (Gesemann) tables hold
# four feed-forward weights of previous errors, then four feedback weights of previous filter outputs.
_TABLES: Dict[str, Tuple[Tuple[float, str, Tuple[float, ...]], ...]] = {
    "lipshitz": ((44100, "fir", (2.033, -2.165, 1.959, -1.590, .6149)),),
    "f-weighted": ((46000, "fir", (2.412, -3.370, 3.937, -4.174, 3.353, -2.205, 1.281, -.569, .0847)),),
    "modified-e-weighted": ((46000, "fir", (1.662, -1.263, .4827, -.2913, .1268, -.1124, .03252, -.01265, -.03524)),),
    "improved-e-weighted": ((46000, "fir", (2.847, -4.685, 6.214, -7.184, 6.639, -5.032, 3.263, -1.632, .4191)),),
    "gesemann": ((48000, "iir", (2.2374, -.7339, -.1251, -.6033, .903, .0116, -.5853, -.2571)),
                 (44100, "iir", (2.2061, -.4706, -.2534, -.6214, 1.0587, .0676, -.6054, -.2738))),
    "shibata": (
        (48000, "fir", (2.8720729, -5.0413232, 6.2442994, -5.8483987, 3.7067542, -1.0495119, -1.1830237, 2.1126792,
                        -1.9094532, 0.99913085, -0.17090806, -0.32615602, 0.39127645, -0.26876462, 0.097676106,
                        -0.023473846)),
        (44100, "fir", (2.6773198, -4.8308926, 6.5701103, -7.4572015, 6.7263274, -4.8481650, 2.0412090, 0.70063591,
                        -2.9537565, 4.0800385, -4.1845217, 3.3311813, -2.1179926, 0.87930298, -0.031759147,
                        -0.42382789, 0.47882104, -0.35490814, 0.17496839, -0.060908169)),
        (37800, "fir", (1.6335993, -2.2615492, 2.4077029, -2.6341717, 2.1440363, -1.8153259, 1.0816225, -0.70302653,
                        0.15991993, 0.041549519, -0.29416576, 0.25183168, -0.27766478, 0.15785404, -0.10165894,
                        0.016833892)),
        (32000, "fir", (0.82118553, -1.0063692, 0.62341964, -1.0447187, 0.64532512, -0.87615132, 0.52219754,
                        -0.67434263, 0.44954318, -0.52557498, 0.34567299, -0.39618203, 0.26791760, -0.28936097,
                        0.18837653, -0.19097309, 0.10431360, -0.10633845, 0.046832219, -0.039653312)),
        (22050, "fir", (0.056581054, -0.56956905, -0.40727735, -0.33870289, -0.29810554, -0.19039162, -0.16510022,
                        -0.13468160, -0.096633770, -0.081049129, -0.064953059, -0.054459091, -0.043378707,
                        -0.036600143, -0.026256965, -0.018786207, -0.013387726, -0.0090983231, -0.0026585909,
                        -0.00042083301)),
        (16000, "fir", (-0.37251133, -0.81423575, -0.55010957, -0.47405767, -0.32624707, -0.31617665, -0.22863673,
                        -0.22916608, -0.19565617, -0.18160105, -0.15423152, -0.14104481, -0.11844277, -0.097583093,
                        -0.076493599, -0.068106920, -0.041881654, -0.036922425, -0.019364040, -0.014994368)),
        (11025, "fir", (-0.92642283, -0.98695987, -0.63115633, -0.51966935, -0.39738873, -0.35679302, -0.29720727,
                        -0.26310477, -0.21719356, -0.18561815, -0.15404847, -0.12687472, -0.10339746, -0.083688632,
                        -0.058756825, -0.046893671, -0.027950937, -0.020740610, -0.0093664527, -0.0060260161)),
        (8000, "fir", (-1.2028633, -0.94103098, -0.67878556, -0.57650018, -0.50004476, -0.44349346, -0.37833768,
                       -0.34028724, -0.29413089, -0.24994957, -0.21715601, -0.18792112, -0.15268312, -0.12135543,
                       -0.099610627, -0.075273611, -0.048787497, -0.042586319, -0.028991291, -0.011869125)),
    ),
    "low-shibata": (
        (48000, "fir", (2.3925774, -3.4350297, 3.1853709, -1.8117272, -0.20124771, 1.4759908, -1.7210904, 0.97746700,
                        -0.13790138, -0.38185903, 0.27421242, 0.066584215, -0.35223302, 0.37672344, -0.23964277,
                        0.068674825)),
        (44100, "fir", (2.0833917, -3.0418451, 3.2047899, -2.7571926, 1.4978631, -0.34275946, -0.71733749, 1.0737058,
                        -1.0225816, 0.56649995, -0.20968692, -0.065378532, 0.10322438, -0.067442022, -0.0049519734)),
    ),
    "high-shibata": (
        (44100, "fir", (3.0259190, -6.0268717, 9.1950035, -11.824929, 12.767142, -11.917947, 9.1739168, -5.3712321,
                        1.1393625, 2.4484780, -4.9719839, 6.0392003, -5.9359522, 4.9032784, -3.5527444, 2.1909697,
                        -1.1672390, 0.49039143, -0.16519791, 0.023217859)),
    ),
}

SHAPING_FILTERS = tuple(_TABLES)


def shaping_filter(name: str, sample_rate: float) -> Optional[Tuple[str, Tuple[float, ...]]]:
    """sox's table for filter ``name`` at ``sample_rate`` (5 % leeway): ``(kind, coefficients)``, or None."""
    for rate, kind, coefs in _TABLES[name]:
        if abs(sample_rate - rate) / rate <= 0.05:
            return kind, coefs
    return None


def _quantize(v: np.ndarray, bits: int) -> np.ndarray:
    """Round half away from zero onto integer steps, clipped to the signed ``bits``-bit range."""
    q = np.where(v < 0, np.ceil(v - 0.5), np.floor(v + 0.5))
    return np.clip(q, -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)


def tpdf_requantize(waveform: torch.Tensor, bits: int, *, sloped: bool = False) -> torch.Tensor:
    """Round to ``bits`` bits after adding TPDF dither of +-1 LSB (vectorized; no error feedback).

    ``sloped`` uses the difference of consecutive uniform draws (sox ``dither -S``), which tilts the
    dither's spectrum towards high frequencies (a first-order high-pass) at the same peak amplitude.

    Shape:
        waveform: (..., time) -> (..., time)
    """
    lsb = 2.0 ** (1 - bits)
    first = torch.rand_like(waveform) - 0.5
    if sloped:
        previous = torch.nn.functional.pad(first[..., :-1], (1, 0))
        noise = first - previous
    else:
        noise = first + torch.rand_like(waveform) - 0.5
    steps = waveform / lsb + noise
    rounded = torch.where(steps < 0, torch.ceil(steps - 0.5), torch.floor(steps + 0.5))
    return rounded.clamp(-(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1) * lsb


def noise_shaped_requantize(waveform: torch.Tensor, bits: int, kind: str, coefficients) -> torch.Tensor:
    """Round to ``bits`` bits with TPDF dither and error feedback through a shaping filter (sox ``dither -s/-f``).

    Each sample first has the filtered past requantization errors (dither included) subtracted, so the
    total error is the error sequence filtered by ``1 - z^-1 H(z)``: pushed towards frequencies where the
    ear is less sensitive. The feedback is sequential sample by sample, so it runs in NumPy on the CPU
    (vectorized over channels and batch) and the result is returned on the input's device and dtype.
    Not differentiable (rounding).

    Shape:
        waveform: (..., time) -> (..., time)
    """
    lsb = 2.0 ** (1 - bits)
    x = waveform.detach().to("cpu", torch.float64).reshape(-1, waveform.shape[-1]).numpy() / lsb
    rows, n = x.shape
    coefs = np.asarray(coefficients, dtype=np.float64)
    taps = len(coefs) if kind == "fir" else len(coefs) // 2
    feed, back = coefs[:taps], coefs[taps:]
    dither = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item())).random((2, rows, n)).sum(0) - 1.0
    errors = np.zeros((rows, taps))  # most recent first
    outputs = np.zeros((rows, taps))
    result = np.empty_like(x)
    for i in range(n):
        if kind == "fir":
            target = x[:, i] - errors @ feed
        else:  # Gesemann: the feedback itself is a recursive filter of the errors
            out = errors @ feed - outputs @ back
            target = x[:, i] - out
            outputs = np.concatenate([out[:, None], outputs[:, :-1]], axis=1)
        q = _quantize(target + dither[:, i], bits)
        errors = np.concatenate([(q - target)[:, None], errors[:, :-1]], axis=1)
        result[:, i] = q
    out = torch.from_numpy(result * lsb).reshape(waveform.shape)
    return out.to(device=waveform.device, dtype=waveform.dtype)
