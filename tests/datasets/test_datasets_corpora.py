"""Every other dataset, on a small fixture written in the corpus's real layout (names, metadata formats, rates, encodings)."""

import os
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from _dataset_fixtures import assert_waveform, write_audio, write_text

from torchsound import datasets as D
from torchsound.datasets._common import DatasetNotFoundError, MetadataError
from torchsound.prototype.datasets import Musan

# --------------------------------------------------------------------------- LJSpeech


def _make_ljspeech(root, rows):
    base = Path(root, "LJSpeech-1.1")
    waves = {fid: write_audio(base / "wavs" / f"{fid}.wav", rate=22050) for fid, _, _ in rows}
    write_text(base / "metadata.csv", "".join(f"{a}|{b}|{c}\n" for a, b, c in rows))
    return waves


def test_ljspeech(tmp_path):
    rows = [("LJ001-0001", 'Printing, "in the only sense"', "Printing, in the only sense"), ("LJ001-0002", "in 1884;", "in eighteen eighty-four;")]
    waves = _make_ljspeech(tmp_path, rows)
    ds = D.LJSPEECH(tmp_path)
    assert len(ds) == 2
    for n, (fid, text, norm) in enumerate(rows):
        wave, rate, t, nt = ds[n]
        assert_waveform(wave, waves[fid])
        assert (rate, t, nt) == (22050, text, norm)  # quotes kept verbatim (no CSV quoting)


def test_ljspeech_corrupt_line_and_missing(tmp_path):
    _make_ljspeech(tmp_path, [("LJ001-0001", "a", "a")])
    with open(tmp_path / "LJSpeech-1.1" / "metadata.csv", "a") as f:
        f.write("LJ001-0002|only two fields\n")
    with pytest.raises(MetadataError, match=r"metadata\.csv, line 2"):
        D.LJSPEECH(tmp_path)
    with pytest.raises(DatasetNotFoundError, match=r"LJSpeech-1\.1.*wavs.*download=True"):
        D.LJSPEECH(tmp_path / "none")


# --------------------------------------------------------------------------- Speech Commands


def _make_speechcommands(root, version="speech_commands_v0.02"):
    base = Path(root, "SpeechCommands", version)
    names = ["yes/00f0204f_nohash_0.wav", "yes/00f0204f_nohash_1.wav", "no/0a7c2a8d_nohash_0.wav", "go/1b4c9b89_nohash_2.wav",
             "_background_noise_/white_noise.wav"]
    waves = {n: write_audio(base / n) for n in names}
    write_text(base / "validation_list.txt", "no/0a7c2a8d_nohash_0.wav\n")
    write_text(base / "testing_list.txt", "yes/00f0204f_nohash_1.wav\n")
    return base, waves


def test_speechcommands_subsets_and_metadata(tmp_path):
    base, waves = _make_speechcommands(tmp_path)
    everything = sorted(n for n in waves if "_nohash_" in n)
    expected = {None: everything, "validation": ["no/0a7c2a8d_nohash_0.wav"], "testing": ["yes/00f0204f_nohash_1.wav"],
                "training": [n for n in everything if n not in ("no/0a7c2a8d_nohash_0.wav", "yes/00f0204f_nohash_1.wav")]}
    for subset, names in expected.items():
        ds = D.SPEECHCOMMANDS(tmp_path, subset=subset)
        assert len(ds) == len(names)
        for n, name in enumerate(names):
            label, file = name.split("/")
            speaker, number = file[:-4].split("_nohash_")
            meta = ds.get_metadata(n)
            assert meta == (os.path.join("speech_commands_v0.02", label, file), 16000, label, speaker, int(number))
            item = ds[n]
            assert_waveform(item[0], waves[name])
            assert item[1:] == meta[1:]
    with pytest.raises(ValueError, match="`subset` must be one of"):
        D.SPEECHCOMMANDS(tmp_path, subset="train")
    with pytest.raises(DatasetNotFoundError, match="speech_commands_v0.01.*Found on disk: speech_commands_v0.02"):
        D.SPEECHCOMMANDS(tmp_path, url="speech_commands_v0.01")


# --------------------------------------------------------------------------- VCTK / DR-VCTK


def test_vctk_092(tmp_path):
    base = Path(tmp_path, "VCTK-Corpus-0.92")
    expected = []
    for spk, utts in [("p225", ["001", "002"]), ("p280", ["001"]), ("p362", ["001", "002"])]:
        for utt in utts:
            write_text(base / "txt" / spk / f"{spk}_{utt}.txt", f"Please call {spk} {utt}.\n")
            if spk == "p362" and utt == "002":
                continue  # missing audio: skipped for p362
            waves = {mic: write_audio(base / "wav48_silence_trimmed" / spk / f"{spk}_{utt}_{mic}.flac", rate=48000) for mic in ["mic1", "mic2"]}
            expected.append((spk, utt, waves))
    for mic in ["mic1", "mic2"]:
        ds = D.VCTK_092(tmp_path, mic_id=mic)
        wanted = [e for e in expected if not (mic == "mic2" and e[0] == "p280")]
        assert len(ds) == len(wanted)
        for n, (spk, utt, waves) in enumerate(wanted):
            item = ds[n]
            assert_waveform(item[0], waves[mic])
            assert item[1:] == (48000, f"Please call {spk} {utt}.\n", spk, utt)
    with pytest.raises(RuntimeError, match="`mic_id` must be one of"):
        D.VCTK_092(tmp_path, mic_id="mic3")


def test_dr_vctk(tmp_path):
    base = Path(tmp_path, "DR-VCTK", "DR-VCTK")
    for subset, header in [("train", "header1\nheader2\n"), ("test", "header\n")]:
        rows = [("p226_001.wav", "iphone", 3), ("p225_010.wav", "laptop", 1)]
        write_text(base / "configurations" / f"{subset}_ch_log.txt", header + "".join(f"{a}\t{b}\t{c}\n" for a, b, c in rows))
        made = {}
        for name, _, _ in rows:
            made[name] = (write_audio(base / f"clean_{subset}set_wav_16k" / name), write_audio(base / f"device-recorded_{subset}set_wav_16k" / name))
        ds = D.DR_VCTK(tmp_path, subset)
        assert len(ds) == 2
        for n, (name, source, channel) in enumerate(sorted(rows)):
            item = ds[n]
            assert_waveform(item[0], made[name][0])
            assert_waveform(item[2], made[name][1])
            assert item[1] == item[3] == 16000
            assert item[4:] == (name[:4], name[5:8], source, channel)
    with open(base / "configurations" / "test_ch_log.txt", "a") as f:
        f.write("p227_003.wav\tphone\n")
    with pytest.raises(MetadataError, match=r"test_ch_log\.txt, line 4"):
        D.DR_VCTK(tmp_path, "test")


# --------------------------------------------------------------------------- CMU ARCTIC / CMUDict


def test_cmuarctic(tmp_path):
    base = Path(tmp_path, "ARCTIC", "cmu_us_slt_arctic")
    lines = [("arctic_a0001", "Author of the danger trail, Philip Steels, etc."), ("arctic_b0002", "Not at this particular case, Tom.")]
    waves = [write_audio(base / "wav" / f"{u}.wav") for u, _ in lines]
    write_text(base / "etc" / "txt.done.data", "".join(f'( {u} "{t}" )\n' for u, t in lines))
    ds = D.CMUARCTIC(tmp_path, url="slt")
    assert len(ds) == 2
    for n, (u, t) in enumerate(lines):
        item = ds[n]
        assert_waveform(item[0], waves[n])
        assert item[1:] == (16000, t, u.split("_")[1])
    with open(base / "etc" / "txt.done.data", "a") as f:
        f.write("arctic_a0003 no parentheses\n")
    with pytest.raises(MetadataError, match=r"txt\.done\.data, line 3"):
        D.CMUARCTIC(tmp_path, url="slt")
    with pytest.raises(DatasetNotFoundError, match="cmu_us_aew_arctic.*bdl.*CMUARCTIC"):
        D.CMUARCTIC(tmp_path)


def test_cmudict(tmp_path):
    write_text(tmp_path / "cmudict-0.7b.symbols", "AA\nAA0\nAH0\nB\nD\nIY1\nK\nT\n")
    text = (";;; comment line\n!EXCLAMATION-POINT  EH2 K S K L AH0 M EY1 SH AH0 N P OY2 N T\n"
            "--DASH  D AE1 SH\n...ELLIPSIS  IH2 L IH1 P S IH0 S\nCAT  K AE1 T\nCAT(1)  K AA1 T\nD'ANGELO  D AE1 N JH AH0 L OW0\n")
    (tmp_path / "cmudict-0.7b").write_bytes(text.replace("D'ANGELO", "D\xc9ANGELO").encode("latin-1"))
    ds = D.CMUDict(tmp_path)
    assert [ds[i] for i in range(len(ds))] == [("CAT", ["K", "AE1", "T"]), ("CAT", ["K", "AA1", "T"]),
                                              ("D\xc9ANGELO", ["D", "AE1", "N", "JH", "AH0", "L", "OW0"])]
    with_punct = D.CMUDict(tmp_path, exclude_punctuations=False)
    assert [with_punct[i][0] for i in range(3)] == ["!", "--", "..."]
    assert ds.symbols == ["AA", "AA0", "AH0", "B", "D", "IY1", "K", "T"]
    with open(tmp_path / "cmudict-0.7b", "ab") as f:
        f.write(b"BROKEN K AE1 T\n")
    with pytest.raises(MetadataError, match=r"cmudict-0\.7b, line 8"):
        D.CMUDict(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match=r"empty/cmudict-0\.7b.*download=True"):
        D.CMUDict(tmp_path / "empty")
    with pytest.raises(DatasetNotFoundError, match="nowhere"):
        D.CMUDict(tmp_path / "nowhere")


# --------------------------------------------------------------------------- YesNo


def test_yesno(tmp_path):
    names = ["0_0_1_0_1_0_0_1", "0_0_0_0_0_0_0_0", "1_1_1_1_0_0_0_1"]
    waves = {n: write_audio(tmp_path / "waves_yesno" / f"{n}.wav", rate=8000) for n in names}
    write_text(tmp_path / "waves_yesno" / "README", "not audio")
    ds = D.YESNO(tmp_path)
    assert len(ds) == 3
    for n, name in enumerate(sorted(names)):
        wave, rate, labels = ds[n]
        assert_waveform(wave, waves[name])
        assert rate == 8000 and labels == [int(c) for c in name.split("_")]


# --------------------------------------------------------------------------- Fluent / Snips / QUESST14


def test_fluent_speech_commands(tmp_path):
    base = Path(tmp_path, "fluent_speech_commands_dataset")
    rows = [("0", "wavs/speakers/2BqVo8kVB2Skwgyb/0a3129c0-4474-11e9-a9a5-5dbec3b8816a.wav", "2BqVo8kVB2Skwgyb", "Change language", "change language", "none", "none"),
            ("1", "wavs/speakers/2BqVo8kVB2Skwgyb/0ee42a80-4474-11e9-a9a5-5dbec3b8816a.wav", "2BqVo8kVB2Skwgyb", "Resume", "activate", "music", "none")]
    waves = [write_audio(base / r[1]) for r in rows]
    write_text(base / "data" / "valid_data.csv", ",path,speakerId,transcription,action,object,location\n" + "".join(",".join(r) + "\n" for r in rows))
    ds = D.FluentSpeechCommands(tmp_path, subset="valid")
    assert len(ds) == 2
    for n, r in enumerate(rows):
        file_name = r[1].split("/")[-1][:-4]
        meta = ds.get_metadata(n)
        assert meta == (os.path.join("wavs", "speakers", r[2], f"{file_name}.wav"), 16000, file_name) + tuple(r[2:])
        item = ds[n]
        assert_waveform(item[0], waves[n])
        assert item[1:] == meta[1:]
    with pytest.raises(DatasetNotFoundError, match="fluent_speech_commands_dataset.*cannot be downloaded automatically"):
        D.FluentSpeechCommands(tmp_path / "x")


def test_snips_mp3_default(tmp_path):
    base = Path(tmp_path, "SNIPS")
    ids = ["Aditi-snips-valid-0", "Brian-snips-valid-0", "Salli-snips-valid-1"]
    waves = {i: write_audio(base / "valid" / f"{i}.mp3", frames=2000, fmt="MP3", subtype="MPEG_LAYER_III") for i in ids}
    write_audio(base / "valid" / "Aditi-snips-valid-0.wav")  # other format: ignored for mp3
    lines = [f"{i} BOS turn the lights off EOS\tO O O B-obj O SwitchLightOff\n" for i in ids]
    lines.append("Amy-snips-train-3 BOS play jazz EOS\tO O B-genre PlayMusic\n")
    write_text(base / "all.iob.snips.txt", "".join(lines))
    ds = D.Snips(tmp_path, "valid", speakers=["Aditi", "Salli"])
    assert len(ds) == 2
    for n, i in enumerate(["Aditi-snips-valid-0", "Salli-snips-valid-1"]):
        item = ds[n]
        assert item[0].shape == waves[i].shape
        assert_waveform(item[0], waves[i])
        assert item[1:] == (16000, i, "turn the lights off", "O O B-obj O", "SwitchLightOff")
        assert ds.get_metadata(n)[0] == os.path.join("valid", f"{i}.mp3")
    assert len(D.Snips(tmp_path, "valid")) == 3
    assert len(D.Snips(tmp_path, "valid", audio_format="wav")) == 1
    with pytest.raises(ValueError, match="`audio_format` must be one of"):
        D.Snips(tmp_path, "valid", audio_format="ogg")


def test_quesst14(tmp_path):
    base = Path(tmp_path, "quesst14Database")
    entries = {"language_key_utterances.lst": [("Audio/quesst14_00001.wav", "nnenglish"), ("Audio/quesst14_00002.wav", "czech")],
               "language_key_dev.lst": [("dev_queries/quesst14_dev_0001.wav", "nnenglish")],
               "language_key_eval.lst": [("eval_queries/quesst14_eval_0001.wav", "basque")]}
    waves = {}
    for lst, rows in entries.items():
        write_text(base / "scoring" / lst, "".join(f"quesst14Database/{p} {lang}\n" for p, lang in rows))
        for p, _ in rows:
            waves[p] = write_audio(base / p, rate=8000)
    ds = D.QUESST14(tmp_path, "docs")
    assert len(ds) == 1 and ds.get_metadata(0) == (os.path.join("Audio", "quesst14_00001.wav"), 8000, "quesst14_00001")
    assert_waveform(ds[0][0], waves["Audio/quesst14_00001.wav"])
    assert len(D.QUESST14(tmp_path, "docs", language=None)) == 2
    assert len(D.QUESST14(tmp_path, "eval", language="nnenglish")) == 0
    assert D.QUESST14(tmp_path, "eval", language="basque")[0][1:] == (8000, "quesst14_eval_0001")
    with pytest.raises(ValueError, match="`language` must be one of"):
        D.QUESST14(tmp_path, "dev", language="english")
    with pytest.raises(DatasetNotFoundError, match="quesst14Database.*docs, dev, eval.*download=True"):
        D.QUESST14(tmp_path / "none", "dev")


# --------------------------------------------------------------------------- Common Voice


def test_commonvoice_mp3(tmp_path):
    header = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent"]
    rows = [["abc", "common_voice_en_1.mp3", "Hello there.", "2", "0", "twenties", "male", "us"],
            ["def", "common_voice_en_2", "Second one", "3", "1", "", "", ""]]
    waves = [write_audio(tmp_path / "clips" / "common_voice_en_1.mp3", rate=48000, frames=3000, fmt="MP3", subtype="MPEG_LAYER_III"),
             write_audio(tmp_path / "clips" / "common_voice_en_2.mp3", rate=48000, frames=3000, fmt="MP3", subtype="MPEG_LAYER_III")]
    write_text(tmp_path / "dev.tsv", "\t".join(header) + "\n" + "".join("\t".join(r) + "\n" for r in rows))
    ds = D.COMMONVOICE(tmp_path, tsv="dev.tsv")
    assert len(ds) == 2
    for n, r in enumerate(rows):
        wave, rate, row = ds[n]
        assert wave.shape == waves[n].shape
        assert_waveform(wave, waves[n])
        assert rate == 48000 and row == dict(zip(header, r))
    with open(tmp_path / "dev.tsv", "a") as f:
        f.write("ghi\tcommon_voice_en_3.mp3\tshort row\n")
    with pytest.raises(MetadataError, match=r"dev\.tsv, line 4"):
        D.COMMONVOICE(tmp_path, tsv="dev.tsv")
    with pytest.raises(DatasetNotFoundError, match=r"train\.tsv.*Found on disk: dev\.tsv.*commonvoice"):
        D.COMMONVOICE(tmp_path)


# --------------------------------------------------------------------------- TEDLIUM (.sph written by hand)


def write_sphere(path, samples: np.ndarray, rate=16000):
    """A NIST SPHERE file: 1024-byte ASCII header, then little-endian 16-bit PCM."""
    header = (f"NIST_1A\n   1024\nsample_count -i {len(samples)}\nsample_n_bytes -i 2\nchannel_count -i 1\n"
              f"sample_byte_format -s2 01\nsample_rate -i {rate}\nsample_coding -s3 pcm\nend_head\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode("ascii").ljust(1024, b" ") + samples.astype("<i2").tobytes())


@pytest.mark.parametrize("release, folder, subset, sub_path", [
    ("release1", "TEDLIUM_release1", "train", "train"), ("release2", "TEDLIUM_release2", "dev", "dev"),
    ("release3", "TEDLIUM_release-3", "train", "data"), ("release3", "TEDLIUM_release-3", "test", "legacy/test")])
def test_tedlium_releases(tmp_path, release, folder, subset, sub_path):
    base = Path(tmp_path, folder, sub_path)
    talks = {}
    for talk in ["AlGore_2009", "BillGates_2010"]:
        samples = np.random.default_rng(len(talk)).integers(-20000, 20000, size=16000)
        write_sphere(base / "sph" / f"{talk}.sph", samples)
        talks[talk] = samples
        write_text(base / "stm" / f"{talk}.stm",
                   f"{talk} 1 {talk} 0.10 0.35 <o,f0,male> good morning everyone\n"
                   f"{talk} 1 {talk} 0.50 0.9031 <o,f0,male> it's a pleasure\n")
    write_text(Path(tmp_path, folder, "TEDLIUM.152k.dic" if release != "release1" else "TEDLIUM.150K.dic"), "morning m ao r n ih ng\nuh\n")
    ds = D.TEDLIUM(tmp_path, release=release, subset=subset)
    assert len(ds) == 4
    expected = [(t, s, e, text) for t in sorted(talks) for s, e, text in [(0.10, 0.35, "good morning everyone\n"), (0.50, 0.9031, "it's a pleasure\n")]]
    for n, (talk, start, end, text) in enumerate(expected):
        wave, rate, transcript, talk_id, speaker_id, identifier = ds[n]
        reference = talks[talk][int(start * 16000):int(end * 16000)] / 32768.0
        assert_waveform(wave, torch.from_numpy(reference).float()[None])
        assert (rate, transcript, talk_id, speaker_id, identifier) == (16000, text, talk, talk, "<o,f0,male>")
    # Cross-check the hand-written SPHERE file with libsndfile.
    ref, rate = sf.read(str(base / "sph" / "AlGore_2009.sph"), dtype="int16")
    assert rate == 16000 and np.array_equal(ref, talks["AlGore_2009"])
    assert ds.phoneme_dict == {"morning": ("m", "ao", "r", "n", "ih", "ng"), "uh": ()}


def test_tedlium_errors(tmp_path):
    base = Path(tmp_path, "TEDLIUM_release1", "test")
    write_sphere(base / "sph" / "talk.sph", np.zeros(1600, dtype=np.int16))
    write_text(base / "stm" / "talk.stm", "talk 1 talk 0.0 0.05 <o> fine\ntalk 1 talk 0.0\n")
    ds = D.TEDLIUM(tmp_path, subset="test")
    assert ds[0][0].shape == (1, 800)
    with pytest.raises(MetadataError, match=r"talk\.stm, line 2"):
        ds[1]
    with pytest.raises(RuntimeError, match="`release` must be one of"):
        D.TEDLIUM(tmp_path, release="release4")
    with pytest.raises(DatasetNotFoundError, match=r"TEDLIUM_release2.*release1, release2, release3"):
        D.TEDLIUM(tmp_path, release="release2")


# --------------------------------------------------------------------------- VoxCeleb1


def _make_voxceleb(root):
    files = ["id10001/1zcIwhmdeo4/00001.wav", "id10001/1zcIwhmdeo4/00002.wav", "id10270/x6uYqmx31kE/00001.wav", "id10309/0cYFdtyWVds/00005.wav"]
    waves = {f: write_audio(Path(root, "wav", f)) for f in files}
    write_text(Path(root, "iden_split.txt"), "1 id10001/1zcIwhmdeo4/00002.wav\n1 id10001/1zcIwhmdeo4/00001.wav\n2 id10270/x6uYqmx31kE/00001.wav\n3 id10309/0cYFdtyWVds/00005.wav\n")
    write_text(Path(root, "veri_test.txt"), "1 id10001/1zcIwhmdeo4/00001.wav id10001/1zcIwhmdeo4/00002.wav\n0 id10270/x6uYqmx31kE/00001.wav id10309/0cYFdtyWVds/00005.wav\n")
    return waves


def test_voxceleb1_identification(tmp_path):
    waves = _make_voxceleb(tmp_path)
    ds = D.VoxCeleb1Identification(tmp_path)  # train
    assert len(ds) == 2
    for n, f in enumerate(["id10001/1zcIwhmdeo4/00001.wav", "id10001/1zcIwhmdeo4/00002.wav"]):
        meta = ds.get_metadata(n)
        assert meta == (f, 16000, 1, f[:-4].replace("/", "-"))  # "id10001" -> 1, as torchaudio numbers speakers
        item = ds[n]
        assert_waveform(item[0], waves[f])
        assert item[1:] == meta[1:]
    assert D.VoxCeleb1Identification(tmp_path, "test").get_metadata(0)[2] == 309
    with open(tmp_path / "iden_split.txt", "a") as f:
        f.write("x id10001/1zcIwhmdeo4/00003.wav\n")
    with pytest.raises(MetadataError, match=r"iden_split\.txt, line 5"):
        D.VoxCeleb1Identification(tmp_path)


def test_voxceleb1_verification(tmp_path):
    waves = _make_voxceleb(tmp_path)
    ds = D.VoxCeleb1Verification(tmp_path)
    assert len(ds) == 2
    w1, w2, rate, label, id1, id2 = ds[1]
    assert_waveform(w1, waves["id10270/x6uYqmx31kE/00001.wav"])
    assert_waveform(w2, waves["id10309/0cYFdtyWVds/00005.wav"])
    assert (rate, label, id1, id2) == (16000, 0, "id10270-x6uYqmx31kE-00001", "id10309-0cYFdtyWVds-00005")
    assert ds.get_metadata(0)[:4] == ("id10001/1zcIwhmdeo4/00001.wav", "id10001/1zcIwhmdeo4/00002.wav", 16000, 1)
    with pytest.raises(DatasetNotFoundError, match=r"wav.*VoxCeleb1Verification.*download=True"):
        D.VoxCeleb1Verification(tmp_path / "none")


# --------------------------------------------------------------------------- IEMOCAP


def test_iemocap(tmp_path):
    base = Path(tmp_path, "IEMOCAP")
    made = {}
    for session, dialog, utts in [(1, "Ses01F_impro01", [("Ses01F_impro01_F000", "neu"), ("Ses01F_impro01_M001", "xxx")]),
                                  (1, "Ses01M_script01_1", [("Ses01M_script01_1_F002", "ang")]),
                                  (2, "Ses02F_impro02", [("Ses02F_impro02_F000", "sad")])]:
        lines = ["% header line\n"]
        for stem, label in utts:
            made[stem] = (write_audio(base / f"Session{session}" / "sentences" / "wav" / dialog / f"{stem}.wav"), label, session)
            lines.append(f"[6.2901 - 8.2357]\t{stem}\t{label}\t[2.5000, 2.5000, 2.5000]\n")
        write_text(base / f"Session{session}" / "dialog" / "EmoEvaluation" / f"{dialog}.txt", "".join(lines))
    for kwargs, stems in [({}, ["Ses01F_impro01_F000", "Ses01M_script01_1_F002", "Ses02F_impro02_F000"]),
                          ({"sessions": (1,), "utterance_type": "scripted"}, ["Ses01M_script01_1_F002"]),
                          ({"sessions": (1, 2), "utterance_type": "improvised"}, ["Ses01F_impro01_F000", "Ses02F_impro02_F000"])]:
        kwargs = dict(kwargs)
        if "sessions" not in kwargs:
            kwargs["sessions"] = (1, 2)
        ds = D.IEMOCAP(tmp_path, **kwargs)
        assert len(ds) == len(stems)
        for n, stem in enumerate(stems):
            wave, label, session = made[stem]
            dialog = stem.rsplit("_", 1)[0]
            meta = ds.get_metadata(n)
            assert meta == (os.path.join(f"Session{session}", "sentences", "wav", dialog, f"{stem}.wav"), 16000, stem, label, stem.split("_")[0])
            assert_waveform(ds[n][0], wave)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(D.IEMOCAP(tmp_path)) == 3  # sessions 3-5 absent: what exists, as torchaudio
    assert [str(w.message).rsplit("; ", 1)[1] for w in caught] == [f"Session{s} is skipped" for s in (3, 4, 5)]
    with pytest.raises(DatasetNotFoundError, match=r"IEMOCAP.*sail\.usc\.edu"):
        D.IEMOCAP(tmp_path / "none")
    with pytest.raises(ValueError, match="`utterance_type` must be one of"):
        D.IEMOCAP(tmp_path, sessions=(1,), utterance_type="spontaneous")


def _iemocap_tree(root, present):
    """IEMOCAP's layout with only the ``present`` sessions on disk (scripted and improvised dialogs)."""
    for session in present:
        for kind, labels in [("impro01", ["neu", "xxx", "hap"]), ("script02_1", ["ang", "exc"])]:
            for gender in "FM":
                dialog = f"Ses0{session}{gender}_{kind}"
                lines = ["% header\n"]
                for i, label in enumerate(labels):
                    stem = f"{dialog}_{gender}{i:03d}"
                    write_audio(Path(root, "IEMOCAP", f"Session{session}", "sentences", "wav", dialog, f"{stem}.wav"), frames=20)
                    lines.append(f"[1.0 - 2.0]\t{stem}\t{label}\t[2.5000, 2.5000, 2.5000]\n\n")
                write_text(Path(root, "IEMOCAP", f"Session{session}", "dialog", "EmoEvaluation", f"{dialog}.txt"), "".join(lines))


@pytest.mark.parametrize("kwargs", [{}, {"sessions": (2,)}, {"sessions": (1, 2, 4)}, {"utterance_type": "scripted"},
                                    {"sessions": (3, 1), "utterance_type": "improvised"}], ids=str)
def test_iemocap_absent_sessions_as_torchaudio(tmp_path, torchaudio28, kwargs):
    _iemocap_tree(tmp_path, present=(1, 3))  # sessions 2, 4 and 5 absent
    from torchaudio.datasets import IEMOCAP as Reference

    reference = Reference(tmp_path, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = D.IEMOCAP(tmp_path, **kwargs)
    absent = [s for s in kwargs.get("sessions", (1, 2, 3, 4, 5)) if s not in (1, 3)]
    assert sorted(str(w.message) for w in caught if "IEMOCAP" in str(w.message)) == \
        sorted(f"IEMOCAP: {tmp_path / 'IEMOCAP' / f'Session{s}'} not found; Session{s} is skipped" for s in absent)
    assert len(ours) == len(reference)
    assert [ours.get_metadata(n) for n in range(len(ours))] == [reference.get_metadata(n) for n in range(len(reference))]
    from torchsound.datasets import iemocap

    with pytest.raises(DatasetNotFoundError, match="Session2"):  # the catalog (CLI) asks for one session: strict
        iemocap.CORPUS.open(tmp_path, "Session2", False)


@pytest.mark.parametrize("present", [("music", "speech"), ("noise",), ()], ids=lambda p: "+".join(p) or "none")
def test_musan_absent_subsets_as_torchaudio(tmp_path, torchaudio28, present):
    for subset in present:
        for source in ("a-src", "b-src"):
            for i in range(2):
                write_audio(tmp_path / subset / source / f"{subset}-{source}-{i:04d}.wav", frames=20)
    from torchaudio.prototype.datasets import Musan as Reference

    for subset in ("music", "noise", "speech"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the reference's deprecation notice
            reference = Reference(tmp_path, subset)
        expected = sorted(reference.get_metadata(n) for n in range(len(reference)))  # its order is the file system's
        if subset in present:
            ours = Musan(tmp_path, subset)
        else:
            with pytest.warns(UserWarning, match=f"Musan: .*{subset} not found"):
                ours = Musan(tmp_path, subset)
        assert [ours.get_metadata(n) for n in range(len(ours))] == expected
        assert len(ours) == (4 if subset in present else 0)
        if subset not in present:
            from torchsound.datasets import musan

            with pytest.raises(DatasetNotFoundError, match=f"{subset}.*Found on disk: {', '.join(present)}" if present else subset):
                musan.CORPUS.open(tmp_path, subset, False)  # the catalog (CLI) asks for one subset: strict


# --------------------------------------------------------------------------- GTZAN / MUSDB_HQ / Musan


def test_gtzan(tmp_path):
    names = ["blues.00000", "blues.00012", "rock.00099", "jazz.00001"]
    waves = {n: write_audio(tmp_path / "genres" / n.split(".")[0] / f"{n}.wav", rate=22050) for n in names}
    write_audio(tmp_path / "genres" / "rock" / "rock.99.wav", rate=22050)  # not 5 digits: skipped
    write_audio(tmp_path / "genres" / "other" / "other.00001.wav", rate=22050)  # unknown genre: skipped
    ds = D.GTZAN(tmp_path)
    order = ["blues.00000", "blues.00012", "jazz.00001", "rock.00099"]
    assert len(ds) == 4
    for n, name in enumerate(order):
        wave, rate, label = ds[n]
        assert_waveform(wave, waves[name])
        assert (rate, label) == (22050, name.split(".")[0])
    sizes = {s: len(D.GTZAN(tmp_path, subset=s)) for s in ["training", "validation", "testing"]}
    assert sizes == {"training": 443, "validation": 197, "testing": 290}  # the published filtered split's sizes
    valid = D.GTZAN(tmp_path, subset="validation")
    assert valid[0][2] == "blues"
    assert_waveform(valid[0][0], waves["blues.00000"])
    test = D.GTZAN(tmp_path, subset="testing")
    assert test._walker[0] == "blues.00012"
    assert_waveform(test[0][0], waves["blues.00012"])
    train = set(D.GTZAN(tmp_path, subset="training")._walker)
    assert not train & set(valid._walker) and not train & set(test._walker) and len(train | set(valid._walker) | set(test._walker)) == 930
    with pytest.raises(ValueError, match="`subset` must be one of"):
        D.GTZAN(tmp_path, subset="train")


def test_musdb_hq(tmp_path):
    base = Path(tmp_path, "musdb18hq")
    tracks = {"train": ["A Classic Education - NightOwl", "Leaf - Summerghost"], "test": ["Al James - Schoolboy Facination"]}
    made = {}
    for subset, names in tracks.items():
        for name in names:
            made[name] = {s: write_audio(base / subset / name / f"{s}.wav", rate=44100, frames=50, channels=2)
                          for s in ["bass", "drums", "other", "vocals", "mixture"]}
    ds = D.MUSDB_HQ(tmp_path, "train")
    assert ds.names == sorted(tracks["train"])
    wave, rate, frames, name = ds[0]
    assert wave.shape == (4, 2, 50) and (rate, frames, name) == (44100, 50, "A Classic Education - NightOwl")
    for i, s in enumerate(["bass", "drums", "other", "vocals"]):
        assert_waveform(wave[i], made[name][s])
    mix = D.MUSDB_HQ(tmp_path, "test", sources=["mixture", "vocals"])
    assert mix[0][0].shape == (2, 2, 50)
    assert_waveform(mix[0][0][0], made["Al James - Schoolboy Facination"]["mixture"])
    assert D.MUSDB_HQ(tmp_path, "train", split="train").names == ["A Classic Education - NightOwl"]
    assert len(D.MUSDB_HQ(tmp_path, "train", split="validation")) == 14
    with pytest.raises(ValueError, match="`split` must be one of"):
        D.MUSDB_HQ(tmp_path, "train", split="valid")
    with pytest.raises(DatasetNotFoundError, match="musdb18hq.*train, test.*download=True"):
        D.MUSDB_HQ(tmp_path / "none", "test")


def test_musan(tmp_path):
    files = {"music/fma/music-fma-0000.wav": None, "noise/free-sound/noise-free-sound-0001.wav": None,
             "noise/sound-bible/noise-sound-bible-0000.wav": None, "speech/librivox/speech-librivox-0000.wav": None}
    for f in files:
        files[f] = write_audio(tmp_path / f)
    ds = Musan(tmp_path, "noise")
    assert len(ds) == 2
    meta = ds.get_metadata(0)
    assert meta == (str(tmp_path / "noise/free-sound/noise-free-sound-0001.wav"), 16000, "noise-free-sound-0001.wav")
    assert_waveform(ds[0][0], files["noise/free-sound/noise-free-sound-0001.wav"])
    assert len(Musan(tmp_path, ["music", "speech"])) == 2
    assert len(Musan(tmp_path, subset="music")) == 1  # torchaudio's keyword
    with pytest.raises(ValueError, match="`subset` must be one of"):
        Musan(tmp_path, "voices")
    with pytest.raises(DatasetNotFoundError, match="openslr.org/17"):
        Musan(tmp_path / "none", "music")


# --------------------------------------------------------------------------- corrupt metadata lines name file and line


def test_corrupt_lines_in_label_files(tmp_path):
    snips = Path(tmp_path, "SNIPS")
    write_audio(snips / "test" / "Amy-snips-test-0.wav")
    write_text(snips / "all.iob.snips.txt", "Amy-snips-test-0 BOS hi EOS\tO O Greet\nAmy-snips-test-1 BOS no tab here EOS O O O O\n")
    with pytest.raises(MetadataError, match=r"all\.iob\.snips\.txt, line 2"):
        D.Snips(tmp_path, "test", audio_format="wav")

    fluent = Path(tmp_path, "fluent_speech_commands_dataset", "data")
    write_text(fluent / "test_data.csv", ",path,speakerId,transcription,action,object,location\n0,wavs/speakers/s/a.wav,s,Hi,a,b,c\n1,wavs/speakers/s/b.wav,s\n")
    with pytest.raises(MetadataError, match=r"test_data\.csv, line 3"):
        D.FluentSpeechCommands(tmp_path, "test")

    quesst = Path(tmp_path, "quesst14Database", "scoring")
    write_text(quesst / "language_key_dev.lst", "quesst14Database/dev_queries/q1.wav nnenglish\nquesst14Database/dev_queries/q2.wav\n")
    with pytest.raises(MetadataError, match=r"language_key_dev\.lst, line 2"):
        D.QUESST14(tmp_path, "dev")

    emo = Path(tmp_path, "IEMOCAP", "Session1")
    write_audio(emo / "sentences" / "wav" / "Ses01F_impro01" / "Ses01F_impro01_F000.wav")
    write_text(emo / "dialog" / "EmoEvaluation" / "Ses01F_impro01.txt", "% header\n\n[6.29 - 8.23] Ses01F_impro01_F000 neu\n")
    with pytest.raises(MetadataError, match=r"Ses01F_impro01\.txt, line 3"):
        D.IEMOCAP(tmp_path, sessions=(1,))
