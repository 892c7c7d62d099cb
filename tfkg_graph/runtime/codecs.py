"""Values <-> protos: numpy arrays as TensorProtos, shapes as TensorShapeProtos, AttrValues as Python.

The bottom of the import graph for anything that reads or writes graph files: the graph builder,
saving and the inspector share these instead of each decoding protos its own way.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import dtypes, protos


def numpy_to_tensor_proto(value: np.ndarray, dtype: int) -> Any:
    proto = protos.TensorProto(dtype=dtype)
    proto.tensor_shape.SetInParent()
    for d in value.shape:
        proto.tensor_shape.dim.add(size=d)
    if dtype == dtypes.STRING:
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in value.reshape(-1))
    elif value.size == 1 and dtype in (dtypes.FLOAT, dtypes.DOUBLE, dtypes.INT32, dtypes.INT64, dtypes.BOOL):
        # scalars and splat values stay readable in text GraphDefs, like TF Python writes them
        field = {dtypes.FLOAT: "float_val", dtypes.DOUBLE: "double_val", dtypes.INT32: "int_val",
                 dtypes.INT64: "int64_val", dtypes.BOOL: "bool_val"}[dtype]
        getattr(proto, field).append(value.reshape(-1)[0].item())
    else:
        proto.tensor_content = np.ascontiguousarray(value, dtype=dtypes.to_numpy(dtype)).tobytes()
    return proto


def tensor_proto_to_numpy(proto: Any) -> np.ndarray:
    shape = tuple(d.size for d in proto.tensor_shape.dim)
    if proto.dtype == dtypes.STRING:
        return np.array(list(proto.string_val), dtype=object).reshape(shape)
    np_dtype = dtypes.to_numpy(proto.dtype)
    count = int(np.prod(shape)) if shape else 1
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=np_dtype).reshape(shape).copy()
    field = {dtypes.FLOAT: proto.float_val, dtypes.DOUBLE: proto.double_val, dtypes.INT64: proto.int64_val,
             dtypes.BOOL: proto.bool_val, dtypes.UINT32: proto.uint32_val,
             dtypes.UINT64: proto.uint64_val}.get(proto.dtype, proto.int_val)
    if proto.dtype in (dtypes.HALF, dtypes.BFLOAT16):
        values = np.array(list(proto.half_val), dtype=np.uint16).view(np_dtype)
    else:
        values = np.array(list(field), dtype=np_dtype)
    if values.size == count:
        return values.reshape(shape)
    out = np.zeros(count, dtype=np_dtype)
    if values.size:  # TF repeats the last value to fill the tensor
        out[:values.size] = values
        out[values.size:] = values[-1]
    return out.reshape(shape)


def shape_from_proto(proto: Any) -> tuple[int | None, ...] | None:
    """A TensorShapeProto as a tuple with None for unknown dims; None for unknown rank."""
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in proto.dim)


def write_shape(proto: Any, shape: Sequence[int | None] | None) -> None:
    """Fills a TensorShapeProto (None: unknown rank; None dims: -1)."""
    proto.SetInParent()
    if shape is None:
        proto.unknown_rank = True
        return
    for d in shape:
        proto.dim.add(size=-1 if d is None else int(d))


def attr_raw(attr: Any) -> Any:
    """An AttrValue's payload: the set scalar field, or the non-empty list field as a list."""
    kind = attr.WhichOneof("value")
    if kind == "list":
        lst = attr.list
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            if len(getattr(lst, field)):
                return list(getattr(lst, field))
        return []
    return getattr(attr, kind) if kind else None
