"""``keras.ops`` names over our graph ops, so a custom layer's ``call`` ports by changing the import.

Every function takes and returns graph Tensors (numbers and numpy arrays become constants) and has a
gradient rule behind it. Semantics follow Keras 3 (numpy-style arguments: ``axis``, ``keepdims``,
``axes``); ``shape`` gives the static dims as ints and the unknown ones as scalar tensors, as Keras'
TensorFlow backend does in a graph.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from .. import activations
from ..graph import Tensor
from ..graph.ops import array, control_flow, math
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes

__all__ = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "square", "sqrt", "rsqrt",
           "exp", "log", "log1p", "abs", "absolute", "sign", "reciprocal", "erf", "ceil", "floor", "round",
           "tanh", "sigmoid", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
           "logical_and", "logical_or", "logical_not", "stop_gradient", "negative", "relu", "relu6", "elu",
           "selu", "silu", "swish", "softplus", "softsign", "leaky_relu", "softmax", "log_softmax", "gelu",
           "convert_to_tensor", "cast", "matmul", "sum", "mean", "max", "min", "prod", "any", "all", "argmax",
           "argmin", "clip", "where", "shape", "reshape", "expand_dims", "squeeze", "transpose", "concatenate",
           "stack", "unstack", "split", "tile", "pad", "take", "broadcast_to", "one_hot", "zeros", "ones",
           "zeros_like", "ones_like", "full", "arange", "norm", "while_loop", "fori_loop", "scan", "cond"]


# elementwise
add, subtract, multiply, divide = math.add, math.subtract, math.multiply, math.divide
maximum, minimum, power = math.maximum, math.minimum, math.pow
square, sqrt, rsqrt, exp, log, log1p = math.square, math.sqrt, math.rsqrt, math.exp, math.log, math.log1p
abs = absolute = math.abs  # noqa: A001 - Keras' name
sign, reciprocal, erf, ceil, floor, round = math.sign, math.reciprocal, math.erf, math.ceil, math.floor, math.round  # noqa: A001
tanh, sigmoid = math.tanh, math.sigmoid
equal, not_equal, greater, greater_equal = math.equal, math.not_equal, math.greater, math.greater_equal
less, less_equal = math.less, math.less_equal
logical_and, logical_or, logical_not = math.logical_and, math.logical_or, math.logical_not
stop_gradient = array.stop_gradient
negative = math.negative

# activations (Keras' ops.relu ... are the activation functions)
relu, relu6, elu, selu, silu = activations.relu, activations.relu6, activations.elu, activations.selu, activations.silu
swish, softplus, softsign, leaky_relu = activations.silu, activations.softplus, activations.softsign, activations.leaky_relu
softmax, log_softmax = activations.softmax, activations.log_softmax


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Keras' ``ops.gelu`` defaults to the tanh approximation (the activation function does not)."""
    return activations.gelu(x, approximate=approximate)


def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    return convert(x, dtype)


def cast(x: Any, dtype: Any) -> Tensor:
    return math.cast(x, dtype)


def matmul(x1: Any, x2: Any) -> Tensor:
    return math.matmul(x1, x2)


def _reduction(fn):
    def reduce(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        return fn(x, axis=axis, keepdims=keepdims)
    reduce.__doc__ = f"Keras' ``ops`` reduction over ``axis`` (all axes if None) via ``{fn.__name__}``."
    return reduce


sum = _reduction(math.reduce_sum)  # noqa: A001 - Keras' names
mean = _reduction(math.reduce_mean)
max = _reduction(math.reduce_max)  # noqa: A001
min = _reduction(math.reduce_min)  # noqa: A001
prod = _reduction(math.reduce_prod)
any = _reduction(math.reduce_any)  # noqa: A001
all = _reduction(math.reduce_all)  # noqa: A001


def argmax(x: Any, axis: int = -1, keepdims: bool = False) -> Tensor:
    out = math.argmax(x, axis, output_type="int32")
    return array.expand_dims(out, axis) if keepdims else out


def argmin(x: Any, axis: int = -1, keepdims: bool = False) -> Tensor:
    out = math.argmin(x, axis, output_type="int32")
    return array.expand_dims(out, axis) if keepdims else out


def clip(x: Any, x_min: float, x_max: float) -> Tensor:
    return math.clip_by_value(x, x_min, x_max)


def where(condition: Any, x1: Any, x2: Any) -> Tensor:
    x1 = convert(x1)
    x2 = convert(x2, x1.dtype, x1.graph)
    return math.select(convert(condition), x1, x2)


# shapes and structure
def shape(x: Any) -> tuple[int | Tensor, ...]:
    x = convert(x)
    if x.shape is None:
        raise ValueError(f"ops.shape of {x.name!r} needs a known rank")
    dynamic = array.shape(x) if None in x.shape else None
    return tuple(d if d is not None else dynamic[i] for i, d in enumerate(x.shape))


def reshape(x: Any, newshape: Sequence[int | Tensor]) -> Tensor:
    if builtins.any(isinstance(d, Tensor) for d in newshape):
        newshape = array.stack([d if isinstance(d, Tensor) else constant(int(d), "int32") for d in newshape])
    return array.reshape(x, newshape)


def expand_dims(x: Any, axis: int) -> Tensor:
    return array.expand_dims(x, axis)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    return array.squeeze(x, axis)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    return array.transpose(x, axes)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return array.concat(list(xs), axis)


def stack(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return array.stack(list(xs), axis)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Tensor]:
    return array.unstack(x, num, axis)


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    """numpy's split: ``n`` equal parts, or cut before each index of a list."""
    if isinstance(indices_or_sections, int):
        return array.split(x, indices_or_sections, axis)
    x = convert(x)
    length = x.shape[axis] if x.shape is not None else None
    if length is None:
        raise ValueError("ops.split at indices needs the axis length to be known")
    bounds = [0, *indices_or_sections, length]
    return array.split(x, [b - a for a, b in zip(bounds, bounds[1:])], axis)


def tile(x: Any, repeats: Sequence[int]) -> Tensor:
    return array.tile(x, list(repeats))


def pad(x: Any, pad_width: Sequence[Sequence[int]], mode: str = "constant", constant_values: float | None = None) -> Tensor:
    if mode != "constant":
        raise ValueError(f"ops.pad supports mode='constant' only, got {mode!r}")
    return array.pad(x, [list(p) for p in pad_width], constant_values=constant_values or 0)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    if axis is None:
        return array.gather(array.reshape(x, [-1]), indices)
    return array.gather(x, indices, axis=axis)


def broadcast_to(x: Any, shape: Sequence[int]) -> Tensor:
    return array.broadcast_to(x, list(shape))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = "float32") -> Tensor:
    return array.one_hot(x, num_classes, axis=axis, dtype=dtype)


# creation
def zeros(shape: Sequence[int], dtype: Any = "float32") -> Tensor:
    return array.zeros(list(shape), dtype)


def ones(shape: Sequence[int], dtype: Any = "float32") -> Tensor:
    return array.ones(list(shape), dtype)


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    out = array.zeros_like(x)
    return math.cast(out, dtype) if dtype is not None else out


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    out = array.ones_like(x)
    return math.cast(out, dtype) if dtype is not None else out


def full(shape: Sequence[int], fill_value: float, dtype: Any = "float32") -> Tensor:
    return array.fill(list(shape), constant(np.asarray(fill_value, dtypes.to_numpy(dtypes.as_dtype(dtype)))))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = "int32") -> Tensor:
    if stop is None:
        start, stop = 0, start
    return math.cast(array.range_(start, stop, step), dtype)


def norm(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """The 2-norm (Frobenius over several axes), Keras' ``ops.norm`` default."""
    return math.sqrt(math.reduce_sum(math.square(x), axis=axis, keepdims=keepdims))


# control flow: While/If ops calling functions, differentiated by our own rules
while_loop, fori_loop, scan, cond = control_flow.while_loop, control_flow.fori_loop, control_flow.scan, control_flow.cond


# the rest of Keras' keras.src.ops.core (issue 19), so this module holds all of its names
from ._core_extra import *  # noqa: E402,F401,F403
from ._core_extra import __all__ as _extra_names  # noqa: E402

__all__ += _extra_names
