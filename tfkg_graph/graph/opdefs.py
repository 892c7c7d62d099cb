"""TensorFlow's op registry (TF_GetAllOpList) used to validate nodes as they are built."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..runtime import dtypes, protos
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


def _python_attr(attr: Any) -> Any:
    kind = attr.WhichOneof("value")
    if kind == "list":
        lst = attr.list
        for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
            if len(getattr(lst, field)):
                return list(getattr(lst, field))
        return []
    return getattr(attr, kind) if kind else None


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
        _write_shape(attr.shape, value)
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
        _write_shape(lst.shape.add(), v)
    else:
        raise GraphBuildError(f"list attr kind {inner!r} is not supported by the builder")


def _write_shape(proto: Any, shape: Any) -> None:
    proto.SetInParent()
    if shape is None:
        proto.unknown_rank = True
        return
    for d in shape:
        proto.dim.add(size=-1 if d is None else int(d))


def python_attr(attr: Any) -> Any:
    """An AttrValue as a plain Python value (shapes as tuples with None for unknown dims)."""
    value = _python_attr(attr)
    if attr.WhichOneof("value") == "shape":
        return shape_from_proto(value)
    if isinstance(value, list) and value and hasattr(value[0], "unknown_rank"):
        return [shape_from_proto(s) for s in value]
    if isinstance(value, bytes):
        return value.decode()
    return value


def shape_from_proto(proto: Any) -> tuple[int | None, ...] | None:
    if proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else d.size for d in proto.dim)
