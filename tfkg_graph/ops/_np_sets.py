"""``keras.ops.numpy.unique`` from a stable (lexicographic) sort of the values or of the slices along
``axis``: an entry starts a group where it differs from its sorted predecessor; the groups give the
unique values, first indices, inverse and counts. Their number is known only at run time (or fixed
with ``size``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ._dtype_rules import to_tensor
from ._np_reduce import argsort
from ._np_shape import axis_of, moveaxis, rank_of

__all__ = ["unique"]


def _fit(t: Tensor, size: int, fill: Any) -> Tensor:
    """``t`` cut or padded (with ``fill``) to ``size`` entries along its first axis."""
    count = array.shape(t)[0]
    kept = array.gather(t, array.range_(0, math.minimum(count, constant(np.int32(size))), 1))
    missing = math.maximum(constant(np.int32(size)) - count, constant(np.int32(0)))
    rest = [[0, 0]] * ((t.rank or 1) - 1)
    first = array.reshape(array.stack([constant(np.int32(0)), missing]), [1, 2])
    paddings = array.concat([first, constant(np.asarray(rest, np.int32).reshape(-1, 2))], 0) if rest else first
    padded = array.pad(kept, paddings, constant_values=fill)
    return array.reshape(padded, [size] + list(t.shape[1:]))


def _lexicographic_order(rows: Tensor) -> Tensor:
    """A stable order of the rows of a 2-D tensor, by the first column, then the second, ..."""
    order = array.range_(0, array.shape(rows)[0], 1)
    for column in reversed(range(rows.shape[1])):
        order = array.gather(order, argsort(array.gather(rows[:, column], order)))
    return order


def unique(x: Any, sorted: bool = True, return_index: bool = False, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, axis: int | None = None, size: int | None = None,
           fill_value: Any = None) -> Tensor | tuple[Tensor, ...]:
    """The distinct values of ``x`` (flattened), or its distinct slices along ``axis``: ascending
    (lexicographic for slices) or, with ``sorted=False``, in order of first appearance; with the
    first index, the inverse map and the count of each when asked."""
    x = to_tensor(x)
    if axis is None:
        rows = array.reshape(x, [-1, 1])
    else:
        axis = axis_of(axis, rank_of(x, "unique"))
        moved = moveaxis(x, axis, 0)
        if moved.shape is None or None in moved.shape[1:]:
            raise ValueError(f"unique along an axis needs the other dims static, got shape {x.shape}")
        rows = array.reshape(moved, [-1, int(np.prod(moved.shape[1:], dtype=np.int64))])
    order = _lexicographic_order(rows)  # ties keep their index order: a group's first is its first appearance
    ordered = array.gather(rows, order)
    starts = math.reduce_any(math.not_equal(ordered[1:], ordered[:-1]), axis=1)
    starts = array.concat([constant(np.array([True])), starts], 0)
    group = numpy_ops.cumsum(math.cast(starts, "int32"), axis=0) - constant(np.int32(1))
    start_positions = array.reshape(math.cast(numpy_ops.where_indices(starts), "int32"), [-1])
    values = array.gather(ordered, start_positions)
    first_index = array.gather(order, start_positions)
    n = array.shape(rows)[0]
    counts = array.concat([start_positions[1:], array.reshape(n, [1])], 0) - start_positions
    inverse = array.unsorted_segment_sum(group, order, n)  # the group of each original position
    if not sorted:
        appearance = argsort(first_index)
        values, first_index, counts = (array.gather(t, appearance) for t in (values, first_index, counts))
        inverse = array.gather(array.invert_permutation(appearance), inverse)
    if axis is None:
        values = array.reshape(values, [-1])
    else:
        values = array.reshape(values, [-1] + list(moved.shape[1:]))
    if size is not None:
        values = _fit(values, size, 0 if fill_value is None else fill_value)
        first_index, counts = _fit(first_index, size, 1), _fit(counts, size, 0)
    if axis is not None:
        values = moveaxis(values, 0, axis)
    results = [values]
    if return_index:
        results.append(first_index)
    if return_inverse:
        results.append(array.reshape(inverse, array.shape(x)) if axis is None else inverse)
    if return_counts:
        results.append(counts)
    return tuple(results) if len(results) > 1 else results[0]
