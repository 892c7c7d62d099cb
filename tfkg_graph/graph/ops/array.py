"""Shapes, slicing, joining and gathering (TF's array_ops)."""
from __future__ import annotations

import builtins
from typing import Any, Sequence

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor, get_default_graph
from ._base import make, out
from .constants import constant, convert


_SLICE = builtins.slice  # `slice` below is the op, as in TF


def _i32(value: Any, like: Tensor) -> Tensor:
    return value if isinstance(value, Tensor) else constant(np.asarray(value, dtype=np.int32), graph=like.graph)


def identity(x, name=None): return out("Identity", [convert(x)], name=name)
def stop_gradient(x, name=None): return out("StopGradient", [convert(x)], name=name)
def zeros_like(x, name=None): return out("ZerosLike", [convert(x)], name=name)
def ones_like(x, name=None): return out("OnesLike", [convert(x)], name=name)


def shape(x: Any, out_type: Any = "int32", name: str | None = None) -> Tensor:
    return out("Shape", [convert(x)], {"out_type": dtypes.as_dtype(out_type)}, name=name)


def size(x: Any, out_type: Any = "int32", name: str | None = None) -> Tensor:
    return out("Size", [convert(x)], {"out_type": dtypes.as_dtype(out_type)}, name=name)


def rank(x: Any, name: str | None = None) -> Tensor:
    return out("Rank", [convert(x)], name=name)


def reshape(x: Any, new_shape: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    if isinstance(new_shape, (list, tuple)) and any(isinstance(d, Tensor) for d in new_shape):
        new_shape = stack([_i32(d, x) for d in new_shape])
    return out("Reshape", [x, _i32(new_shape, x)], name=name)


def expand_dims(x: Any, axis: int, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("ExpandDims", [x, _i32(axis, x)], name=name)


def squeeze(x: Any, axis: Sequence[int] | int | None = None, name: str | None = None) -> Tensor:
    axis = [axis] if isinstance(axis, int) else list(axis or [])
    return out("Squeeze", [convert(x)], {"squeeze_dims": axis}, name=name)


def transpose(x: Any, perm: Any = None, name: str | None = None) -> Tensor:
    x = convert(x)
    if perm is None and x.rank is not None:
        perm = list(range(x.rank))[::-1]
    elif perm is None:  # unknown rank: reverse the dims at run time, as TF does
        r = rank(x)
        perm = range_(r - 1, -1, -1)
    return out("Transpose", [x, _i32(perm, x)], name=name)


def concat(values: Sequence[Any], axis: int, name: str | None = None) -> Tensor:
    values = [convert(v) for v in values]
    if len(values) == 1:
        return identity(values[0], name=name)
    return out("ConcatV2", [values, _i32(axis, values[0])], name=name)


def split(x: Any, num_or_sizes: int | Sequence[int], axis: int = 0, name: str | None = None) -> list[Tensor]:
    x = convert(x)
    if isinstance(num_or_sizes, int):
        return make("Split", [_i32(axis, x), x], {"num_split": num_or_sizes}, name=name).outputs
    return make("SplitV", [x, _i32(list(num_or_sizes), x), _i32(axis, x)],
                {"num_split": len(num_or_sizes)}, name=name).outputs


def slice(x: Any, begin: Any, size: Any, name: str | None = None) -> Tensor:  # noqa: A001 - TF's name
    x = convert(x)
    return out("Slice", [x, _i32(begin, x), _i32(size, x)], name=name)


def strided_slice(x: Any, begin: Any, end: Any, strides: Any, begin_mask: int = 0, end_mask: int = 0,
                  ellipsis_mask: int = 0, new_axis_mask: int = 0, shrink_axis_mask: int = 0,
                  name: str | None = None) -> Tensor:
    x = convert(x)
    return out("StridedSlice", [x, _i32(begin, x), _i32(end, x), _i32(strides, x)],
               {"begin_mask": begin_mask, "end_mask": end_mask, "ellipsis_mask": ellipsis_mask,
                "new_axis_mask": new_axis_mask, "shrink_axis_mask": shrink_axis_mask}, name=name)


def getitem(x: Tensor, key: Any) -> Tensor:
    """``x[1:, ..., None, 0]`` as one StridedSlice, like tf.Tensor.__getitem__."""
    key = key if isinstance(key, tuple) else (key,)
    begin, end, strides = [], [], []
    masks = dict(begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=0)
    for i, k in enumerate(key):
        bit = 1 << i
        if k is Ellipsis:
            masks["ellipsis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif k is None:
            masks["new_axis_mask"] |= bit
            begin.append(0), end.append(0), strides.append(1)
        elif isinstance(k, (int, np.integer)):
            masks["shrink_axis_mask"] |= bit
            begin.append(int(k)), end.append(int(k) + 1 if k != -1 else 0), strides.append(1)
            if k == -1:
                masks["end_mask"] |= bit
        elif isinstance(k, _SLICE):
            if k.start is None:
                masks["begin_mask"] |= bit
            if k.stop is None:
                masks["end_mask"] |= bit
            begin.append(k.start or 0), end.append(k.stop or 0), strides.append(k.step or 1)
        else:
            raise TypeError(f"unsupported index {k!r}; use gather for tensor indices")
    return strided_slice(x, begin, end, strides, **masks)


def stack(values: Sequence[Any], axis: int = 0, name: str | None = None) -> Tensor:
    values = [convert(v) for v in values]
    return out("Pack", [values], {"axis": axis}, name=name)


def unstack(x: Any, num: int | None = None, axis: int = 0, name: str | None = None) -> list[Tensor]:
    x = convert(x)
    num = num if num is not None else x.shape[axis]
    return make("Unpack", [x], {"num": num, "axis": axis}, name=name).outputs


def tile(x: Any, multiples: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("Tile", [x, _i32(multiples, x)], name=name)


def pad(x: Any, paddings: Any, constant_values: float = 0, name: str | None = None) -> Tensor:
    x = convert(x)
    if constant_values:
        return out("PadV2", [x, _i32(paddings, x), convert(constant_values, x.dtype, x.graph)], name=name)
    return out("Pad", [x, _i32(paddings, x)], name=name)


def gather(params: Any, indices: Any, axis: int = 0, batch_dims: int = 0, name: str | None = None) -> Tensor:
    params = convert(params)
    indices = convert(indices, graph=params.graph)
    return out("GatherV2", [params, indices, _i32(axis, params)], {"batch_dims": batch_dims}, name=name)


def fill(dims: Any, value: Any, name: str | None = None) -> Tensor:
    value = convert(value)
    return out("Fill", [_i32(dims, value), value], name=name)


def zeros(shape: Any, dtype: Any = "float32", name: str | None = None) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    if not isinstance(shape, Tensor) and all(isinstance(d, (int, np.integer)) for d in shape):
        return constant(np.zeros(shape, dtypes.to_numpy(dt)), name=name)
    return fill(shape, constant(np.zeros((), dtypes.to_numpy(dt))), name=name)


def ones(shape: Any, dtype: Any = "float32", name: str | None = None) -> Tensor:
    dt = dtypes.as_dtype(dtype)
    if not isinstance(shape, Tensor) and all(isinstance(d, (int, np.integer)) for d in shape):
        return constant(np.ones(shape, dtypes.to_numpy(dt)), name=name)
    return fill(shape, constant(np.ones((), dtypes.to_numpy(dt))), name=name)


def range_(start: Any, limit: Any, delta: Any = 1, name: str | None = None) -> Tensor:
    start = convert(start, dtype=dtypes.INT32) if not isinstance(start, Tensor) else start
    return out("Range", [start, convert(limit, start.dtype, start.graph), convert(delta, start.dtype, start.graph)],
               name=name)


def one_hot(indices: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0, axis: int = -1,
            dtype: Any = "float32", name: str | None = None) -> Tensor:
    indices = convert(indices)
    dt, g = dtypes.as_dtype(dtype), indices.graph
    return out("OneHot", [indices, constant(np.int32(depth), graph=g), constant(on_value, dt, graph=g),
                          constant(off_value, dt, graph=g)], {"axis": axis}, name=name)


def broadcast_to(x: Any, target_shape: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("BroadcastTo", [x, _i32(target_shape, x)], name=name)


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: Any, name: str | None = None) -> Tensor:
    data = convert(data)
    return out("UnsortedSegmentSum", [data, convert(segment_ids, graph=data.graph), _i32(num_segments, data)],
               name=name)


def invert_permutation(perm: Tensor, name: str | None = None) -> Tensor:
    return out("InvertPermutation", [perm], name=name)


def no_op(name: str | None = None, graph=None) -> Any:
    return make("NoOp", [], name=name, graph=graph or get_default_graph())


def group(ops: Sequence[Any], name: str | None = None) -> Any:
    """A NoOp that runs after all ``ops``: one target for a whole update step."""
    ops = [o.op if isinstance(o, Tensor) else o for o in ops]
    graph = ops[0].graph if ops else get_default_graph()
    with graph.control_dependencies(ops):
        return no_op(name=name or "group", graph=graph)


Tensor._override_operator("__getitem__", getitem)
