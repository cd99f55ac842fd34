"""Conv-TasNet source separation (Luo and Mesgarani, 2019), the non-causal variant.

A learned encoder (strided 1-D convolution) turns the mixture into a learned basis representation, a
temporal convolution network (TCN) predicts one mask per source on it, and a transposed convolution decodes each
masked representation back to a waveform.
"""

from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from . import _onednn

__all__ = ["ConvTasNet", "conv_tasnet_base"]

_EPS = 1e-8  # the paper's global layer norm epsilon


def _global_layer_norm(channels: int) -> nn.GroupNorm:
    # One group: normalised over channels and time together (the paper's gLN), with per-channel affine.
    return nn.GroupNorm(num_groups=1, num_channels=channels, eps=_EPS)


class ConvBlock(nn.Module):
    """One TCN block: 1x1 conv, PReLU, gLN, dilated depthwise conv, PReLU, gLN, then 1x1 residual and skip outputs.

    Args:
        io_channels (int): Input/output channels (the paper's B and Sc).
        hidden_channels (int): Channels inside the block (H).
        kernel_size (int): Kernel size of the depthwise convolution (P).
        padding (int): Padding of the depthwise convolution.
        dilation (int, optional): Dilation of the depthwise convolution. (Default: ``1``)
        no_residual (bool, optional): Build no residual output (the last block of the network). (Default: ``False``)

    Shape:
        ``(batch, io_channels, frames)`` -> residual (or ``None``) and skip, each ``(batch, io_channels, frames')``
        with ``frames' = frames + 2 * padding - dilation * (kernel_size - 1)``.
    """

    def __init__(
        self,
        io_channels: int,
        hidden_channels: int,
        kernel_size: int,
        padding: int,
        dilation: int = 1,
        no_residual: bool = False,
    ):
        super().__init__()
        depthwise = nn.Conv1d(
            hidden_channels,
            hidden_channels,
            kernel_size,
            padding=padding,
            dilation=dilation,
            groups=hidden_channels,
        )
        self.conv_layers = nn.Sequential(
            nn.Conv1d(io_channels, hidden_channels, kernel_size=1),
            nn.PReLU(),
            _global_layer_norm(hidden_channels),
            depthwise,
            nn.PReLU(),
            _global_layer_norm(hidden_channels),
        )
        self.res_out = None if no_residual else nn.Conv1d(hidden_channels, io_channels, kernel_size=1)
        self.skip_out = nn.Conv1d(hidden_channels, io_channels, kernel_size=1)

    def forward(self, input: Tensor) -> Tuple[Optional[Tensor], Tensor]:
        hidden: Optional[Tensor] = None
        if not torch.jit.is_scripting():
            if _onednn.usable(input, self.skip_out.weight) and type(self.conv_layers) is nn.Sequential:
                hidden = self._hidden_fast(input)
        if hidden is None:
            hidden = self.conv_layers(input)
        residual: Optional[Tensor] = None
        if self.res_out is not None:
            residual = self.res_out(hidden)
        return residual, self.skip_out(hidden)

    def _hidden_fast(self, x: Tensor) -> Optional[Tensor]:
        """``conv_layers(x)`` with the depthwise convolution by :func:`_onednn.depthwise_conv1d` (the block's
        slowest step as a oneDNN convolution); ``None`` when that convolution is not the plain one."""
        for index, layer in enumerate(self.conv_layers):
            if index == 3:  # 1x1 conv, PReLU, norm, *depthwise conv*, PReLU, norm
                y = _onednn.depthwise_conv1d(x, layer)
                if y is None:
                    return None
                x = y
            else:
                x = layer(x)
        return x


class MaskGenerator(nn.Module):
    """The TCN separator: stacks of dilated :class:`ConvBlock` whose skip outputs sum into one mask per source.

    Args:
        input_dim (int): Encoder feature dimension (N).
        num_sources (int): Number of sources.
        kernel_size (int): Kernel size of the blocks' depthwise convolutions (P).
        num_feats (int): Input/output channels of the blocks (B, Sc).
        num_hidden (int): Channels inside the blocks (H).
        num_layers (int): Blocks per stack, dilations 1, 2, ..., 2**(num_layers - 1) (X).
        num_stacks (int): Number of stacks (R).
        msk_activate (str): ``"sigmoid"`` or ``"relu"``, applied to the masks.

    Shape:
        ``(batch, input_dim, frames)`` -> ``(batch, num_sources, input_dim, frames)``.
    """

    def __init__(
        self,
        input_dim: int,
        num_sources: int,
        kernel_size: int,
        num_feats: int,
        num_hidden: int,
        num_layers: int,
        num_stacks: int,
        msk_activate: str,
    ):
        super().__init__()
        if msk_activate == "sigmoid":
            activation: nn.Module = nn.Sigmoid()
        elif msk_activate == "relu":
            activation = nn.ReLU()
        else:
            raise ValueError(f"ConvTasNet: msk_activate must be 'sigmoid' or 'relu'; got {msk_activate!r}")
        if num_layers < 1 or num_stacks < 1:
            raise ValueError(
                f"ConvTasNet: msk_num_layers and msk_num_stacks must be >= 1; got {num_layers} and {num_stacks}"
            )

        self.input_dim = input_dim
        self.num_sources = num_sources
        self.input_norm = _global_layer_norm(input_dim)
        self.input_conv = nn.Conv1d(input_dim, num_feats, kernel_size=1)

        blocks = []
        self.receptive_field = 0
        for stack in range(num_stacks):
            for layer in range(num_layers):
                dilation = 2**layer
                last = stack == num_stacks - 1 and layer == num_layers - 1
                # padding = dilation: length-preserving for the default kernel size 3 (torchaudio's choice).
                blocks.append(
                    ConvBlock(num_feats, num_hidden, kernel_size, padding=dilation, dilation=dilation, no_residual=last)
                )
                first = stack == 0 and layer == 0
                self.receptive_field += kernel_size if first else (kernel_size - 1) * dilation
        self.conv_layers = nn.ModuleList(blocks)
        self.output_prelu = nn.PReLU()
        self.output_conv = nn.Conv1d(num_feats, input_dim * num_sources, kernel_size=1)
        self.mask_activate = activation

    def forward(self, input: Tensor) -> Tensor:
        """
        Args:
            input (Tensor): encoder features, ``(batch, input_dim, frames)``.

        Returns:
            Tensor: masks, ``(batch, num_sources, input_dim, frames)``.
        """
        feats = self.input_conv(self.input_norm(input))
        skip_sum: Optional[Tensor] = None
        for block in self.conv_layers:
            residual, skip = block(feats)
            if residual is not None:
                feats = feats + residual
            skip_sum = skip if skip_sum is None else skip_sum + skip
        if skip_sum is None:
            raise ValueError("ConvTasNet: the mask generator has no blocks")
        masks = self.mask_activate(self.output_conv(self.output_prelu(skip_sum)))
        return masks.view(input.size(0), self.num_sources, self.input_dim, -1)


class ConvTasNet(nn.Module):
    """Conv-TasNet from *Conv-TasNet: Surpassing Ideal Time-Frequency Magnitude Masking for Speech Separation*
    (non-causal).

    Args:
        num_sources (int, optional): Number of sources to separate. (Default: ``2``)
        enc_kernel_size (int, optional): Encoder/decoder kernel size (L); the stride is half of it. (Default: ``16``)
        enc_num_feats (int, optional): Encoder feature dimension (N). (Default: ``512``)
        msk_kernel_size (int, optional): Kernel size in the mask generator's blocks (P). (Default: ``3``)
        msk_num_feats (int, optional): Block input/output channels (B, Sc). (Default: ``128``)
        msk_num_hidden_feats (int, optional): Channels inside a block (H). (Default: ``512``)
        msk_num_layers (int, optional): Blocks per stack (X). (Default: ``8``)
        msk_num_stacks (int, optional): Number of stacks (R). (Default: ``3``)
        msk_activate (str, optional): Mask activation, ``"sigmoid"`` or ``"relu"``. (Default: ``"sigmoid"``)

    Shape:
        - Input: ``(batch, 1, time)``.
        - Output: ``(batch, num_sources, time)``.
    """

    def __init__(
        self,
        num_sources: int = 2,
        enc_kernel_size: int = 16,
        enc_num_feats: int = 512,
        msk_kernel_size: int = 3,
        msk_num_feats: int = 128,
        msk_num_hidden_feats: int = 512,
        msk_num_layers: int = 8,
        msk_num_stacks: int = 3,
        msk_activate: str = "sigmoid",
    ):
        super().__init__()
        self.num_sources = num_sources
        self.enc_num_feats = enc_num_feats
        self.enc_kernel_size = enc_kernel_size
        self.enc_stride = enc_kernel_size // 2

        self.encoder = nn.Conv1d(
            1, enc_num_feats, enc_kernel_size, stride=self.enc_stride, padding=self.enc_stride, bias=False
        )
        self.mask_generator = MaskGenerator(
            input_dim=enc_num_feats,
            num_sources=num_sources,
            kernel_size=msk_kernel_size,
            num_feats=msk_num_feats,
            num_hidden=msk_num_hidden_feats,
            num_layers=msk_num_layers,
            num_stacks=msk_num_stacks,
            msk_activate=msk_activate,
        )
        self.decoder = nn.ConvTranspose1d(
            enc_num_feats, 1, enc_kernel_size, stride=self.enc_stride, padding=self.enc_stride, bias=False
        )

    def _align_num_frames_with_strides(self, input: Tensor) -> Tuple[Tensor, int]:
        """Zero-pad the end so the last encoder window ends where the signal does (the decoder then gives back
        exactly the padded length): ``time - kernel_size % 2`` becomes a multiple of the stride.

        Returns the padded ``(batch, 1, time')`` tensor and the number of samples added.
        """
        remainder = (input.size(-1) - self.enc_kernel_size % 2) % self.enc_stride
        if remainder == 0:
            return input, 0
        num_pads = self.enc_stride - remainder
        return nn.functional.pad(input, (0, num_pads)), num_pads

    def forward(self, input: Tensor) -> Tensor:
        """Separate a mixture into ``num_sources`` waveforms.

        Args:
            input (Tensor): mixture, ``(batch, 1, time)``.

        Returns:
            Tensor: sources, ``(batch, num_sources, time)``.
        """
        if input.dim() != 3 or input.size(1) != 1:
            raise ValueError(f"ConvTasNet: expected input of shape (batch, 1, time), got {list(input.shape)}")
        padded, num_pads = self._align_num_frames_with_strides(input)
        batch_size, padded_length = padded.size(0), padded.size(2)
        feats = self.encoder(padded)  # (batch, feats, frames)
        masked = self.mask_generator(feats) * feats.unsqueeze(1)  # (batch, sources, feats, frames)
        decoded = self.decoder(masked.view(batch_size * self.num_sources, self.enc_num_feats, -1))
        output = decoded.view(batch_size, self.num_sources, padded_length)
        if num_pads > 0:
            output = output[..., :-num_pads]
        return output


def conv_tasnet_base(num_sources: int = 2) -> ConvTasNet:
    """Non-causal :class:`ConvTasNet` with the paper's best setting (L=16, N=512, P=3, B=Sc=128, H=512, X=8, R=3),
    except that the masks use ReLU instead of sigmoid (as torchaudio's pretrained model does).

    Args:
        num_sources (int, optional): Number of sources in the output. (Default: ``2``)

    Returns:
        ConvTasNet: the model.
    """
    return ConvTasNet(
        num_sources=num_sources,
        enc_kernel_size=16,
        enc_num_feats=512,
        msk_kernel_size=3,
        msk_num_feats=128,
        msk_num_hidden_feats=512,
        msk_num_layers=8,
        msk_num_stacks=3,
        msk_activate="relu",
    )
