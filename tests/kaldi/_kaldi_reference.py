"""kaldi-native-fbank as the oracle, called with torchaudio-style keyword arguments.

``fbank``/``mfcc`` use knf's own feature computers. knf has no spectrogram and its fbank has no
VTLN, so those references are assembled from knf's parts: its frame extractor (framing, DC
removal, pre-emphasis, window), its real FFT and its mel banks; only the final log and the
energy placement are written here, following Kaldi's ``SpectrogramComputer``/``FbankComputer``.
"""

from __future__ import annotations

import math

import kaldi_native_fbank as knf
import numpy as np

EPS = float(np.finfo(np.float32).eps)


def _frame_opts(kw, *, round_to_power_of_two=None):
    fo = knf.FrameExtractionOptions()
    fo.samp_freq = float(kw.get("sample_frequency", 16000.0))
    fo.frame_shift_ms = float(kw.get("frame_shift", 10.0))
    fo.frame_length_ms = float(kw.get("frame_length", 25.0))
    fo.dither = 0.0
    fo.preemph_coeff = float(kw.get("preemphasis_coefficient", 0.97))
    fo.remove_dc_offset = bool(kw.get("remove_dc_offset", True))
    fo.window_type = kw.get("window_type", "povey")
    rounding = kw.get("round_to_power_of_two", True) if round_to_power_of_two is None else round_to_power_of_two
    fo.round_to_power_of_two = bool(rounding)
    fo.blackman_coeff = float(kw.get("blackman_coeff", 0.42))
    fo.snip_edges = bool(kw.get("snip_edges", True))
    return fo


def _mel_opts(mo, kw):
    mo.num_bins = int(kw.get("num_mel_bins", 23))
    mo.low_freq = float(kw.get("low_freq", 20.0))
    mo.high_freq = float(kw.get("high_freq", 0.0))
    mo.vtln_low = float(kw.get("vtln_low", 100.0))
    mo.vtln_high = float(kw.get("vtln_high", -500.0))
    return mo


def _run(computer, samples, sample_rate):
    computer.accept_waveform(float(sample_rate), np.ascontiguousarray(samples, dtype=np.float32))
    computer.input_finished()
    n = computer.num_frames_ready
    return np.stack([np.array(computer.get_frame(i)) for i in range(n)]) if n else np.zeros((0, computer.dim), np.float32)


def _finish(feature, kw):
    if kw.get("subtract_mean", False):
        feature = feature - feature.mean(axis=0, keepdims=True)
    return feature


def fbank(samples: np.ndarray, **kw) -> np.ndarray:
    """Kaldi fbank of a 1-D float array with torchaudio's keyword names (torchaudio defaults)."""
    if float(kw.get("vtln_warp", 1.0)) != 1.0:
        return _fbank_vtln(samples, **kw)
    o = knf.FbankOptions()
    o.frame_opts = _frame_opts(kw)
    _mel_opts(o.mel_opts, kw)
    o.use_energy = bool(kw.get("use_energy", False))
    o.energy_floor = float(kw.get("energy_floor", 1.0))
    o.raw_energy = bool(kw.get("raw_energy", True))
    o.htk_compat = bool(kw.get("htk_compat", False))
    o.use_log_fbank = bool(kw.get("use_log_fbank", True))
    o.use_power = bool(kw.get("use_power", True))
    return _finish(_run(knf.OnlineFbank(o), samples, o.frame_opts.samp_freq), kw)


def mfcc(samples: np.ndarray, **kw) -> np.ndarray:
    """Kaldi MFCC of a 1-D float array with torchaudio's keyword names (torchaudio defaults)."""
    o = knf.MfccOptions()
    o.frame_opts = _frame_opts(kw)
    _mel_opts(o.mel_opts, kw)
    o.num_ceps = int(kw.get("num_ceps", 13))
    o.use_energy = bool(kw.get("use_energy", False))
    o.energy_floor = float(kw.get("energy_floor", 1.0))
    o.raw_energy = bool(kw.get("raw_energy", True))
    o.cepstral_lifter = float(kw.get("cepstral_lifter", 22.0))
    o.htk_compat = bool(kw.get("htk_compat", False))
    return _finish(_run(knf.OnlineMfcc(o), samples, o.frame_opts.samp_freq), kw)


def _processed_frames(samples, kw):
    # knf's frame extractor crashes when it has to zero-pad, so frame unpadded and pad here.
    fo = _frame_opts(kw, round_to_power_of_two=False)
    frames = _run(knf.OnlineRawAudioSamples(knf.RawAudioSamplesOptions(fo)), samples, fo.samp_freq)
    size = frames.shape[1]
    padded = 2 ** math.ceil(math.log2(size)) if kw.get("round_to_power_of_two", True) else size
    return frames, padded


def _raw_frames(samples, kw):
    """Frames after DC removal only: what Kaldi's raw energy is computed on."""
    plain = dict(kw, preemphasis_coefficient=0.0, window_type="rectangular")
    fo = _frame_opts(plain, round_to_power_of_two=False)
    return _run(knf.OnlineRawAudioSamples(knf.RawAudioSamplesOptions(fo)), samples, fo.samp_freq)


def _power_spectra(frames, padded):
    fft = knf.Rfft(padded)
    out = np.zeros((frames.shape[0], padded // 2 + 1), np.float32)
    for i, frame in enumerate(frames):
        buf = np.zeros(padded, np.float32)
        buf[: frame.shape[0]] = frame
        packed = np.asarray(fft.compute(buf.tolist()), np.float32)
        re = np.concatenate([[packed[0]], packed[2::2], [packed[1]]])
        im = np.concatenate([[0.0], packed[3::2], [0.0]]).astype(np.float32)
        out[i] = re * re + im * im
    return out


def _log_energy(frames, energy_floor):
    energy = np.log(np.maximum((frames.astype(np.float64) ** 2).sum(axis=1), EPS))
    if energy_floor > 0:
        energy = np.maximum(energy, math.log(energy_floor))
    return energy


def spectrogram(samples: np.ndarray, **kw) -> np.ndarray:
    """Kaldi's SpectrogramComputer from knf parts: log power spectrum, bin 0 = log energy."""
    frames, padded = _processed_frames(samples, kw)
    power = _power_spectra(frames, padded)
    feature = np.log(np.maximum(power, EPS)).astype(np.float64)
    source = _raw_frames(samples, kw) if kw.get("raw_energy", True) else frames
    feature[:, 0] = _log_energy(source, float(kw.get("energy_floor", 1.0)))
    return _finish(feature, kw)


def _fbank_vtln(samples, **kw):
    """Kaldi fbank with a VTLN warp from knf parts (knf's online fbank has no warp)."""
    frames, padded = _processed_frames(samples, kw)
    power = _power_spectra(frames, padded)
    fo = _frame_opts(kw)
    mo = _mel_opts(knf.MelBanksOptions(), kw)
    banks = knf.MelBanks(mo, fo, float(kw["vtln_warp"]))
    mel = np.stack([banks.compute(np.ascontiguousarray(p)) for p in power])
    assert not kw.get("use_energy", False) and kw.get("use_log_fbank", True) and kw.get("use_power", True)
    return _finish(np.log(np.maximum(mel, EPS)), kw)


def mel_banks(num_bins, padded, sample_freq, low_freq, high_freq, vtln_low, vtln_high, vtln_warp):
    """knf's mel filterbank matrix ``(num_bins, padded // 2 + 1)``."""
    fo = knf.FrameExtractionOptions()
    fo.samp_freq = float(sample_freq)
    fo.frame_length_ms = padded * 1000.0 / sample_freq
    fo.round_to_power_of_two = False
    mo = knf.MelBanksOptions(num_bins=num_bins, low_freq=low_freq, high_freq=high_freq, vtln_low=vtln_low, vtln_high=vtln_high)
    return np.asarray(knf.MelBanks(mo, fo, float(vtln_warp)).get_matrix())
