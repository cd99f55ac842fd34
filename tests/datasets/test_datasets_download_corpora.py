"""download=True end to end for corpora with different archive shapes (tar into root, tar into a subset
folder, zip, plain files, multi-part zip), served by the local HTTP server under their official URLs."""

import hashlib
import io
import zipfile

from _dataset_fixtures import assert_waveform, overrides, serve_as, server, tar_of_folder, write_audio, write_text, zip_of_folder  # noqa: F401

from torchsound import datasets as D
from torchsound.datasets import cmudict, musdb_hq, speechcommands, voxceleb1, yesno


def test_yesno_tar_into_root(tmp_path, server, overrides, monkeypatch):
    wave = write_audio(tmp_path / "src" / "waves_yesno" / "0_1_1_0_0_1_0_1.wav", rate=8000)
    archive = tar_of_folder(tmp_path / "y.tar.gz", tmp_path / "src" / "waves_yesno", "waves_yesno")
    serve_as(monkeypatch, server, overrides, yesno, yesno._URL, archive.read_bytes())
    ds = D.YESNO(tmp_path / "root", download=True)
    assert_waveform(ds[0][0], wave)
    assert ds[0][2] == [0, 1, 1, 0, 0, 1, 0, 1]


def test_speechcommands_tar_into_version_folder(tmp_path, server, overrides, monkeypatch):
    src = tmp_path / "src"
    wave = write_audio(src / "yes" / "00f0204f_nohash_0.wav")
    write_text(src / "validation_list.txt", "")
    write_text(src / "testing_list.txt", "")
    archive = tar_of_folder(tmp_path / "sc.tar.gz", src, ".")
    url = speechcommands.CORPUS.subsets["speech_commands_v0.02"][0].url
    serve_as(monkeypatch, server, overrides, speechcommands, url, archive.read_bytes())
    ds = D.SPEECHCOMMANDS(tmp_path / "root", download=True, subset="training")
    assert (tmp_path / "root" / "SpeechCommands" / "speech_commands_v0.02" / "yes").is_dir()
    assert_waveform(ds[0][0], wave)
    assert ds[0][2:] == ("yes", "00f0204f", 0)


def test_musdb_zip_into_base_folder(tmp_path, server, overrides, monkeypatch):
    src = tmp_path / "src"
    waves = {s: write_audio(src / "test" / "Track A" / f"{s}.wav", rate=44100, channels=2, frames=30) for s in ["bass", "drums", "other", "vocals"]}
    write_audio(src / "train" / "Track B" / "bass.wav", rate=44100)
    archive = zip_of_folder(tmp_path / "musdb18hq.zip", src, "")
    serve_as(monkeypatch, server, overrides, musdb_hq, musdb_hq._URL, archive.read_bytes())
    ds = D.MUSDB_HQ(tmp_path / "root", "test", download=True)
    assert ds.names == ["Track A"]
    assert_waveform(ds[0][0][3], waves["vocals"])


def test_cmudict_plain_files(tmp_path, server, overrides, monkeypatch):
    serve_as(monkeypatch, server, overrides, cmudict, cmudict._URL, b"HELLO  HH AH0 L OW1\n")
    serve_as(monkeypatch, server, overrides, cmudict, cmudict._URL_SYMBOLS, b"AH0\nHH\nL\nOW1\n")
    root = tmp_path / "root"
    root.mkdir()
    ds = D.CMUDict(root, download=True)
    assert ds[0] == ("HELLO", ["HH", "AH0", "L", "OW1"]) and ds.symbols == ["AH0", "HH", "L", "OW1"]


def test_voxceleb_multipart_zip(tmp_path, server, overrides, monkeypatch):
    def zipped(files):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in files.items():
                zf.writestr(name, data)
        return buf.getvalue()

    dev_wave = write_audio(tmp_path / "a.wav")
    test_wave = write_audio(tmp_path / "b.wav")
    dev = zipped({"wav/id10001/yt1/00001.wav": (tmp_path / "a.wav").read_bytes()})
    test = zipped({"wav/id10309/yt2/00002.wav": (tmp_path / "b.wav").read_bytes()})
    chunks = [dev[i * len(dev) // 4:(i + 1) * len(dev) // 4] for i in range(4)]
    parts = []
    for (url, _), chunk in zip(voxceleb1._DEV_PARTS, chunks):
        overrides.set_url_override(url, server.add(url.rsplit("/", 1)[-1], chunk))
        parts.append((url, hashlib.sha256(chunk).hexdigest()))
    overrides.set_url_override(voxceleb1._TEST[0], server.add("vox1_test_wav.zip", test))
    monkeypatch.setattr(voxceleb1, "_DEV_PARTS", parts)
    monkeypatch.setattr(voxceleb1, "_TEST", (voxceleb1._TEST[0], hashlib.sha256(test).hexdigest()))
    overrides.set_url_override(voxceleb1._IDEN_SPLIT_URL, server.add("iden_split.txt", b"1 id10001/yt1/00001.wav\n3 id10309/yt2/00002.wav\n"))
    root = tmp_path / "root"
    ds = D.VoxCeleb1Identification(root, download=True)
    assert_waveform(ds[0][0], dev_wave)
    assert_waveform(D.VoxCeleb1Identification(root, "test")[0][0], test_wave)
    assert (root / "vox1_dev_wav.zip").read_bytes() == dev  # parts joined in order
