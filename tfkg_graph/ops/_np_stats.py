"""``keras.ops.numpy`` statistics: NaN-ignoring reductions, weighted averages, quantiles and medians.

Quantiles sort each row (TopKV2) and interpolate between two gathered neighbours, so they have gradients;
the NaN-ignoring versions push NaNs to the end of each row and count the valid entries per row instead
of looping over rows.
"""
from __future__ import annotations

import collections
from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor
from ._np_linalg_like import tensordot
from ._np_math import nan_to_num
from ._np_reduce import argmax, argmin, cumprod, cumsum, prod, sort
from ._np_shape import axis_of, dims, rank_of, shape_tensor, take_along_axis

__all__ = ["nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd", "nanargmax", "nanargmin",
           "nancumsum", "nancumprod", "average", "quantile", "percentile", "median", "nanquantile",
           "nanpercentile", "nanmedian"]

Axis = int | Sequence[int] | None


def _is_nan(x: Tensor) -> Tensor:
    return math.is_nan(x) if dtypes.is_floating(x.dtype) else math.not_equal(x, x)


def _replace_nan(x: Tensor, value: float) -> Tensor:
    return math.select(math.is_nan(x), math.scalar_like(x, value), x) if dtypes.is_floating(x.dtype) else x


def nansum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    accumulate = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32", "uint16": "uint32"}
    return math.reduce_sum(math.cast(_replace_nan(x, 0.0), accumulate.get(name, name)), axis=axis,
                           keepdims=keepdims)


def nanmean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    if axis == () or axis == []:
        return array.identity(x)
    if not dtypes.is_floating(x.dtype):
        return math.reduce_mean(math.cast(x, "float32"), axis=axis, keepdims=keepdims)
    dtype = result_type(x, float)
    total = math.cast(nansum(x, axis=axis, keepdims=keepdims), dtype)
    count = math.reduce_sum(math.cast(math.logical_not(math.is_nan(x)), dtype), axis=axis, keepdims=keepdims)
    return total / count


def _nan_extreme(reduce, bool_reduce, fill: float):
    def fn(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
        x = to_tensor(x)
        if not dtypes.is_floating(x.dtype):
            return (bool_reduce if x.dtype == dtypes.BOOL else reduce)(x, axis=axis, keepdims=keepdims)
        all_nan = math.reduce_all(math.is_nan(x), axis=axis, keepdims=keepdims)
        picked = reduce(_replace_nan(x, fill), axis=axis, keepdims=keepdims)
        return math.select(all_nan, math.scalar_like(x, float("nan")), picked)
    fn.__doc__ = "The extreme over ``axis`` ignoring NaNs (NaN where every entry is NaN)."
    return fn


nanmax = _nan_extreme(math.reduce_max, math.reduce_any, float("-inf"))
nanmin = _nan_extreme(math.reduce_min, math.reduce_all, float("inf"))


def nanprod(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return prod(_replace_nan(to_tensor(x), 1.0), axis=axis, keepdims=keepdims)


def nanvar(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    x = math.cast(x, result_type(x, float))
    valid = math.logical_not(math.is_nan(x))
    centred = math.select(valid, x - nanmean(x, axis=axis, keepdims=True), array.zeros_like(x))
    count = math.reduce_sum(math.cast(valid, dtypes.name(x.dtype)), axis=axis, keepdims=keepdims)
    return math.reduce_sum(math.square(centred), axis=axis, keepdims=keepdims) / count


def nanstd(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return math.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_arg(pick, fill: float):
    def fn(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
        x = to_tensor(x)
        if not dtypes.is_floating(x.dtype):
            return pick(x, axis=axis, keepdims=keepdims)
        nan = math.is_nan(x)
        all_nan = math.reduce_all(nan, axis=axis, keepdims=keepdims)
        found = pick(_replace_nan(x, fill), axis=axis, keepdims=keepdims)
        return math.select(all_nan, constant(np.int32(-1)), found)
    fn.__doc__ = "Index of the extreme ignoring NaNs (-1 where every entry is NaN)."
    return fn


nanargmax = _nan_arg(argmax, float("-inf"))
nanargmin = _nan_arg(argmin, float("inf"))


def nancumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    return cumsum(nan_to_num(x), axis=axis, dtype=dtype)


def nancumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    return cumprod(nan_to_num(x, nan=1.0), axis=axis, dtype=dtype)


def average(x: Any, axis: int | None = None, weights: Any = None) -> Tensor:
    x = to_tensor(x)
    if weights is None:
        return math.reduce_mean(math.cast(x, result_type(x, float)), axis=axis)
    weights = to_tensor(weights)
    dtype = result_type(x, weights, float)
    x, weights = math.cast(x, dtype), math.cast(weights, dtype)
    if axis is None or x.rank == weights.rank:
        return math.reduce_sum(x * weights, axis=axis) / math.reduce_sum(weights, axis=axis)
    return tensordot(x, weights, [[axis], [0]]) / math.reduce_sum(weights)


# ---- quantiles -----------------------------------------------------------------------------------
def _rows(x: Tensor, axis: Axis) -> tuple[Tensor, list[int] | None]:
    """``x`` with the reduced axes flattened into one last axis (all of them when ``axis`` is None)."""
    if axis is None:
        return array.reshape(x, [-1]), None
    rank = rank_of(x, "quantile")
    axes = sorted({axis_of(a, rank) for a in ([axis] if isinstance(axis, int) else axis)})
    others = [i for i in range(rank) if i not in axes]
    x_dims = dims(x)
    moved = array.transpose(x, others + axes) if others + axes != list(range(rank)) else x
    return array.reshape(moved, shape_tensor([x_dims[i] for i in others] + [-1])), axes


def _pick(sorted_rows: Tensor, count: Tensor, q: Tensor, method: str) -> Tensor:
    """Interpolated order statistics: ``count`` (int32, broadcast per row) valid sorted entries."""
    top = math.maximum(count - 1, constant(np.int32(0)))
    exact = math.cast(count - 1, "float64") * q

    def index(rounded: Tensor) -> Tensor:
        return math.minimum(math.maximum(math.cast(rounded, "int32"), constant(np.int32(0))), top)

    def take(indices: Tensor) -> Tensor:
        return take_along_axis(sorted_rows, indices, axis=-1)

    if method == "lower":
        return take(index(math.floor(exact)))
    if method == "higher":
        return take(index(math.ceil(exact)))
    if method == "nearest":
        return take(index(math.round(exact)))
    if method == "midpoint":
        return math.scalar_like(sorted_rows, 0.5) * (take(index(math.floor(exact))) + take(index(math.ceil(exact))))
    if method != "linear":
        raise ValueError(f"method must be linear, lower, higher, midpoint or nearest, got {method!r}")
    smaller = math.maximum(index(math.ceil(exact)) - 1, constant(np.int32(0)))
    larger = math.minimum(smaller + 1, top)
    fraction = math.cast(math.cast(larger, "float64") - exact, dtypes.name(sorted_rows.dtype))
    return take(larger) * (math.scalar_like(fraction, 1.0) - fraction) + take(smaller) * fraction


def _quantiles(x: Tensor, q: Any, axis: Axis, method: str, keepdims: bool, ignore_nan: bool) -> Tensor:
    """Keras' layout: the reduced axes removed (or kept as 1), the axes of ``q`` first."""
    q = math.cast(to_tensor(q), "float64")
    if (q.rank or 0) > 1:
        raise ValueError(f"q must be a scalar or a 1-D tensor, got shape {q.shape}")
    rows, axes = _rows(x, axis)
    nan = _is_nan(rows)
    if ignore_nan:
        count = math.reduce_sum(math.cast(math.logical_not(nan), "int32"), axis=-1, keepdims=True)
        rows = math.select(nan, math.scalar_like(rows, float("inf")), rows)
    else:
        count = math.reduce_sum(array.ones_like(math.cast(nan, "int32")), axis=-1, keepdims=True)
    q_row = array.reshape(q, [1, -1]) if rows.rank > 1 else array.reshape(q, [-1])
    out = _pick(sort(rows, axis=-1), count, q_row, method)
    invalid = math.equal(count, constant(np.int32(0))) if ignore_nan else math.reduce_any(nan, axis=-1, keepdims=True)
    out = math.select(invalid, math.scalar_like(out, float("nan")), out)
    if q.rank == 0:
        out = array.squeeze(out, -1)
    if keepdims:
        for a in axes if axes is not None else range(rank_of(x, "quantile")):
            out = array.expand_dims(out, a)
    if q.rank == 1 and out.rank >= 2:  # Keras rotates the q axis to the front
        perm = collections.deque(range(out.rank))
        perm.rotate(1)
        out = array.transpose(out, list(perm))
    return out


def _quantile_input(x: Any) -> Tensor:
    x = to_tensor(x)
    return math.cast(x, result_type(x, float))


def quantile(x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return _quantiles(_quantile_input(x), q, axis, method, keepdims, ignore_nan=False)


def percentile(x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return quantile(x, to_tensor(q, FLOATX) / constant(np.float32(100.0)), axis, method, keepdims)


def median(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def nanquantile(x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return _quantiles(_quantile_input(x), to_tensor(q, FLOATX), axis, method, keepdims, ignore_nan=True)


def nanpercentile(x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    return nanquantile(x, to_tensor(q, FLOATX) / constant(np.float32(100.0)), axis, method, keepdims)


def nanmedian(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    x = to_tensor(x)
    if axis == () or axis == []:
        return array.identity(x)
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)
