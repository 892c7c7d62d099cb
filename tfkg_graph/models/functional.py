"""The graph half of ``Model`` (Keras' Functional): the layer DAG and its replay into a graph, the
weights, the runtime (graph + session) lifecycle, saving and description."""
from __future__ import annotations

import functools
import os
import threading
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from ..graph import Tensor
from ..layers import base as layer_base
from ..layers.base import InputLayer, KerasTensor, Layer, Node, flatten, map_structure
from ..runtime import errors
from ..saving import load_weights, save_model, save_weights
from . import keras_structure
from .runtime import ModelRuntime, TrainSpec
from .serialization import functional_config, functional_from_config
from .summary import summary_text

# How many times weights moved into another model's session (shared layers). A runtime whose weights
# were all its own when this count was last seen needs no new look (ModelRuntime.checked_moves).
_weight_moves = [0]
_weight_moves_lock = threading.Lock()  # two models adopting at once must both change the count


def serialized(method: Callable) -> Callable:
    """Runs ``method`` holding the model's lock (reentrant: fit's validation pass and callbacks may
    call evaluate or save on the same model)."""
    @functools.wraps(method)
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Functional(Layer):
    """A DAG of layer calls from ``inputs`` to ``outputs`` (KerasTensors); ``Model`` adds training."""

    # -- the DAG ----------------------------------------------------------------------------------------
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._inputs = [t for t in flatten(inputs)]
        self._outputs = [t for t in flatten(outputs)]
        for t in self._inputs + self._outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"model inputs and outputs must be KerasTensors (from layers.Input and layer "
                                f"calls), got {type(t).__name__}")
        for t in self._inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"model input {t.name!r} does not come from layers.Input")
        self._node_order = self._collect_nodes()
        layers: list[Layer] = []
        for node in self._node_order:
            if node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"all layer names in a model must be unique; repeated: {duplicates}")
        self._layers = layers
        self._layers = keras_structure.keras_layer_order(self)  # Keras' order (depth from the outputs), for get/set_weights
        for layer in layers:
            layer._owner = weakref.ref(self)
        self._runtime, self._spec = None, None
        self.built = True

    def _collect_nodes(self) -> list[Node]:
        """Nodes between the inputs and the outputs, in creation (topological) order."""
        inputs = {id(t) for t in self._inputs}
        seen: dict[int, Node] = {}
        stack = [t for t in self._outputs]
        while stack:
            t = stack.pop()
            node = t.node
            if node is None:
                raise ValueError(f"{t!r} was not produced by a layer")
            if node.id in seen:
                continue
            seen[node.id] = node
            if id(t) in inputs:
                continue
            if isinstance(node.layer, InputLayer):
                raise ValueError(f"graph disconnected: output needs input {t.name!r}, which is not among "
                                 f"the model inputs {[i.name for i in self._inputs]}")
            stack.extend(node.inputs)
        return sorted(seen.values(), key=lambda n: n.id)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._outputs)

    @property
    def input_names(self) -> list[str]:
        return [t.node.layer.name for t in self._inputs]

    @property
    def output_names(self) -> list[str]:
        from .subclassing import has_own_call
        if not self._outputs and has_own_call(self):
            return ["output_0"]  # a subclassed model before its first call: compile as one output for now
        return [t.node.layer.name for t in self._outputs]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in self.layers]}")

    def run_graph(self, input_tensors: Sequence[Any], training: bool,
                  on_node: Callable[[Node, Any, dict[str, Any], list[Any]], None] | None = None) -> list[Any]:
        """Replays the model's nodes on graph Tensors; returns the output Tensors (flat). ``on_node(node,
        args, kwargs, flat_outputs)`` sees every layer call as it is replayed (the saving code reads
        Keras' hidden mask ops from it)."""
        if len(input_tensors) != len(self._inputs):
            raise ValueError(f"{self.name} expects {len(self._inputs)} input(s), got {len(input_tensors)}")
        values = {id(kt): t for kt, t in zip(self._inputs, input_tensors)}
        for node in self._node_order:
            if isinstance(node.layer, InputLayer):
                continue
            args, kwargs = map_structure(lambda v: values[id(v)] if isinstance(v, KerasTensor) else v,
                                         (node.args, node.kwargs))
            kwargs = dict(kwargs)
            # the model's `training` wins over one recorded with the node, as Keras' functional operation_fn
            # does (Keras records training=True for its preprocessing layers, whose call defaults to it)
            node_training = training if training is not None else kwargs.get("training")
            kwargs.pop("training", None)
            outputs = flatten(node.layer.call_in_graph(args, kwargs, training=node_training))
            if on_node is not None:
                on_node(node, args, kwargs, outputs)
            for kt, t in zip(node.flat_outputs, outputs):
                values[id(kt)] = t
        return [values[id(kt)] for kt in self._outputs]

    def call_in_graph(self, args: tuple, kwargs: dict[str, Any], training: bool | None = None) -> Any:
        outputs = self.run_graph(flatten(args[0] if len(args) == 1 else args), bool(training))
        return outputs[0] if not isinstance(self._outputs_struct, (list, tuple, dict)) else outputs

    def call(self, inputs: Any, training: bool | None = None) -> Any:  # signature only: models run via run_graph
        raise NotImplementedError

    # -- weights ------------------------------------------------------------------------------------------
    def _sublayers(self) -> list[Layer]:
        return self._layers

    @property
    def weights(self) -> list[layer_base.Weight]:
        out: list[layer_base.Weight] = []
        for layer in self.layers:
            for w in layer.weights:
                if w not in out:
                    out.append(w)
        return out

    @property
    def trainable_weights(self) -> list[layer_base.Weight]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[layer_base.Weight]:
        return [w for w in self.weights if not w.trainable]

    def count_params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        return self._ensure_runtime().read_weights(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        own = self.weights
        values = layer_base.checked_weight_values(f"model {self.name!r}", own, weights)
        self._ensure_runtime().write_weights(own, values)

    @property
    def optimizer(self) -> Any:
        """Keras' ``model.optimizer``: callbacks (ReduceLROnPlateau, schedulers) read and set its learning rate."""
        compiled = getattr(self, "_compiled", None)
        return compiled["optimizer"] if compiled else None

    @property
    def distribute_strategy(self) -> Any:
        """The ``distribute`` strategy whose ``scope()`` the model was created or compiled in (or None)."""
        return self._distribute_strategy

    @property
    def runtime(self) -> ModelRuntime:
        """The model's graph, session and prepared callables (built on first use)."""
        return self._ensure_runtime()

    # -- graph/session lifecycle ---------------------------------------------------------------------------
    def _ensure_built(self, x: Any = None) -> None:
        """Sequential builds itself from the first data it sees; a functional model is always built."""
        from .subclassing import build_from_call, has_own_call
        if not self._outputs and x is not None and has_own_call(self):
            with self._lock:  # a subclassed model: its call traced on the first batch
                if not self._outputs:
                    build_from_call(self, x)
        if not self._outputs:
            raise ValueError(f"model {self.name!r} has no inputs yet: give it an Input or an input_shape")

    def _ensure_runtime(self, spec: TrainSpec | None = None) -> ModelRuntime:
        runtime = self._runtime
        if runtime is not None and (spec is None or runtime.spec is spec):  # no lock: predictions from threads
            moves = _weight_moves[0]
            if runtime.checked_moves == moves:
                return runtime
            if all(w.runtime is runtime for w in runtime.model_weights):
                runtime.checked_moves = moves
                return runtime
        with self._lock:
            if self._closed:
                raise errors.FailedPreconditionError(f"model {self.name!r} is closed")
            self._ensure_built()
            runtime = self._runtime
            if runtime is None or (spec is not None and runtime.spec is not spec):
                runtime = self._rebuild(spec if spec is not None else self._spec)
            elif any(w.runtime is not runtime for w in self.weights):
                self._adopt_weights(runtime)
            if self._closed:  # close() ran while this runtime was being built
                runtime.close()
                raise errors.FailedPreconditionError(f"model {self.name!r} is closed")
            return runtime

    def close(self) -> None:
        """Frees the model's TensorFlow session (its weights with it). Calls running in other threads end
        with ``FailedPreconditionError`` or ``CancelledError``; later calls raise ``FailedPreconditionError``.
        Does not wait for the model's lock, so it also stops a ``fit`` running in another thread."""
        self._closed = True
        runtime = self._runtime
        if runtime is not None:
            runtime.close()

    def _rebuild(self, spec: TrainSpec | None) -> ModelRuntime:
        old = self._runtime
        saved = old.variable_values() if old is not None else {}
        runtime = ModelRuntime(self, spec, seed=layer_base.random_seed())
        runtime.restore(saved)
        self._runtime = runtime
        self._adopt_weights(runtime, skip=old)
        return runtime

    def _adopt_weights(self, runtime: ModelRuntime, skip: Any = None) -> None:
        """Moves weight values living in another model's session (shared layers) or pending in a layer."""
        moved, values = [], []
        for w in self.weights:
            if w.runtime is runtime:
                continue
            if w.runtime is not None and w.runtime is not skip:
                moved.append(w)
                values.append(w.runtime.read_weights([w])[0])
            elif w.runtime is None and w.pending is not None:
                moved.append(w)
                values.append(w.pending)
        runtime.write_weights(moved, values)
        for w in self.weights:
            w.runtime, w.pending = runtime, None
        with _weight_moves_lock:
            _weight_moves[0] += 1  # after the moves: a check that saw the old count looks again

    def _structure_outputs(self, outputs: list[np.ndarray]) -> Any:
        struct = self._outputs_struct
        if isinstance(struct, dict):
            return {k: outputs[self._outputs.index(v)] for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return list(outputs)
        return outputs[0]

    @serialized
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """On KerasTensors or graph Tensors: the model as a layer. On arrays: its predictions (the
        trainer's ``predict_on_batch``), the inference pass only."""
        flat = flatten((args, kwargs))
        if flat and not any(isinstance(t, (KerasTensor, Tensor)) for t in flat):
            if kwargs.pop("training", None):
                raise ValueError("calling a model on arrays runs its inference pass; use train_on_batch "
                                 "to run the training pass")
            if kwargs.pop("mask", None) is not None or len(args) != 1 or kwargs:
                raise TypeError("a model called on arrays takes one argument: its inputs")
            return self.predict_on_batch(args[0])
        return super().__call__(*args, **kwargs)

    # -- saving (tfkg_graph.saving, below models, does the work) -------------------------------------------------------------
    @serialized
    def save(self, filepath: str, overwrite: bool = True, processors: Any = None) -> str:
        """A SavedModel directory (signatures serving_default, train, evaluate) plus the model config."""
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False")
        return save_model(self, filepath, processors=processors)

    @serialized
    def save_weights(self, filepath: str, overwrite: bool = True) -> str:
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False")
        return save_weights(self, filepath)

    @serialized
    def load_weights(self, filepath: str, skip_mismatch: bool = False) -> None:
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    # -- Keras' structure, which saving keys weights by (keras_structure.py) --------------------------------------
    def _keras_weight_layout(self) -> list[tuple[str, Layer, list[tuple[str, list[Any]]]]]:
        return keras_structure.weight_layout(self)

    def _keras_object_paths(self) -> dict[str, list[str]]:
        return keras_structure.keras_object_paths(self)

    def reset_states(self) -> None:
        """Zeroes the states of every stateful layer (Keras 2's ``Model.reset_states``; Keras 3 has only
        the layers' ``reset_state``)."""
        for layer in self.layers:
            reset = getattr(layer, "reset_states", None)
            if reset is not None and (getattr(layer, "stateful", False) or isinstance(layer, Functional)):
                reset()

    # -- description ------------------------------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
        (print_fn or print)(summary_text(self, line_length or 80))

    def get_config(self) -> dict[str, Any]:
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> "Functional":
        return functional_from_config(cls, config, custom_objects)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
