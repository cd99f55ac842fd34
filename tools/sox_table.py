"""Generate docs/sox-effects.md: every supported sox effect measured against the sox binary.

    .venv/bin/python tools/sox_table.py            # rewrites docs/sox-effects.md
    .venv/bin/python tools/sox_table.py --stdout   # prints it instead

Each effect runs on the grid of test signals (the bundled speech, white noise, an exponential sine
sweep; 8, 16 and 44.1 kHz; mono and stereo) through torchsound and through ``sox -D`` with float32
WAV in and out, and the table reports the WORST row: SNR in dB for sample-exact effects, mean
log-mel distance in dB for time-stretching ones, trim-point error in ms for silence/vad, and the
error size relative to sox's for dither. It uses the sox-effects test helpers (tests/sox/soxoracle.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys

import numpy as np
import soundfile
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path[:0] = [os.path.join(ROOT, "src"), os.path.join(ROOT, "tests"), os.path.join(ROOT, "tests", "sox")]

from soxoracle import FULL_SCALE_CASES, GRID, full_scale_sine, log_mel_distance, run_sox, signal  # noqa: E402

from conftest import snr_db  # noqa: E402
from torchsound.sox_effects import apply_effects_tensor  # noqa: E402

# (effect name, chain, metric, contract); metric: snr | logmel | trim | dither
SNR50, SNR30 = "SNR >= 50 dB", "SNR >= 30 dB"
ROWS = [
    ("allpass", [["allpass", "700", "150h"]], "snr", SNR50),
    ("band", [["band", "-n", "1k"]], "snr", SNR50),
    ("bandpass", [["bandpass", "-c", "1k", "200"]], "snr", SNR50),
    ("bandreject", [["bandreject", "1k", "0.5o"]], "snr", SNR50),
    ("bass", [["bass", "3"]], "snr", SNR50),
    ("biquad", [["biquad", "0.2", "0.3", "0.2", "1", "-0.4", "0.1"]], "snr", SNR50),
    ("equalizer", [["equalizer", "1.2k", "1q", "-6"]], "snr", SNR50),
    ("highpass", [["highpass", "80"]], "snr", SNR50),
    ("lowpass", [["lowpass", "3k"]], "snr", SNR50),
    ("lowpass -1", [["lowpass", "-1", "2k"]], "snr", SNR50),
    ("treble", [["treble", "-4", "2k", "0.7s"]], "snr", SNR50),
    ("deemph (44.1 kHz)", [["deemph"]], "snr", SNR50),
    ("riaa (44.1 kHz)", [["riaa"]], "snr", SNR50),
    ("sinc", [["sinc", "300-3k"]], "snr", SNR50),
    ("sinc -M (minimum phase)", [["sinc", "-M", "300-3k"]], "logmel", "log-mel < 0.6 dB"),
    ("sinc -p 100 (maximum phase)", [["sinc", "-p", "100", "1k"]], "logmel", "log-mel < 0.6 dB"),
    ("fir", [["fir", "0.1", "0.2", "0.4", "0.2", "0.1"]], "snr", SNR50),
    ("hilbert", [["hilbert"]], "snr", SNR50),
    ("contrast", [["contrast"]], "snr", SNR50),
    ("dcshift", [["dcshift", "-0.2", "0.05"]], "snr", SNR50),
    ("gain", [["gain", "-3"]], "snr", SNR50),
    ("gain -n", [["gain", "-n", "-1"]], "snr", SNR50),
    ("gain -e/-B/-b", [["gain", "-B"]], "snr", SNR50),
    ("gain -l", [["gain", "-l", "6"]], "snr", SNR50),
    ("vol", [["vol", "3", "amplitude", "0.05"]], "snr", SNR50),
    ("norm", [["norm", "-3"]], "snr", SNR50),
    ("overdrive", [["overdrive", "10", "40"]], "snr", SNR50),
    ("divide", [["divide"]], "snr", SNR50),
    ("fade", [["fade", "q", "0.1", "0.4"]], "snr", SNR50),
    ("trim", [["trim", "0.05", "0.2"]], "snr", SNR50),
    ("pad", [["pad", "0.05", "300s"]], "snr", SNR50),
    ("delay", [["delay", "0.01"]], "snr", SNR50),
    ("repeat", [["repeat", "2"]], "snr", SNR50),
    ("reverse", [["reverse"]], "snr", SNR50),
    ("channels", [["channels", "1"]], "snr", SNR50),
    ("remix", [["remix", "-m", "1,1", "1"]], "snr", SNR50),
    ("swap (stereo)", [["swap"]], "snr", SNR50),
    ("upsample", [["upsample", "2"]], "snr-rate", SNR50),
    ("downsample", [["downsample", "2"]], "snr-rate", SNR50),
    ("rate", [["rate", "8k"]], "snr", SNR30),
    ("rate -v", [["rate", "-v", "44100"]], "snr", SNR30),
    ("rate -M (minimum phase)", [["rate", "-M", "16k"]], "logmel", "log-mel < 1.5 dB"),
    ("speed", [["speed", "1.1"], ["rate", "16k"]], "snr", SNR30),
    ("echo", [["echo", "0.8", "0.7", "50", "0.3", "83", "0.2"]], "snr", SNR30),
    ("echos", [["echos", "0.8", "0.7", "50", "0.3", "83", "0.2"]], "snr", SNR30),
    ("tremolo", [["tremolo", "8.5", "70"]], "snr", SNR30),
    ("phaser", [["phaser", "0.6", "0.66", "3", "0.6", "2", "-t"]], "snr", SNR30),
    ("flanger", [["flanger"]], "snr", SNR30),
    ("chorus", [["chorus", "0.6", "0.9", "50", "0.4", "0.25", "2", "-t", "60", "0.32", "0.4", "2.3", "-s"]], "snr", SNR30),
    ("compand", [["compand", "0.02,0.2", "-60,-60,-30,-10,-20,-8,-5,-8,-2,-8", "-8", "-7", "0.05"]], "snr", SNR30),
    ("mcompand", [["mcompand", "0.02,0.2 -60,-60,-30,-10,-20,-8 -3", "1k", "0.01,0.1 6:-40,-30,-10,-12 -2"]], "snr", SNR30),
    ("loudness", [["loudness"]], "snr", SNR50),
    ("earwax (44.1 kHz stereo)", [["earwax"]], "snr", SNR30),
    ("oops (stereo)", [["oops"]], "snr", SNR30),
    ("tempo", [["tempo", "1.2"]], "logmel", "log-mel < 0.1 dB"),
    ("tempo -s", [["tempo", "-s", "0.7"]], "logmel", "log-mel < 0.1 dB"),
    ("pitch", [["pitch", "300"], ["rate", "16k"]], "logmel", "log-mel < 0.5 dB"),
    ("stretch", [["stretch", "1.5"]], "logmel", "log-mel < 0.1 dB"),
    ("bend", [["bend", "0.1,300,0.2"]], "logmel", "log-mel < 1 dB"),
    ("reverb", [["reverb"], ["channels", "2"]], "logmel", "log-mel < 0.5 dB"),
    ("reverb -w", [["reverb", "-w", "80", "30", "50", "50", "20", "3"], ["channels", "2"]], "logmel", "log-mel < 0.5 dB"),
    ("silence", [["silence", "1", "0.1", "1%", "-1", "0.1", "1%"]], "trim", "trim points within 10 ms"),
    ("vad", [["vad"]], "trim", "trim points within 10 ms"),
    ("dither", [["dither"]], "dither", "error std within 10 % of sox's"),
    ("dither -S (sloped)", [["dither", "-S"]], "dither", "error std within 10 % of sox's"),
    ("dither -s (shibata)", [["dither", "-s"]], "dither", "error std within 10 % of sox's"),
    ("dither -f lipshitz", [["dither", "-f", "lipshitz"]], "dither", "error std within 10 % of sox's"),
    ("synth sweep (linear)", [["synth", "0.4", "sine", "300:3k"]], "snr", SNR50),
    ("synth sweep (square)", [["synth", "0.4", "sine", "3k+300"]], "snr", SNR50),
    ("synth sweep (exponential)", [["synth", "0.4", "sine", "300/3k"]], "snr", SNR50),
    ("synth sweep (exp., whole cycles)", [["synth", "0.4", "sine", "300-3k"]], "snr", SNR50),
    ("synth exp", [["synth", "exp", "440", "0", "0", "40", "30"]], "snr", SNR50),
    ("synth fmod", [["synth", "sine", "fmod", "300"]], "snr", SNR50),
]
NEEDS = {"deemph": (44100,), "riaa": (44100,), "earwax": (44100,)}


def _rows_for(name):
    rows = list(GRID)
    if name.split()[0] in NEEDS:
        rows = [r for r in rows if r[1] in NEEDS[name.split()[0]]]
    if name.startswith(("earwax", "oops", "swap")):
        rows = [r for r in rows if r[2] == 2]
    if name.startswith(("remix", "divide")):
        rows = [r for r in rows if r[2] == 2] + [("speech", 16000, 1)] * 0
    return rows


def _speech():
    from torchsound.utils import sample_path

    data, sr = soundfile.read(sample_path(), dtype="float32", always_2d=True)
    return torch.from_numpy(data.T.copy()), sr


def _silence_signal(speech, rate, channels):
    import scipy.signal

    wav = speech[0][0, 4000:20000].double()
    quiet = torch.zeros(4800, dtype=torch.float64)
    x = torch.cat([quiet[:2000], wav[:9000], quiet, wav[9000:], quiet[:3000]])
    if rate != 16000:
        x = torch.from_numpy(scipy.signal.resample_poly(x.numpy(), rate, 16000))
    x = x[None].repeat(channels, 1) + 0.001 * torch.randn(channels, x.shape[-1], generator=torch.Generator().manual_seed(1),
                                                          dtype=torch.float64)
    return x


def measure(name, chain, metric, speech):
    worst, exact = None, True
    for kind, rate, channels in _rows_for(name):
        if metric == "trim":
            x = _silence_signal(speech, rate, channels)
        elif name == "divide":
            x = torch.rand(channels, rate // 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 0.4 + 0.5
            x[1:] *= 0.45
        else:
            x = signal(kind, rate, channels, speech) * 0.5
        out_rate = None
        if metric == "snr-rate":
            factor = float(chain[0][1])
            out_rate = int(rate * factor) if chain[0][0] == "upsample" else int(rate / factor)
            if rate % int(factor):
                continue
        if metric == "dither":
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                src, dst = os.path.join(tmp, "in.wav"), os.path.join(tmp, "out.wav")
                soundfile.write(src, x.numpy().T, rate, subtype="FLOAT")
                subprocess.run(["sox", "-V1", src, "-b", "16", dst, *chain[0]], check=True)
                ref = torch.from_numpy(soundfile.read(dst, dtype="float64", always_2d=True)[0].T.copy())
            got, _ = apply_effects_tensor(x, rate, chain)
            value = abs(float((got - x).std() / (ref - x).std()) - 1) * 100
            worst = value if worst is None else max(worst, value)
            continue
        expected, _ = run_sox(x, rate, chain, out_rate=out_rate)
        got, _ = apply_effects_tensor(x, rate, chain)
        if got.shape[0] == 1 and expected.shape[0] == 2:
            got = got.repeat(2, 1)
        if metric == "trim":
            value = abs(got.shape[-1] - expected.shape[-1]) / rate * 1000
            worst = value if worst is None else max(worst, value)
            continue
        exact &= got.shape == expected.shape
        n = min(got.shape[-1], expected.shape[-1])
        if metric == "logmel":
            value = max(log_mel_distance(expected[c, :n], got[c, :n], rate) for c in range(got.shape[0]))
            worst = value if worst is None else max(worst, value)
        else:
            value = min(snr_db(expected[..., :n], got[..., :n]), 200.0)
            worst = value if worst is None else min(worst, value)
    return worst, exact


def measure_full_scale(chain, rate, out_rate, metric):
    """One full-scale-sine case (tests/sox/soxoracle.py FULL_SCALE_CASES): (value, length exact)."""
    x = full_scale_sine(rate)
    expected, _ = run_sox(x, rate, chain, out_rate=out_rate)
    got, got_rate = apply_effects_tensor(x.float(), rate, chain)
    if got.shape != expected.shape:
        return None, False
    if metric == "snr":
        return min(snr_db(expected, got), 200.0), True
    return max(log_mel_distance(expected[c], got[c].double(), got_rate) for c in range(got.shape[0])), True


def render(results, loud=()) -> str:
    sox_version = subprocess.run(["sox", "--version"], capture_output=True, text=True).stdout.split()[-1]
    lines = [
        "# sox effects: measured against the sox binary",
        "",
        "Generated by `tools/sox_table.py` (do not edit by hand) on "
        f"{datetime.date.today().isoformat()} against sox {sox_version}, torch {torch.__version__}.",
        "",
        "Every row runs the chain through `torchsound.sox_effects.apply_effects_tensor` and through",
        "`sox -D` (no automatic dither) with float32 WAV in and out, on the bundled speech, white noise and an",
        "exponential sine sweep at 8, 16 and 44.1 kHz, mono and stereo, and reports the **worst** row.",
        "SNR is capped at 200 dB (identical up to float rounding). `log-mel` is the mean absolute difference of",
        "40-band log-mel spectrograms (dB); `trim` the difference of the output lengths (ms).",
        "The grid's inputs peak at -6 dBFS; the second table drives effects that overshoot with a full-scale sine,",
        "where sox saturates every effect's output at full scale (and so does `apply_effects_tensor` unless",
        "`clip=False`).",
        "",
        "| effect | chain | contract | measured (worst row) | length exact |",
        "|---|---|---|---:|:---:|",
    ]
    units = {"snr": "dB SNR", "snr-rate": "dB SNR", "logmel": "dB log-mel", "trim": "ms", "dither": "% std difference"}
    for (name, chain, metric, contract), (value, exact) in zip(ROWS, results):
        text = "n/a" if value is None else f"{value:.1f} {units[metric]}" if metric != "logmel" else f"{value:.3f} {units[metric]}"
        chain_text = " ".join(" ".join(e) for e in chain)
        length = "yes" if exact else "no"
        if metric in ("trim", "dither"):
            length = "-"
        lines.append(f"| {name} | `{chain_text}` | {contract} | {text} | {length} |")
    if loud:
        lines += [
            "",
            "## Loud input: a full-scale 800 Hz sine, stereo",
            "",
            "| chain | rate (Hz) | contract | measured | length exact |",
            "|---|---:|---|---:|:---:|",
        ]
        for (chain, rate, _, metric, bound), (value, exact) in zip(FULL_SCALE_CASES, loud):
            contract = f"SNR >= {bound:g} dB" if metric == "snr" else f"log-mel < {bound:g} dB"
            text = "n/a" if value is None else f"{value:.1f} dB SNR" if metric == "snr" else f"{value:.3f} dB log-mel"
            chain_text = " ".join(" ".join(e) for e in chain)
            lines.append(f"| `{chain_text}` | {rate} | {contract} | {text} | {'yes' if exact else 'no'} |")
    lines += [
        "",
        "## Not supported",
        "",
        "- Reporting effects (no audio out): `stat`, `stats`, `spectrogram`, `noiseprof`; also `noisered`",
        "  (needs a noise profile), `ladspa` (native plugins), `splice`, `firfit`, libsox-internal `input`/`output`.",
        "- Not implemented yet: " + (", ".join(f"`{n}`" for n in _not_yet()) or "none") + ".",
        "- Options that raise \"not supported yet\": `rate -I` and `-p` other than 0 or 50 (intermediate phase),",
        "  `rate -M` between fractional rates, `sinc -I` and `-p` other than 0, 50 or 100, `sinc -M` on a band-reject,",
        "  `sinc -r` (rounded taps), `synth pluck`, `synth -n/-j`.",
        "- Minimum/maximum phase rows match sox's magnitude, not its samples (sox's cepstral and multi-stage details",
        "  differ): their SNR against sox is 10-55 dB for `sinc`, 3-10 dB for `rate -M`.",
        "- `synth pinknoise/brownnoise/whitenoise` are random: tests/sox/test_sox_gaps.py checks their spectral slope",
        "  (-3/-6/0 dB per octave, within 0.5 dB/oct of sox's) and level (within 3-15 % of sox's) instead of samples.",
        "- `dither` rows compare the size of the added error; the tests also compare its spectrum per band with sox's.",
        "- sox 14.4.2's `compand` flushes its look-ahead tail (the last `delay` seconds) without saturating, so a",
        "  sample past full scale there wraps to -1 in sox; torchsound saturates it as everywhere else.",
        "- `gain -h` reserves no headroom: effects between `gain -h` and `gain -r` saturate as any other.",
        "",
        "Unsupported names raise `ValueError` saying so; audio is never passed through unchanged.",
        "",
    ]
    return "\n".join(lines)


def _not_yet():
    from torchsound.sox_effects._chain import _load_effects
    from torchsound.sox_effects._registry import EFFECTS, UNSUPPORTED

    _load_effects()
    return sorted(n for n, why in UNSUPPORTED.items() if "not supported yet" in why and n not in EFFECTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stdout", action="store_true")
    args = parser.parse_args()
    torch.manual_seed(0)
    np.random.seed(0)
    speech = _speech()
    results = []
    for name, chain, metric, _ in ROWS:
        results.append(measure(name, chain, metric, speech))
        print(f"{name}: {results[-1]}", file=sys.stderr)
    loud = []
    for chain, rate, out_rate, metric, _ in FULL_SCALE_CASES:
        loud.append(measure_full_scale(chain, rate, out_rate, metric))
        print(f"{chain[0][0]} (full scale): {loud[-1]}", file=sys.stderr)
    text = render(results, loud)
    if args.stdout:
        print(text)
    else:
        path = os.path.join(ROOT, "docs", "sox-effects.md")
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
