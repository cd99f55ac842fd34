"""Biquads are differentiable in their parameters, as torchaudio 2.8's (gradients compared to the oracle's)."""

from __future__ import annotations

import pytest
import torch
from conftest import tol

import torchsound.functional as F

# name -> (positional args after (waveform, sample_rate) as {name: value}, keyword extras). Parameters named
# here are passed as tensors with requires_grad; values keep every filter stable at 8 kHz.
_BIQUADS = {
    "lowpass_biquad": {"cutoff_freq": 900.0, "Q": 0.9},
    "highpass_biquad": {"cutoff_freq": 700.0, "Q": 0.6},
    "allpass_biquad": {"central_freq": 1200.0, "Q": 0.8},
    "bandpass_biquad": {"central_freq": 1000.0, "Q": 1.5},
    "bandreject_biquad": {"central_freq": 1100.0, "Q": 1.2},
    "band_biquad": {"central_freq": 1000.0, "Q": 2.0},
    "bass_biquad": {"gain": 6.0, "central_freq": 150.0, "Q": 0.7},
    "treble_biquad": {"gain": -4.0, "central_freq": 2500.0, "Q": 0.7},
    "equalizer_biquad": {"center_freq": 1500.0, "gain": 5.0, "Q": 1.1},
}
_VARIANTS = [(name, {}) for name in _BIQUADS] + [
    ("bandpass_biquad", {"const_skirt_gain": True}),
    ("band_biquad", {"noise": True}),
]
SAMPLE_RATE = 8000


def _direct_lfilter(waveform, a_coeffs, b_coeffs, clamp=True, batching=True):
    """Slow, differentiable sample-by-sample difference equation (stands in for the oracle's compiled lfilter,
    whose pure-Python fallback writes in place and has no backward)."""
    a = a_coeffs / a_coeffs[0]
    b = b_coeffs / a_coeffs[0]
    x = waveform.reshape(-1, waveform.shape[-1])
    ys = []
    for n in range(x.shape[-1]):
        acc = sum(b[k] * x[:, n - k] for k in range(len(b)) if n - k >= 0)
        acc = acc - sum(a[k] * ys[n - k] for k in range(1, len(a)) if n - k >= 0)
        ys.append(acc)
    y = torch.stack(ys, dim=-1).reshape(waveform.shape)
    return y.clamp(-1, 1) if clamp else y


def _run(module, name, waveform, params, extra):
    tensors = {k: torch.tensor(v, dtype=waveform.dtype, requires_grad=True) for k, v in params.items()}
    out = getattr(module.functional, name)(waveform, SAMPLE_RATE, **tensors, **extra)
    return out, tensors


@pytest.mark.parametrize("name, extra", _VARIANTS, ids=[f"{n}{'-' + next(iter(e)) if e else ''}" for n, e in _VARIANTS])
def test_parameter_gradients_match_torchaudio(name, extra, torchaudio28, monkeypatch):
    """Output and d(loss)/d(parameter) for every tensor parameter equal the oracle's (float64, short input)."""
    import torchsound

    waveform = 0.3 * torch.randn(2, 120, dtype=torch.float64)
    weights = torch.randn(2, 120, dtype=torch.float64)
    ours, ours_params = _run(torchsound, name, waveform, _BIQUADS[name], extra)
    # torchaudio's coefficient formulas (its biquad -> lfilter), with a differentiable direct recursion.
    monkeypatch.setattr(torchaudio28.functional.filtering, "lfilter", _direct_lfilter)
    ref, ref_params = _run(torchaudio28, name, waveform, _BIQUADS[name], extra)
    torch.testing.assert_close(ours, ref, **tol("lfilter64"))
    ours_grads = torch.autograd.grad((ours * weights).sum(), list(ours_params.values()))
    ref_grads = torch.autograd.grad((ref * weights).sum(), list(ref_params.values()))
    for key, g_ours, g_ref in zip(ours_params, ours_grads, ref_grads):
        assert torch.isfinite(g_ours) and g_ours != 0, key
        torch.testing.assert_close(g_ours, g_ref, **tol("lfilter64"), msg=f"d/d{key}")


@pytest.mark.parametrize("name", sorted(_BIQUADS))
def test_parameter_gradcheck(name):
    """Finite differences agree with autograd for every parameter (float64)."""
    waveform = 0.3 * torch.randn(1, 64, dtype=torch.float64)
    weights = torch.randn(1, 64, dtype=torch.float64)
    keys = list(_BIQUADS[name])

    def fn(*values):  # a weighted sum: one backward pass per check instead of one per output sample
        return (getattr(F, name)(waveform, SAMPLE_RATE, **dict(zip(keys, values))) * weights).sum()

    inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in _BIQUADS[name].values())
    assert torch.autograd.gradcheck(fn, inputs)


def test_float32_parameter_tensor_gets_float32_gradient():
    """A float32 parameter tensor receives a float32 gradient (computation runs in float64 inside)."""
    cutoff = torch.tensor(1000.0, requires_grad=True)
    F.lowpass_biquad(torch.randn(1, 100) * 0.1, SAMPLE_RATE, cutoff).sum().backward()
    assert cutoff.grad is not None and cutoff.grad.dtype == torch.float32 and torch.isfinite(cutoff.grad)


@pytest.mark.parametrize("name", ["lowpass_biquad", "bass_biquad"])
def test_float_parameters_match_torchaudio(name, torchaudio28):
    """Plain numbers still work and give torchaudio's output (float32 input: torchaudio rounds coefficients to it)."""
    import torchsound

    waveform = 0.3 * torch.randn(2, 300)
    ours = getattr(torchsound.functional, name)(waveform, SAMPLE_RATE, **_BIQUADS[name])
    ref = getattr(torchaudio28.functional, name)(waveform, SAMPLE_RATE, **_BIQUADS[name])
    torch.testing.assert_close(ours, ref, **tol("dsp32"))
