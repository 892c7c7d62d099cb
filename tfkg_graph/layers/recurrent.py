"""SimpleRNN, LSTM and GRU (Keras 3 names, arguments, defaults, gate order and weights).

The input projection of every step is one MatMul before the time loop; each step is then a handful of
MatMul/Split/Sigmoid/Tanh/Mul ops. With ``unroll=False`` (Keras' default) the steps run in a While loop
(``graph/ops/control_flow.py``) over any number of steps, known or not, whose gradient comes from our
While rule; ``unroll=True`` writes one copy of the cell per step (a known number of steps). Masks
(``Embedding(mask_zero=True)``) follow Keras' TF backend: at a masked step the states and the output of
the previous step are carried through (SelectV2), and with ``zero_output_for_mask`` the masked outputs
are zeros. Weights are named like Keras' cell weights (``lstm/lstm_cell/kernel``). ``stateful=True``
carries the final states from call to call in variables of the fixed batch size (``rnn_state.py``). Dropout uses one mask per call for the inputs and one for the recurrent state, shared by
every gate and step (drawn before the loop).
"""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..graph.ops import array, constants, math
from .base import (Layer, flatten, get_activation, get_constraint, get_initializer, get_regularizer,
                   serialize)
from .rnn import time_loop
from .rnn_cells import (UnitForgetBias, dropout_mask, gru_input_bias, gru_recurrent, gru_step, lstm_step,
                        simple_rnn_step)
from .rnn_state import StatefulMixin

_dropout_mask, _UnitForgetBias = dropout_mask, UnitForgetBias  # their older names here


class _RNN(StatefulMixin, Layer):
    """The shared recurrent layer: arguments, weights, the unrolled loop, masks and outputs.

    Subclasses give ``gates`` (kernel columns per unit), ``state_count``, the cell name, and ``_step``:
    (projected input of one step, states) -> new states, whose first entry is the step's output.
    """

    gates = 1
    state_count = 1
    cell_name = "cell"
    supports_masking = True

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, zero_output_for_mask: bool = False, **kwargs: Any):
        kwargs.pop("use_cudnn", None)
        kwargs.pop("implementation", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if int(units) < 1:
            raise ValueError(f"{type(self).__name__} units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.recurrent_initializer = get_initializer(recurrent_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.recurrent_regularizer = get_regularizer(recurrent_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.recurrent_constraint = get_constraint(recurrent_constraint)
        self.bias_constraint = get_constraint(bias_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.states = None
        self.zero_output_for_mask = bool(zero_output_for_mask)

    # -- weights -------------------------------------------------------------------------------------------
    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} ({self.name}) expects inputs of shape (batch, steps, "
                             f"features) with known features, got {input_shape}")
        width = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name=f"{self.cell_name}/kernel")
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint,
                                                name=f"{self.cell_name}/recurrent_kernel")
        self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint,
                                    name=f"{self.cell_name}/bias") if self.use_bias else None
        if self.stateful:
            self.build_states(input_shape[0], [self.units] * self.state_count, self.dtype)

    # -- the loop --------------------------------------------------------------------------------------------
    def _input_bias(self) -> Tensor | None:
        return self.bias.value() if self.bias is not None else None

    def _project(self, sequences: Tensor, training: bool) -> Tensor:
        """``x_t @ kernel + input bias`` for every step in one MatMul: (batch, steps, gates * units)."""
        features = sequences.shape[-1]
        if training and 0 < self.dropout < 1:
            sequences = sequences * array.expand_dims(_dropout_mask(sequences[:, 0, :], self.dropout, self.seed), 1)
        flat = math.matmul(array.reshape(sequences, [-1, features]), self.kernel.value())
        bias = self._input_bias()
        if bias is not None:
            flat = flat + bias
        dims = array.shape(sequences)
        steps = sequences.shape[1] if sequences.shape[1] is not None else dims[1]
        return array.reshape(flat, array.stack([dims[0], constants.constant(steps, "int32") if isinstance(
            steps, int) else steps, constants.constant(self.gates * self.units, "int32")]))

    def _step(self, x: Tensor, h_in: Tensor, states: list[Tensor], recurrent: dict[str, Tensor]) -> list[Tensor]:
        """(projected input, the previous output after recurrent dropout, the states) -> new states."""
        raise NotImplementedError

    def _recurrent_weights(self) -> dict[str, Tensor]:
        """Weights read once before the loop (reads and slices are not repeated per step)."""
        return {"kernel": self.recurrent_kernel.value()}

    @property
    def unrolled(self) -> bool:  # one copy of the cell per step in the graph (ModelRuntime skips grappler on big ones)
        return self.unroll

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if sequences.rank != 3:
            raise ValueError(f"{type(self).__name__} ({self.name}) expects (batch, steps, features), "
                             f"got {sequences.shape}")
        steps = sequences.shape[1]
        if self.unroll and steps is None:
            raise ValueError(f"{type(self).__name__} ({self.name}) with unroll=True needs a known number of "
                             f"steps: give Input a full shape or use unroll=False, got {sequences.shape}")
        projected = self._project(sequences, training)
        if initial_state is None and self.stateful:
            states = self.read_states(sequences)
        elif initial_state is None:
            zeros = array.fill(array.stack([array.shape(sequences)[0], constants.constant(self.units, "int32")]),
                               constants.constant(0, sequences.dtype))
            states = [zeros] * self.state_count
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) != self.state_count:
                raise ValueError(f"{type(self).__name__} ({self.name}) takes {self.state_count} initial "
                                 f"state(s), got {len(states)}")
        recurrent_drop = (_dropout_mask(states[0], self.recurrent_dropout, self.seed)
                          if training and 0 < self.recurrent_dropout < 1 else None)
        recurrent = self._recurrent_weights()

        def step(x: Tensor, states: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
            h_in = states[0] * recurrent_drop if recurrent_drop is not None else states[0]
            new_states = self._step(x, h_in, states, recurrent)
            return new_states[0], new_states

        sequence, output, states = time_loop(
            step, projected, states, mask, self.units, go_backwards=self.go_backwards, unroll=self.unroll,
            return_sequences=self.return_sequences, zero_output_for_mask=self.zero_output_for_mask)
        result = sequence if self.return_sequences else output
        if self.stateful:
            result, *states = self.update_states([result, *states], states)
        return [result, *states] if self.return_state else result

    def keras_weight_path(self, weight) -> str:
        """Where Keras 3 tracks the weight inside the layer object (checkpoint paths): ``cell/kernel``."""
        return "cell/" + weight.name.rsplit("/", 1)[-1]

    def compute_mask(self, inputs, previous_mask=None):
        output_mask = flatten(previous_mask)[0] if self.return_sequences and previous_mask is not None else None
        return [output_mask] + [None] * self.state_count if self.return_state else output_mask

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": serialize(self.kernel_initializer),
                "recurrent_initializer": serialize(self.recurrent_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": serialize(self.kernel_regularizer),
                "recurrent_regularizer": serialize(self.recurrent_regularizer),
                "bias_regularizer": serialize(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "recurrent_constraint": serialize(self.recurrent_constraint),
                "bias_constraint": serialize(self.bias_constraint), "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}


class SimpleRNN(_RNN):
    """``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``."""

    cell_name = "simple_rnn_cell"

    def _step(self, x, h_in, states, recurrent):
        return simple_rnn_step(x, h_in, recurrent, self.activation)

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "seed"}  # Keras leaves it out too


class LSTM(_RNN):
    """Keras gate order i, f, c, o in the kernel columns; ``unit_forget_bias`` starts the forget bias at 1."""

    gates = 4
    state_count = 2
    cell_name = "lstm_cell"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        return _UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else self.bias_initializer

    def _step(self, x, h_in, states, recurrent):
        return lstm_step(x, h_in, states[1], recurrent, self.activation, self.recurrent_activation)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRU(_RNN):
    """Keras gate order z, r, h; ``reset_after=True`` (the default) keeps a second bias row for the
    recurrent projection and applies the reset gate after the recurrent MatMul."""

    gates = 3
    cell_name = "gru_cell"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 reset_after: bool = True, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return gru_input_bias(self.bias.value() if self.bias is not None else None, self.reset_after)

    def _recurrent_weights(self):
        return gru_recurrent(self.recurrent_kernel.value(), self.bias.value() if self.bias is not None else None,
                             self.units, self.reset_after)

    def _step(self, x, h_in, states, recurrent):
        return gru_step(x, h_in, states[0], recurrent, self.activation, self.recurrent_activation, self.reset_after)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
