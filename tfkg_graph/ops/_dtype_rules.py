"""Keras 3's dtype promotion (``keras.backend.result_type``): JAX's lattice with weak Python scalars.

A Python ``int``/``float`` is "weak": it takes the dtype of the tensor beside it (``int32 + 1`` stays
int32, ``int32 + 1.5`` becomes floatx); 64-bit results stay 64-bit on the TensorFlow backend except
uint64 and complex128. ``to_tensors`` converts operands to the promoted dtype.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import math
from ..graph.ops.constants import constant
from ..runtime import dtypes

FLOATX = "float32"
_LATTICE = {  # each dtype -> the next ones up (Keras' _type_promotion_lattice)
    "bool": ["int"], "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": ["float"], "int": ["uint8", "int8"], "int8": ["int16"],
    "int16": ["int32"], "int32": ["int64"], "int64": ["float"], "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"], "float16": ["float32"], "float32": ["float64"], "float64": [],
}


def _upper_bounds() -> dict[str, set[str]]:
    bounds = {}
    for node in _LATTICE:
        seen, todo = {node}, [node]
        while todo:
            for up in _LATTICE[todo.pop()]:
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        bounds[node] = seen
    return bounds


_UPPER = _upper_bounds()


@functools.lru_cache(256)
def _least_upper_bound(*nodes: str) -> str:
    common = set.intersection(*(_UPPER[n] for n in nodes))
    least = (common & set(nodes)) or {c for c in common if common <= _UPPER[c]}
    if len(least) != 1:
        raise ValueError(f"dtypes {nodes} have no implicit promotion; cast explicitly")
    return least.pop()


def _weak(name: str) -> str:
    return name if name == "bool" else "float" if "float" in name else "int"


def _is_variable(x: Any) -> bool:
    """A layer Weight or a graph Variable: read through its ``value()``."""
    return not isinstance(x, (np.ndarray, np.generic)) and callable(getattr(x, "value", None))


def dtype_of(x: Any) -> tuple[str, bool]:
    """(dtype name, weak) of an operand: Python numbers are weak, arrays and tensors are not."""
    if x is int or x is float:
        return ("int64" if x is int else "float32"), True
    if isinstance(x, Tensor):
        return dtypes.name(x.dtype), False
    if _is_variable(x):
        return dtype_of(x.value())
    if isinstance(x, bool):
        return "bool", False
    if isinstance(x, int):
        return "int64", True
    if isinstance(x, float):
        return "float32", True
    if isinstance(x, str):
        return dtypes.name(dtypes.as_dtype(x)), False
    if isinstance(x, (list, tuple)):
        arr = np.asarray(x)
        weak = arr.dtype.kind in "if"
        return ("int64" if arr.dtype.kind == "i" else "float32" if arr.dtype.kind == "f" else arr.dtype.name), weak
    return np.asarray(x).dtype.name, False


def result_type(*args: Any) -> str:
    """The Keras result dtype of operands (tensors, arrays, Python numbers, dtype names, ``int``/``float``)."""
    if not args:
        return FLOATX
    pairs = [dtype_of(a) if a is not None else (FLOATX, False) for a in args]
    names = [n for n, _ in pairs]
    weak = [w for _, w in pairs]
    if len(pairs) == 1:
        out, out_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        out, out_weak = names[0], False
    elif all(weak):
        out, out_weak = _least_upper_bound(*set(names)), True
    else:
        out = _least_upper_bound(*{_weak(n) if w else n for n, w in zip(names, weak)})
        out_weak = out in ("int", "float")
    if out != "bool" and out_weak:  # a weak result takes the default precision of its kind
        out = "uint32" if out.startswith("u") else "int32" if out.startswith("i") else FLOATX
    return "uint32" if out == "uint64" else out


def float_type(x: Any) -> str:
    """The dtype of a float-valued result of ``x`` (ints and bools become floatx)."""
    return result_type(x, float)


def to_tensor(x: Any, dtype: str | None = None) -> Tensor:
    """``x`` as a tensor of ``dtype`` (its own dtype when None, Python numbers as Keras does)."""
    if isinstance(x, Tensor):
        return math.cast(x, dtype) if dtype is not None else x
    if _is_variable(x):
        return to_tensor(x.value(), dtype)
    return constant(x, dtype=dtype or result_type(x))


def to_tensors(*xs: Any, dtype: str | None = None) -> list[Tensor]:
    """All operands as tensors of their common Keras dtype (or ``dtype``)."""
    dtype = dtype or result_type(*xs)
    return [to_tensor(x, dtype) for x in xs]
