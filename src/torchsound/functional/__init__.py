"""The math of torchsound: every operation is written once, here, one topic a module.

Transforms, sox effects and Kaldi compliance all call into these functions.
"""

from .._internal.lazy import attach

_NAMES = {
    # spectra (_spectral)
    **dict.fromkeys(
        ["spectrogram", "inverse_spectrogram", "griffinlim", "phase_vocoder", "pitch_shift",
         "spectral_centroid", "amplitude_to_DB", "DB_to_amplitude"], "._spectral"),
    # filterbanks and scales (_filterbanks)
    **dict.fromkeys(["melscale_fbanks", "linear_fbanks", "create_dct"], "._filterbanks"),
    # analysis
    **dict.fromkeys(["compute_deltas", "sliding_window_cmn"], "._features"),
    "detect_pitch_frequency": "._pitch",
    "loudness": "._loudness",
    **dict.fromkeys(["mask_along_axis", "mask_along_axis_iid"], "._masking"),
    # resampling
    "resample": "._resampling",
    # IIR/FIR filtering (_filtering)
    **dict.fromkeys(
        ["lfilter", "filtfilt", "biquad", "lowpass_biquad", "highpass_biquad", "bandpass_biquad",
         "bandreject_biquad", "allpass_biquad", "band_biquad", "bass_biquad", "treble_biquad",
         "equalizer_biquad", "deemph_biquad", "riaa_biquad", "preemphasis", "deemphasis"], "._filtering"),
    **dict.fromkeys(["convolve", "fftconvolve"], "._convolution"),
    # effects
    **dict.fromkeys(
        ["gain", "dcshift", "contrast", "overdrive", "phaser", "flanger", "dither", "add_noise", "speed"],
        "._effects"),
    "vad": "._vad",
    # sox-style effects (sox_effects engineer)
    **dict.fromkeys(["echo", "echos", "chorus", "tremolo"], "._modulation"),
    **dict.fromkeys(["compand", "mcompand", "crossover_split"], "._dynamics"),
    "reverb": "._reverb",
    **dict.fromkeys(["tempo", "stretch", "bend"], "._tempo"),
    **dict.fromkeys(["earwax", "fir_filter", "hilbert_fir"], "._sox_misc"),
    **dict.fromkeys(["mu_law_encoding", "mu_law_decoding", "apply_codec"], "._codecs"),
    # multichannel beamforming, metrics, alignment
    **dict.fromkeys(["psd", "mvdr_weights_souden", "mvdr_weights_rtf", "rtf_evd", "rtf_power", "apply_beamforming"],
                    "._multichannel"),
    **dict.fromkeys(["edit_distance", "frechet_distance"], "._metrics"),
    **dict.fromkeys(["forced_align", "merge_tokens", "TokenSpan"], "._alignment"),
    "rnnt_loss": "._rnnt",
}

__getattr__, __dir__, __all__ = attach(__name__, _NAMES)
