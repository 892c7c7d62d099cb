"""Keras 3's recurrent cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells) and the step math that
the SimpleRNN/LSTM/GRU layers (``recurrent.py``) share with them.

A cell computes one time step: ``call(inputs, states, training) -> (output, new_states)``; ``layers.RNN``
(``rnn.py``) runs it over time. The step functions below take the input already projected by the kernel
(``x @ kernel + input bias``): the layers project every step in one MatMul before their loop, a cell
projects its one step. Dropout masks are drawn once per RNN call, before the loop (a loop body holds no
random ops: the While gradient recomputes each step), and shared by every step, as Keras' cells do.
"""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops.state import Initializer
from .base import Layer, get_activation, get_constraint, get_initializer, get_regularizer, serialize


# ---- step math shared with recurrent.py ----------------------------------------------------------------------
def dropout_mask(like: Tensor, rate: float, seed: int | None) -> Tensor:
    """A (batch, features) keep-mask scaled by 1/(1-rate), drawn once per call like Keras' RNN cells."""
    graph = like.graph
    s1, s2 = graph.next_seed()
    uniform = graph.create_op("RandomUniform", [array.shape(like)], {
        "dtype": like.dtype, "seed": s1 if seed is None else int(seed), "seed2": s2}).outputs[0]
    return math.cast(math.greater_equal(uniform, rate), like.dtype) * (1.0 / (1.0 - rate))


class UnitForgetBias(Initializer):
    """LSTM bias blocks [i, f, c, o]: ``init`` everywhere except ones for the forget gate."""

    def __init__(self, init: Initializer):
        self.init = init

    def __call__(self, shape, dtype="float32", graph=None):
        units = shape[0] // 4
        return array.concat([self.init((units,), dtype), array.ones((units,), dtype),
                             self.init((2 * units,), dtype)], 0)


def simple_rnn_step(x: Tensor, h_in: Tensor, recurrent: dict[str, Tensor], activation: Any) -> list[Tensor]:
    """``activation(x + h_{t-1} @ recurrent_kernel)``; ``h_in`` is the (dropped-out) previous state."""
    return [activation(x + math.matmul(h_in, recurrent["kernel"]))]


def lstm_step(x: Tensor, h_in: Tensor, c: Tensor, recurrent: dict[str, Tensor], activation: Any,
              recurrent_activation: Any) -> list[Tensor]:
    """Keras' gate order i, f, c, o in the columns; returns [h, c]."""
    i, f, g, o = array.split(x + math.matmul(h_in, recurrent["kernel"]), 4, axis=1)
    c = recurrent_activation(f) * c + recurrent_activation(i) * activation(g)
    return [recurrent_activation(o) * activation(c), c]


def gru_recurrent(kernel: Tensor, bias: Tensor | None, units: int, reset_after: bool) -> dict[str, Tensor]:
    """The GRU's recurrent weights as the step uses them (read once before a loop)."""
    if reset_after:
        return {"kernel": kernel, "bias": bias[1] if bias is not None else None}
    return {"gates": kernel[:, :2 * units], "candidate": kernel[:, 2 * units:]}


def gru_input_bias(bias: Tensor | None, reset_after: bool) -> Tensor | None:
    if bias is None:
        return None
    return bias[0] if reset_after else bias


def gru_step(x: Tensor, h_in: Tensor, h: Tensor, recurrent: dict[str, Tensor], activation: Any,
             recurrent_activation: Any, reset_after: bool) -> list[Tensor]:
    """Keras' gate order z, r, h. ``h_in`` (dropped out) feeds the recurrent MatMuls, ``h`` the blend."""
    x_z, x_r, x_h = array.split(x, 3, axis=1)
    if reset_after:
        inner = math.matmul(h_in, recurrent["kernel"])
        if recurrent["bias"] is not None:
            inner = inner + recurrent["bias"]
        r_z, r_r, r_h = array.split(inner, 3, axis=1)
        z = recurrent_activation(x_z + r_z)
        r = recurrent_activation(x_r + r_r)
        candidate = activation(x_h + r * r_h)
    else:
        r_z, r_r = array.split(math.matmul(h_in, recurrent["gates"]), 2, axis=1)
        z = recurrent_activation(x_z + r_z)
        r = recurrent_activation(x_r + r_r)
        candidate = activation(x_h + math.matmul(r * h_in, recurrent["candidate"]))
    return [z * h + (1.0 - z) * candidate]


# ---- cells ---------------------------------------------------------------------------------------------------
class _Cell(Layer):
    """What Keras' three cells share: arguments, ``kernel``/``recurrent_kernel``/``bias`` and dropout.

    Subclasses give ``gates`` (kernel columns per unit), ``state_count`` and ``_step``."""

    gates = 1
    state_count = 1

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        if int(units) < 1:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        self.units = int(units)
        self.activation = get_activation(activation)
        self.use_bias = bool(use_bias)
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
        self.state_size: Any = self.units if self.state_count == 1 else [self.units] * self.state_count
        self.output_size = self.units
        self._masks: tuple[Tensor | None, Tensor | None] | None = None

    # -- weights ---------------------------------------------------------------------------------------------
    def _bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape):
        width = self.gates * self.units
        self.kernel = self.add_weight((input_shape[-1], width), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, width), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint, name="recurrent_kernel")
        self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, name="bias") if self.use_bias else None

    def _input_bias(self) -> Tensor | None:
        return self.bias.value() if self.bias is not None else None

    def _recurrent(self) -> dict[str, Tensor]:
        return {"kernel": self.recurrent_kernel.value()}

    # -- dropout (drawn before a loop, as Keras' DropoutRNNCell caches its masks per call) ---------------------
    def prepare_dropout(self, inputs: Tensor, state: Tensor, training: bool) -> None:
        """Draws this call's masks for ``inputs`` (one step's) and the state, or none when not training."""
        drop_in = dropout_mask(inputs, self.dropout, self.seed) if training and 0 < self.dropout < 1 else None
        drop_state = (dropout_mask(state, self.recurrent_dropout, self.seed)
                      if training and 0 < self.recurrent_dropout < 1 else None)
        self._masks = (drop_in, drop_state)

    def reset_dropout(self) -> None:
        self._masks = None

    # -- one step --------------------------------------------------------------------------------------------
    def _step(self, x: Tensor, h_in: Tensor, states: list[Tensor], recurrent: dict[str, Tensor]) -> list[Tensor]:
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        single = not isinstance(states, (list, tuple))
        states = [states] if single else list(states)
        if len(states) != self.state_count:
            raise ValueError(f"{type(self).__name__} ({self.name}) takes {self.state_count} state(s), "
                             f"got {len(states)}")
        if self._masks is None:  # called on its own, not by an RNN: draw the masks for this step
            self.prepare_dropout(inputs, states[0], bool(training))
            drop_in, drop_state = self._masks
            self._masks = None
        else:
            drop_in, drop_state = self._masks
        x = math.matmul(inputs * drop_in if drop_in is not None else inputs, self.kernel.value())
        bias = self._input_bias()
        if bias is not None:
            x = x + bias
        h_in = states[0] * drop_state if drop_state is not None else states[0]
        new_states = self._step(x, h_in, states, self._recurrent())
        return new_states[0], (new_states[0] if single and len(new_states) == 1 else new_states)

    def get_initial_state(self, batch_size: Any = None) -> list[Tensor]:
        """Zeros of (batch_size, units) per state; ``batch_size`` may be a scalar int32 Tensor."""
        from ..graph.ops import constants
        batch = batch_size if isinstance(batch_size, Tensor) else constants.constant(int(batch_size), "int32")
        zeros = array.fill(array.stack([batch, constants.constant(self.units, "int32")]),
                           constants.constant(0, self.dtype))
        return [zeros] * self.state_count

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
                "recurrent_dropout": self.recurrent_dropout, "seed": self.seed}


class SimpleRNNCell(_Cell):
    """``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``."""

    def _step(self, x, h_in, states, recurrent):
        return simple_rnn_step(x, h_in, recurrent, self.activation)


class LSTMCell(_Cell):
    """Keras' gate order i, f, c, o; ``unit_forget_bias`` starts the forget bias at 1; states [h, c]."""

    gates = 4
    state_count = 2

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any):
        super().__init__(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = get_activation(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        return UnitForgetBias(self.bias_initializer) if self.unit_forget_bias else self.bias_initializer

    def _step(self, x, h_in, states, recurrent):
        return lstm_step(x, h_in, states[1], recurrent, self.activation, self.recurrent_activation)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_Cell):
    """Keras' gate order z, r, h; ``reset_after=True`` keeps a second bias row for the recurrent MatMul."""

    gates = 3

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

    def _recurrent(self):
        return gru_recurrent(self.recurrent_kernel.value(), self.bias.value() if self.bias is not None else None,
                             self.units, self.reset_after)

    def _step(self, x, h_in, states, recurrent):
        return gru_step(x, h_in, states[0], recurrent, self.activation, self.recurrent_activation,
                        self.reset_after)

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation),
                "reset_after": self.reset_after}


# ---- stacks --------------------------------------------------------------------------------------------------
def _state_sizes(cell: Any) -> list[int]:
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


def output_size_of(cell: Any) -> int:
    """``cell.output_size``, else its first state's size (Keras' rule)."""
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else int(_state_sizes(cell)[0])


def call_cell(cell: Any, inputs: Tensor, states: Any, training: bool) -> tuple[Tensor, Any]:
    """``cell.call(inputs, states)``, with ``training`` when the cell's call takes it (as Keras passes it)."""
    if getattr(cell, "_call_has_training", False):
        return cell.call(inputs, states, training=training)
    return cell.call(inputs, states)


class StackedRNNCells(Layer):
    """A stack of cells run as one cell: each cell's output is the next one's input; the states are one
    entry per cell (a list for a cell with several states), as Keras 3."""

    def __init__(self, cells: list[Any], **kwargs: Any):
        super().__init__(**kwargs)
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: "
                                 f"{cell}")
            if getattr(cell, "state_size", None) is None:
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = list(cells)

    @property
    def state_size(self) -> list[Any]:
        return [c.state_size for c in self.cells]

    def count_params(self) -> int:
        return sum(cell.count_params() for cell in self.cells if isinstance(cell, Layer))

    @property
    def output_size(self) -> int:
        return output_size_of(self.cells[-1])

    def build(self, input_shape):
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], output_size_of(cell))

    def prepare_dropout(self, inputs: Tensor, state: Any, training: bool) -> None:
        """Each cell's masks: the first cell's for ``inputs``, the next ones' for the previous output."""
        from ..graph.ops import constants
        batch = array.shape(inputs)[0]
        for i, cell in enumerate(self.cells):
            if hasattr(cell, "prepare_dropout"):
                first = (inputs if i == 0 else array.fill(array.stack([batch, constants.constant(
                    output_size_of(self.cells[i - 1]), "int32")]), constants.constant(0, inputs.dtype)))
                first_state = array.fill(array.stack([batch, constants.constant(_state_sizes(cell)[0], "int32")]),
                                         constants.constant(0, inputs.dtype))
                cell.prepare_dropout(first, first_state, training)

    def reset_dropout(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "reset_dropout"):
                cell.reset_dropout()

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            is_list = isinstance(cell_states, (list, tuple))
            inputs, cell_states = call_cell(cell, inputs, list(cell_states) if is_list else [cell_states], training)
            cell_states = list(cell_states) if isinstance(cell_states, (list, tuple)) else [cell_states]
            new_states.append(cell_states[0] if len(cell_states) == 1 and not is_list else cell_states)
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)

    def get_initial_state(self, batch_size: Any = None) -> list[Any]:
        from ..graph.ops import constants
        batch = batch_size if isinstance(batch_size, Tensor) else constants.constant(int(batch_size), "int32")
        out: list[Any] = []
        for cell in self.cells:
            if hasattr(cell, "get_initial_state"):
                states = cell.get_initial_state(batch_size=batch)
            else:
                states = [array.fill(array.stack([batch, constants.constant(d, "int32")]),
                                     constants.constant(0, self.dtype)) for d in _state_sizes(cell)]
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            out.append(states if isinstance(cell.state_size, (list, tuple)) else states[0])
        return out

    def get_config(self):
        from .registry import serialize as serialize_layer
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .registry import deserialize
        config = dict(config)
        cells = [deserialize(c, custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)
