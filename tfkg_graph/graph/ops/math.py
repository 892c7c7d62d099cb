"""Elementwise math, reductions and matrix products (TF's math_ops)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor
from . import array
from ._base import out
from .constants import constant, convert, convert_pair


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    return out(op_type, [convert(x)], name=name)


def _binary(op_type: str, x: Any, y: Any, name: str | None) -> Tensor:
    return out(op_type, list(convert_pair(x, y)), name=name)


def add(x, y, name=None): return _binary("AddV2", x, y, name)
def subtract(x, y, name=None): return _binary("Sub", x, y, name)
def multiply(x, y, name=None): return _binary("Mul", x, y, name)
def divide(x, y, name=None): return _binary("RealDiv", x, y, name)
def div_no_nan(x, y, name=None): return _binary("DivNoNan", x, y, name)
def maximum(x, y, name=None): return _binary("Maximum", x, y, name)
def minimum(x, y, name=None): return _binary("Minimum", x, y, name)
def pow(x, y, name=None): return _binary("Pow", x, y, name)  # noqa: A001 - TF's name
def squared_difference(x, y, name=None): return _binary("SquaredDifference", x, y, name)
def floor_div(x, y, name=None): return _binary("FloorDiv", x, y, name)
def floor_mod(x, y, name=None): return _binary("FloorMod", x, y, name)
def greater(x, y, name=None): return _binary("Greater", x, y, name)
def greater_equal(x, y, name=None): return _binary("GreaterEqual", x, y, name)
def less(x, y, name=None): return _binary("Less", x, y, name)
def less_equal(x, y, name=None): return _binary("LessEqual", x, y, name)
def equal(x, y, name=None): return _binary("Equal", x, y, name)
def not_equal(x, y, name=None): return _binary("NotEqual", x, y, name)
def logical_and(x, y, name=None): return _binary("LogicalAnd", x, y, name)
def logical_or(x, y, name=None): return _binary("LogicalOr", x, y, name)

def negative(x, name=None): return _unary("Neg", x, name)
def square(x, name=None): return _unary("Square", x, name)
def sqrt(x, name=None): return _unary("Sqrt", x, name)
def rsqrt(x, name=None): return _unary("Rsqrt", x, name)
def exp(x, name=None): return _unary("Exp", x, name)
def log(x, name=None): return _unary("Log", x, name)
def log1p(x, name=None): return _unary("Log1p", x, name)
def abs(x, name=None): return _unary("Abs", x, name)  # noqa: A001 - TF's name
def sign(x, name=None): return _unary("Sign", x, name)
def reciprocal(x, name=None): return _unary("Reciprocal", x, name)
def tanh(x, name=None): return _unary("Tanh", x, name)
def sigmoid(x, name=None): return _unary("Sigmoid", x, name)
def erf(x, name=None): return _unary("Erf", x, name)
def erfc(x, name=None): return _unary("Erfc", x, name)
def cos(x, name=None): return _unary("Cos", x, name)
def ceil(x, name=None): return _unary("Ceil", x, name)
def floor(x, name=None): return _unary("Floor", x, name)
def round(x, name=None): return _unary("Round", x, name)  # noqa: A001 - TF's name
def logical_not(x, name=None): return _unary("LogicalNot", x, name)
def is_nan(x, name=None): return _unary("IsNan", x, name)
def is_finite(x, name=None): return _unary("IsFinite", x, name)


def cast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    dt = dtypes.as_dtype(dtype)
    if x.dtype == dt:
        return x
    return out("Cast", [x], {"DstT": dt}, name=name)


def add_n(values: Sequence[Tensor], name: str | None = None) -> Tensor:
    values = [convert(v) for v in values]
    return values[0] if len(values) == 1 else out("AddN", [values], name=name)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           name: str | None = None) -> Tensor:
    a, b = convert_pair(a, b)
    if a.rank == 2 and b.rank == 2:
        return out("MatMul", [a, b], {"transpose_a": transpose_a, "transpose_b": transpose_b}, name=name)
    return out("BatchMatMulV2", [a, b], {"adj_x": transpose_a, "adj_y": transpose_b}, name=name)


def _axes(x: Tensor, axis: Any) -> Tensor:
    if axis is None:
        if x.rank is None:
            return array.range_(0, array.rank(x), 1)
        axis = list(range(x.rank))
    return convert(axis, dtype=dtypes.INT32, graph=x.graph) if not isinstance(axis, Tensor) else axis


def _reduce(op_type: str, x: Any, axis: Any, keepdims: bool, name: str | None) -> Tensor:
    x = convert(x)
    return out(op_type, [x, _axes(x, axis)], {"keep_dims": keepdims}, name=name)


def reduce_sum(x, axis=None, keepdims=False, name=None): return _reduce("Sum", x, axis, keepdims, name)
def reduce_mean(x, axis=None, keepdims=False, name=None): return _reduce("Mean", x, axis, keepdims, name)
def reduce_max(x, axis=None, keepdims=False, name=None): return _reduce("Max", x, axis, keepdims, name)
def reduce_min(x, axis=None, keepdims=False, name=None): return _reduce("Min", x, axis, keepdims, name)
def reduce_prod(x, axis=None, keepdims=False, name=None): return _reduce("Prod", x, axis, keepdims, name)
def reduce_all(x, axis=None, keepdims=False, name=None): return _reduce("All", x, axis, keepdims, name)
def reduce_any(x, axis=None, keepdims=False, name=None): return _reduce("Any", x, axis, keepdims, name)


def argmax(x: Any, axis: int = -1, output_type: Any = "int64", name: str | None = None) -> Tensor:
    x = convert(x)
    return out("ArgMax", [x, constant(axis, dtypes.INT32, graph=x.graph)],
               {"output_type": dtypes.as_dtype(output_type)}, name=name)


def argmin(x: Any, axis: int = -1, output_type: Any = "int64", name: str | None = None) -> Tensor:
    x = convert(x)
    return out("ArgMin", [x, constant(axis, dtypes.INT32, graph=x.graph)],
               {"output_type": dtypes.as_dtype(output_type)}, name=name)


def clip_by_value(x: Any, lo: Any, hi: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("ClipByValue", [x, convert(lo, x.dtype, x.graph), convert(hi, x.dtype, x.graph)], name=name)


def select(condition: Any, x: Any, y: Any, name: str | None = None) -> Tensor:
    x, y = convert_pair(x, y)
    return out("SelectV2", [convert(condition, graph=x.graph), x, y], name=name)


where = select


def scalar_like(x: Tensor, value: float) -> Tensor:
    """A scalar constant of ``x``'s dtype, for formulas such as ``1 - x``."""
    return constant(np.array(value, dtype=dtypes.to_numpy(x.dtype)), graph=x.graph)


def _reflected(fn: Callable[[Any, Any], Tensor]) -> Callable[[Any, Any], Tensor]:
    return lambda x, y: fn(y, x)


_BINARY_OPERATORS = {"add": add, "sub": subtract, "mul": multiply, "truediv": divide}
for _name, _fn in _BINARY_OPERATORS.items():
    Tensor._override_operator(f"__{_name}__", _fn)
    Tensor._override_operator(f"__r{_name}__", _reflected(_fn))
Tensor._override_operator("__matmul__", matmul)
Tensor._override_operator("__pow__", pow)
Tensor._override_operator("__neg__", negative)
