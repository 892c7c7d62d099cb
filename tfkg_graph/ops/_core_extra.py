"""``keras.ops.core`` names beyond the first set: scatter/slice updates, switch, map, associative scan,
saturating casts and the tensor predicates (``dtype``, ``is_tensor``, ``convert_to_numpy``)."""
from __future__ import annotations

import builtins
from typing import Any, Callable, Sequence

import numpy as np

from .._tree import flatten, pack_as
from ..autodiff.custom_gradient import custom_gradient
from ..graph import Tensor
from ..graph.ops import array, control_flow, math, math_more
from ..graph.ops.constants import constant, convert
from ..graph.shapes import constant_value
from ..runtime import dtypes

__all__ = ["scatter", "scatter_update", "slice", "slice_update", "switch", "map", "vectorized_map",
           "associative_scan", "saturate_cast", "dtype", "is_tensor", "convert_to_numpy", "custom_gradient"]


def _indices(indices: Any, graph: Any) -> Tensor:
    if isinstance(indices, Tensor):
        return indices
    value = np.asarray(indices)
    return constant(value if value.dtype == np.int64 else value.astype(np.int32), graph=graph)


def scatter(indices: Any, values: Any, shape: Sequence[int]) -> Tensor:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (tf.scatter_nd: repeats add up)."""
    values = convert(values)
    indices = _indices(indices, values.graph)
    return math_more.scatter_nd(indices, values, shape if isinstance(shape, Tensor) else list(shape))


_SCATTERS = {None: "TensorScatterUpdate", "add": "TensorScatterAdd", "max": "TensorScatterMax",
             "min": "TensorScatterMin"}


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Tensor:
    """A copy of ``inputs`` with the slices at ``indices`` replaced, or combined with them by
    ``reduction`` ("add", "max", "min", "mul"; repeated indices combine every update)."""
    if reduction != "mul" and reduction not in _SCATTERS:
        raise ValueError(f"Unsupported reduction: {reduction}")
    inputs = convert(inputs)
    indices = _indices(indices, inputs.graph)
    if reduction == "mul":
        return inputs * _scattered_product(inputs, indices, convert(updates, inputs.dtype, inputs.graph))
    return math_more.tensor_scatter(_SCATTERS[reduction], inputs, indices, updates)


def _scattered_product(inputs: Tensor, indices: Tensor, updates: Tensor) -> Tensor:
    """Ones shaped like ``inputs`` times every update at its index: the updates multiplied per
    position (a segment product over flattened indices), so the product is differentiable."""
    if inputs.shape is None or None in inputs.shape or indices.shape is None or indices.shape[-1] is None:
        raise ValueError("scatter_update(reduction='mul') needs static shapes of inputs and indices")
    depth = indices.shape[-1]
    lead = list(inputs.shape[:depth])
    strides = np.cumprod([1] + lead[::-1])[:-1][::-1].astype(np.int64)
    flat_ids = math.reduce_sum(math.cast(indices, "int64") * constant(strides, graph=inputs.graph), axis=-1)
    product = math_more.unsorted_segment("UnsortedSegmentProd", updates, flat_ids, int(np.prod(lead)))
    return array.reshape(product, list(inputs.shape))


def _int_vector(values: Any, like: Tensor) -> Tensor:
    if isinstance(values, Tensor):
        return math.cast(values, "int32")
    if builtins.any(isinstance(v, Tensor) for v in values):
        return array.stack([math.cast(v, "int32") if isinstance(v, Tensor) else constant(np.int32(v), graph=like.graph)
                            for v in values])
    return constant(np.asarray(values, np.int32).reshape(-1), graph=like.graph)


def slice(inputs: Any, start_indices: Any, shape: Any) -> Tensor:  # noqa: A001 - Keras' name
    """The block of ``shape`` starting at ``start_indices`` (-1 in ``shape``: to the end)."""
    inputs = convert(inputs)
    return array.slice(inputs, _int_vector(start_indices, inputs), _int_vector(shape, inputs))


def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Tensor:
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``. Starts are clamped so the
    block fits, as XLA's dynamic_update_slice (Keras' TF backend) does; one TensorScatterUpdate."""
    inputs = convert(inputs)
    updates = convert(updates, inputs.dtype, inputs.graph)
    if inputs.rank is None or updates.rank != inputs.rank:
        raise ValueError(f"slice_update needs inputs and updates of the same known rank, got shapes "
                         f"{inputs.shape} and {updates.shape}")
    if inputs.shape is not None and updates.shape is not None and any(
            u is not None and i is not None and u > i for u, i in zip(updates.shape, inputs.shape)):
        raise ValueError(f"slice_update: updates of shape {updates.shape} do not fit in inputs of shape "
                         f"{inputs.shape}")
    rank = inputs.rank
    if rank == 0:
        return updates
    size = array.shape(updates)
    limit = array.shape(inputs) - size
    start = math.minimum(math.maximum(_int_vector(start_indices, inputs), 0), limit)
    axes = []
    for axis in range(rank):
        along = array.range_(0, size[axis]) + start[axis]
        view = [1] * rank
        view[axis] = -1
        axes.append(array.broadcast_to(array.reshape(along, view), size))
    return math_more.tensor_scatter("TensorScatterUpdate", inputs, array.stack(axes, axis=-1), updates)


def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """``branches[index](*operands)``, the index clipped to the valid range; a tensor index builds a
    chain of If ops (a Python int picks the branch now)."""
    if not branches:
        raise ValueError("switch needs at least one branch")
    last = len(branches) - 1
    if not isinstance(index, Tensor):
        value = np.asarray(index)
        if value.shape == ():
            return branches[builtins.min(builtins.max(int(value), 0), last)](*operands)
    index = math.cast(convert(index), "int32")

    def chain(i: int) -> Any:
        if i == last:
            return branches[i](*operands)
        return control_flow.cond(math.less_equal(index, i), lambda: branches[i](*operands),
                                 lambda: chain(i + 1), name="switch")
    return chain(0)


def map(f: Callable, xs: Any) -> Any:  # noqa: A001 - Keras' name
    """``f`` applied to each slice of ``xs`` along its leading axis, results stacked (a scan)."""
    def step(carry, x):
        return carry, f(x)
    _, ys = control_flow.scan(step, constant(np.int32(0)), xs)
    return ys


def vectorized_map(function: Callable, elements: Any) -> Any:
    """As ``map``: the per-element function runs once per slice inside one loop."""
    return map(function, elements)


def associative_scan(f: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Running combination ``f(previous, next)`` along ``axis`` (a static length), applied to slices that
    keep the axis with length 1; ``reverse`` scans from the end, as Keras."""
    if not callable(f):
        raise TypeError(f"`f` should be a callable. Received: f={f}")
    leaves = [convert(e) for e in flatten(elems)]
    lengths = {None if x.shape is None else x.shape[axis] for x in leaves}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(f"associative_scan needs the same known length along axis {axis} for every input, "
                         f"got {sorted(lengths, key=str)}")
    (n,) = lengths
    if reverse:
        leaves = [control_flow.reverse_(x, axis) for x in leaves]
    pieces = [array.split(x, n, axis) if n > 1 else [x] for x in leaves]
    running = [p[0] for p in pieces]
    results = [running]
    for i in range(1, n):
        combined = f(pack_as(elems, running), pack_as(elems, [p[i] for p in pieces]))
        running = [convert(c) for c in flatten(combined)]
        results.append(running)
    out = [array.concat([step[j] for step in results], axis) for j in range(len(leaves))]
    if reverse:
        out = [control_flow.reverse_(x, axis) for x in out]
    return pack_as(elems, out)


def _limits(dtype: int) -> tuple[Any, Any]:
    if dtype == dtypes.BOOL:
        return 0, 1
    np_dtype = dtypes.to_numpy(dtype)
    info = np.iinfo(np_dtype) if np.issubdtype(np_dtype, np.integer) else np.finfo(np_dtype)
    return info.min, info.max


def saturate_cast(x: Any, dtype: Any) -> Tensor:
    """Cast that clips to the target dtype's range first (Keras' limits, nudged inside the input dtype
    where the bound is not representable there)."""
    x = convert(x)
    target = dtypes.as_dtype(dtype)
    in_np = dtypes.to_numpy(x.dtype)
    in_min, in_max = _limits(x.dtype)
    out_min, out_max = _limits(target)
    low = np.asarray(np.maximum(in_min, out_min)).astype(in_np)
    if low < out_min:
        low = np.nextafter(low, 0, dtype=in_np)
    high = np.asarray(np.minimum(in_max, out_max)).astype(in_np)
    if high > out_max:
        high = np.nextafter(high, 0, dtype=in_np)
    return math.cast(math.clip_by_value(x, low, high), target)


def dtype(x: Any) -> str:
    """The standardized dtype name, e.g. ``"float32"``."""
    return dtypes.name(x.dtype if isinstance(x, Tensor) else convert(x).dtype)


def is_tensor(x: Any) -> bool:
    """True for graph tensors (what this package's ops return)."""
    return isinstance(x, Tensor)


def convert_to_numpy(x: Any) -> np.ndarray:
    """A numpy array; a graph tensor only when its value is known while building (a constant)."""
    if isinstance(x, Tensor):
        value = constant_value(x)
        if value is None:
            raise ValueError(f"tensor {x.name!r} has no value until its graph runs; fetch it with a Session "
                             "(or Model.predict)")
        return value
    return np.asarray(x)
