"""``stateful=True`` for recurrent layers: the states as variables of the fixed batch size.

As in Keras 3, the states are not weights of the layer (``layer.weights`` and Keras' weight files leave
them out), yet each is a resource Variable in the model's graph (``<layer>/rnn_state_<i>``): every call
(predict, a train step, evaluate) starts from their values and assigns the call's final states (the
loop's states are already mask-aware), and TF checkpoints and SavedModels, which save every variable of
the graph, save and restore them with the model. ``reset_state()`` zeroes them.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array
from .weights import Weight


class StateVariable(Weight):
    """One recurrent state of a stateful layer: read and written through the owning model's session."""

    def _runtime(self) -> Any:
        layer = self.layer
        while layer._owner is None and getattr(layer, "_rnn_parent", None) is not None:
            layer = layer._rnn_parent()  # inside a Bidirectional the model owns the outer layer (a weakref:
            # a Layer attribute would make the parent a sublayer of its child)
        owner = layer._owner() if layer._owner is not None else None
        runtime = getattr(owner, "_runtime", None)
        if runtime is None or self.path not in runtime._reads:
            return None
        return runtime

    def bind(self, graph: Any) -> Any:
        """As a weight's: the Variable is named ``<layer>/rnn_state_<i>`` whatever scope the call is in."""
        scope, graph._scope = graph._scope, []
        try:
            return super().bind(graph)
        finally:
            graph._scope = scope

    def numpy(self) -> np.ndarray:
        runtime = self._runtime()
        if runtime is not None:
            return runtime.read_variables([self.path])[0]
        return np.zeros(self.shape, self.dtype)  # no model graph yet: the states start at zero

    def assign(self, value: Any) -> None:
        value = np.asarray(value, dtype=self.dtype)
        if value.shape != self.shape:
            raise ValueError(f"state {self.path!r} has shape {self.shape}, got a value of shape {value.shape}")
        runtime = self._runtime()
        if runtime is None:
            raise RuntimeError(f"state {self.path!r} has no value yet: run the model first")
        runtime.write_variables({self.path: value})


class StatefulMixin:
    """Creates, reads, updates and resets the state variables of a stateful recurrent layer."""

    stateful: bool
    states: list[StateVariable] | None

    def build_states(self, batch_size: int | None, sizes: Sequence[int], dtype: str) -> None:
        if batch_size is None:
            raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                             f"batch size in layer {self.name!r}: give the model's Input a batch_size "
                             "(Input(shape=..., batch_size=...) or batch_shape=...)")
        from . import base
        zeros = base.get_initializer("zeros")
        self.states = [StateVariable(self, f"rnn_state_{i}", (batch_size, size), dtype, zeros, False, None, None)
                       for i, size in enumerate(sizes)]

    def read_states(self, sequences: Tensor) -> list[Tensor]:
        batch = self.states[0].shape[0]
        if sequences.shape[0] is not None and sequences.shape[0] != batch:
            raise ValueError(f"If an RNN is stateful, the batch size of the input sequences must be the same as "
                             f"the batch size of the initial state. \n- Expected batch size: {batch}\n- Received "
                             f"batch size: {sequences.shape[0]}")
        return [state.bind(sequences.graph).value() for state in self.states]

    def update_states(self, outputs: list[Tensor], final_states: list[Tensor]) -> list[Tensor]:
        """Assigns the final states; ``outputs`` are returned behind those assignments, so any run that
        fetches them (or anything computed from them) updates the states too."""
        graph = final_states[0].graph
        assigns = [state.bind(graph).assign(value) for state, value in zip(self.states, final_states)]
        with graph.control_dependencies(assigns):
            return [array.identity(t) for t in outputs]

    def reset_state(self) -> None:
        """Zeroes the states (Keras' ``reset_state``); before the first call there is nothing to reset."""
        for state in self.states or ():
            if state._runtime() is not None:
                state.assign(np.zeros(state.shape, state.dtype))

    def reset_states(self) -> None:  # Keras' compatibility alias
        self.reset_state()
