"""``keras.ops.numpy`` array construction: copies, fills, eye and triangles, evenly spaced values, grids.

Shapes given as Python ints become constants; tensors (or unknown dims) are built at run time from
Range and comparisons, so masks and fills need no op without a gradient rule.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array as garray
from ..graph.ops import math
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor
from ._np_shape import dim, moveaxis, rank_of, shape_tensor

__all__ = ["array", "copy", "size", "ndim", "empty", "empty_like", "full_like", "eye", "identity", "tri", "tril",
           "triu", "linspace", "logspace", "geomspace", "meshgrid"]


def _dtype(dtype: Any, default: str = FLOATX) -> str:
    return default if dtype is None else dtypes.name(dtypes.as_dtype(dtype))


def array(x: Any, dtype: Any = None) -> Tensor:
    out = to_tensor(x, None if dtype is None else _dtype(dtype))
    return garray.identity(out) if out is x else out


def copy(x: Any) -> Tensor:
    return garray.identity(to_tensor(x))


def size(x: Any) -> Tensor:
    return garray.size(to_tensor(x))


def ndim(x: Any) -> int | Tensor:
    """The rank as a Python int (as Keras' TensorFlow backend), or an int32 tensor when unknown."""
    x = to_tensor(x)
    return x.rank if x.rank is not None else garray.rank(x)


def _shape_arg(shape: Any) -> Any:
    if isinstance(shape, Tensor):
        return shape
    shape = [shape] if isinstance(shape, (int, np.integer, Tensor)) else list(shape)
    return shape_tensor([d if isinstance(d, Tensor) else int(d) for d in shape])


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """Zeros: a graph has no uninitialised memory to hand out."""
    return garray.fill(_shape_arg(shape), constant(np.zeros((), dtypes.to_numpy(dtypes.as_dtype(_dtype(dtype))))))


def empty_like(x: Any, dtype: Any = None) -> Tensor:
    x = to_tensor(x)
    out = garray.zeros_like(x)
    return math.cast(out, _dtype(dtype)) if dtype is not None else out


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    x = to_tensor(x)
    fill = to_tensor(fill_value, _dtype(dtype, dtypes.name(x.dtype)))
    return garray.broadcast_to(fill, garray.shape(x))


def _diagonal_mask(rows: int | Tensor, cols: int | Tensor, k: int, relation: str) -> Tensor:
    """``col - row`` compared with ``k`` over a rows x cols grid ("eq" eye, "le" lower, "ge" upper)."""
    if isinstance(rows, int) and isinstance(cols, int):
        offsets = np.arange(cols)[None, :] - np.arange(rows)[:, None]
        return constant({"eq": offsets == k, "le": offsets <= k, "ge": offsets >= k}[relation])
    row = garray.expand_dims(garray.range_(0, to_tensor(rows, "int32"), 1), 1)
    col = garray.expand_dims(garray.range_(0, to_tensor(cols, "int32"), 1), 0)
    offsets = col - row
    compare = {"eq": math.equal, "le": math.less_equal, "ge": math.greater_equal}[relation]
    return compare(offsets, constant(np.int32(k)))


def eye(N: Any, M: Any = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras' names
    M = N if M is None else M  # noqa: N806
    return math.cast(_diagonal_mask(N, M, int(k), "eq"), _dtype(dtype))


def identity(n: Any, dtype: Any = None) -> Tensor:
    return eye(n, n, dtype=dtype)


def tri(N: Any, M: Any = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras' names
    M = N if M is None else M  # noqa: N806
    return math.cast(_diagonal_mask(N, M, int(k), "le"), _dtype(dtype))


def _triangle(x: Any, k: int, relation: str) -> Tensor:
    x = to_tensor(x)
    if rank_of(x, "tril/triu") < 2:
        raise ValueError(f"tril/triu need at least 2 dims, got shape {x.shape}")
    mask = _diagonal_mask(dim(x, -2), dim(x, -1), int(k), relation)
    return math.select(mask, x, garray.zeros_like(x))


def tril(x: Any, k: int = 0) -> Tensor:
    return _triangle(x, k, "le")


def triu(x: Any, k: int = 0) -> Tensor:
    return _triangle(x, k, "ge")


def _spaced(start: Tensor, stop: Tensor, num: int) -> Tensor:
    """TF's linspace along a new first axis: start, start + i * delta, then stop exactly."""
    delta = (stop - start) / math.scalar_like(start, max(num - 1, 1))
    steps = np.arange(1, max(num - 1, 1), dtype=dtypes.to_numpy(start.dtype))
    steps = constant(steps.reshape((-1,) + (1,) * (start.rank or 0)))
    inner = garray.expand_dims(start, 0) + garray.expand_dims(delta, 0) * steps
    joined = garray.concat([garray.expand_dims(start, 0), inner, garray.expand_dims(stop, 0)], 0)
    return joined[:num]


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Tensor | tuple[Tensor, Tensor]:
    if num < 0:
        raise ValueError(f"`num` must be a non-negative integer. Received: num={num}")
    dtype = result_type(start, stop, float) if dtype is None else _dtype(dtype)
    compute = dtype if dtypes.is_floating(dtypes.as_dtype(dtype)) else "float64"
    start, stop = to_tensor(start, compute), to_tensor(stop, compute)
    shape = garray.shape(start + stop)
    start, stop = garray.broadcast_to(start, shape), garray.broadcast_to(stop, shape)
    step = constant(np.float32(np.nan))
    if endpoint:
        if num > 1:
            step = (stop - start) / math.scalar_like(start, num - 1)
        result = _spaced(start, stop, num)
    else:
        if num > 0:
            step = (stop - start) / math.scalar_like(start, num)
        result = _spaced(start, stop - step if num > 1 else stop, num)
    if "int" in dtype:
        result = math.floor(result)
    result = math.cast(result, dtype)
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return (result, step) if retstep else result


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10, dtype: Any = None,
             axis: int = 0) -> Tensor:
    exponents = linspace(start, stop, num=num, endpoint=endpoint, dtype=dtype, axis=axis)
    return math.pow(math.scalar_like(exponents, base), exponents)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    """Geometric steps from ``start`` to ``stop`` (same sign): a logspace of their magnitudes."""
    start, stop = to_tensor(start), to_tensor(stop)
    compute = _dtype(dtype)
    log_start = math.log(math.cast(math.abs(start), compute))
    log_stop = math.log(math.cast(math.abs(stop), compute))
    ln10 = math.log(math.scalar_like(log_start, 10.0))
    result = logspace(log_start / ln10, log_stop / ln10, num=num, endpoint=endpoint, base=10, dtype=dtype, axis=axis)
    return result * math.cast(math.sign(math.cast(start, compute)), dtypes.name(result.dtype))


def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [garray.reshape(to_tensor(v), [-1]) for v in x]
    order = list(range(len(xs)))
    if indexing == "xy" and len(xs) >= 2:
        order[0], order[1] = 1, 0
    lengths = [dim(v, 0) for v in xs]
    full = shape_tensor([lengths[i] for i in order])
    grids = []
    for i, v in enumerate(xs):
        position = order.index(i)
        ones = [1] * len(xs)
        ones[position] = -1
        grids.append(garray.broadcast_to(garray.reshape(v, ones), full))
    return grids
