"""Downstream code, unchanged, on torchsound: torch-audiomentations, speechbrain and lhotse through the alias.

downstream_runner.py runs the same slice of each library's public calls twice, in subprocesses (the alias never
reaches this process): once with ``torchaudio`` being torchsound, once being the real torchaudio 2.8 (the oracle's
pure-Python code). The results must agree. Calls the oracle cannot run without torchaudio's compiled libraries
(FFmpeg streaming, libsox effects) are compared with soundfile and the sox binary instead.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile
import torch

from _oracle import ORACLE_DIR
from conftest import tol

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "sox"))
pytestmark = pytest.mark.slow

# Results compared with torchaudio 2.8's, and the tolerance row each one uses.
AGAINST_ORACLE = {
    "ta_audio_load_resample": "float32", "ta_pitch_shift": "float32", "ta_compose": "float32",
    "sb_resample": "float32", "sb_signal_downsampler": "float32", "sb_read_audio": "float32",
    "sb_fbank_mfcc": "float32", "sb_codec_augment_ulaw": "float32",
    "lh_load_torchaudio_default": "float32", "lh_info_torchaudio": "float32",
    "lh_resample": "float32", "lh_perturb_speed_volume": "float32", "lh_mulaw_codec": "float32",
    # lhotse's own tests compare torchaudio Kaldi features at rtol 1e-4, atol 1e-5: the float32_fft row.
    "lh_torchaudio_fbank": "float32_fft", "lh_torchaudio_mfcc": "float32_fft", "lh_torchaudio_spectrogram": "float32_fft",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory, speech):
    tmp = tmp_path_factory.mktemp("downstream")
    audio = tmp / "speech.wav"
    x, sr = speech
    soundfile.write(audio, x[0, sr : sr + 3 * sr // 2].numpy(), sr, subtype="PCM_16")  # 1.5 s: the oracle is slow
    for ext in (".mp3", ".ogg"):
        subprocess.run(["sox", str(audio), str(audio.with_suffix(ext))], check=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TORCHSOUND_ORACLE_DIR"] = str(ORACLE_DIR)
    out = {}
    for mode in ("torchsound", "torchaudio28"):
        subprocess.run([sys.executable, str(HERE / "downstream_runner.py"), mode, str(audio), str(tmp / f"{mode}.pt")],
                       check=True, env=env, cwd=tmp, capture_output=True, timeout=600)
        out[mode] = torch.load(tmp / f"{mode}.pt")
    return out["torchsound"], out["torchaudio28"], audio


def _ok(value, name):
    assert not isinstance(value, str), f"{name} raised on torchsound:\n{value}"
    return value


@pytest.mark.parametrize("name", list(AGAINST_ORACLE))
def test_same_result_as_torchaudio_28(results, name):
    ours, theirs, _ = results
    reference = theirs[name]
    assert not isinstance(reference, str), f"the oracle could not run {name}:\n{reference}"
    torch.testing.assert_close(_ok(ours[name], name), reference, **tol(AGAINST_ORACLE[name]))


def test_lhotse_ffmpeg_backend_loads_what_soundfile_reads(results):
    ours, theirs, audio = results
    assert "FFmpeg" in theirs["lh_load_torchaudio_ffmpeg"]  # needs torchaudio's FFmpeg libraries: no oracle
    data, sr = soundfile.read(audio, dtype="float32")
    expected = torch.cat([torch.from_numpy(data), torch.from_numpy(data[sr // 4 : sr // 4 + sr // 2])])[None]
    torch.testing.assert_close(_ok(ours["lh_load_torchaudio_ffmpeg"], "lh_load_torchaudio_ffmpeg"), expected, rtol=0, atol=0)


def test_lhotse_tempo_matches_the_sox_binary(results):
    # lhotse's perturb_tempo calls torchaudio.sox_effects (libsox): the sox binary is the reference.
    from soxoracle import log_mel_distance, run_sox
    from test_sox_tempo import TEMPO_LOGMEL_DB

    ours, theirs, audio = results
    assert "sox" in theirs["lh_perturb_tempo"]
    data, sr = soundfile.read(audio, dtype="float32")
    expected, _ = run_sox(torch.from_numpy(data)[None], sr, [["tempo", "0.9"]])
    got = _ok(ours["lh_perturb_tempo"], "lh_perturb_tempo")
    assert got.shape == expected.shape
    assert log_mel_distance(expected[0], got[0], sr) < TEMPO_LOGMEL_DB


def test_lhotse_ffmpeg_backend_decodes_mp3_and_ogg_as_ffmpeg_does(results):
    import av

    ours, theirs, audio = results
    assert "FFmpeg" in theirs["lh_load_ffmpeg_mp3_ogg"]

    def decode(path):  # FFmpeg through PyAV: what torchaudio 2.8's FFmpeg backend decoded with
        with av.open(str(path)) as container:
            return torch.cat([torch.from_numpy(f.to_ndarray()).reshape(-1) for f in container.decode(audio=0)])

    expected = torch.cat([decode(audio.with_suffix(".mp3")), decode(audio.with_suffix(".ogg"))])[None]
    torch.testing.assert_close(_ok(ours["lh_load_ffmpeg_mp3_ogg"], "lh_load_ffmpeg_mp3_ogg"), expected, **tol("mp3_decoders"))


def test_lhotse_command_source_reads_a_sox_pipe_to_the_end(results):
    ours, theirs, audio = results
    data, _ = soundfile.read(audio, dtype="float32")
    torch.testing.assert_close(_ok(ours["lh_load_command_source"], "lh_load_command_source"),
                               torch.from_numpy(data)[None], rtol=0, atol=0)
    # torchaudio 2.8 reads it too (its soundfile backend, on the oracle)
    torch.testing.assert_close(theirs["lh_load_command_source"], torch.from_numpy(data)[None], rtol=0, atol=0)
