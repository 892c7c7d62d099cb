"""``keras.ops.numpy`` names that ``tfkg_graph.ops.core`` also has, with Keras' numpy defaults and dtype
rules (floatx fills, promotion across joined tensors, negative ``take`` indices, reflect/symmetric pads).

``tfkg_graph.ops.<name>`` keeps core's version; these are ``tfkg_graph.ops.numpy.<name>``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor, to_tensors
from ._np_shape import axis_of, dim, dims, rank_of, shape_tensor, split_at

__all__ = ["arange", "broadcast_to", "concatenate", "expand_dims", "full", "matmul", "ones", "ones_like", "zeros",
           "zeros_like", "pad", "reshape", "split", "squeeze", "stack", "take", "tile", "transpose", "view"]

_RANGE_DTYPES = ("bfloat16", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint16", "uint32")


def _dtype(dtype: Any) -> str:
    return FLOATX if dtype is None else dtypes.name(dtypes.as_dtype(dtype))


def _shape(shape: Any) -> Tensor:
    if isinstance(shape, Tensor):
        return shape
    shape = [shape] if isinstance(shape, (int, np.integer)) else list(shape)
    return shape_tensor([d if isinstance(d, Tensor) else int(d) for d in shape])


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Tensor:
    """``start, start + step, ...`` below ``stop``; the dtype of the arguments unless ``dtype`` is given."""
    if dtype is None:
        dtype = result_type(*[v for v in (start, stop, step) if v is not None])
    dtype = _dtype(dtype)
    if stop is None:
        start, stop = 0, start
    step = 1 if step is None else step
    compute = dtype if dtype in _RANGE_DTYPES else "float32"
    start, stop, step = (to_tensor(v, compute) for v in (start, stop, step))
    return math.cast(array.range_(start, stop, step), dtype)


def broadcast_to(x: Any, shape: Any) -> Tensor:
    return array.broadcast_to(to_tensor(x), _shape(shape))


def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    return array.concat(to_tensors(*xs), axis)


def expand_dims(x: Any, axis: int | Sequence[int]) -> Tensor:
    x = to_tensor(x)
    axes = [axis] if isinstance(axis, int) else list(axis)
    rank = rank_of(x, "expand_dims") + len(axes)
    for a in sorted(axis_of(a, rank) for a in axes):
        x = array.expand_dims(x, a)
    return x


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    return array.broadcast_to(to_tensor(fill_value, _dtype(dtype)), _shape(shape))


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    return full(shape, 0, dtype)


def ones(shape: Any, dtype: Any = None) -> Tensor:
    return full(shape, 1, dtype)


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    out = array.zeros_like(to_tensor(x))
    return out if dtype is None else math.cast(out, _dtype(dtype))


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    out = array.ones_like(to_tensor(x))
    return out if dtype is None else math.cast(out, _dtype(dtype))


def matmul(x1: Any, x2: Any) -> Tensor:
    """numpy's matmul (1-D operands are vectors, batch dims broadcast), computed in a float dtype."""
    a, b = to_tensors(x1, x2, dtype=result_type(x1, x2, float))
    ra, rb = rank_of(a, "matmul"), rank_of(b, "matmul")
    int8 = result_type(x1) == result_type(x2) == "int8" and ra != 1 and rb != 1
    dtype = "int32" if int8 else result_type(x1, x2)
    if ra == 0 or rb == 0:
        raise ValueError("matmul does not take scalars; use multiply")
    vector_a, vector_b = ra == 1, rb == 1
    a = array.expand_dims(a, 0) if vector_a else a
    b = array.expand_dims(b, -1) if vector_b else b
    out = math.matmul(a, b)
    if vector_a:
        out = array.squeeze(out, -2)
    if vector_b:
        out = array.squeeze(out, -1)
    return math.cast(out, dtype)


def _reflect_indices(n: int | Tensor, before: int, after: int, symmetric: bool) -> Tensor:
    """Source positions of a reflect/symmetric pad of an axis of length ``n``."""
    n = to_tensor(n, "int32")
    shift = 0 if symmetric else 1
    head = array.range_(constant(np.int32(before - 1 + shift)), constant(np.int32(shift - 1)), -1)
    tail = array.range_(n - 1 - shift, n - 1 - shift - after, -1)
    return array.concat([head, array.range_(0, n, 1), tail], 0)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    x = to_tensor(x)
    rank = rank_of(x, "pad")
    widths = np.asarray(pad_width, np.int32).reshape(-1, np.asarray(pad_width).shape[-1] if np.ndim(pad_width) else 1)
    widths = np.broadcast_to(np.repeat(widths, 2, axis=1) if widths.shape[1] == 1 else widths, (rank, 2))
    if mode == "constant":
        return array.pad(x, widths, constant_values=0 if constant_values is None else constant_values)
    if constant_values is not None:
        raise ValueError(f"Argument `constant_values` can only be provided when `mode == 'constant'`. Received: "
                         f"mode={mode}")
    if mode not in ("reflect", "symmetric"):
        raise ValueError(f"pad mode must be 'constant', 'reflect' or 'symmetric', got {mode!r}")
    for axis, (before, after) in enumerate(widths.tolist()):
        if before or after:
            x = array.gather(x, _reflect_indices(dim(x, axis), before, after, mode == "symmetric"), axis=axis)
    return x


def reshape(x: Any, newshape: Any) -> Tensor:
    return array.reshape(to_tensor(x), _shape(newshape))


def split(x: Any, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[Tensor]:
    x = to_tensor(x)
    return split_at(x, indices_or_sections, axis_of(axis, rank_of(x, "split")))


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    x = to_tensor(x)
    if axis is None:
        return array.squeeze(x)
    rank = rank_of(x, "squeeze")
    axes = sorted(axis_of(a, rank) for a in ([axis] if isinstance(axis, int) else axis))
    for a in axes:
        if x.shape[a] not in (1, None):
            raise ValueError(f"Cannot squeeze axis={a}, because the dimension is not 1.")
    return array.squeeze(x, axes)


def stack(x: Sequence[Any], axis: int = 0) -> Tensor:
    return array.stack(to_tensors(*x), axis)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Gather along ``axis`` (the flattened tensor when None); negative indices count from the end."""
    x = to_tensor(x)
    if axis is None:
        x, axis = array.reshape(x, [-1]), 0
    axis = axis_of(axis, rank_of(x, "take"))
    indices = to_tensor(indices)
    if not dtypes.name(indices.dtype).startswith("int"):
        indices = math.cast(indices, "int32")
    n = math.cast(to_tensor(dim(x, axis), "int32"), dtypes.name(indices.dtype))
    indices = math.select(math.less(indices, math.scalar_like(indices, 0)), indices + n, indices)
    return array.gather(x, indices, axis=axis)


def tile(x: Any, repeats: int | Sequence[int]) -> Tensor:
    x = to_tensor(x)
    repeats = [repeats] if isinstance(repeats, int) else list(repeats)
    rank = rank_of(x, "tile")
    repeats = [1] * (rank - len(repeats)) + repeats
    for _ in range(len(repeats) - rank):
        x = array.expand_dims(x, 0)
    return array.tile(x, shape_tensor([r if isinstance(r, Tensor) else int(r) for r in repeats]))


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    x = to_tensor(x)
    if not axes:
        return array.transpose(x)
    rank = rank_of(x, "transpose")
    perm = [axis_of(a, rank) for a in axes]
    if sorted(perm) != list(range(rank)):
        raise ValueError(f"`axes` must be a valid permutation of the input dimensions (no duplicates). "
                         f"Received: axes={list(axes)} for input of rank {rank}.")
    return array.transpose(x, perm)


def view(x: Any, dtype: Any = None) -> Tensor:
    """The same bytes read as ``dtype`` (the last axis grows or shrinks by the item size ratio)."""
    x = to_tensor(x)
    new = dtypes.as_dtype(_dtype(dtype) if dtype is not None else dtypes.name(x.dtype))
    old_size, new_size = np.dtype(dtypes.to_numpy(x.dtype)).itemsize, np.dtype(dtypes.to_numpy(new)).itemsize
    shape = dims(x)
    last = shape[-1] if shape else None
    if old_size == new_size:
        return array.reshape(numpy_ops.bitcast(x, new), array.shape(x))
    if last is None or isinstance(last, int) and last * old_size % new_size:
        raise ValueError(f"Cannot view array of shape {x.shape} and dtype {dtypes.name(x.dtype)} as dtype "
                         f"{dtypes.name(new)} because the total number of bytes is not divisible by the new itemsize.")
    if old_size > new_size:
        ratio = old_size // new_size
        return array.reshape(numpy_ops.bitcast(x, new), shape_tensor(shape[:-1] + [last * ratio]))
    ratio = new_size // old_size
    rows = last // ratio if isinstance(last, int) else math.floor_div(last, ratio)
    return numpy_ops.bitcast(array.reshape(x, shape_tensor(shape[:-1] + [rows, ratio])), new)
