"""``torchsound align``, ``transcribe`` and ``weights`` with random weights in a temporary TORCH_HOME: output format,
agreement with the library calls, and the one-line offline error (exit code 1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import soundfile
import torch
from _w2v_fixtures import random_state_dict, shrink, write_published

import torchsound.pipelines as pipelines
from torchsound import cli
from torchsound._commands import pipelines as commands
from torchsound.pipelines import _assets

TEXT = "I had that curiosity beside me at this moment!"


@pytest.fixture
def audio(tmp_path):
    """Two seconds of 44.1 kHz stereo noise (the command averages the channels and resamples to 16 kHz)."""
    g = torch.Generator().manual_seed(5)
    data = 0.1 * torch.randn(88200, 2, generator=g)
    path = tmp_path / "speech.wav"
    soundfile.write(path, data.numpy(), 44100, subtype="FLOAT")
    return path


def _small(monkeypatch, name):
    bundle = shrink(getattr(pipelines, name))
    write_published(bundle, random_state_dict(bundle))
    monkeypatch.setattr(pipelines, name, bundle)
    return bundle


def _library_waveform(path):
    import torchsound
    from torchsound.functional import resample

    waveform, rate = torchsound.load(str(path))
    return resample(waveform.mean(0, keepdim=True), rate, 16000)


def test_align_prints_word_timings_equal_to_the_library(torch_home, monkeypatch, audio, capsys):
    bundle = _small(monkeypatch, "MMS_FA")
    assert cli.main(["align", str(audio), TEXT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "start\tend\tscore\tword"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[3] for r in rows] == TEXT.split()
    for r in rows:
        assert all(re.fullmatch(r"\d+\.\d{3}", v) for v in r[:3])

    # the library: model, tokenizer, aligner, frames -> seconds
    waveform = _library_waveform(audio)
    with torch.no_grad():
        emission, _ = bundle.get_model()(waveform)
    words = ["i", "had", "that", "curiosity", "beside", "me", "at", "this", "moment"]
    spans = bundle.get_aligner()(emission[0], bundle.get_tokenizer()(words))
    ratio = waveform.size(1) / emission.size(1) / 16000
    for r, word in zip(rows, spans):
        assert float(r[0]) == pytest.approx(word[0].start * ratio, abs=5e-4)
        assert float(r[1]) == pytest.approx(word[-1].end * ratio, abs=5e-4)
        score = sum(s.score * (s.end - s.start) for s in word) / sum(s.end - s.start for s in word)
        assert float(r[2]) == pytest.approx(score, abs=5e-4)
    starts = [float(r[0]) for r in rows]
    assert starts == sorted(starts) and float(rows[-1][1]) <= 2.0 + 1e-3


def test_align_reads_a_transcript_file(torch_home, monkeypatch, audio, tmp_path, capsys):
    _small(monkeypatch, "MMS_FA")
    text_file = tmp_path / "transcript.txt"
    text_file.write_text(TEXT + "\n", encoding="utf-8")
    assert cli.main(["align", str(audio), str(text_file)]) == 0
    from_file = capsys.readouterr().out
    assert cli.main(["align", str(audio), TEXT]) == 0
    assert capsys.readouterr().out == from_file


def test_transcribe_prints_greedy_ctc_text(torch_home, monkeypatch, audio, capsys):
    bundle = _small(monkeypatch, "WAV2VEC2_ASR_BASE_960H")
    assert cli.main(["transcribe", str(audio), "--bundle", "WAV2VEC2_ASR_BASE_960H"]) == 0
    out = capsys.readouterr().out
    with torch.no_grad():
        emission, _ = bundle.get_model()(_library_waveform(audio))
    # greedy CTC written out here: best class per frame, runs merged, blanks dropped, "|" between words
    labels = bundle.get_labels()
    best = emission[0].argmax(-1).tolist()
    chars = [labels[c] for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
    expected = " ".join("".join(chars).replace("|", " ").split())
    assert out == expected + "\n"
    assert cli.main(["transcribe", str(audio), str(audio), "--bundle", "WAV2VEC2_ASR_BASE_960H"]) == 0
    assert capsys.readouterr().out == f"{audio}\t{expected}\n" * 2


def test_transcribe_refuses_other_bundles(torch_home, audio, capsys):
    assert cli.main(["transcribe", str(audio), "--bundle", "MMS_FA"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert re.match(r"torchsound transcribe: --bundle must be a wav2vec2-family ASR bundle \(.*WAV2VEC2_ASR_BASE_960H.*\), "
                    r"got 'MMS_FA'", err)


def test_weights_says_where_files_go(torch_home, monkeypatch, capsys):
    path = _assets.checkpoint_path("https://download.pytorch.org/torchaudio/models/wav2vec2_fairseq_base_ls960_asr_ls960.pth")
    assert cli.main(["weights", "MMS_FA", "WAV2VEC2_ASR_BASE_960H"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "MMS_FA\n"
        f"  missing  {torch_home}/hub/checkpoints/model.pt\n"
        "           from https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt\n"
        "WAV2VEC2_ASR_BASE_960H\n"
        f"  missing  {path}\n"
        f"           from {commands.bundle_files(pipelines.WAV2VEC2_ASR_BASE_960H)[0][0]}\n"
    )
    _small(monkeypatch, "WAV2VEC2_ASR_BASE_960H")
    assert cli.main(["weights", "WAV2VEC2_ASR_BASE_960H"]) == 0
    assert f"  present  {path}\n" in capsys.readouterr().out
    assert cli.main(["weights", "NOT_A_BUNDLE"]) == 1
    assert "'NOT_A_BUNDLE' is not a bundle" in capsys.readouterr().err


def _run(args, env_extra):
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-m", "torchsound", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("args", [["align", "{audio}", TEXT], ["transcribe", "{audio}"]])
def test_offline_error_is_one_line_and_exit_1(torch_home, dead_url, audio, args):
    # A fresh process: no override but the mirror variable, which sends every download to a closed local port.
    args = [a.format(audio=audio) for a in args]
    result = _run(args, {"TORCH_HOME": str(torch_home), "TORCHSOUND_DATASET_MIRROR": dead_url})
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    file = "model.pt" if args[0] == "align" else "wav2vec2_fairseq_base_ls960_asr_ls960.pth"
    url = ("https://dl.fbaipublicfiles.com/mms/torchaudio/ctc_alignment_mling_uroman/model.pt" if args[0] == "align"
           else "https://download.pytorch.org/torchaudio/models/wav2vec2_fairseq_base_ls960_asr_ls960.pth")
    assert lines[0] == (f"torchsound {args[0]}: {file} is not in the cache and could not be downloaded "
                        f"({lines[0].split('(', 1)[1].split(')')[0]}). Download {url} and place it at "
                        f"{torch_home}/hub/checkpoints/{file}")
    assert "no connection" in lines[0]


def test_align_errors(torch_home, audio, capsys):
    assert cli.main(["align", str(audio), "日本語 ***"]) == 1
    assert capsys.readouterr().err == ("torchsound align: the transcript has no word made of the model's characters "
                                       "(a-z and ')\n")
    assert cli.main(["align", str(audio.with_name("missing.wav")), TEXT]) == 1
    assert "missing.wav" in capsys.readouterr().err
