"""Resource variables and their seeded initializers (TF's resource_variable_ops + init_ops)."""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ...runtime import dtypes
from ..graph import Graph, Operation, Tensor, as_shape, get_default_graph
from ._base import make, out
from .constants import constant, convert, placeholder

VARIABLES = "variables"
TRAINABLE_VARIABLES = "trainable_variables"


class Variable:
    """A resource variable: a VarHandleOp, its initializer and reads on demand.

    ``value()`` adds a ReadVariableOp in the current scope; gradients flow to the handle, so every
    read of the variable contributes to its gradient.
    """

    def __init__(self, initial_value: Callable[[], Tensor] | Any, shape: Sequence[int] | None = None,
                 dtype: Any = "float32", name: str = "Variable", trainable: bool = True,
                 graph: Graph | None = None):
        self.graph = graph or get_default_graph()
        self.dtype = dtypes.as_dtype(dtype)
        g = self.graph
        with g.name_scope(name) as scope:
            self.name = scope[:-1]
            with g.control_dependencies(None):
                init_value = initial_value() if callable(initial_value) else constant(
                    np.asarray(initial_value, dtype=dtypes.to_numpy(self.dtype)), graph=g, name="initial_value")
            self.shape = as_shape(shape) if shape is not None else init_value.shape
            self.handle = g.create_op("VarHandleOp", [], {
                "dtype": self.dtype, "shape": self.shape, "shared_name": self.name,
                "container": "", "allowed_devices": []}, name=self.name, exact_name=True).outputs[0]
            with g.control_dependencies(None):
                self.initializer = make("AssignVariableOp", [self.handle, init_value], name="Assign",
                                        graph=g)
                self.initial_value = init_value
        self.trainable = trainable
        self._assign_placeholder: tuple[Tensor, Operation] | None = None
        g.add_to_collection(VARIABLES, self)
        if trainable:
            g.add_to_collection(TRAINABLE_VARIABLES, self)

    def value(self, name: str | None = None) -> Tensor:
        return out("ReadVariableOp", [self.handle], {"dtype": self.dtype}, name=name or "ReadVariableOp")

    read = value

    def assign(self, value: Any, name: str | None = None) -> Operation:
        return make("AssignVariableOp", [self.handle, convert(value, self.dtype, self.graph)],
                    name=name or "AssignVariableOp")

    def assign_add(self, delta: Any, name: str | None = None) -> Operation:
        return make("AssignAddVariableOp", [self.handle, convert(delta, self.dtype, self.graph)],
                    name=name or "AssignAddVariableOp")

    def assign_sub(self, delta: Any, name: str | None = None) -> Operation:
        return make("AssignSubVariableOp", [self.handle, convert(delta, self.dtype, self.graph)],
                    name=name or "AssignSubVariableOp")

    def assign_from_feed(self) -> tuple[Tensor, Operation]:
        """A placeholder and an assign op, made once, for setting the value from numpy."""
        if self._assign_placeholder is None:
            g = self.graph
            with g.name_scope(self.name + "/"), g.control_dependencies(None):
                ph = placeholder(self.dtype, self.shape, name="feed_value", graph=g)
                self._assign_placeholder = (ph, self.assign(ph, name="assign_from_feed"))
        return self._assign_placeholder

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={dtypes.name(self.dtype)}>"


# ---- initializers (Keras 3 names, arguments and distributions) ----------------------------------
def _fans(shape: Sequence[int], input_axes: Sequence[int] | None = None,
          output_axes: Sequence[int] | None = None) -> tuple[float, float]:
    """Keras' fan computation: the given axes' sizes, else the last two dims times the receptive field."""
    if input_axes is not None and output_axes is not None:
        return float(np.prod([shape[a] for a in input_axes])), float(np.prod([shape[a] for a in output_axes]))
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def _random(op_type: str, shape: Sequence[int], dtype: int, seed: int | None, graph: Graph) -> Tensor:
    s1, s2 = graph.next_seed()
    if seed is not None:
        s1, s2 = int(seed), s2
    shape_t = constant(np.asarray(shape, dtype=np.int32), graph=graph, name="shape")
    return graph.create_op(op_type, [shape_t], {"dtype": dtype, "seed": s1, "seed2": s2},
                           name=op_type).outputs[0]


class Initializer:
    """Callable as ``init(shape, dtype, graph)`` -> Tensor; ``get_config`` round-trips like Keras."""

    def __call__(self, shape: Sequence[int], dtype: Any = "float32", graph: Graph | None = None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Initializer":
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape, dtype="float32", graph=None):
        dt = dtypes.as_dtype(dtype)
        return constant(np.zeros(shape, dtypes.to_numpy(dt)), graph=graph or get_default_graph(), name="zeros")


class Ones(Initializer):
    def __call__(self, shape, dtype="float32", graph=None):
        dt = dtypes.as_dtype(dtype)
        return constant(np.ones(shape, dtypes.to_numpy(dt)), graph=graph or get_default_graph(), name="ones")


class Constant(Initializer):
    def __init__(self, value: Any = 0.0):
        self.value = value

    def __call__(self, shape, dtype="float32", graph=None):
        dt = dtypes.as_dtype(dtype)
        value = np.broadcast_to(np.asarray(self.value, dtypes.to_numpy(dt)), tuple(shape))
        return constant(np.ascontiguousarray(value), graph=graph or get_default_graph(), name="constant")


class RandomUniform(Initializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype="float32", graph=None):
        g = graph or get_default_graph()
        dt = dtypes.as_dtype(dtype)
        u = _random("RandomUniform", shape, dt, self.seed, g)
        return u * (self.maxval - self.minval) + self.minval


class RandomNormal(Initializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype="float32", graph=None):
        g = graph or get_default_graph()
        return _random("RandomStandardNormal", shape, dtypes.as_dtype(dtype), self.seed, g) * self.stddev + self.mean


class TruncatedNormal(RandomNormal):
    """Normal cut at two standard deviations (values resampled), as Keras and TF do."""

    def __call__(self, shape, dtype="float32", graph=None):
        g = graph or get_default_graph()
        return _random("TruncatedNormal", shape, dtypes.as_dtype(dtype), self.seed, g) * self.stddev + self.mean


class VarianceScaling(Initializer):
    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling mode must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling distribution {distribution!r} is not known")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape, dtype="float32", graph=None):
        g = graph or get_default_graph()
        dt = dtypes.as_dtype(dtype)
        fan_in, fan_out = _fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        scale = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            # 0.879... is the stddev of a unit normal truncated to [-2, 2]
            return _random("TruncatedNormal", shape, dt, self.seed, g) * (math.sqrt(scale) / 0.87962566103423978)
        if self.distribution == "untruncated_normal":
            return _random("RandomStandardNormal", shape, dt, self.seed, g) * math.sqrt(scale)
        limit = math.sqrt(3.0 * scale)
        return _random("RandomUniform", shape, dt, self.seed, g) * (2 * limit) - limit


class Orthogonal(Initializer):
    """Keras' orthogonal matrix (QR of a standard normal one, columns sign-corrected by diag(R)), times
    ``gain``; built in the graph from TF's Qr op so it follows the graph's seeds like the other randoms."""

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain, self.seed = gain, seed

    def __call__(self, shape, dtype="float32", graph=None):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer needs a shape of rank >= 2, got {tuple(shape)}")
        g = graph or get_default_graph()
        rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
        flat = (max(rows, cols), min(rows, cols))
        normal = _random("RandomStandardNormal", flat, dtypes.as_dtype(dtype), self.seed, g)
        q, r = g.create_op("Qr", [normal], {"full_matrices": False}, name="Qr").outputs
        eye = constant(np.eye(flat[1], dtype=dtypes.to_numpy(dtypes.as_dtype(dtype))), graph=g, name="eye")
        diag_sign = g.create_op("Sign", [g.create_op("Sum", [r * eye, constant(np.int32(0), graph=g)],
                                                     {"keep_dims": False}).outputs[0]], {}).outputs[0]
        q = q * diag_sign
        if rows < cols:
            q = g.create_op("Transpose", [q, constant(np.array([1, 0], np.int32), graph=g)], {}).outputs[0]
        q = g.create_op("Reshape", [q, constant(np.asarray(shape, np.int32), graph=g)], {}).outputs[0]
        return q * self.gain


def _scaled(name: str, scale: float, mode: str, distribution: str) -> type:
    def __init__(self, seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}
    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"VarianceScaling({scale}, {mode!r}, {distribution!r})."})


GlorotUniform = _scaled("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _scaled("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _scaled("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _scaled("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _scaled("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _scaled("LecunNormal", 1.0, "fan_in", "truncated_normal")

INITIALIZERS: dict[str, type] = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
    "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
    "orthogonal": Orthogonal,
}


def get_initializer(identifier: Any) -> Initializer:
    """'glorot_uniform', a class, an instance or a Keras-style config dict -> an Initializer."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        if identifier not in INITIALIZERS:
            raise ValueError(f"unknown initializer {identifier!r}; known: {sorted(INITIALIZERS)}")
        return INITIALIZERS[identifier]()
    if isinstance(identifier, dict):
        by_class = {cls.__name__: cls for cls in INITIALIZERS.values()}
        return by_class[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    raise ValueError(f"cannot interpret {identifier!r} as an initializer")


def global_variables(graph: Graph | None = None) -> list[Variable]:
    return list((graph or get_default_graph()).collections.get(VARIABLES, []))


def trainable_variables(graph: Graph | None = None) -> list[Variable]:
    return list((graph or get_default_graph()).collections.get(TRAINABLE_VARIABLES, []))
