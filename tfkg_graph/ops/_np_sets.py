"""``keras.ops.numpy.unique`` over the flattened tensor, from a stable sort: a value starts a group where
it differs from its sorted predecessor; the groups give the unique values, first indices, inverse and
counts. The number of unique values is known only at run time (or fixed with ``size``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ._dtype_rules import to_tensor
from ._np_reduce import argsort

__all__ = ["unique"]


def _fit(t: Tensor, size: int, fill: Any) -> Tensor:
    """``t`` cut or padded (with ``fill``) to ``size`` entries."""
    count = array.size(t)
    kept = array.gather(t, array.range_(0, math.minimum(count, constant(np.int32(size))), 1))
    missing = math.maximum(constant(np.int32(size)) - count, constant(np.int32(0)))
    padded = array.pad(kept, array.reshape(array.stack([constant(np.int32(0)), missing]), [1, 2]),
                       constant_values=fill)
    return array.reshape(padded, [size])


def unique(x: Any, sorted: bool = True, return_index: bool = False, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, axis: int | None = None, size: int | None = None,
           fill_value: Any = None) -> Tensor | tuple[Tensor, ...]:
    """The distinct values of ``x`` (flattened), ascending or (``sorted=False``) in order of first
    appearance, with the first index, the inverse map and the count of each when asked."""
    if axis is not None:
        raise ValueError("unique(axis=...) is not supported here; unique works on the flattened tensor")
    x = to_tensor(x)
    flat = array.reshape(x, [-1])
    order = argsort(flat)  # ties keep their index order: the first of a group is its first appearance
    ordered = array.gather(flat, order)
    starts = math.not_equal(ordered[1:], ordered[:-1])
    starts = array.concat([constant(np.array([True])), starts], 0)
    group = numpy_ops.cumsum(math.cast(starts, "int32"), axis=0) - constant(np.int32(1))
    start_positions = array.reshape(math.cast(numpy_ops.where_indices(starts), "int32"), [-1])
    values = array.gather(ordered, start_positions)
    first_index = array.gather(order, start_positions)
    counts = array.concat([start_positions[1:], array.reshape(array.size(flat), [1])], 0) - start_positions
    inverse = array.unsorted_segment_sum(group, order, array.size(flat))  # group of each original position
    if not sorted:
        appearance = argsort(first_index)
        values, first_index, counts = (array.gather(t, appearance) for t in (values, first_index, counts))
        inverse = array.gather(array.invert_permutation(appearance), inverse)
    if size is not None:
        values = _fit(values, size, 0 if fill_value is None else fill_value)
        first_index, counts = _fit(first_index, size, 1), _fit(counts, size, 0)
    results = [values]
    if return_index:
        results.append(first_index)
    if return_inverse:
        results.append(array.reshape(inverse, array.shape(x)))
    if return_counts:
        results.append(counts)
    return tuple(results) if len(results) > 1 else results[0]

