"""Wav2Letter: a fully convolutional acoustic model (Collobert et al., 2016)."""

from typing import List

from torch import Tensor, nn

__all__ = ["Wav2Letter"]

_INPUT_TYPES = ("waveform", "power_spectrum", "mfcc")


def _conv_relu(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> List[nn.Module]:
    return [nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride, padding=padding), nn.ReLU(inplace=True)]


class Wav2Letter(nn.Module):
    r"""Wav2Letter acoustic model from *Wav2Letter: an End-to-End ConvNet-based Speech Recognition System*.

    Args:
        num_classes (int, optional): Number of output classes. (Default: ``40``)
        input_type (str, optional): ``"waveform"``, ``"power_spectrum"`` or ``"mfcc"``. (Default: ``"waveform"``)
        num_features (int, optional): Number of input channels (features) the network receives. (Default: ``1``)

    Shape:
        - Input: ``(batch, num_features, time)``.
        - Output: ``(batch, num_classes, frames)``: log-probabilities over classes (dim 1). For features,
          ``frames = floor((T - 2) / 2) + 2`` with ``T = time``; a waveform is first framed with window 250 and
          hop 160, ``T = floor((time - 160) / 160) + 1``.
    """

    def __init__(self, num_classes: int = 40, input_type: str = "waveform", num_features: int = 1) -> None:
        super().__init__()
        if input_type not in _INPUT_TYPES:
            raise ValueError(f"Wav2Letter: input_type must be one of {', '.join(_INPUT_TYPES)}; got {input_type!r}")
        self.num_features = num_features

        # The layers after the front end; a waveform gets a learned 250-channel filterbank in front of them.
        in_channels = 250 if input_type == "waveform" else num_features
        layers = _conv_relu(in_channels, 250, 48, 2, 23)
        for _ in range(7):
            layers += _conv_relu(250, 250, 7, 1, 3)
        layers += _conv_relu(250, 2000, 32, 1, 16)
        layers += _conv_relu(2000, 2000, 1, 1, 0)
        layers += _conv_relu(2000, num_classes, 1, 1, 0)
        body = nn.Sequential(*layers)

        if input_type == "waveform":
            front = nn.Sequential(*_conv_relu(num_features, 250, 250, 160, 45))
            self.acoustic_model = nn.Sequential(front, body)
        else:
            self.acoustic_model = body

    def forward(self, x: Tensor) -> Tensor:
        r"""
        Args:
            x (Tensor): ``(batch, num_features, time)``.

        Returns:
            Tensor: log-probabilities, ``(batch, num_classes, frames)``.
        """
        if x.dim() != 3 or x.size(1) != self.num_features:
            raise ValueError(
                f"Wav2Letter: expected input of shape (batch, num_features={self.num_features}, time), "
                f"got {list(x.shape)}"
            )
        return nn.functional.log_softmax(self.acoustic_model(x), dim=1)
