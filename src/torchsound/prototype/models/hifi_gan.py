"""HiFi-GAN generator (Kong et al., 2020) used as a mel-spectrogram vocoder, with torchaudio 2.8's layout.

The generator maps a mel spectrogram to a waveform: a 7-tap input convolution, then per stage a leaky ReLU, a
transposed convolution that upsamples time by that stage's rate, and a multi-receptive-field fusion (the mean of
several residual blocks with different kernel sizes and dilations); a final leaky ReLU (slope 0.01, as in the
original code), a 7-tap output convolution and ``tanh``.

The weights torchaudio publishes are stored without weight normalisation, so the convolutions are plain
``Conv1d``/``ConvTranspose1d`` and the state_dict keys are ``conv_pre``, ``ups.<stage>``,
``resblocks.<stage * n_kernels + kernel>.convs1/convs2/convs.<i>`` and ``conv_post``.
"""

from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["HiFiGANVocoder", "hifigan_vocoder", "hifigan_vocoder_v1", "hifigan_vocoder_v2", "hifigan_vocoder_v3"]


def _same_padding(kernel_size: int, dilation: int) -> int:
    # Keeps the length of an odd-kernel, stride-1 convolution: half of the dilated kernel's span.
    return (kernel_size - 1) * dilation // 2


def _conv(channels: int, kernel_size: int, dilation: int) -> nn.Conv1d:
    return nn.Conv1d(
        channels, channels, kernel_size, 1, dilation=dilation, padding=_same_padding(kernel_size, dilation)
    )


@torch.jit.interface
class _ResBlockLike(nn.Module):
    # TorchScript indexes ``resblocks`` with a computed index only through an interface type.
    def forward(self, x: Tensor) -> Tensor:
        pass


class ResBlock1(nn.Module):
    r"""HiFi-GAN residual block of type 1: per dilation, ``x + conv2(lrelu(conv1_d(lrelu(x))))``.

    Args:
        channels: Number of channels.
        kernel_size: Kernel size of every convolution. (Default: ``3``)
        dilation: Dilations of the three first convolutions (the second ones are undilated). (Default: ``(1, 3, 5)``)
        lrelu_slope: Negative slope of the leaky ReLUs. (Default: ``0.1``)

    Shape:
        ``(batch, channels, time)`` -> ``(batch, channels, time)``.
    """

    def __init__(
        self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3, 5), lrelu_slope: float = 0.1
    ):
        super().__init__()
        self.convs1 = nn.ModuleList([_conv(channels, kernel_size, d) for d in dilation[:3]])
        self.convs2 = nn.ModuleList([_conv(channels, kernel_size, 1) for _ in range(3)])
        self.lrelu_slope = lrelu_slope

    def forward(self, x: Tensor) -> Tensor:
        for dilated, plain in zip(self.convs1, self.convs2):
            y = plain(F.leaky_relu(dilated(F.leaky_relu(x, self.lrelu_slope)), self.lrelu_slope))
            x = y + x
        return x


class ResBlock2(nn.Module):
    r"""HiFi-GAN residual block of type 2: per dilation, ``x + conv_d(lrelu(x))``.

    Args:
        channels: Number of channels.
        kernel_size: Kernel size of every convolution. (Default: ``3``)
        dilation: Dilations of the two convolutions. (Default: ``(1, 3)``)
        lrelu_slope: Negative slope of the leaky ReLUs. (Default: ``0.1``)

    Shape:
        ``(batch, channels, time)`` -> ``(batch, channels, time)``.
    """

    def __init__(self, channels: int, kernel_size: int = 3, dilation: Sequence[int] = (1, 3), lrelu_slope: float = 0.1):
        super().__init__()
        self.convs = nn.ModuleList([_conv(channels, kernel_size, d) for d in dilation[:2]])
        self.lrelu_slope = lrelu_slope

    def forward(self, x: Tensor) -> Tensor:
        for conv in self.convs:
            x = conv(F.leaky_relu(x, self.lrelu_slope)) + x
        return x


def _check_config(
    upsample_rates, upsample_kernel_sizes, resblock_kernel_sizes, resblock_dilation_sizes, resblock_type
) -> None:
    fn = "HiFiGANVocoder"
    if resblock_type not in (1, 2):
        raise ValueError(f"{fn}: resblock_type must be 1 or 2, got {resblock_type!r}")
    if len(upsample_rates) != len(upsample_kernel_sizes) or len(upsample_rates) == 0:
        raise ValueError(
            f"{fn}: upsample_rates and upsample_kernel_sizes must be non-empty and of the same length, "
            f"got {len(upsample_rates)} and {len(upsample_kernel_sizes)}"
        )
    if len(resblock_kernel_sizes) != len(resblock_dilation_sizes) or len(resblock_kernel_sizes) == 0:
        raise ValueError(
            f"{fn}: resblock_kernel_sizes and resblock_dilation_sizes must be non-empty and of the same length, "
            f"got {len(resblock_kernel_sizes)} and {len(resblock_dilation_sizes)}"
        )
    needed = 3 if resblock_type == 1 else 2
    for d in resblock_dilation_sizes:
        if len(d) < needed:
            raise ValueError(
                f"{fn}: resblock_type={resblock_type} needs {needed} dilations per block in resblock_dilation_sizes, "
                f"got {tuple(d)}"
            )


class HiFiGANVocoder(nn.Module):
    r"""Generator of *HiFi-GAN* (Kong et al., 2020): mel spectrogram in, waveform out.

    Build it with :func:`hifigan_vocoder` or one of :func:`hifigan_vocoder_v1`, :func:`hifigan_vocoder_v2`,
    :func:`hifigan_vocoder_v3`.

    Args:
        in_channels: Number of input feature channels (mel bins).
        upsample_rates: Time upsampling factor of each stage.
        upsample_initial_channel: Channels after the input convolution; halved at each stage.
        upsample_kernel_sizes: Kernel size of each stage's transposed convolution.
        resblock_kernel_sizes: Kernel size of each residual block of a stage.
        resblock_dilation_sizes: Dilations of each residual block (3 per block for type 1, 2 for type 2).
        resblock_type: ``1`` or ``2``: which residual block the stages use.
        lrelu_slope: Negative slope of the leaky ReLUs (the last one uses 0.01, as the original HiFi-GAN).

    Shape:
        input ``(batch, in_channels, time)`` or ``(in_channels, time)``; output ``(batch, 1, time * R)`` or
        ``(1, time * R)``, where ``R`` is the product of ``upsample_rates`` (when each kernel size minus its rate
        is even, as in the published configurations).
    """

    def __init__(
        self,
        in_channels: int,
        upsample_rates: Tuple[int, ...],
        upsample_initial_channel: int,
        upsample_kernel_sizes: Tuple[int, ...],
        resblock_kernel_sizes: Tuple[int, ...],
        resblock_dilation_sizes: Tuple[Tuple[int, ...], ...],
        resblock_type: int,
        lrelu_slope: float,
    ):
        super().__init__()
        _check_config(
            upsample_rates, upsample_kernel_sizes, resblock_kernel_sizes, resblock_dilation_sizes, resblock_type
        )
        self.in_channels = in_channels
        self.num_kernels = len(resblock_kernel_sizes)
        self.num_upsamples = len(upsample_rates)
        self.lrelu_slope = lrelu_slope
        self.conv_pre = nn.Conv1d(in_channels, upsample_initial_channel, 7, 1, padding=3)

        # Stage i goes from C / 2**i to C / 2**(i+1) channels; its blocks are resblocks[i * n_kernels + k].
        widths = [upsample_initial_channel // 2**i for i in range(len(upsample_rates) + 1)]
        block = ResBlock1 if resblock_type == 1 else ResBlock2
        self.ups = nn.ModuleList(
            nn.ConvTranspose1d(widths[i], widths[i + 1], k, u, padding=(k - u) // 2)
            for i, (u, k) in enumerate(zip(upsample_rates, upsample_kernel_sizes))
        )
        self.resblocks = nn.ModuleList(
            block(widths[i + 1], k, d, lrelu_slope)
            for i in range(len(upsample_rates))
            for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes)
        )
        self.conv_post = nn.Conv1d(widths[-1], 1, 7, 1, padding=3)

    def forward(self, x: Tensor) -> Tensor:
        """Waveform of a mel spectrogram.

        Args:
            x: features ``(batch, in_channels, time)`` or ``(in_channels, time)``.

        Returns:
            Tensor: ``(batch, 1, time * R)`` (``(1, time * R)`` for 2-D input), ``R`` the product of the upsample rates.
        """
        if x.dim() not in (2, 3) or x.shape[-2] != self.in_channels:
            raise ValueError(
                f"HiFiGANVocoder: expected input of shape (batch, {self.in_channels}, time) or "
                f"({self.in_channels}, time), got {list(x.shape)}"
            )
        x = self.conv_pre(x)
        for stage, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, self.lrelu_slope))
            # multi-receptive-field fusion: the mean of the stage's blocks
            first: _ResBlockLike = self.resblocks[stage * self.num_kernels]
            total = first.forward(x)
            for k in range(1, self.num_kernels):
                other: _ResBlockLike = self.resblocks[stage * self.num_kernels + k]
                total = total + other.forward(x)
            x = total / self.num_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


def hifigan_vocoder(
    in_channels: int,
    upsample_rates: Tuple[int, ...],
    upsample_initial_channel: int,
    upsample_kernel_sizes: Tuple[int, ...],
    resblock_kernel_sizes: Tuple[int, ...],
    resblock_dilation_sizes: Tuple[Tuple[int, ...], ...],
    resblock_type: int,
    lrelu_slope: float,
) -> HiFiGANVocoder:
    r"""Builds a :class:`HiFiGANVocoder` (arguments as there)."""
    return HiFiGANVocoder(
        in_channels=in_channels,
        upsample_rates=upsample_rates,
        upsample_initial_channel=upsample_initial_channel,
        upsample_kernel_sizes=upsample_kernel_sizes,
        resblock_kernel_sizes=resblock_kernel_sizes,
        resblock_dilation_sizes=resblock_dilation_sizes,
        resblock_type=resblock_type,
        lrelu_slope=lrelu_slope,
    )


# The three generator configurations of the HiFi-GAN paper (80 mel bins in, x256 upsampling).
_V1_V2_STAGES = dict(upsample_rates=(8, 8, 2, 2), upsample_kernel_sizes=(16, 16, 4, 4))
_V1_V2_BLOCKS = dict(resblock_kernel_sizes=(3, 7, 11), resblock_dilation_sizes=((1, 3, 5),) * 3, resblock_type=1)


def hifigan_vocoder_v1() -> HiFiGANVocoder:
    r"""HiFi-GAN V1: 512 initial channels, four stages (8, 8, 2, 2), type-1 blocks."""
    return hifigan_vocoder(
        in_channels=80, upsample_initial_channel=512, lrelu_slope=0.1, **_V1_V2_STAGES, **_V1_V2_BLOCKS
    )


def hifigan_vocoder_v2() -> HiFiGANVocoder:
    r"""HiFi-GAN V2: V1 with 128 initial channels."""
    return hifigan_vocoder(
        in_channels=80, upsample_initial_channel=128, lrelu_slope=0.1, **_V1_V2_STAGES, **_V1_V2_BLOCKS
    )


def hifigan_vocoder_v3() -> HiFiGANVocoder:
    r"""HiFi-GAN V3: 256 initial channels, three stages (8, 8, 4), type-2 blocks."""
    return hifigan_vocoder(
        in_channels=80,
        upsample_rates=(8, 8, 4),
        upsample_kernel_sizes=(16, 16, 8),
        upsample_initial_channel=256,
        resblock_kernel_sizes=(3, 5, 7),
        resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
        resblock_type=2,
        lrelu_slope=0.1,
    )
