"""``keras.ops.numpy`` reductions, cumulative ops and sorting (TopKV2 along the last axis)."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "prod", "any", "all", "argmax", "argmin", "std", "var",
           "ptp", "count_nonzero", "cumsum", "cumprod", "sort", "argsort"]

Axis = int | Sequence[int] | None


def _accumulating(x: Tensor) -> Tensor:
    """Keras sums small integers and bools in 32 bits."""
    name = dtypes.name(x.dtype)
    if name in ("bool", "int8", "int16"):
        return math.cast(x, "int32")
    if name in ("uint8", "uint16"):
        return math.cast(x, "uint32")
    return x


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras' name
    return math.reduce_sum(_accumulating(to_tensor(x)), axis=axis, keepdims=keepdims)


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    x = to_tensor(x)
    x = math.cast(x, dtype) if dtype is not None else _accumulating(x)
    return math.reduce_prod(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    compute = result_type(x, "float32")
    out = math.reduce_mean(math.cast(x, compute), axis=axis, keepdims=keepdims)
    return math.cast(out, dtypes.name(x.dtype)) if dtypes.is_floating(x.dtype) else out


def _extreme(reduce, bool_reduce, pick):
    def fn(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> Tensor:
        x = to_tensor(x)
        if x.dtype == dtypes.BOOL:
            out = bool_reduce(x, axis=axis, keepdims=keepdims)
            if initial is not None:
                out = math.cast(pick(math.cast(out, "int32"), to_tensor(initial, "int32")), "bool")
            return out
        out = reduce(x, axis=axis, keepdims=keepdims)
        return pick(out, to_tensor(initial, dtypes.name(x.dtype))) if initial is not None else out
    fn.__doc__ = "Reduction over ``axis`` (all axes when None), bounded by ``initial`` when given."
    return fn


max = _extreme(math.reduce_max, math.reduce_any, math.maximum)  # noqa: A001 - Keras' name
min = _extreme(math.reduce_min, math.reduce_all, math.minimum)  # noqa: A001 - Keras' name


def amax(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return max(x, axis=axis, keepdims=keepdims)


def amin(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return min(x, axis=axis, keepdims=keepdims)


def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras' name
    return math.reduce_any(math.cast(to_tensor(x), "bool"), axis=axis, keepdims=keepdims)


def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001 - Keras' name
    return math.reduce_all(math.cast(to_tensor(x), "bool"), axis=axis, keepdims=keepdims)


def _arg(op):
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the extreme along ``axis``; of the flattened tensor when ``axis`` is None."""
        x = to_tensor(x)
        flat = axis is None or x.rank == 0
        out = op(array.reshape(x, [-1]) if flat else x, 0 if flat else axis, output_type="int32")
        if not keepdims:
            return out
        if flat:
            return array.reshape(out, [1] * (x.rank or 0)) if x.rank is not None else out
        return array.expand_dims(out, axis)
    return fn


argmax, argmin = _arg(math.argmax), _arg(math.argmin)


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    xf = math.cast(x, result_type(x, "float32"))
    centred = xf - math.reduce_mean(xf, axis=axis, keepdims=True)
    out = math.reduce_mean(math.square(centred), axis=axis, keepdims=keepdims)
    return math.cast(out, result_type(x, float))


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    if not dtypes.is_floating(x.dtype):
        x = math.cast(x, FLOATX)
    return math.sqrt(var(x, axis=axis, keepdims=keepdims))


def ptp(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    return math.reduce_max(x, axis=axis, keepdims=keepdims) - math.reduce_min(x, axis=axis, keepdims=keepdims)


def count_nonzero(x: Any, axis: Axis = None) -> Tensor:
    x = to_tensor(x)
    return math.reduce_sum(math.cast(math.not_equal(x, array.zeros_like(x)), "int32"), axis=axis)


def _cumulative(op):
    def fn(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
        x = to_tensor(x, dtype)
        if x.dtype == dtypes.BOOL:
            x = math.cast(x, "int32")
        if axis is None:
            x, axis = array.reshape(x, [-1]), 0
        return op(x, axis=axis)
    fn.__doc__ = "Cumulative op along ``axis`` (over the flattened tensor when None)."
    return fn


cumsum, cumprod = _cumulative(numpy_ops.cumsum), _cumulative(numpy_ops.cumprod)


def _to_last(x: Tensor, axis: int | None) -> tuple[Tensor, list[int] | None]:
    if axis is None:
        return array.reshape(x, [-1]), None
    if x.rank is None:
        raise ValueError("sort/argsort need a known rank")
    axis %= x.rank
    if axis == x.rank - 1:
        return x, None
    perm = [i for i in range(x.rank) if i != axis] + [axis]
    return array.transpose(x, perm), perm


def _back(t: Tensor, perm: list[int] | None) -> Tensor:
    if perm is None:
        return t
    inverse = sorted(range(len(perm)), key=perm.__getitem__)
    return array.transpose(t, inverse)


def _n_last(x: Tensor) -> Any:
    n = x.shape[-1] if x.shape is not None else None
    return n if n is not None else array.strided_slice(array.shape(x), [-1], [0], [1], end_mask=1,
                                                       shrink_axis_mask=1)


def sort(x: Any, axis: int | None = -1) -> Tensor:
    """Ascending along ``axis``: the top-k of the negated values, negated back."""
    x = to_tensor(x)
    original = x.dtype
    if original == dtypes.BOOL:
        x = math.cast(x, "int8")
    moved, perm = _to_last(x, axis)
    values = math.negative(numpy_ops.top_k(math.negative(moved), _n_last(moved))[0])
    return math.cast(_back(values, perm), original)


def argsort(x: Any, axis: int | None = -1) -> Tensor:
    x = to_tensor(x)
    if x.dtype == dtypes.BOOL or dtypes.name(x.dtype).startswith("uint"):
        x = math.cast(x, "int32")
    moved, perm = _to_last(x, axis)
    return _back(numpy_ops.top_k(math.negative(moved), _n_last(moved))[1], perm)
