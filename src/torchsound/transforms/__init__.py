"""``torch.nn.Module`` wrappers: each holds configuration and buffers and calls ``functional``."""

from .._internal.lazy import attach

_NAMES = {
    **dict.fromkeys(
        ["Spectrogram", "InverseSpectrogram", "GriffinLim", "TimeStretch", "PitchShift", "MelScale",
         "MelSpectrogram", "InverseMelScale", "MFCC", "LFCC", "AmplitudeToDB", "SpectralCentroid"],
        "._spectral"),
    **dict.fromkeys(["ComputeDeltas", "SlidingWindowCmn"], "._features"),
    "Loudness": "._loudness",
    **dict.fromkeys(["FrequencyMasking", "TimeMasking", "SpecAugment"], "._masking"),
    "Resample": "._resampling",
    **dict.fromkeys(["Preemphasis", "Deemphasis"], "._filtering"),
    **dict.fromkeys(["Convolve", "FFTConvolve"], "._convolution"),
    **dict.fromkeys(["Vol", "Fade", "Speed", "SpeedPerturbation", "AddNoise"], "._effects"),
    "Vad": "._vad",
    **dict.fromkeys(["MuLawEncoding", "MuLawDecoding"], "._codecs"),
    **dict.fromkeys(["PSD", "MVDR", "RTFMVDR", "SoudenMVDR"], "._multichannel"),
    "RNNTLoss": "._rnnt",
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
