"""Constants, placeholders and conversion of Python values to graph tensors."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...runtime import dtypes
from ...runtime.codecs import numpy_to_tensor_proto
from ...runtime.codecs import tensor_proto_to_numpy as tensor_proto_to_numpy  # re-export: the older import path
from ..graph import Graph, Tensor, as_shape, get_default_graph


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
