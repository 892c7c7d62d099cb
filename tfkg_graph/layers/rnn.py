"""``layers.RNN``: any cell run over time, and the time loop SimpleRNN/LSTM/GRU share with it.

``time_loop`` runs ``step(x_t, states) -> (output, new_states)`` over the time axis of a (batch, steps,
features) tensor: with ``unroll=False`` (Keras' default) in a While loop over any number of steps, known
or not (each step reads its input and mask from a TensorList by index and pushes its output onto
another), with ``unroll=True`` as one copy of the step per step. Masks follow Keras' TF backend: at a
masked step the states and the previous output are carried through (SelectV2); with
``zero_output_for_mask`` the masked outputs are zeros.

``RNN(cell)`` takes any cell with ``state_size`` and ``call(inputs, states)``: ours (``rnn_cells.py``),
a list of cells (a StackedRNNCells) or a user's Layer as in Keras' guide "Working with RNNs". The cell's
weights are read once before the loop and the body uses those reads, so their gradients flow through the
While rule's captured inputs (a read inside the body would leave the variables without a gradient).
"""
from __future__ import annotations

import contextlib
import numbers
from math import prod as math_prod
from typing import Any, Callable, Iterator

from ..graph import Tensor, get_default_graph
from ..graph.functions import FuncGraph
from ..graph.ops import array, constants, control_flow, math
from ..runtime import dtypes
from .base import Layer, flatten
from .rnn_cells import StackedRNNCells, call_cell, output_size_of
from .rnn_state import StatefulMixin

Step = Callable[[Tensor, list[Tensor]], tuple[Tensor, list[Tensor]]]


# ---- the time loop ---------------------------------------------------------------------------------------------
def time_loop(step: Step, sequences: Tensor, states: list[Tensor], mask: Tensor | None, output_size: int, *,
              go_backwards: bool, unroll: bool, return_sequences: bool, zero_output_for_mask: bool,
              ) -> tuple[Tensor | None, Tensor, list[Tensor]]:
    """(the output sequence when ``return_sequences`` else None, the last output, the final states)."""
    if mask is not None:
        mask = flatten(mask)[0]
        if mask.dtype != dtypes.BOOL:
            mask = math.cast(mask, "bool")
    run = _unrolled if unroll else _looped
    return run(step, sequences, states, mask, output_size, go_backwards, return_sequences, zero_output_for_mask)


def _masked_step(step: Step, x: Tensor, keep: Tensor | None, states: list[Tensor], output: Tensor | None
                 ) -> tuple[Tensor, list[Tensor]]:
    """One step with Keras' mask semantics: a masked step keeps the states and repeats the output."""
    new_output, new_states = step(x, states)
    if keep is not None:
        previous = output if output is not None else array.zeros_like(new_output)
        new_output = math.select(keep, new_output, previous)
        new_states = [math.select(keep, new, old) for new, old in zip(new_states, states)]
    return new_output, list(new_states)


def _unrolled(step, sequences, states, mask, output_size, go_backwards, return_sequences, zero_output_for_mask):
    steps = sequences.shape[1]
    xs = array.unstack(sequences, steps, axis=1)
    step_masks = None if mask is None else [array.expand_dims(m, -1) for m in array.unstack(mask, steps, axis=1)]
    order = list(range(steps))[::-1] if go_backwards else list(range(steps))
    outputs: list[Tensor] = []
    output = None
    for t in order:
        output, states = _masked_step(step, xs[t], None if mask is None else step_masks[t], states, output)
        outputs.append(output)
    if mask is not None and zero_output_for_mask:
        zeros = array.zeros_like(output)
        outputs = [math.select(step_masks[t], out, zeros) for t, out in zip(order, outputs)]
        output = outputs[-1]
    sequence = array.stack(outputs, axis=1) if return_sequences else None
    return sequence, output, states


def _looped(step, sequences, states, mask, output_size, go_backwards, return_sequences, zero_output_for_mask):
    time_major = array.transpose(sequences, [1, 0, 2])
    mask_major = None if mask is None else array.expand_dims(array.transpose(mask, [1, 0]), -1)
    steps = array.shape(sequences)[1]
    inputs = control_flow.from_tensor(time_major)
    masks = None if mask is None else control_flow.from_tensor(mask_major)
    step_shape = (sequences.shape[0], sequences.shape[2])
    dtype = sequences.dtype
    collected = ([control_flow.empty_list(dtype, steps, element_shape=(None, output_size))]
                 if return_sequences else [])

    def body(t, states, output, collected):
        index = steps - 1 - t if go_backwards else t
        x = control_flow.get_item(inputs, index, dtype, step_shape)
        keep = None if mask is None else control_flow.get_item(masks, index, dtypes.BOOL, (sequences.shape[0], 1))
        output, states = _masked_step(step, x, keep, states, output if mask is not None else None)
        return t + 1, states, output, [control_flow.push_back(h, output) for h in collected]

    first_output = array.fill(array.stack([array.shape(states[0])[0], constants.constant(output_size, "int32")]),
                              constants.constant(0, dtype))
    _, states, output, collected = control_flow.while_loop(
        lambda *_: constants.constant(True), body, (constants.constant(0, "int32"), states, first_output, collected),
        maximum_iterations=steps, name="rnn")
    sequence = None
    if return_sequences:
        sequence = control_flow.stack(collected[0], dtype, (sequences.shape[0], output_size))
        if mask is not None and zero_output_for_mask:
            ordered_mask = control_flow.reverse_(mask_major, 0) if go_backwards else mask_major
            sequence = math.select(ordered_mask, sequence, array.zeros_like(sequence))
        sequence = array.transpose(sequence, [1, 0, 2])
        sequence.shape = (sequences.shape[0], sequences.shape[1], output_size)  # a known length stays known
    if mask is not None and zero_output_for_mask:
        last = mask[:, 0:1] if go_backwards else mask[:, -1:]
        output = math.select(last, output, array.zeros_like(output))
    return sequence, output, states


@contextlib.contextmanager
def weights_read_once(layer: Layer, graph: Any) -> Iterator[None]:
    """Inside, every weight of ``layer`` (nested ones too) reads as one ReadVariableOp made here, before a
    loop: the body captures that tensor. The weights are bound to ``graph`` first."""
    weights = layer.weights if isinstance(layer, Layer) else []
    for w in weights:
        w.bind(graph)
    reads = [w.variable.value() for w in weights]
    for w, read in zip(weights, reads):
        w.value = (lambda read=read: _local(read))  # an instance attribute shadows Weight.value for the trace
        w.bind = (lambda g, variable=w.variable: variable)
    try:
        yield
    finally:
        for w in weights:
            vars(w).pop("value", None)
            vars(w).pop("bind", None)


def _local(outer: Tensor) -> Tensor:
    """``outer`` as the current function body's captured arg (ops made on it there keep static shapes)."""
    graph = get_default_graph()
    return graph.capture(outer) if isinstance(graph, FuncGraph) else outer


# ---- the layer ---------------------------------------------------------------------------------------------
class RNN(StatefulMixin, Layer):
    """Keras 3's ``layers.RNN``: runs ``cell`` over the time axis (a list of cells is a StackedRNNCells)."""

    supports_masking = True
    keras_weight_paths_exact = True  # Keras' cells keep their weights as public attributes (cell/kernel)

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of "
                             f"integers, one integer per RNN state). Received: cell={cell}")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError("state_size must be an integer, or a list/tuple of integers (one for each state "
                             "tensor).")
        sizes = flatten(list(state_size) if isinstance(state_size, (list, tuple)) else [state_size])
        if not all(isinstance(s, numbers.Integral) for s in sizes):
            raise ValueError(f"RNN supports states of shape (batch, size) only: state_size must hold integers, "
                             f"got {state_size!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.stateful, self.unroll = bool(go_backwards), bool(stateful), bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.states = None
        self.state_size = [state_size] if isinstance(state_size, int) else list(state_size)
        _scope_cell(cell, self.name)

    @property
    def unrolled(self) -> bool:  # one copy of the cell per step in the graph (ModelRuntime skips grappler on big ones)
        return self.unroll

    @property
    def state_count(self) -> int:
        """How many state tensors the layer carries (a stack's cells' states, flattened)."""
        return len(self._flat_state_sizes())

    def count_params(self) -> int:
        return int(sum(math_prod(w.shape) for w in self.weights))  # the cell's weights

    def _flat_state_sizes(self) -> list[int]:
        return [int(s) for s in flatten(self.state_size)]

    def build(self, input_shape):
        if any(isinstance(d, (list, tuple)) for d in input_shape):
            raise ValueError(f"RNN ({self.name}) takes one (batch, steps, features) tensor; nested inputs (a "
                             f"structure of sequences) are not supported, got shapes {input_shape}")
        if len(input_shape) != 3:
            raise ValueError(f"RNN ({self.name}) expects inputs of shape (batch, steps, features), got {input_shape}")
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build((input_shape[0], *input_shape[2:]))
            self.cell.built = True
        if self.stateful:
            self.build_states(input_shape[0], self._flat_state_sizes(), self.dtype)

    def _initial_states(self, sequences: Tensor) -> list[Any]:
        batch = array.shape(sequences)[0]
        if hasattr(self.cell, "get_initial_state"):
            states = self.cell.get_initial_state(batch_size=batch)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [array.fill(array.stack([batch, constants.constant(d, "int32")]), constants.constant(0, sequences.dtype))
                for d in self._flat_state_sizes()]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if not isinstance(sequences, Tensor):
            raise ValueError(f"RNN ({self.name}) takes one (batch, steps, features) tensor; nested inputs "
                             f"(a structure of sequences) are not supported, got {type(sequences).__name__}")
        if sequences.rank != 3:
            raise ValueError(f"RNN ({self.name}) expects (batch, steps, features), got {sequences.shape}")
        if self.unroll and sequences.shape[1] is None:
            raise ValueError(f"RNN ({self.name}) with unroll=True needs a known number of steps: give Input a "
                             f"full shape or use unroll=False, got {sequences.shape}")
        structure = self.state_size  # one entry per state (a list per cell of a stack)
        if initial_state is None and self.stateful:
            flat = self.read_states(sequences)
        elif initial_state is None:
            flat = flatten(self._initial_states(sequences))
        else:
            flat = flatten(list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state])
        if len(flat) != len(self._flat_state_sizes()):
            raise ValueError(f"RNN ({self.name}) takes {len(self._flat_state_sizes())} initial state tensor(s), "
                             f"got {len(flat)}")
        cell, training = self.cell, bool(training)
        with weights_read_once(cell, sequences.graph):
            if hasattr(cell, "prepare_dropout"):
                cell.prepare_dropout(sequences[:, 0, :], _pack(structure, flat)[0], training)

            def step(x, states):
                packed = _pack(structure, states)
                with x.graph.name_scope(cell.name if isinstance(cell, Layer) else "cell"):
                    output, new = call_cell(cell, x, packed, training)
                new = list(new) if isinstance(new, (list, tuple)) else [new]
                return output, flatten(new)

            try:
                sequence, output, flat = time_loop(
                    step, sequences, flat, mask, output_size_of(cell), go_backwards=self.go_backwards,
                    unroll=self.unroll, return_sequences=self.return_sequences,
                    zero_output_for_mask=self.zero_output_for_mask)
            finally:
                if hasattr(cell, "reset_dropout"):
                    cell.reset_dropout()
        result = sequence if self.return_sequences else output
        if self.stateful:
            result, *flat = self.update_states([result, *flat], flat)
        return [result, *_pack(structure, flat)] if self.return_state else result

    def keras_weight_path(self, weight) -> str:
        """Where Keras 3 keeps the weight: ``cell/kernel``; in a stack ``cell/cells/<cell key>/kernel``
        (the snake-case class name, numbered from the second of a class on, as Keras' weight files)."""
        if isinstance(self.cell, StackedRNNCells):
            used: dict[str, int] = {}
            for sub in self.cell.cells:
                key = _snake(type(sub).__name__)
                used[key] = used.get(key, -1) + 1
                if any(weight is w for w in getattr(sub, "weights", ())):
                    return f"cell/cells/{key}{'_' + str(used[key]) if used[key] else ''}/{weight.name}"
        return "cell/" + weight.name

    def compute_mask(self, inputs, previous_mask=None):
        output_mask = flatten(previous_mask)[0] if self.return_sequences and previous_mask is not None else None
        return [output_mask] + [None] * len(self._flat_state_sizes()) if self.return_state else output_mask

    def get_config(self):
        from .registry import serialize as serialize_layer
        return {**super().get_config(), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "stateful": self.stateful,
                "unroll": self.unroll, "zero_output_for_mask": self.zero_output_for_mask,
                "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from .registry import deserialize
        config = dict(config)
        cell = config.pop("cell")
        return cls(deserialize(cell, custom_objects) if isinstance(cell, dict) else cell, **config)


def _scope_cell(cell: Any, prefix: str) -> None:
    """Names the cell's weights ``<rnn>/<cell>/<weight>`` (as Keras' variable paths), so two RNNs whose
    cells share a name (Bidirectional's copies, configs from files) never share a variable name."""
    if isinstance(cell, Layer):
        cell.weight_scope = f"{prefix}/{cell.name}"
        for sub in getattr(cell, "cells", ()):
            _scope_cell(sub, cell.weight_scope)


def _snake(name: str) -> str:
    from .global_state import to_snake_case
    return to_snake_case(name)


def _pack(structure: list[Any], flat: list[Tensor]) -> list[Any]:
    """``flat`` states shaped like ``structure`` (an int per state, a list per cell with several)."""
    out, i = [], 0
    for entry in structure:
        if isinstance(entry, (list, tuple)):
            out.append(list(flat[i:i + len(entry)]))
            i += len(entry)
        else:
            out.append(flat[i])
            i += 1
    return out


__all__ = ["RNN", "time_loop", "weights_read_once"]
