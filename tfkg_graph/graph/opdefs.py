"""TensorFlow's op registry (TF_GetAllOpList) used to validate nodes as they are built."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..runtime import dtypes, protos
from ..runtime.codecs import attr_raw, shape_from_proto, write_shape
from ..runtime.library import ffi, lib


class GraphBuildError(ValueError):
    """A node that TensorFlow would reject: unknown op, wrong inputs or attrs."""


@lru_cache(maxsize=1)
def registry() -> dict[str, Any]:
    L = lib()
    buf = L.TF_GetAllOpList()
    try:
        ops = protos.OpList.FromString(ffi.unpack(ffi.cast("char*", buf.data), buf.length))
    finally:
        L.TF_DeleteBuffer(buf)
    return {op.name: op for op in ops.op}


@lru_cache(maxsize=1)
def producer_version() -> int:
    """The GraphDef producer version of the loaded TF (what TF_GraphToGraphDef writes)."""
    from ..runtime.session import GraphHandle
    return GraphHandle().to_graph_def().versions.producer


def op_def(op_type: str, node: str = "") -> Any:
    try:
        return registry()[op_type]
    except KeyError:
        where = f" (node {node!r})" if node else ""
        raise GraphBuildError(f"unknown op type {op_type!r}{where}: not in the loaded TensorFlow's "
                              "op registry") from None


def set_attr_value(attr: Any, kind: str, value: Any) -> None:
    """Writes a Python value into an AttrValue according to the OpDef attr type."""
    if kind.startswith("list("):
        inner = kind[5:-1]
        lst = attr.list
        lst.SetInParent()
        for v in value:
            _append_list(lst, inner, v)
        return
    if kind == "string":
        attr.s = value if isinstance(value, bytes) else str(value).encode()
    elif kind == "int":
        attr.i = int(value)
    elif kind == "float":
        attr.f = float(value)
    elif kind == "bool":
        attr.b = bool(value)
    elif kind == "type":
        attr.type = dtypes.as_dtype(value)
    elif kind == "shape":
        write_shape(attr.shape, value)
    elif kind == "tensor":
        attr.tensor.CopyFrom(value)
    elif kind == "func":
        attr.func.name = value
    else:
        raise GraphBuildError(f"attr kind {kind!r} is not supported by the builder")


def _append_list(lst: Any, inner: str, v: Any) -> None:
    if inner == "string":
        lst.s.append(v if isinstance(v, bytes) else str(v).encode())
    elif inner == "int":
        lst.i.append(int(v))
    elif inner == "float":
        lst.f.append(float(v))
    elif inner == "bool":
        lst.b.append(bool(v))
    elif inner == "type":
        lst.type.append(dtypes.as_dtype(v))
    elif inner == "shape":
        write_shape(lst.shape.add(), v)
    else:
        raise GraphBuildError(f"list attr kind {inner!r} is not supported by the builder")


def python_attr(attr: Any) -> Any:
    """An AttrValue as a plain Python value (shapes as tuples with None for unknown dims)."""
    value = attr_raw(attr)
    if attr.WhichOneof("value") == "shape":
        return shape_from_proto(value)
    if isinstance(value, list) and value and hasattr(value[0], "unknown_rank"):
        return [shape_from_proto(s) for s in value]
    if isinstance(value, bytes):
        return value.decode()
    return value
