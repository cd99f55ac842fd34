"""Run a slice of torch-audiomentations, speechbrain and lhotse on one audio file, with `torchaudio` being either
torchsound (the alias) or the real torchaudio 2.8 (the oracle's pure-Python code), and save every result.

    python downstream_runner.py torchsound|torchaudio28 AUDIO.wav OUT.pt

Each call runs after the same seeding; a call that raises is saved as its error text. tests/compat/
test_compat_downstream.py runs this twice, in subprocesses, and compares the two result files.
"""

import os
import random
import sys
import traceback

import numpy as np
import torch

MODE, AUDIO, OUT = sys.argv[1:4]
if MODE == "torchsound":
    import torchsound.compat

    torchsound.compat.install()
else:
    sys.path.insert(0, os.environ["TORCHSOUND_ORACLE_DIR"])
import warnings  # noqa: E402

import torchaudio  # noqa: E402

warnings.simplefilter("ignore")  # torchaudio 2.8's deprecation notices

assert ("torchsound" in repr(torchaudio)) == (MODE == "torchsound"), repr(torchaudio)
torch.set_num_threads(1)
CALLS = {}


def call(fn):
    CALLS[fn.__name__] = fn
    return fn


def _x():
    import soundfile

    data, sr = soundfile.read(AUDIO, dtype="float32", always_2d=True)
    return torch.from_numpy(data.T.copy()), sr


# torch-audiomentations (and torch-pitch-shift underneath): torchaudio.info/load/functional.resample/transforms
@call
def ta_audio_load_resample():
    from torch_audiomentations.utils.io import Audio

    return Audio(sample_rate=8000, mono=True)(AUDIO)


@call
def ta_pitch_shift():
    import torch_audiomentations as TA

    x, sr = _x()
    return TA.PitchShift(min_transpose_semitones=-3, max_transpose_semitones=3, p=1.0, sample_rate=sr,
                         output_type="dict")(x[None], sample_rate=sr).samples


@call
def ta_compose():
    import torch_audiomentations as TA

    x, sr = _x()
    aug = TA.Compose([TA.Gain(p=1.0, output_type="dict"),
                      TA.PitchShift(p=1.0, sample_rate=sr, output_type="dict"),
                      TA.AddColoredNoise(p=1.0, output_type="dict"),
                      TA.LowPassFilter(p=1.0, output_type="dict")], output_type="dict")
    return aug(x[None], sample_rate=sr).samples


# speechbrain: Resample augmentation (torchaudio.transforms.Resample), downsampler, dataio, features, codec
@call
def sb_resample():
    from speechbrain.augment.time_domain import Resample

    x, sr = _x()
    return Resample(orig_freq=sr, new_freq=8000)(x)


@call
def sb_signal_downsampler():
    from speechbrain.lobes.downsampling import SignalDownsampler

    x, sr = _x()
    return SignalDownsampler(2, sr)(x)


@call
def sb_read_audio():
    from speechbrain.dataio.dataio import read_audio

    return read_audio(AUDIO)


@call
def sb_fbank_mfcc():
    from speechbrain.lobes.features import MFCC, Fbank

    x, _ = _x()
    return torch.cat([Fbank(n_mels=40)(x), MFCC(n_mfcc=13)(x)], dim=-1)


@call
def sb_codec_augment_ulaw():
    from speechbrain.augment.codec import CodecAugment

    x, sr = _x()
    return CodecAugment(sr).apply_codec(x, "WAV", "ULAW")


# lhotse: torchaudio audio backends, torchaudio Kaldi features, augmentations on cuts
def _cut():
    from lhotse import Recording

    return Recording.from_file(AUDIO).to_cut()


def _cut_audio(augment):
    # Augmentations are compared, not loading (tested above): read with lhotse's libsndfile backend, which the
    # oracle (no FFmpeg libraries) can use too.
    from lhotse.audio.backend import audio_backend

    with audio_backend("LibsndfileBackend"):
        return torch.from_numpy(augment(_cut()).load_audio())


def _lhotse_load(backend):
    from lhotse.audio.backend import audio_backend

    with audio_backend(backend):
        cut = _cut()
        return torch.cat([torch.from_numpy(cut.load_audio()),
                          torch.from_numpy(cut.truncate(offset=0.25, duration=0.5).load_audio())], dim=1)


@call
def lh_load_torchaudio_default():
    return _lhotse_load("TorchaudioDefaultBackend")


@call
def lh_load_torchaudio_ffmpeg():
    return _lhotse_load("TorchaudioFFMPEGBackend")


@call
def lh_load_ffmpeg_mp3_ogg():
    # Compressed siblings of AUDIO written by the test (sox binary), through lhotse's torchaudio FFmpeg backend.
    from lhotse import Recording
    from lhotse.audio.backend import audio_backend

    with audio_backend("TorchaudioFFMPEGBackend"):
        recs = [Recording.from_file(os.path.splitext(AUDIO)[0] + ext) for ext in (".mp3", ".ogg")]
        return torch.cat([torch.from_numpy(r.load_audio()) for r in recs], dim=1)


@call
def lh_load_command_source():
    # A Kaldi-style pipe: sox writes WAV to stdout with a placeholder data size in its header.
    from lhotse import Recording
    from lhotse.audio.backend import audio_backend

    rec = Recording.from_dict({"id": "pipe", "sources": [{"type": "command", "channels": [0],
                                                           "source": f"sox {AUDIO} -t wav -"}],
                               "sampling_rate": 16000, "num_samples": 24000, "duration": 1.5})
    with audio_backend("TorchaudioDefaultBackend"):
        return torch.from_numpy(rec.load_audio())


@call
def lh_info_torchaudio():
    from lhotse.audio.backend import torchaudio_info

    info = torchaudio_info(AUDIO)
    return torch.tensor([info.channels, info.frames, info.samplerate])


@call
def lh_torchaudio_fbank():
    from lhotse.features import TorchaudioFbank

    return torch.from_numpy(TorchaudioFbank().extract(_x()[0].numpy(), 16000))


@call
def lh_torchaudio_mfcc():
    from lhotse.features import TorchaudioMfcc

    return torch.from_numpy(TorchaudioMfcc().extract(_x()[0].numpy(), 16000))


@call
def lh_torchaudio_spectrogram():
    from lhotse.features import TorchaudioSpectrogram

    return torch.from_numpy(TorchaudioSpectrogram().extract(_x()[0].numpy(), 16000))


@call
def lh_resample():
    return _cut_audio(lambda cut: cut.resample(8000))


@call
def lh_perturb_speed_volume():
    return _cut_audio(lambda cut: cut.perturb_speed(1.1).perturb_volume(0.5))


@call
def lh_perturb_tempo():
    return _cut_audio(lambda cut: cut.perturb_tempo(0.9))  # torchaudio.sox_effects: the oracle has no libsox


@call
def lh_mulaw_codec():
    from lhotse.augmentation.torchaudio import MuLawCodec

    return MuLawCodec()(_x()[0])


results = {}
for name, fn in CALLS.items():
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    try:
        results[name] = fn().detach().float()
    except Exception as err:  # noqa: BLE001 - recorded and compared by the test
        results[name] = f"{type(err).__name__}: {err}\n{traceback.format_exc(limit=-3)}"
torch.save(results, OUT)
