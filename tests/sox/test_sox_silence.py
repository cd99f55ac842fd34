"""silence and vad against sox: the trim points (output lengths) within 10 ms of sox's."""

from __future__ import annotations

import pytest
import scipy.signal
import torch
from soxoracle import run_sox

from conftest import snr_db
from torchsound.sox_effects import apply_effects_tensor

TRIM_TOLERANCE_S = 0.010


def _speech_with_pauses(speech, rate: int, channels: int) -> torch.Tensor:
    """1.5 s of the sample with a 0.3 s pause inside and silence around, resampled to ``rate``."""
    wav = speech[0][0, 4000:4000 + 16000].double()
    quiet = torch.zeros(4800, dtype=torch.float64)
    x = torch.cat([quiet[:2000], wav[:9000], quiet, wav[9000:], quiet[:3000]])
    if rate != 16000:
        x = torch.from_numpy(scipy.signal.resample_poly(x.numpy(), rate, 16000))
    x = x[None].repeat(channels, 1)
    if channels > 1:
        x[1] = x[1].roll(rate // 200) * 0.7
    return x


CHAINS = [
    [["silence", "1", "0.1", "1%"]],
    [["silence", "1", "0.05", "-40d", "1", "0.2", "-40d"]],
    [["silence", "1", "0.1", "1%", "-1", "0.1", "1%"]],
    [["silence", "0", "1", "0.2", "2%"]],
    [["silence", "2", "0.05", "1%"]],
    [["silence", "1", "100s", "0.5%", "2", "0.1", "0.5%"]],
    [["silence", "-l", "1", "0.1", "1%", "-1", "0.2", "1%"]],
    [["reverse"], ["silence", "1", "0.1", "1%"], ["reverse"]],
]
ROWS = [(16000, 1), (8000, 2), (44100, 1), (16000, 2)]
CASES = [(c, ROWS[(i + k) % len(ROWS)]) for i, c in enumerate(CHAINS) for k in (0, 1)]


@pytest.mark.parametrize("chain,row", CASES, ids=lambda v: " ".join(" ".join(e) for e in v) if isinstance(v[0], list) else f"{v[0]}-{v[1]}ch")
def test_silence_trim_points_match_sox(chain, row, speech):
    rate, channels = row
    x = _speech_with_pauses(speech, rate, channels)
    expected, _ = run_sox(x, rate, chain)
    got, _ = apply_effects_tensor(x, rate, chain)
    assert abs(got.shape[-1] - expected.shape[-1]) <= TRIM_TOLERANCE_S * rate
    if "-l" not in chain[0]:  # with -l sox re-emits held-off frames; stereo can shift them by a frame or two
        n = min(got.shape[-1], expected.shape[-1])
        assert snr_db(expected[..., :n], got[..., :n]) >= 20.0  # same audio kept (not just the same amount)


def test_silence_keeps_gradient_and_device():
    x = torch.zeros(1, 4000, dtype=torch.float64)
    x[0, 1000:3000] = torch.sin(torch.arange(2000) * 0.1)
    x.requires_grad_()
    y, _ = apply_effects_tensor(x, 8000, [["silence", "1", "0.01", "1%"]])
    assert 2900 <= y.shape[-1] < 3100
    y.sum().backward()
    assert x.grad[0, :900].abs().sum() == 0 and x.grad[0, 1500:2000].abs().sum() > 0


def test_silence_batch_must_cut_alike():
    x = torch.zeros(2, 1, 4000)
    x[0, 0, 1000:] = 0.5
    x[1, 0, 2000:] = 0.5
    with pytest.raises(ValueError, match="silence.*batch"):
        apply_effects_tensor(x, 8000, [["silence", "1", "0.01", "1%"]])


def test_silence_that_empties_the_signal_gives_no_audio_as_sox():
    x = torch.zeros(1, 4000, dtype=torch.float64)
    expected, _ = run_sox(x, 8000, [["silence", "1", "0.01", "1%"]])
    got, _ = apply_effects_tensor(x, 8000, [["silence", "1", "0.01", "1%"]])
    assert got.shape == expected.shape == (1, 0)


@pytest.mark.parametrize("effect,match", [
    (["silence"], "silence.*missing"),
    (["silence", "1", "0.1"], "silence.*wrong number"),
    (["silence", "1", "0.1", "200%"], "silence.*'200%'"),
    (["silence", "1", "0.1", "3d"], "silence.*'3d'.*below 0"),
    (["silence", "x"], "silence.*'x'"),
    (["vad", "-z", "1"], "vad.*'-z'"),
])
def test_bad_arguments(effect, match):
    with pytest.raises(ValueError, match=match):
        apply_effects_tensor(torch.rand(1, 4000) - 0.5, 8000, [effect])


@pytest.mark.parametrize("chain", [[["vad"]], [["vad", "-t", "5", "-p", "0.1"]], [["reverse"], ["vad"], ["reverse"]]],
                         ids=lambda c: " ".join(" ".join(e) for e in c))
@pytest.mark.parametrize("row", [(16000, 1), (8000, 2), (44100, 1)], ids=lambda r: f"{r[0]}-{r[1]}ch")
def test_vad_trim_points_match_sox(chain, row, speech):
    rate, channels = row
    x = _speech_with_pauses(speech, rate, channels)
    x = x + 0.001 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1), dtype=x.dtype)
    expected, _ = run_sox(x, rate, chain)
    got, _ = apply_effects_tensor(x, rate, chain)
    assert abs(got.shape[-1] - expected.shape[-1]) <= TRIM_TOLERANCE_S * rate
