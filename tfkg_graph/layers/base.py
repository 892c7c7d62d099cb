"""Layer, the symbolic KerasTensor and Input: how a model's DAG is described before any graph exists.

Calling a layer on KerasTensors records a Node (layer, inputs, call kwargs) and returns new
KerasTensors; their shapes come from running ``build``/``call`` once on placeholders in a throwaway
Graph, so custom layers get shape inference for free. The model later replays the nodes into its
one real Graph, where each layer's weights become resource Variables named ``<layer>/<weight>``.
"""
from __future__ import annotations

import inspect
import itertools
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from ..graph import Graph, Tensor
from ..graph.ops import constants
from ..runtime import dtypes
from .global_state import (LOSSES, UPDATES, clear_session, get_keras_mask, random_seed, set_keras_mask,
                           set_random_seed, standardize_dtype, to_snake_case, unique_name)
from .tree import flatten, map_structure
from .weights import Weight, checked_weight_values

_node_ids = itertools.count()
AGGREGATIONS = (None, "none", "mean", "sum", "only_first_replica")  # keras.Variable's accepted values


# ---- symbolic tensors -------------------------------------------------------------------------
class KerasTensor:
    """A symbolic value: static shape (batch dim None unless the Input fixes it), dtype, and the layer call that produced it."""

    __slots__ = ("shape", "dtype", "name", "node", "index")

    def __init__(self, shape: Sequence[int | None], dtype: Any = "float32", name: str | None = None,
                 node: "Node | None" = None, index: int = 0):
        self.shape = tuple(shape)
        self.dtype = standardize_dtype(dtype)
        self.name, self.node, self.index = name, node, index

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer: flat KerasTensor inputs, how to rebuild the call's arguments, outputs."""

    def __init__(self, layer: "Layer", args: Any, kwargs: dict[str, Any], outputs: Any):
        self.id = next(_node_ids)
        self.layer, self.args, self.kwargs, self.outputs = layer, args, kwargs, outputs
        self.inputs = [t for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        self.flat_outputs = flatten(outputs)
        self.node_index = len(layer._nodes)
        layer._nodes.append(self)



# ---- resolving identifiers through the sibling packages ----------------------------------------
_INITIALIZER_ALIASES = {"uniform": "random_uniform", "normal": "random_normal"}  # Keras' short names


def get_initializer(identifier: Any) -> Any:
    from .. import initializers
    if isinstance(identifier, str):
        identifier = _INITIALIZER_ALIASES.get(identifier, identifier)
    return initializers.get(identifier)


def get_activation(identifier: Any) -> Callable[[Tensor], Tensor]:
    from .. import activations
    return activations.get(identifier)


def get_regularizer(identifier: Any) -> Any:
    if identifier is None:
        return None
    from .. import regularizers
    return regularizers.get(identifier)


def get_constraint(identifier: Any) -> Any:
    if identifier is None:
        return None
    from .. import constraints
    return constraints.get(identifier)


def serialize(obj: Any) -> Any:
    """Keras-style config value for an activation/initializer/regularizer/constraint."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", obj)


# ---- Layer ---------------------------------------------------------------------------------------
class Layer:
    """Base class of all layers. Subclass it: create weights in ``build`` with ``add_weight`` and
    compute in ``call(inputs, training=None)`` with ``tfkg_graph.graph.ops`` or Tensor operators.

    Example (a learned per-feature scale; gradients come from the registry)::

        class Scale(layers.Layer):
            def build(self, input_shape):
                self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

            def call(self, inputs):
                return inputs * self.scale
    """

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True, dtype: Any = None,
                 name: str | None = None, **kwargs: Any):
        input_dim = kwargs.pop("input_dim", None)
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        kwargs.pop("autocast", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._input_shape_arg = tuple(input_shape) if input_shape is not None else None
        self.name = name or unique_name(to_snake_case(type(self).__name__))
        self.dtype = standardize_dtype(dtype)
        self.trainable = trainable
        self.activity_regularizer = get_regularizer(activity_regularizer)
        self.built = False
        self._weights: list[Weight] = []
        self._nodes: list[Node] = []
        self._owner: Any = None  # weakref to the last model built over this layer
        self._call_has_training = "training" in inspect.signature(self.call).parameters
        self._call_has_mask = "mask" in inspect.signature(self.call).parameters
        self._warned_mask = False

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """As Keras: setting it sets it on every sublayer too."""
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = bool(value)

    def _sublayers(self) -> list["Layer"]:
        """The layers this one is made of (a model's layers, a wrapper's copies); ``trainable`` reaches them.
        Here: layers assigned as attributes (``self.dense = Dense(8)``, also in lists and dicts), in
        assignment order, as Keras tracks them; their weights are this layer's weights too."""
        found: list[Layer] = []
        for value in list(vars(self).values()):
            items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                if isinstance(item, Layer) and item is not self and all(item is not f for f in found):
                    found.append(item)
        return found

    # -- weights ---------------------------------------------------------------------------------
    def add_weight(self, shape: Sequence[int] = (), initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                   constraint: Any = None, aggregation: str | None = "none", name: str | None = None) -> Weight:
        """Keras' ``add_weight``. ``aggregation`` is checked and recorded as Keras does (it matters only
        under a distribution strategy); ``autocast`` is recorded too: there is no mixed-precision policy
        here, so a weight is always read in its own dtype whichever value is given."""
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {AGGREGATIONS}, got {aggregation!r}")
        dtype = standardize_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtypes.is_floating(dtypes.as_dtype(dtype)) else "zeros"
        name = name or f"variable_{len(self._weights)}"
        if any(w.name == name for w in self._weights):
            raise ValueError(f"layer {self.name!r} already has a weight named {name!r}")
        weight = Weight(self, name, shape, dtype, get_initializer(initializer), trainable,
                        get_regularizer(regularizer), get_constraint(constraint),
                        aggregation=aggregation or "none", autocast=bool(autocast))
        self._weights.append(weight)
        return weight

    @property
    def weights(self) -> list[Weight]:
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Weight]:
        return self._own_and_nested(lambda layer: layer.trainable_weights, trainable=True)

    @property
    def non_trainable_weights(self) -> list[Weight]:
        return self._own_and_nested(lambda layer: layer.non_trainable_weights, trainable=False)

    def _own_and_nested(self, nested: Callable[["Layer"], list[Weight]], trainable: bool) -> list[Weight]:
        out = [w for w in self._weights if w.trainable == trainable]
        for layer in self._sublayers():
            out += [w for w in nested(layer) if all(w is not o for o in out)]
        return out

    def get_weights(self) -> list[np.ndarray]:
        weights = self.weights
        owner = self._owner() if self._owner is not None else None
        if owner is not None and any(w.runtime is None and w.pending is None for w in weights):
            owner._ensure_runtime()
        runtimes = {id(w.runtime): w.runtime for w in weights if w.runtime is not None}
        if len(runtimes) == 1 and all(w.runtime is not None for w in weights):
            return next(iter(runtimes.values())).read_weights(weights)
        return [w.numpy() for w in weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        own = self.weights
        values = checked_weight_values(f"layer {self.name!r} ({', '.join(w.name for w in own)})", own, weights)
        by_runtime: dict[int, tuple[Any, list, list]] = {}
        for w, value in zip(own, values):
            if w.runtime is None:
                w.pending = value.copy()
            else:
                by_runtime.setdefault(id(w.runtime), (w.runtime, [], []))
                by_runtime[id(w.runtime)][1].append(w)
                by_runtime[id(w.runtime)][2].append(value)
        for runtime, ws, vs in by_runtime.values():
            runtime.write_weights(ws, vs)

    def count_params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self._weights))

    # -- graph-time hooks for layers --------------------------------------------------------------
    def add_update(self, op: Any) -> None:
        """Registers an op the training step must run (e.g. moving-average updates)."""
        op = op.op if isinstance(op, Tensor) else op
        op.graph.add_to_collection(UPDATES, op)

    def add_loss(self, loss: Tensor) -> None:
        loss.graph.add_to_collection(LOSSES, loss)

    # -- to override ---------------------------------------------------------------------------
    supports_masking = False  # True: the input mask passes through to the outputs (Keras' attribute)

    def build(self, input_shape: Any) -> None:
        self.built = True

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the outputs: the input's when the layer supports masking (Keras' default)."""
        return previous_mask if self.supports_masking else None

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = serialize(self.activity_regularizer)
        if self._input_shape_arg is not None:
            config["input_shape"] = list(self._input_shape_arg)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        return cls(**config)

    # -- calling -----------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if any(isinstance(t, KerasTensor) for t in flatten((args, kwargs))):
            return self._call_symbolic(args, kwargs)
        return self.call_in_graph(args, kwargs, training=kwargs.pop("training", None))

    def _call_symbolic(self, args: tuple, kwargs: dict[str, Any]) -> Any:
        """Wires the DAG: infers output specs on a throwaway graph and records a Node."""
        scratch = Graph()
        with scratch.as_default():
            feeds = map_structure(
                lambda t: constants.placeholder(t.dtype, t.shape, graph=scratch) if isinstance(t, KerasTensor)
                else t, (args, kwargs))
            outputs = self.call_in_graph(*feeds, training=False)
        specs = map_structure(lambda t: KerasTensor(t.shape, dtypes.name(t.dtype)), outputs)
        node = Node(self, args, kwargs, specs)
        for i, kt in enumerate(node.flat_outputs):
            kt.node, kt.index, kt.name = node, i, f"{self.name}_{node.node_index}_{i}"
        return specs

    def call_in_graph(self, args: tuple, kwargs: dict[str, Any], training: bool | None = None) -> Any:
        """Runs ``build`` (first time) and ``call`` on graph Tensors, under the layer's name scope."""
        tensors = [t for t in flatten((args, kwargs)) if isinstance(t, Tensor)]
        graph = tensors[0].graph
        if not self.built:
            first = args[0] if args else next(iter(kwargs.values()))
            self.build(map_structure(lambda t: t.shape, first))
            self.built = True
        for w in self._weights:
            w.bind(graph)
        call_kwargs = dict(kwargs)
        if self._call_has_training:
            call_kwargs["training"] = bool(training)
        first = args[0] if args else next(iter(kwargs.values()))
        masks = map_structure(get_keras_mask, first)
        has_mask = any(m is not None for m in flatten(masks))
        if has_mask and self._call_has_mask and call_kwargs.get("mask") is None:
            call_kwargs["mask"] = masks
        with graph.name_scope(graph.scope_prefix + self.name + "/"):
            outputs = self.call(*args, **call_kwargs)
            if self.supports_masking:
                out_list = flatten(outputs)
                out_masks = self.compute_mask(first, masks if has_mask else None)
                out_masks = out_masks if isinstance(out_masks, (list, tuple)) else [out_masks] * len(out_list)
                for out, mask in zip(out_list, out_masks):
                    set_keras_mask(out, mask)
            elif has_mask and not self._warned_mask:
                self._warned_mask = True
                warnings.warn(f"layer {self.name!r} ({type(self).__name__}) got a masked input but does not "
                              "support masking: the mask is dropped and downstream layers will not see it")
            if self.activity_regularizer is not None:
                from ..graph.ops import array, math
                for out in flatten(outputs):  # Keras 3 divides by the batch size
                    loss = self.activity_regularizer(out)
                    self.add_loss(math.div_no_nan(loss, math.cast(array.shape(out)[0], loss.dtype)))
        return outputs

    # -- introspection ----------------------------------------------------------------------------
    @property
    def input(self) -> Any:
        return self._nodes[0].args[0] if self._nodes else None

    @property
    def output(self) -> Any:
        return self._nodes[0].outputs if self._nodes else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class InputLayer(Layer):
    """A model input: becomes a Placeholder named after the layer. Its batch dimension is None unless
    ``batch_size`` (or ``batch_shape[0]``) fixes it, as stateful recurrent layers need (Keras 3's rules)."""

    def __init__(self, shape: Sequence[int | None] | None = None, batch_size: int | None = None,
                 dtype: Any = None, sparse: bool | None = None, batch_shape: Sequence[int | None] | None = None,
                 input_tensor: Any = None, optional: bool = False, name: str | None = None, **kwargs: Any):
        ragged = kwargs.pop("ragged", None)
        if "input_shape" in kwargs:  # Keras' deprecated spellings
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype, **kwargs)
        if sparse or ragged:
            raise ValueError(f"{'sparse' if sparse else 'ragged'} inputs are not supported")
        if input_tensor is not None:
            raise ValueError("an existing tensor cannot be wrapped as an input: the model's graph makes its "
                             "own placeholders (pass shape and dtype instead)")
        if optional:
            raise ValueError("optional inputs are not supported: every model input needs a value")
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_size is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `batch_size` and `batch_shape` at the same time.")
        if shape is None and batch_shape is None:
            raise ValueError("You must pass a `shape` argument.")
        if batch_shape is None:
            if not hasattr(shape, "__iter__"):
                raise ValueError(f"Cannot convert '{shape}' to a shape.")
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(_dimension(d) for d in batch_shape)
        self.built = True
        self.output_tensor = KerasTensor(self.batch_shape, self.dtype, name=self.name)
        node = Node(self, (), {}, self.output_tensor)
        self.output_tensor.node = node

    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "name": self.name}


def _dimension(value: Any) -> int | None:
    """One entry of an input shape: None (any size) or a non-negative int, as Keras' standardize_shape."""
    if value is None:
        return None
    if isinstance(value, str) or int(value) != value or int(value) < 0:
        raise ValueError(f"an input dimension must be None or a non-negative integer, got {value!r}")
    return int(value)


def Input(shape: Sequence[int | None] | None = None, batch_size: int | None = None, dtype: Any = None,
          sparse: bool | None = None, batch_shape: Sequence[int | None] | None = None, name: str | None = None,
          tensor: Any = None, optional: bool = False, ragged: bool | None = None) -> KerasTensor:
    """A symbolic model input (Keras' ``keras.Input``): ``shape`` without the batch dimension and an
    optional fixed ``batch_size``, or the full ``batch_shape``. A known batch size becomes part of the
    placeholder's shape (feeds of another size are refused). ``tensor``, ``optional`` and
    ``ragged``/``sparse`` inputs are refused with a ValueError."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                      input_tensor=tensor, optional=optional, ragged=ragged, name=name).output_tensor


# Moved to global_state / tree / weights; still importable from here (older import paths).
__all__ = ["Input", "InputLayer", "KerasTensor", "Layer", "Node", "LOSSES", "UPDATES", "Weight",
           "checked_weight_values", "clear_session", "flatten", "get_activation", "get_constraint",
           "get_initializer", "get_keras_mask", "get_regularizer", "map_structure", "random_seed", "serialize",
           "set_keras_mask", "set_random_seed", "standardize_dtype", "to_snake_case", "unique_name"]
