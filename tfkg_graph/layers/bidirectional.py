"""Bidirectional: a recurrent layer run forwards and backwards over time, the two outputs merged (Keras 3's
names, arguments, weight layout ``forward_<name>``/``backward_<name>`` and merge modes)."""
from __future__ import annotations

import weakref
from typing import Any

from ..graph import Tensor
from ..graph.ops import array, control_flow
from .base import Layer, flatten
from .recurrent import _RNN
from .rnn import RNN


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a copy of ``layer`` forwards (``forward_<name>``) and one backwards (``backward_<name>``)
    and merges their outputs; the backward sequence is flipped back into time order first."""

    supports_masking = True

    def __init__(self, layer: _RNN, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: _RNN | None = None, **kwargs: Any):
        if not isinstance(layer, (_RNN, RNN)):
            raise ValueError(f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU, RNN), got {layer!r}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional merge_mode must be one of {_MERGE_MODES}, got {merge_mode!r}")
        super().__init__(**kwargs)
        config = layer.get_config()
        forward_name = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = type(layer).from_config({**config, "name": forward_name})
        if backward_layer is None:
            backward_name = "backward_" + layer.name.removeprefix("backward_")
            backward_layer = type(layer).from_config({**config, "name": backward_name, "go_backwards": True})
        self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers need different go_backwards values")
        for attr in ("return_sequences", "return_state"):
            if getattr(self.forward_layer, attr) != getattr(self.backward_layer, attr):
                raise ValueError(f"Bidirectional: the forward and backward layers differ in {attr}")
        for sub in (self.forward_layer, self.backward_layer):  # as Keras: zeros at masked steps of sequences
            sub.zero_output_for_mask = sub.return_sequences
            sub._rnn_parent = weakref.ref(self)  # stateful sublayers reach the model's session through this layer
        self.merge_mode = merge_mode
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        if weights:
            half = len(weights) // 2
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])

    @property
    def unrolled(self) -> bool:
        return self.forward_layer.unroll

    def _sublayers(self) -> list[Layer]:  # none yet while Layer.__init__ sets trainable
        subs = (getattr(self, "forward_layer", None), getattr(self, "backward_layer", None))
        return [sub for sub in subs if sub is not None]

    @property
    def trainable_weights(self):
        return self.forward_layer.trainable_weights + self.backward_layer.trainable_weights

    @property
    def non_trainable_weights(self):
        return self.forward_layer.non_trainable_weights + self.backward_layer.non_trainable_weights

    @property
    def weights(self):
        return self.forward_layer.weights + self.backward_layer.weights

    def count_params(self) -> int:
        return self.forward_layer.count_params() + self.backward_layer.count_params()

    def keras_weight_path(self, weight) -> str:
        side = "forward_layer" if weight.layer is self.forward_layer else "backward_layer"
        return f"{side}/{weight.layer.keras_weight_path(weight)}"

    def call(self, sequences, initial_state=None, mask=None, training=False):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer.call_in_graph((sequences,), {"initial_state": fwd_state, "mask": mask}, training)
        y_rev = self.backward_layer.call_in_graph((sequences,), {"initial_state": bwd_state, "mask": mask},
                                                  training)
        states: list[Tensor] = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = control_flow.reverse_(y_rev, 1)
        merged = {"concat": lambda: array.concat([y, y_rev], -1), "sum": lambda: y + y_rev,
                  "ave": lambda: (y + y_rev) / 2.0, "mul": lambda: y * y_rev,
                  None: lambda: [y, y_rev]}[self.merge_mode]()
        if not self.return_state:
            return merged
        return (merged if self.merge_mode is None else [merged]) + states

    @property
    def stateful(self) -> bool:
        return self.forward_layer.stateful

    @property
    def states(self) -> list | None:
        """The forward layer's states, then the backward layer's (``stateful=True``), else None."""
        if not self.stateful or self.forward_layer.states is None:
            return None
        return list(self.forward_layer.states) + list(self.backward_layer.states)

    def reset_state(self) -> None:
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self) -> None:  # Keras' compatibility alias
        self.reset_state()

    def compute_mask(self, inputs, previous_mask=None):
        mask = flatten(previous_mask)[0] if previous_mask is not None else None
        output_mask = mask if self.return_sequences else None
        outputs = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            return outputs + [None] * (2 * self.forward_layer.state_count)
        return outputs if self.merge_mode is None else output_mask

    def get_config(self):
        from .registry import serialize as serialize_layer
        return {**super().get_config(), "merge_mode": self.merge_mode,
                "layer": serialize_layer(self.forward_layer), "backward_layer": serialize_layer(self.backward_layer)}

    @classmethod
    def from_config(cls, config):
        from .registry import deserialize
        config = dict(config)
        config["layer"] = deserialize(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize(config["backward_layer"])
        return cls(**config)
