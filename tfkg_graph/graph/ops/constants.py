"""Constants, placeholders and conversion of Python values to graph tensors."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...runtime import dtypes, protos
from ..graph import Graph, Tensor, as_shape, get_default_graph


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


def constant(value: Any, dtype: Any = None, name: str | None = None, graph: Graph | None = None) -> Tensor:
    graph = graph or get_default_graph()
    if dtype is None:
        array = np.asarray(value)
        if array.dtype == np.float64 and not isinstance(value, np.ndarray):
            array = array.astype(np.float32)  # Python floats become float32, as in TF
        elif array.dtype == np.int64 and not isinstance(value, np.ndarray):
            array = array.astype(np.int32)
        dt = dtypes.as_dtype(array.dtype if array.dtype.kind not in "OSU" else "string")
    else:
        dt = dtypes.as_dtype(dtype)
        array = np.asarray(value, dtype=dtypes.to_numpy(dt))
    op = graph.create_op("Const", [], {"dtype": dt, "value": numpy_to_tensor_proto(array, dt)},
                         name=name or "Const")
    return op.outputs[0]


def convert(value: Any, dtype: Any = None, graph: Graph | None = None, name: str | None = None) -> Tensor:
    """A Tensor as is (checking dtype when given), anything else as a Const."""
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtypes.as_dtype(dtype):
            raise TypeError(f"{value.name!r} is {dtypes.name(value.dtype)}, expected "
                            f"{dtypes.name(dtypes.as_dtype(dtype))}")
        return value
    if hasattr(value, "value") and callable(value.value) and hasattr(value, "handle"):
        return value.value()  # a Variable read
    return constant(value, dtype=dtype, graph=graph, name=name)


def convert_pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Converts two operands so a Python number takes the dtype of the Tensor beside it."""
    if isinstance(a, Tensor) or not isinstance(b, Tensor):
        a = convert(a)
        return a, convert(b, dtype=None if isinstance(b, Tensor) else a.dtype, graph=a.graph)
    return convert(a, dtype=b.dtype, graph=b.graph), b


def placeholder(dtype: Any, shape: Sequence[int | None] | None = None, name: str | None = None,
                graph: Graph | None = None) -> Tensor:
    graph = graph or get_default_graph()
    return graph.create_op("Placeholder", [], {"dtype": dtypes.as_dtype(dtype), "shape": as_shape(shape)},
                           name=name or "Placeholder").outputs[0]


def placeholder_with_default(default: Any, shape: Sequence[int | None] | None, name: str | None = None) -> Tensor:
    default = convert(default)
    return default.graph.create_op("PlaceholderWithDefault", [default], {"shape": as_shape(shape)},
                                   name=name or "PlaceholderWithDefault").outputs[0]
