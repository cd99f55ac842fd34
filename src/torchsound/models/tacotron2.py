"""Tacotron2 text-to-spectrogram model (Shen et al., 2018) in the variant of NVIDIA's Deep Learning Examples, as
torchaudio defines it.

Tokens are embedded and encoded by a few convolutions and a bidirectional LSTM. An autoregressive decoder then
predicts one mel frame per step: the previous frame goes through a pre-net (dropout always on, as in the paper), an
attention LSTM queries the encoder outputs with location-sensitive attention, and a decoder LSTM predicts the frame
and a stop token. A convolutional post-net adds a residual correction to the whole spectrogram.

Submodule names follow torchaudio's, so torchaudio checkpoints load with ``strict=True``; numerics, the order of
the random draws (dropout, on the global generator), the stopping rule and the lengths of ``infer`` follow
torchaudio 2.8 too.
"""

import warnings
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ["Tacotron2"]

# attention_hidden, attention_cell, decoder_hidden, decoder_cell, attention_weights, attention_weights_cum,
# attention_context: what one decoder step hands to the next.
_State = Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]


def _xavier(layer: nn.Module, gain: str) -> nn.Module:
    # Glorot-uniform weights scaled for the nonlinearity that follows (the reference's initialisation).
    nn.init.xavier_uniform_(layer.weight, gain=nn.init.calculate_gain(gain))
    return layer


def _linear(in_dim: int, out_dim: int, bias: bool = True, gain: str = "linear") -> nn.Linear:
    return _xavier(nn.Linear(in_dim, out_dim, bias=bias), gain)


def _conv(in_channels: int, out_channels: int, kernel_size: int, bias: bool = True, gain: str = "linear") -> nn.Conv1d:
    # "Same" padding for odd kernels; an even kernel loses one frame, as in the reference.
    padding = (kernel_size - 1) // 2
    return _xavier(nn.Conv1d(in_channels, out_channels, kernel_size, padding=padding, bias=bias), gain)


def _padding_mask(lengths: Tensor, max_len: int) -> Tensor:
    """``True`` where a position lies past its item's length. Shape: ``(n_batch,)`` -> ``(n_batch, max_len)``."""
    positions = torch.arange(max_len, device=lengths.device, dtype=lengths.dtype)
    return positions.unsqueeze(0) >= lengths.unsqueeze(1)


class _LocationLayer(nn.Module):
    """Features of the previous and cumulative attention weights.

    Shape: ``(n_batch, 2, n_text)`` -> ``(n_batch, n_text, attention_hidden_dim)``.
    """

    def __init__(self, attention_n_filter: int, attention_kernel_size: int, attention_hidden_dim: int):
        super().__init__()
        self.location_conv = _conv(2, attention_n_filter, attention_kernel_size, bias=False)
        self.location_dense = _linear(attention_n_filter, attention_hidden_dim, bias=False, gain="tanh")

    def forward(self, attention_weights_cat: Tensor) -> Tensor:
        return self.location_dense(self.location_conv(attention_weights_cat).transpose(1, 2))


class _Attention(nn.Module):
    """Location-sensitive additive attention over the encoder outputs (``memory``).

    Shape: query ``(n_batch, attention_rnn_dim)``, memory ``(n_batch, n_text, encoder_embedding_dim)``,
    processed memory ``(n_batch, n_text, attention_hidden_dim)``, previous and cumulative weights
    ``(n_batch, 2, n_text)``, mask ``(n_batch, n_text)`` -> context ``(n_batch, encoder_embedding_dim)`` and
    weights ``(n_batch, n_text)``.
    """

    def __init__(
        self,
        attention_rnn_dim: int,
        encoder_embedding_dim: int,
        attention_hidden_dim: int,
        attention_location_n_filter: int,
        attention_location_kernel_size: int,
    ) -> None:
        super().__init__()
        self.query_layer = _linear(attention_rnn_dim, attention_hidden_dim, bias=False, gain="tanh")
        self.memory_layer = _linear(encoder_embedding_dim, attention_hidden_dim, bias=False, gain="tanh")
        self.v = _linear(attention_hidden_dim, 1, bias=False)
        self.location_layer = _LocationLayer(
            attention_location_n_filter, attention_location_kernel_size, attention_hidden_dim
        )
        self.score_mask_value = -float("inf")

    def forward(
        self, query: Tensor, memory: Tensor, processed_memory: Tensor, attention_weights_cat: Tensor, mask: Tensor
    ) -> Tuple[Tensor, Tensor]:
        summed = self.query_layer(query.unsqueeze(1)) + self.location_layer(attention_weights_cat) + processed_memory
        scores = self.v(torch.tanh(summed)).squeeze(2).masked_fill(mask, self.score_mask_value)
        weights = F.softmax(scores, dim=1)
        context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)
        return context, weights


class _Prenet(nn.Module):
    """Bias-free linear layers with ReLU and dropout 0.5 that stays on in eval mode too (the paper's choice, which
    makes inference stochastic).

    Shape: ``(..., in_dim)`` -> ``(..., out_sizes[-1])``.
    """

    def __init__(self, in_dim: int, out_sizes: List[int]) -> None:
        super().__init__()
        in_sizes = [in_dim] + out_sizes[:-1]
        self.layers = nn.ModuleList([_linear(i, o, bias=False) for i, o in zip(in_sizes, out_sizes)])

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = F.dropout(F.relu(layer(x)), p=0.5, training=True)
        return x


class _Postnet(nn.Module):
    """Convolutions with batch norm (tanh between them, dropout 0.5 in train mode) predicting a residual.

    Shape: ``(n_batch, n_mels, n_frames)`` -> ``(n_batch, n_mels, n_frames)``.
    """

    def __init__(self, n_mels: int, postnet_embedding_dim: int, postnet_kernel_size: int, postnet_n_convolution: int):
        super().__init__()
        last = postnet_n_convolution - 1
        self.convolutions = nn.ModuleList()
        for i in range(postnet_n_convolution):
            in_channels = n_mels if i == 0 else postnet_embedding_dim
            out_channels = n_mels if i == last else postnet_embedding_dim
            self.convolutions.append(
                nn.Sequential(
                    _conv(in_channels, out_channels, postnet_kernel_size, gain="linear" if i == last else "tanh"),
                    nn.BatchNorm1d(out_channels),
                )
            )
        self.n_convs = len(self.convolutions)

    def forward(self, x: Tensor) -> Tensor:
        for i, conv in enumerate(self.convolutions):
            x = conv(x)
            if i < self.n_convs - 1:
                x = torch.tanh(x)
            x = F.dropout(x, 0.5, training=self.training)
        return x


class _Encoder(nn.Module):
    """Convolutions with batch norm, ReLU and dropout, then a bidirectional LSTM over the valid frames.

    Shape: ``(n_batch, encoder_embedding_dim, n_text)`` and lengths ``(n_batch,)`` ->
    ``(n_batch, max(lengths), encoder_embedding_dim)`` (zeros past each item's length).
    """

    def __init__(self, encoder_embedding_dim: int, encoder_n_convolution: int, encoder_kernel_size: int) -> None:
        super().__init__()
        self.convolutions = nn.ModuleList(
            [
                nn.Sequential(
                    _conv(encoder_embedding_dim, encoder_embedding_dim, encoder_kernel_size, gain="relu"),
                    nn.BatchNorm1d(encoder_embedding_dim),
                )
                for _ in range(encoder_n_convolution)
            ]
        )
        self.lstm = nn.LSTM(encoder_embedding_dim, encoder_embedding_dim // 2, 1, batch_first=True, bidirectional=True)

    def forward(self, x: Tensor, input_lengths: Tensor) -> Tensor:
        for conv in self.convolutions:
            x = F.dropout(F.relu(conv(x)), 0.5, self.training)
        # Packing keeps padding out of the backward direction. Unsorted lengths are accepted too (torchaudio
        # requires them in decreasing order); sorted ones give the same numbers either way.
        packed = nn.utils.rnn.pack_padded_sequence(
            x.transpose(1, 2), input_lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        outputs, _ = self.lstm(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True)
        return outputs


class _Decoder(nn.Module):
    """Autoregressive decoder with location-sensitive attention; see :class:`Tacotron2` for the arguments.

    Shape: memory ``(n_batch, n_text, encoder_embedding_dim)`` -> mel ``(n_batch, n_mels, n_frames)``, gate
    ``(n_batch, n_steps)``, alignments ``(n_batch, n_steps, n_text)`` with ``n_frames = n_steps * n_frames_per_step``.
    """

    def __init__(
        self,
        n_mels: int,
        n_frames_per_step: int,
        encoder_embedding_dim: int,
        decoder_rnn_dim: int,
        decoder_max_step: int,
        decoder_dropout: float,
        decoder_early_stopping: bool,
        attention_rnn_dim: int,
        attention_hidden_dim: int,
        attention_location_n_filter: int,
        attention_location_kernel_size: int,
        attention_dropout: float,
        prenet_dim: int,
        gate_threshold: float,
    ) -> None:
        super().__init__()
        self.n_mels = n_mels
        self.n_frames_per_step = n_frames_per_step
        self.encoder_embedding_dim = encoder_embedding_dim
        self.attention_rnn_dim = attention_rnn_dim
        self.decoder_rnn_dim = decoder_rnn_dim
        self.prenet_dim = prenet_dim
        self.decoder_max_step = decoder_max_step
        self.gate_threshold = gate_threshold
        self.attention_dropout = attention_dropout
        self.decoder_dropout = decoder_dropout
        self.decoder_early_stopping = decoder_early_stopping

        frame_dim = n_mels * n_frames_per_step
        # Built in the reference's order, so that the same seed gives the same initial weights.
        self.prenet = _Prenet(frame_dim, [prenet_dim, prenet_dim])
        self.attention_rnn = nn.LSTMCell(prenet_dim + encoder_embedding_dim, attention_rnn_dim)
        self.attention_layer = _Attention(
            attention_rnn_dim,
            encoder_embedding_dim,
            attention_hidden_dim,
            attention_location_n_filter,
            attention_location_kernel_size,
        )
        self.decoder_rnn = nn.LSTMCell(attention_rnn_dim + encoder_embedding_dim, decoder_rnn_dim, True)
        self.linear_projection = _linear(decoder_rnn_dim + encoder_embedding_dim, frame_dim)
        self.gate_layer = _linear(decoder_rnn_dim + encoder_embedding_dim, 1, bias=True, gain="sigmoid")

    def _initial_state(self, memory: Tensor) -> _State:
        n_batch, n_text = memory.size(0), memory.size(1)
        sizes = [self.attention_rnn_dim, self.attention_rnn_dim, self.decoder_rnn_dim, self.decoder_rnn_dim]
        sizes += [n_text, n_text, self.encoder_embedding_dim]
        z = [torch.zeros(n_batch, size, dtype=memory.dtype, device=memory.device) for size in sizes]
        return (z[0], z[1], z[2], z[3], z[4], z[5], z[6])

    def _step(
        self, prenet_output: Tensor, state: _State, memory: Tensor, processed_memory: Tensor, mask: Tensor
    ) -> Tuple[Tensor, Tensor, _State]:
        """One frame: returns the frame ``(n_batch, n_mels * n_frames_per_step)``, the stop logit ``(n_batch, 1)``
        and the next state."""
        attention_hidden, attention_cell, decoder_hidden, decoder_cell, weights, weights_cum, context = state
        attention_hidden, attention_cell = self.attention_rnn(
            torch.cat((prenet_output, context), -1), (attention_hidden, attention_cell)
        )
        attention_hidden = F.dropout(attention_hidden, self.attention_dropout, self.training)
        previous = torch.stack((weights, weights_cum), dim=1)
        context, weights = self.attention_layer(attention_hidden, memory, processed_memory, previous, mask)
        weights_cum = weights_cum + weights
        decoder_hidden, decoder_cell = self.decoder_rnn(
            torch.cat((attention_hidden, context), -1), (decoder_hidden, decoder_cell)
        )
        decoder_hidden = F.dropout(decoder_hidden, self.decoder_dropout, self.training)
        features = torch.cat((decoder_hidden, context), dim=1)
        state = (attention_hidden, attention_cell, decoder_hidden, decoder_cell, weights, weights_cum, context)
        return self.linear_projection(features), self.gate_layer(features), state

    def _to_spectrogram(self, frames: List[Tensor]) -> Tensor:
        # n_steps x (n_batch, n_mels * n_frames_per_step) -> (n_batch, n_mels, n_steps * n_frames_per_step)
        stacked = torch.stack(frames, dim=1)
        return stacked.reshape(stacked.size(0), -1, self.n_mels).transpose(1, 2)

    def forward(
        self, memory: Tensor, mel_specgram_truth: Tensor, memory_lengths: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Teacher forcing: step ``t`` sees the true frame ``t - 1`` (a zero frame at ``t = 0``)."""
        n_batch = memory.size(0)
        truth = mel_specgram_truth.transpose(1, 2).reshape(n_batch, -1, self.n_mels * self.n_frames_per_step)
        go = torch.zeros(n_batch, 1, truth.size(2), dtype=memory.dtype, device=memory.device)
        # The pre-net runs on every frame at once, the last true frame included, as in the reference (same
        # dropout draws under the same seed). Time first: (n_steps + 1, n_batch, prenet_dim).
        prenet_outputs = self.prenet(torch.cat((go, truth), dim=1).transpose(0, 1))
        mask = _padding_mask(memory_lengths, memory.size(1))
        processed_memory = self.attention_layer.memory_layer(memory)
        state = self._initial_state(memory)
        frames: List[Tensor] = []
        gates: List[Tensor] = []
        alignments: List[Tensor] = []
        for t in range(prenet_outputs.size(0) - 1):
            frame, gate, state = self._step(prenet_outputs[t], state, memory, processed_memory, mask)
            frames.append(frame)
            gates.append(gate.squeeze(1))
            alignments.append(state[4])
        return self._to_spectrogram(frames), torch.stack(gates, dim=1), torch.stack(alignments, dim=1)

    @torch.jit.export
    def infer(self, memory: Tensor, memory_lengths: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Free running from a zero frame. An item's length counts the steps up to and including the first whose
        stop probability exceeds ``gate_threshold``; decoding ends when every item has stopped (with early
        stopping) or after ``decoder_max_step`` steps. Returns mel, lengths (int32), gate and alignments."""
        n_batch = memory.size(0)
        frame = torch.zeros(n_batch, self.n_mels * self.n_frames_per_step, dtype=memory.dtype, device=memory.device)
        mask = _padding_mask(memory_lengths, memory.size(1))
        processed_memory = self.attention_layer.memory_layer(memory)
        state = self._initial_state(memory)
        lengths = torch.zeros(n_batch, dtype=torch.int32, device=memory.device)
        finished = torch.zeros(n_batch, dtype=torch.bool, device=memory.device)
        frames: List[Tensor] = []
        gates: List[Tensor] = []
        alignments: List[Tensor] = []
        for _ in range(self.decoder_max_step):
            frame, gate, state = self._step(self.prenet(frame), state, memory, processed_memory, mask)
            frames.append(frame)
            gates.append(gate.squeeze(1))
            alignments.append(state[4])
            lengths += (~finished).to(torch.int32)
            finished |= torch.sigmoid(gate.squeeze(1)) > self.gate_threshold
            if self.decoder_early_stopping and bool(torch.all(finished)):
                break
        if len(frames) == self.decoder_max_step:
            warnings.warn(
                "Reached max decoder steps. The generated spectrogram might not cover the whole transcript.",
                stacklevel=2,
            )
        return self._to_spectrogram(frames), lengths, torch.stack(gates, dim=1), torch.stack(alignments, dim=1)


class Tacotron2(nn.Module):
    r"""Tacotron2 model from *Natural TTS Synthesis by Conditioning WaveNet on Mel Spectrogram Predictions*
    (Shen et al., 2018), in the variant of NVIDIA's Deep Learning Examples; torchaudio's ``Tacotron2``.

    Args:
        mask_padding (bool, optional): Zero the spectrograms (and set the stop logits to 1000) past
            ``mel_specgram_lengths`` in :meth:`forward`. (Default: ``False``)
        n_mels (int, optional): Number of mel bins. (Default: ``80``)
        n_symbol (int, optional): Number of symbols of the input text. (Default: ``148``)
        n_frames_per_step (int, optional): Frames predicted per decoder step. torchaudio documents only 1 as
            supported; larger values follow its definition (the gate and alignments then have one entry per
            step, and ``n_frames`` must be a multiple of it). (Default: ``1``)
        symbol_embedding_dim (int, optional): Symbol embedding dimension. (Default: ``512``)
        encoder_embedding_dim (int, optional): Encoder dimension. (Default: ``512``)
        encoder_n_convolution (int, optional): Number of encoder convolutions. (Default: ``3``)
        encoder_kernel_size (int, optional): Encoder kernel size. (Default: ``5``)
        decoder_rnn_dim (int, optional): Units of the decoder LSTM. (Default: ``1024``)
        decoder_max_step (int, optional): Most decoder steps in :meth:`infer`. (Default: ``2000``)
        decoder_dropout (float, optional): Dropout after the decoder LSTM. (Default: ``0.1``)
        decoder_early_stopping (bool, optional): Stop :meth:`infer` once every item has stopped. (Default: ``True``)
        attention_rnn_dim (int, optional): Units of the attention LSTM. (Default: ``1024``)
        attention_hidden_dim (int, optional): Attention dimension. (Default: ``128``)
        attention_location_n_filter (int, optional): Filters of the location convolution. (Default: ``32``)
        attention_location_kernel_size (int, optional): Kernel size of the location convolution. (Default: ``31``)
        attention_dropout (float, optional): Dropout after the attention LSTM. (Default: ``0.1``)
        prenet_dim (int, optional): Units of the two pre-net layers. (Default: ``256``)
        postnet_n_convolution (int, optional): Number of post-net convolutions. (Default: ``5``)
        postnet_kernel_size (int, optional): Post-net kernel size. (Default: ``5``)
        postnet_embedding_dim (int, optional): Post-net channels. (Default: ``512``)
        gate_threshold (float, optional): Stop probability that ends an item in :meth:`infer`. (Default: ``0.5``)

    Shape:
        ``n_text`` is the padded token count (``max(token_lengths)``), ``n_frames`` the padded frame count.
        :meth:`forward`: tokens ``(n_batch, n_text)``, token lengths ``(n_batch,)``, target spectrogram
        ``(n_batch, n_mels, n_frames)``, its lengths ``(n_batch,)`` -> spectrogram before and after the post-net
        ``(n_batch, n_mels, n_frames)``, stop logits ``(n_batch, n_frames)``, alignments
        ``(n_batch, n_frames, n_text)``.
        :meth:`infer`: tokens ``(n_batch, n_text)``, optional lengths ``(n_batch,)`` -> spectrogram
        ``(n_batch, n_mels, n_steps)``, lengths ``(n_batch,)`` (int32), alignments ``(n_batch, n_steps, n_text)``.
    """

    def __init__(
        self,
        mask_padding: bool = False,
        n_mels: int = 80,
        n_symbol: int = 148,
        n_frames_per_step: int = 1,
        symbol_embedding_dim: int = 512,
        encoder_embedding_dim: int = 512,
        encoder_n_convolution: int = 3,
        encoder_kernel_size: int = 5,
        decoder_rnn_dim: int = 1024,
        decoder_max_step: int = 2000,
        decoder_dropout: float = 0.1,
        decoder_early_stopping: bool = True,
        attention_rnn_dim: int = 1024,
        attention_hidden_dim: int = 128,
        attention_location_n_filter: int = 32,
        attention_location_kernel_size: int = 31,
        attention_dropout: float = 0.1,
        prenet_dim: int = 256,
        postnet_n_convolution: int = 5,
        postnet_kernel_size: int = 5,
        postnet_embedding_dim: int = 512,
        gate_threshold: float = 0.5,
    ) -> None:
        super().__init__()
        self.mask_padding = mask_padding
        self.n_mels = n_mels
        self.n_frames_per_step = n_frames_per_step
        self.embedding = nn.Embedding(n_symbol, symbol_embedding_dim)
        nn.init.xavier_uniform_(self.embedding.weight)
        self.encoder = _Encoder(encoder_embedding_dim, encoder_n_convolution, encoder_kernel_size)
        self.decoder = _Decoder(
            n_mels,
            n_frames_per_step,
            encoder_embedding_dim,
            decoder_rnn_dim,
            decoder_max_step,
            decoder_dropout,
            decoder_early_stopping,
            attention_rnn_dim,
            attention_hidden_dim,
            attention_location_n_filter,
            attention_location_kernel_size,
            attention_dropout,
            prenet_dim,
            gate_threshold,
        )
        self.postnet = _Postnet(n_mels, postnet_embedding_dim, postnet_kernel_size, postnet_n_convolution)

    def _check_tokens(self, tokens: Tensor, lengths: Tensor, name: str) -> None:
        if tokens.dim() != 2:
            raise ValueError(f"Tacotron2: expected tokens of shape (n_batch, n_text), got {list(tokens.shape)}")
        if lengths.dim() != 1 or lengths.size(0) != tokens.size(0):
            raise ValueError(
                f"Tacotron2: expected {name} of shape (n_batch,) = [{tokens.size(0)}], got {list(lengths.shape)}"
            )
        if lengths.numel() > 0:
            low, high = int(lengths.min().item()), int(lengths.max().item())
            if low < 1 or high > tokens.size(1):
                raise ValueError(
                    f"Tacotron2: expected {name} between 1 and n_text = {tokens.size(1)}, got values from {low} to {high}"
                )

    def _encode(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        return self.encoder(self.embedding(tokens).transpose(1, 2), lengths)

    def forward(
        self, tokens: Tensor, token_lengths: Tensor, mel_specgram: Tensor, mel_specgram_lengths: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        r"""Teacher-forced pass (training): each decoder step sees the previous frame of ``mel_specgram``.

        ``tokens`` are zero-padded to ``max(token_lengths)``, ``mel_specgram`` to ``max(mel_specgram_lengths)``.

        Returns:
            (Tensor, Tensor, Tensor, Tensor): spectrogram before the post-net, after it, stop-token logits and
            attention weights (shapes in the class docstring).
        """
        self._check_tokens(tokens, token_lengths, "token_lengths")
        if mel_specgram.dim() != 3 or mel_specgram.size(0) != tokens.size(0) or mel_specgram.size(1) != self.n_mels:
            raise ValueError(
                f"Tacotron2: expected mel_specgram of shape (n_batch, n_mels, n_frames) = "
                f"[{tokens.size(0)}, {self.n_mels}, n_frames], got {list(mel_specgram.shape)}"
            )
        if mel_specgram_lengths.dim() != 1 or mel_specgram_lengths.size(0) != tokens.size(0):
            raise ValueError(
                f"Tacotron2: expected mel_specgram_lengths of shape (n_batch,) = [{tokens.size(0)}], "
                f"got {list(mel_specgram_lengths.shape)}"
            )
        memory = self._encode(tokens, token_lengths)
        mel, gate, alignments = self.decoder(memory, mel_specgram, token_lengths)
        mel_postnet = mel + self.postnet(mel)
        if self.mask_padding:
            # Out of place (torchaudio fills in place, which breaks its backward pass).
            mask = _padding_mask(mel_specgram_lengths, mel.size(2))
            mel = mel.masked_fill(mask.unsqueeze(1), 0.0)
            mel_postnet = mel_postnet.masked_fill(mask.unsqueeze(1), 0.0)
            gate = gate.masked_fill(mask, 1e3)
        return mel, mel_postnet, gate, alignments

    @torch.jit.export
    def infer(self, tokens: Tensor, lengths: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        r"""Generate spectrograms from zero-padded ``tokens``; ``lengths=None`` means every token is valid.

        The pre-net's dropout stays on (as in torchaudio), so the output depends on the global random generator.

        Returns:
            (Tensor, Tensor, Tensor): spectrogram after the post-net, its lengths (int32) and attention weights
            (shapes in the class docstring).
        """
        if tokens.dim() != 2:
            raise ValueError(f"Tacotron2: expected tokens of shape (n_batch, n_text), got {list(tokens.shape)}")
        if lengths is None:
            lengths = torch.full((tokens.size(0),), tokens.size(1), dtype=tokens.dtype, device=tokens.device)
        assert lengths is not None  # for TorchScript
        self._check_tokens(tokens, lengths, "lengths")
        memory = self._encode(tokens, lengths)
        mel, mel_lengths, _, alignments = self.decoder.infer(memory, lengths)
        return mel + self.postnet(mel), mel_lengths, alignments
