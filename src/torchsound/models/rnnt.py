"""Recurrent neural network transducer (RNN-T) with torchaudio 2.8's names, state_dict keys and numerics.

An RNN-T has three parts: a transcriber (here Emformer, streaming) turns source frames into encodings, a
predictor (embedding + layer-normalised LSTMs) turns the emitted tokens into encodings, and a joiner adds
every source encoding to every target encoding and projects the sum onto the token logits.

Private names that torchaudio's prototype models import (``_TimeReduction``, ``_Transcriber``, ``_Predictor``,
``_Joiner``) keep their signatures.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from .emformer import Emformer

__all__ = ["RNNT", "emformer_rnnt_base", "emformer_rnnt_model"]


class _TimeReduction(nn.Module):
    """Stacks ``stride`` consecutive frames into one; a trailing incomplete group is dropped.

    Shape: ``(B, T, D)``, lengths ``(B,)`` -> ``(B, T // stride, D * stride)``, ``lengths // stride``.
    """

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride

    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        batch, frames, dim = input.shape
        kept = frames // self.stride
        output = input[:, : kept * self.stride].reshape(batch, kept, dim * self.stride).contiguous()
        return output, lengths.div(self.stride, rounding_mode="trunc")


class _CustomLSTM(nn.Module):
    """One LSTM layer, optionally layer-normalising the gates and the cell (then the input projection has no bias).

    Gate order in ``x2g``/``p2g``: input, forget, cell, output.

    Shape: ``(T, B, input_dim)``, state ``[h, c]`` each ``(B, hidden_dim)`` or ``None`` ->
    ``(T, B, hidden_dim)``, ``[h, c]``.
    """

    def __init__(self, input_dim: int, hidden_dim: int, layer_norm: bool = False, layer_norm_epsilon: float = 1e-5):
        super().__init__()
        self.x2g = nn.Linear(input_dim, 4 * hidden_dim, bias=not layer_norm)
        self.p2g = nn.Linear(hidden_dim, 4 * hidden_dim, bias=False)
        if layer_norm:
            self.c_norm: nn.Module = nn.LayerNorm(hidden_dim, eps=layer_norm_epsilon)
            self.g_norm: nn.Module = nn.LayerNorm(4 * hidden_dim, eps=layer_norm_epsilon)
        else:
            self.c_norm = nn.Identity()
            self.g_norm = nn.Identity()
        self.hidden_dim = hidden_dim

    def forward(self, input: Tensor, state: Optional[List[Tensor]]) -> Tuple[Tensor, List[Tensor]]:
        if state is None:
            h = input.new_zeros(input.shape[1], self.hidden_dim)
            c = input.new_zeros(input.shape[1], self.hidden_dim)
        else:
            h, c = state[0], state[1]
        # The input's share of the gates for all steps at once; only the recurrent part is sequential.
        from_input = self.x2g(input)
        outputs: List[Tensor] = []
        for step in from_input.unbind(0):
            gates = self.g_norm(step + self.p2g(h))
            i, f, g, o = gates.chunk(4, 1)
            c = self.c_norm(f.sigmoid() * c + i.sigmoid() * g.tanh())
            h = o.sigmoid() * c.tanh()
            outputs.append(h)
        return torch.stack(outputs), [h, c]


class _Transcriber(ABC):
    """What :class:`RNNT` needs of a transcription network: ``forward`` (whole input) and ``infer`` (streaming)."""

    @abstractmethod
    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        pass

    @abstractmethod
    def infer(
        self, input: Tensor, lengths: Tensor, states: Optional[List[List[Tensor]]]
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        pass


class _EmformerEncoder(nn.Module, _Transcriber):
    """Transcription network: linear, time reduction, Emformer, linear, layer norm.

    ``segment_length`` and ``right_context_length`` count input frames; the Emformer sees them divided by
    ``time_reduction_stride``.

    Shape: ``(B, T + right_context_length, input_dim)`` -> ``(B, T // time_reduction_stride, output_dim)``.
    """

    def __init__(
        self,
        *,
        input_dim: int,
        output_dim: int,
        segment_length: int,
        right_context_length: int,
        time_reduction_input_dim: int,
        time_reduction_stride: int,
        transformer_num_heads: int,
        transformer_ffn_dim: int,
        transformer_num_layers: int,
        transformer_left_context_length: int,
        transformer_dropout: float = 0.0,
        transformer_activation: str = "relu",
        transformer_max_memory_size: int = 0,
        transformer_weight_init_scale_strategy: Optional[str] = "depthwise",
        transformer_tanh_on_mem: bool = False,
    ) -> None:
        super().__init__()
        self.input_linear = nn.Linear(input_dim, time_reduction_input_dim, bias=False)
        self.time_reduction = _TimeReduction(time_reduction_stride)
        width = time_reduction_input_dim * time_reduction_stride
        self.transformer = Emformer(
            width,
            transformer_num_heads,
            transformer_ffn_dim,
            transformer_num_layers,
            segment_length // time_reduction_stride,
            dropout=transformer_dropout,
            activation=transformer_activation,
            left_context_length=transformer_left_context_length,
            right_context_length=right_context_length // time_reduction_stride,
            max_memory_size=transformer_max_memory_size,
            weight_init_scale_strategy=transformer_weight_init_scale_strategy,
            tanh_on_mem=transformer_tanh_on_mem,
        )
        self.output_linear = nn.Linear(width, output_dim)
        self.layer_norm = nn.LayerNorm(output_dim)
        self._input_dim = input_dim

    def _check(self, input: Tensor, name: str) -> None:
        if input.dim() != 3 or input.shape[2] != self._input_dim:
            raise ValueError(
                f"RNNT.{name} expects sources of shape (batch, frame, {self._input_dim}); got shape {list(input.shape)}"
            )

    def forward(self, input: Tensor, lengths: Tensor) -> Tuple[Tensor, Tensor]:
        self._check(input, "transcribe")
        x, x_lengths = self.time_reduction(self.input_linear(input), lengths)
        x, x_lengths = self.transformer(x, x_lengths)
        return self.layer_norm(self.output_linear(x)), x_lengths

    @torch.jit.export
    def infer(
        self, input: Tensor, lengths: Tensor, states: Optional[List[List[Tensor]]]
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        self._check(input, "transcribe_streaming")
        x, x_lengths = self.time_reduction(self.input_linear(input), lengths)
        x, x_lengths, states_out = self.transformer.infer(x, x_lengths, states)
        return self.layer_norm(self.output_linear(x)), x_lengths, states_out


class _Predictor(nn.Module):
    """Prediction network: embedding, layer norm, LSTM layers (dropout after each), linear, layer norm.

    Shape: tokens ``(B, U)`` -> ``(B, U, output_dim)``; the state is one ``[h, c]`` per LSTM layer.
    """

    def __init__(
        self,
        num_symbols: int,
        output_dim: int,
        symbol_embedding_dim: int,
        num_lstm_layers: int,
        lstm_hidden_dim: int,
        lstm_layer_norm: bool = False,
        lstm_layer_norm_epsilon: float = 1e-5,
        lstm_dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_symbols, symbol_embedding_dim)
        self.input_layer_norm = nn.LayerNorm(symbol_embedding_dim)
        self.lstm_layers = nn.ModuleList(
            [
                _CustomLSTM(
                    lstm_hidden_dim if k > 0 else symbol_embedding_dim,
                    lstm_hidden_dim,
                    layer_norm=lstm_layer_norm,
                    layer_norm_epsilon=lstm_layer_norm_epsilon,
                )
                for k in range(num_lstm_layers)
            ]
        )
        self.dropout = nn.Dropout(p=lstm_dropout)
        self.linear = nn.Linear(lstm_hidden_dim, output_dim)
        self.output_layer_norm = nn.LayerNorm(output_dim)
        self.lstm_dropout = lstm_dropout
        self._num_layers = num_lstm_layers

    def forward(
        self, input: Tensor, lengths: Tensor, state: Optional[List[List[Tensor]]] = None
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        if input.dim() != 2:
            raise ValueError(f"RNNT.predict expects targets of shape (batch, token); got shape {list(input.shape)}")
        if state is not None and len(state) != self._num_layers:
            raise ValueError(f"RNNT.predict expects a state of {self._num_layers} LSTM layers; got {len(state)}")
        x = self.input_layer_norm(self.embedding(input.t()))
        new_state: List[List[Tensor]] = []
        for k, lstm in enumerate(self.lstm_layers):
            x, layer_state = lstm(x, None if state is None else state[k])
            x = self.dropout(x)
            new_state.append(layer_state)
        return self.output_layer_norm(self.linear(x)).permute(1, 0, 2), lengths, new_state


class _Joiner(nn.Module):
    """Joint network: ``linear(activation(source[:, :, None] + target[:, None]))``.

    Shape: ``(B, T, D)`` and ``(B, U, D)`` -> ``(B, T, U, output_dim)``.
    """

    def __init__(self, input_dim: int, output_dim: int, activation: str = "relu") -> None:
        super().__init__()
        self.linear = nn.Linear(input_dim, output_dim, bias=True)
        if activation == "relu":
            self.activation: nn.Module = nn.ReLU()
        elif activation == "tanh":
            self.activation = nn.Tanh()
        else:
            raise ValueError(f"activation must be 'relu' or 'tanh'; got {activation!r}")

    def forward(
        self, source_encodings: Tensor, source_lengths: Tensor, target_encodings: Tensor, target_lengths: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        if source_encodings.dim() != 3 or target_encodings.dim() != 3:
            raise ValueError(
                "RNNT.join expects source_encodings (batch, frame, dim) and target_encodings (batch, token, dim); "
                f"got shapes {list(source_encodings.shape)} and {list(target_encodings.shape)}"
            )
        joint = source_encodings.unsqueeze(2) + target_encodings.unsqueeze(1)
        return self.linear(self.activation(joint)), source_lengths, target_lengths


class RNNT(nn.Module):
    """Recurrent neural network transducer (Graves, 2012). Build it with a factory such as
    :func:`emformer_rnnt_base`.

    Args:
        transcriber (torch.nn.Module): transcription network (``forward`` and ``infer``).
        predictor (torch.nn.Module): prediction network.
        joiner (torch.nn.Module): joint network.

    Shape:
        ``forward(sources, source_lengths, targets, target_lengths, predictor_state)``: sources ``(B, T, D)``
        (right-padded with the right context), targets ``(B, U)`` -> logits ``(B, T', U, num_symbols)`` with
        ``T' = (T - right_context_length) // time_reduction_stride``, source lengths ``(B,)``, target lengths
        ``(B,)`` and the predictor state.
    """

    def __init__(self, transcriber: _Transcriber, predictor: _Predictor, joiner: _Joiner) -> None:
        super().__init__()
        self.transcriber = transcriber
        self.predictor = predictor
        self.joiner = joiner

    def forward(
        self,
        sources: Tensor,
        source_lengths: Tensor,
        targets: Tensor,
        target_lengths: Tensor,
        predictor_state: Optional[List[List[Tensor]]] = None,
    ) -> Tuple[Tensor, Tensor, Tensor, List[List[Tensor]]]:
        """Training pass: transcribe, predict, join.

        Returns:
            ``(logits (B, T', U, num_symbols), source_lengths, target_lengths, predictor_state)``.
        """
        source_encodings, source_lengths = self.transcriber(input=sources, lengths=source_lengths)
        target_encodings, target_lengths, predictor_state = self.predictor(
            input=targets, lengths=target_lengths, state=predictor_state
        )
        output, source_lengths, target_lengths = self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
        )
        return output, source_lengths, target_lengths, predictor_state

    @torch.jit.export
    def transcribe_streaming(
        self, sources: Tensor, source_lengths: Tensor, state: Optional[List[List[Tensor]]]
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        """Transcription of one segment (``segment_length + right_context_length`` frames) of a stream.

        Shape: ``(B, segment_length + right_context_length, D)`` -> ``(B, segment_length // stride, encoding_dim)``,
        lengths ``(B,)``, state for the next call.
        """
        return self.transcriber.infer(sources, source_lengths, state)

    @torch.jit.export
    def transcribe(self, sources: Tensor, source_lengths: Tensor) -> Tuple[Tensor, Tensor]:
        """Transcription of whole sequences (right-padded with the right context).

        Shape: ``(B, T, D)`` -> ``(B, T', encoding_dim)``, lengths ``(B,)``.
        """
        return self.transcriber(sources, source_lengths)

    @torch.jit.export
    def predict(
        self, targets: Tensor, target_lengths: Tensor, state: Optional[List[List[Tensor]]]
    ) -> Tuple[Tensor, Tensor, List[List[Tensor]]]:
        """Prediction network over tokens, continuing from ``state`` (``None`` at the start).

        Shape: ``(B, U)`` -> ``(B, U, encoding_dim)``, lengths ``(B,)``, state.
        """
        return self.predictor(input=targets, lengths=target_lengths, state=state)

    @torch.jit.export
    def join(
        self, source_encodings: Tensor, source_lengths: Tensor, target_encodings: Tensor, target_lengths: Tensor
    ) -> Tuple[Tensor, Tensor, Tensor]:
        """Joint network over every (source frame, target token) pair.

        Shape: ``(B, T, D)`` and ``(B, U, D)`` -> ``(B, T, U, num_symbols)``, source lengths, target lengths.
        """
        return self.joiner(
            source_encodings=source_encodings,
            source_lengths=source_lengths,
            target_encodings=target_encodings,
            target_lengths=target_lengths,
        )


def emformer_rnnt_model(
    *,
    input_dim: int,
    encoding_dim: int,
    num_symbols: int,
    segment_length: int,
    right_context_length: int,
    time_reduction_input_dim: int,
    time_reduction_stride: int,
    transformer_num_heads: int,
    transformer_ffn_dim: int,
    transformer_num_layers: int,
    transformer_dropout: float,
    transformer_activation: str,
    transformer_left_context_length: int,
    transformer_max_memory_size: int,
    transformer_weight_init_scale_strategy: Optional[str],
    transformer_tanh_on_mem: bool,
    symbol_embedding_dim: int,
    num_lstm_layers: int,
    lstm_layer_norm: bool,
    lstm_layer_norm_epsilon: float,
    lstm_dropout: float,
) -> RNNT:
    """Emformer-based :class:`RNNT`.

    ``transcribe`` expects whole sequences followed by ``right_context_length`` frames; ``transcribe_streaming``
    expects segments of ``segment_length`` frames followed by ``right_context_length`` frames. Both lengths count
    input frames (before time reduction). The predictor's LSTMs have ``symbol_embedding_dim`` units.

    Args: see torchaudio's documentation; each ``transformer_*`` argument goes to :class:`Emformer`, each
    ``lstm_*`` one to the predictor's LSTM layers, ``encoding_dim`` is the width both networks project to
    before the joiner, ``num_symbols`` the joiner's output size.
    """
    encoder = _EmformerEncoder(
        input_dim=input_dim,
        output_dim=encoding_dim,
        segment_length=segment_length,
        right_context_length=right_context_length,
        time_reduction_input_dim=time_reduction_input_dim,
        time_reduction_stride=time_reduction_stride,
        transformer_num_heads=transformer_num_heads,
        transformer_ffn_dim=transformer_ffn_dim,
        transformer_num_layers=transformer_num_layers,
        transformer_dropout=transformer_dropout,
        transformer_activation=transformer_activation,
        transformer_left_context_length=transformer_left_context_length,
        transformer_max_memory_size=transformer_max_memory_size,
        transformer_weight_init_scale_strategy=transformer_weight_init_scale_strategy,
        transformer_tanh_on_mem=transformer_tanh_on_mem,
    )
    predictor = _Predictor(
        num_symbols,
        encoding_dim,
        symbol_embedding_dim=symbol_embedding_dim,
        num_lstm_layers=num_lstm_layers,
        lstm_hidden_dim=symbol_embedding_dim,
        lstm_layer_norm=lstm_layer_norm,
        lstm_layer_norm_epsilon=lstm_layer_norm_epsilon,
        lstm_dropout=lstm_dropout,
    )
    return RNNT(encoder, predictor, _Joiner(encoding_dim, num_symbols))


def emformer_rnnt_base(num_symbols: int) -> RNNT:
    """The Emformer RNN-T of torchaudio's ``EMFORMER_RNNT_BASE_LIBRISPEECH`` bundle: 80 mel inputs, 20 Emformer
    layers of width 512 (stride 4), segments of 16 frames with 4 look-ahead frames, 3 LSTM layers of 512 units,
    encodings of width 1024.

    Args:
        num_symbols (int): size of the token set.
    """
    return emformer_rnnt_model(
        input_dim=80,
        encoding_dim=1024,
        num_symbols=num_symbols,
        segment_length=16,
        right_context_length=4,
        time_reduction_input_dim=128,
        time_reduction_stride=4,
        transformer_num_heads=8,
        transformer_ffn_dim=2048,
        transformer_num_layers=20,
        transformer_dropout=0.1,
        transformer_activation="gelu",
        transformer_left_context_length=30,
        transformer_max_memory_size=0,
        transformer_weight_init_scale_strategy="depthwise",
        transformer_tanh_on_mem=True,
        symbol_embedding_dim=512,
        num_lstm_layers=3,
        lstm_layer_norm=True,
        lstm_layer_norm_epsilon=1e-3,
        lstm_dropout=0.3,
    )
