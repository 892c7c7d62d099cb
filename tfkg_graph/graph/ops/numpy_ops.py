"""Ops behind ``keras.ops.numpy`` that TF's math/array modules have and ours did not yet: trigonometry,
cumulative sums and products, top-k, bitwise ops, sorted-search bounds, bin counts and reversal."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor
from ..shapes import broadcast, constant_value, rule
from ._base import make, out
from .constants import constant, convert, convert_pair


def _unary(op_type: str, x: Any, name: str | None) -> Tensor:
    return out(op_type, [convert(x)], name=name)


def _binary(op_type: str, x: Any, y: Any, name: str | None) -> Tensor:
    return out(op_type, list(convert_pair(x, y)), name=name)


def sin(x, name=None): return _unary("Sin", x, name)
def cos(x, name=None): return _unary("Cos", x, name)
def tan(x, name=None): return _unary("Tan", x, name)
def asin(x, name=None): return _unary("Asin", x, name)
def acos(x, name=None): return _unary("Acos", x, name)
def atan(x, name=None): return _unary("Atan", x, name)
def sinh(x, name=None): return _unary("Sinh", x, name)
def cosh(x, name=None): return _unary("Cosh", x, name)
def asinh(x, name=None): return _unary("Asinh", x, name)
def acosh(x, name=None): return _unary("Acosh", x, name)
def atanh(x, name=None): return _unary("Atanh", x, name)
def expm1(x, name=None): return _unary("Expm1", x, name)
def is_inf(x, name=None): return _unary("IsInf", x, name)
def invert(x, name=None): return _unary("Invert", x, name)
def atan2(y, x, name=None): return _binary("Atan2", y, x, name)
def next_after(x, y, name=None): return _binary("NextAfter", x, y, name)
def bitwise_and(x, y, name=None): return _binary("BitwiseAnd", x, y, name)
def bitwise_or(x, y, name=None): return _binary("BitwiseOr", x, y, name)
def bitwise_xor(x, y, name=None): return _binary("BitwiseXor", x, y, name)
def left_shift(x, y, name=None): return _binary("LeftShift", x, y, name)
def right_shift(x, y, name=None): return _binary("RightShift", x, y, name)
def truncate_mod(x, y, name=None): return _binary("TruncateMod", x, y, name)


def _axis(x: Tensor, axis: int) -> Tensor:
    return constant(np.int32(axis), graph=x.graph)


def cumsum(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("Cumsum", [x, _axis(x, axis)], {"exclusive": exclusive, "reverse": reverse}, name=name)


def cumprod(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("Cumprod", [x, _axis(x, axis)], {"exclusive": exclusive, "reverse": reverse}, name=name)


def top_k(x: Any, k: Any, sorted: bool = True, name: str | None = None) -> list[Tensor]:  # noqa: A002 - TF's name
    """Largest ``k`` along the last axis, and their indices (int32)."""
    x = convert(x)
    k = k if isinstance(k, Tensor) else constant(np.int32(k), graph=x.graph)
    return make("TopKV2", [x, k], {"sorted": sorted}, name=name).outputs


def reverse(x: Any, axes: Sequence[int], name: str | None = None) -> Tensor:
    x = convert(x)
    return out("ReverseV2", [x, constant(np.asarray(list(axes), np.int32), graph=x.graph)], name=name)


def search_bound(sorted_sequence: Any, values: Any, side: str = "left", out_type: Any = "int32",
                 name: str | None = None) -> Tensor:
    """Insertion points of ``values`` (rows of a 2-D batch) in each row of ``sorted_sequence``."""
    seq = convert(sorted_sequence)
    vals = convert(values, seq.dtype, seq.graph)
    op_type = {"left": "LowerBound", "right": "UpperBound"}[side]
    return out(op_type, [seq, vals], {"out_type": dtypes.as_dtype(out_type)}, name=name)


def dense_bincount(x: Any, size: Any, weights: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("DenseBincount", [x, convert(size, x.dtype, x.graph), convert(weights)], name=name)


def bitcast(x: Any, dtype: Any, name: str | None = None) -> Tensor:
    return out("Bitcast", [convert(x)], {"type": dtypes.as_dtype(dtype)}, name=name)


# ---- static shapes of these ops ------------------------------------------------------------------
def _same(op: Any) -> list:
    return [op.inputs[0].shape]


def _binary_shape(op: Any) -> list:
    return [broadcast(op.inputs[0].shape, op.inputs[1].shape, f"node {op.name!r} ({op.type})")]


def _top_k(op: Any) -> list:
    shape, k = op.inputs[0].shape, constant_value(op.inputs[1])
    if shape is None:
        return [None, None]
    last = (int(k),) if k is not None else (None,)
    return [tuple(shape[:-1]) + last] * 2


def _bounds(op: Any) -> list:
    return [op.inputs[1].shape]


def _bincount(op: Any) -> list:
    size = constant_value(op.inputs[1])
    shape = op.inputs[0].shape
    if shape is None:
        return [None]
    return [tuple(shape[:-1]) + (int(size) if size is not None else None,)]


rule("Cumsum", "Cumprod", "ReverseV2", "Invert", "IsInf")(_same)
rule("NextAfter", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "TruncateMod")(_binary_shape)
rule("TopKV2")(_top_k)
rule("LowerBound", "UpperBound")(_bounds)
rule("DenseBincount")(_bincount)


def where_indices(condition: Any, name: str | None = None) -> Tensor:
    """Coordinates (int64, one row each) of the true elements of ``condition`` (TF's Where)."""
    return out("Where", [convert(condition)], name=name)


@rule("Where")
def _where(op: Any) -> list:
    shape = op.inputs[0].shape
    return [None if shape is None else (None, len(shape))]
