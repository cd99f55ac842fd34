"""Demo step of the waveform-DSP area: resample the sample, filter it, add an effect; write WAVs."""

from __future__ import annotations

import math
import os
import time


def run(sample_path: str, out_dir: str) -> list[str]:
    import soundfile
    import torch

    import torchsound.functional as F

    data, rate = soundfile.read(sample_path, dtype="float32", always_2d=True)
    speech = torch.from_numpy(data.T.copy())
    lines = []

    def write(name, waveform, sr):
        path = os.path.join(out_dir, name)
        soundfile.write(path, waveform.t().numpy(), sr, subtype="FLOAT")
        lines.append(f"wrote {path} ({waveform.shape[-1] / sr:.2f} s at {sr} Hz)")

    # Resampling: up to 44.1 kHz with the HQ preset and back; the round trip keeps the band.
    t0 = time.perf_counter()
    up = F.resample(speech, rate, 44100, quality="hq")
    elapsed = time.perf_counter() - t0
    back = F.resample(up, 44100, rate, quality="hq")[..., : speech.shape[-1]]
    # Round-trip error within the preset's passband (below 0.8 of 8 kHz, edges excluded).
    inner = slice(rate // 10, -rate // 10)
    error = torch.fft.rfft((back - speech)[0, inner]).abs().pow(2)
    signal = torch.fft.rfft(speech[0, inner]).abs().pow(2)
    passband = torch.fft.rfftfreq(speech[0, inner].shape[-1], 1 / rate) < 6400
    noise = error[passband].sum() / signal[passband].sum()
    write("dsp_resampled_44100.wav", up, 44100)
    lines.append(f"resample {rate} -> 44100 Hz (quality='hq') in {elapsed * 1000:.1f} ms; "
                 f"round-trip SNR below 6.4 kHz {-10 * math.log10(float(noise) + 1e-30):.1f} dB")

    # Filtering: a 4th-order band (two biquads) for telephone speech, then a 1 kHz notch.
    t0 = time.perf_counter()
    phone = F.highpass_biquad(F.lowpass_biquad(speech, rate, 3400.0), rate, 300.0)
    phone = F.bandreject_biquad(phone, rate, 1000.0, Q=5.0)
    elapsed = time.perf_counter() - t0
    write("dsp_telephone_band.wav", phone, rate)
    spectrum_in = torch.fft.rfft(speech[0]).abs().pow(2)
    spectrum_out = torch.fft.rfft(phone[0]).abs().pow(2)
    freqs = torch.fft.rfftfreq(speech.shape[-1], 1 / rate)
    above = freqs > 5000
    drop = 10 * math.log10(float(spectrum_out[above].sum() / spectrum_in[above].sum()))
    lines.append(f"telephone band (lowpass 3.4 kHz, highpass 300 Hz, 1 kHz notch) in {elapsed * 1000:.1f} ms; "
                 f"energy above 5 kHz changed by {drop:.1f} dB")

    # Effects: a phaser, 8 kHz mu-law telephone quality.
    write("dsp_phaser.wav", F.phaser(speech, rate), rate)
    narrow = F.resample(speech, rate, 8000)
    mulaw = F.mu_law_decoding(F.mu_law_encoding(narrow, 256), 256)
    write("dsp_mulaw_8000.wav", mulaw, 8000)
    snr = 10 * math.log10(float(narrow.pow(2).sum() / (mulaw - narrow).pow(2).sum()))
    lines.append(f"8-bit mu-law at 8 kHz: SNR {snr:.1f} dB")
    return lines
