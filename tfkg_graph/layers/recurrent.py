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
from ..graph.ops import array, constants, control_flow, math
from ..graph.ops.state import Initializer
from ..runtime import dtypes
from .base import (Layer, flatten, get_activation, get_constraint, get_initializer, get_regularizer,
                   serialize)
from .rnn_state import StatefulMixin


def _dropout_mask(like: Tensor, rate: float, seed: int | None) -> Tensor:
    """A (batch, features) keep-mask scaled by 1/(1-rate), drawn once per call like Keras' RNN cells."""
    graph = like.graph
    s1, s2 = graph.next_seed()
    uniform = graph.create_op("RandomUniform", [array.shape(like)], {
        "dtype": like.dtype, "seed": s1 if seed is None else int(seed), "seed2": s2}).outputs[0]
    return math.cast(math.greater_equal(uniform, rate), like.dtype) * (1.0 / (1.0 - rate))


class _UnitForgetBias(Initializer):
    """LSTM bias blocks [i, f, c, o]: ``init`` everywhere except ones for the forget gate."""

    def __init__(self, init: Initializer):
        self.init = init

    def __call__(self, shape, dtype="float32", graph=None):
        units = shape[0] // 4
        return array.concat([self.init((units,), dtype), array.ones((units,), dtype),
                             self.init((2 * units,), dtype)], 0)


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

    def _step(self, x: Tensor, states: list[Tensor], recurrent: dict[str, Tensor]) -> list[Tensor]:
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
        if mask is not None:
            mask = flatten(mask)[0]
            if mask.dtype != dtypes.BOOL:
                mask = math.cast(mask, "bool")
        recurrent_drop = (_dropout_mask(states[0], self.recurrent_dropout, self.seed)
                          if training and 0 < self.recurrent_dropout < 1 else None)
        recurrent = self._recurrent_weights()
        run = self._unrolled if self.unroll else self._looped
        sequence, output, states = run(projected, steps, states, mask, recurrent_drop, recurrent)
        result = sequence if self.return_sequences else output
        if self.stateful:
            result, *states = self.update_states([result, *states], states)
        return [result, *states] if self.return_state else result

    def _cell(self, x: Tensor, keep: Tensor | None, states: list[Tensor], output: Tensor | None,
              recurrent_drop: Tensor | None, recurrent: dict[str, Tensor]) -> tuple[Tensor, list[Tensor]]:
        """One step with Keras' mask semantics: a masked step keeps the states and repeats the output."""
        h = states[0] * recurrent_drop if recurrent_drop is not None else states[0]
        new_states = self._step(x, [h, *states[1:]], recurrent)
        new_output = new_states[0]
        if keep is not None:
            previous = output if output is not None else array.zeros_like(new_output)
            new_output = math.select(keep, new_output, previous)
            new_states = [math.select(keep, new, old) for new, old in zip(new_states, states)]
        return new_output, new_states

    def _unrolled(self, projected, steps, states, mask, recurrent_drop, recurrent):
        """``unroll=True``: one copy of the cell per step (a known number of steps)."""
        xs = array.unstack(projected, steps, axis=1)
        step_masks = None if mask is None else [array.expand_dims(m, -1) for m in array.unstack(mask, steps, axis=1)]
        order = list(range(steps))[::-1] if self.go_backwards else list(range(steps))
        outputs: list[Tensor] = []
        output = None
        for t in order:
            output, states = self._cell(xs[t], None if mask is None else step_masks[t], states, output,
                                        recurrent_drop, recurrent)
            outputs.append(output)
        if mask is not None and self.zero_output_for_mask:
            zeros = array.zeros_like(output)
            outputs = [math.select(step_masks[t], out, zeros) for t, out in zip(order, outputs)]
            output = outputs[-1]
        sequence = array.stack(outputs, axis=1) if self.return_sequences else None
        return sequence, output, states

    def _looped(self, projected, steps, states, mask, recurrent_drop, recurrent):
        """``unroll=False`` (Keras' default): a While loop over time, any number of steps. Each step
        reads its input (and mask) from a TensorList by index and pushes its output onto another."""
        time_major = array.transpose(projected, [1, 0, 2])
        mask_major = None if mask is None else array.expand_dims(array.transpose(mask, [1, 0]), -1)
        steps = array.shape(projected)[1]
        inputs = control_flow.from_tensor(time_major)
        masks = None if mask is None else control_flow.from_tensor(mask_major)
        step_shape = (projected.shape[0], projected.shape[2])
        collected = ([control_flow.empty_list(projected.dtype, steps, element_shape=(None, self.units))]
                     if self.return_sequences else [])

        def body(t, states, output, collected):
            index = steps - 1 - t if self.go_backwards else t
            x = control_flow.get_item(inputs, index, projected.dtype, step_shape)
            keep = None if mask is None else control_flow.get_item(masks, index, dtypes.BOOL, (projected.shape[0], 1))
            output, states = self._cell(x, keep, states, output if mask is not None else None,
                                        recurrent_drop, recurrent)
            return t + 1, states, output, [control_flow.push_back(h, output) for h in collected]

        _, states, output, collected = control_flow.while_loop(
            lambda *_: constants.constant(True), body,
            (constants.constant(0, "int32"), states, array.zeros_like(states[0]), collected),
            maximum_iterations=steps, name="rnn")
        sequence = None
        if self.return_sequences:
            sequence = control_flow.stack(collected[0], projected.dtype, (projected.shape[0], self.units))
            if mask is not None and self.zero_output_for_mask:
                ordered_mask = control_flow.reverse_(mask_major, 0) if self.go_backwards else mask_major
                sequence = math.select(ordered_mask, sequence, array.zeros_like(sequence))
            sequence = array.transpose(sequence, [1, 0, 2])
            sequence.shape = (projected.shape[0], projected.shape[1], self.units)  # a known length stays known
        if mask is not None and self.zero_output_for_mask:
            last = mask[:, 0:1] if self.go_backwards else mask[:, -1:]
            output = math.select(last, output, array.zeros_like(output))
        return sequence, output, states

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

    def _step(self, x, states, recurrent):
        return [self.activation(x + math.matmul(states[0], recurrent["kernel"]))]

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

    def _step(self, x, states, recurrent):
        h, c = states
        i, f, g, o = array.split(x + math.matmul(h, recurrent["kernel"]), 4, axis=1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        return [self.recurrent_activation(o) * self.activation(c), c]

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
        if self.bias is None:
            return None
        return self.bias.value()[0] if self.reset_after else self.bias.value()

    def _recurrent_weights(self):
        kernel = self.recurrent_kernel.value()
        if self.reset_after:
            return {"kernel": kernel, "bias": self.bias.value()[1] if self.bias is not None else None}
        return {"gates": kernel[:, :2 * self.units], "candidate": kernel[:, 2 * self.units:]}

    def _step(self, x, states, recurrent):
        h = states[0]
        x_z, x_r, x_h = array.split(x, 3, axis=1)
        if self.reset_after:
            inner = math.matmul(h, recurrent["kernel"])
            if recurrent["bias"] is not None:
                inner = inner + recurrent["bias"]
            r_z, r_r, r_h = array.split(inner, 3, axis=1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            candidate = self.activation(x_h + r * r_h)
        else:
            r_z, r_r = array.split(math.matmul(h, recurrent["gates"]), 2, axis=1)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            candidate = self.activation(x_h + math.matmul(r * h, recurrent["candidate"]))
        return [z * h + (1.0 - z) * candidate]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
