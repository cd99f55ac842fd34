"""Prototype functionals. The math lives in ``torchsound.functional`` (this namespace re-exports it), except
``exp_sigmoid`` and ``ray_tracing``, which only torchaudio's prototype has."""

from ..._internal.lazy import attach

_F = "torchsound.functional."
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        **dict.fromkeys(["barkscale_fbanks", "chroma_filterbank"], _F + "_filterbanks"),
        **dict.fromkeys(["adsr_envelope", "extend_pitch", "oscillator_bank"], _F + "_synthesis"),
        **dict.fromkeys(["sinc_impulse_response", "frequency_impulse_response", "filter_waveform"], _F + "_fir"),
        "simulate_rir_ism": _F + "_rir",
        "exp_sigmoid": "._dsp",
        "ray_tracing": "._ray_tracing",
    },
)
