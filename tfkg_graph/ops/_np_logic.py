"""``keras.ops.numpy`` comparisons, logic, bit operations and selection."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..runtime import dtypes
from ._dtype_rules import result_type, to_tensor, to_tensors

__all__ = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
           "logical_not", "logical_xor", "isclose", "allclose", "isfinite", "isinf", "isnan", "isneginf",
           "isposinf", "isreal", "isin", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
           "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift", "left_shift", "right_shift", "where",
           "select", "nonzero"]


def _strong(x: Any) -> Tensor:
    """Keras converts these operands first: a Python number becomes an int32/float32 tensor."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return to_tensor(x)
    return to_tensor(x, "int32" if isinstance(x, int) else "float32")


def _compare(op):
    def fn(x1: Any, x2: Any) -> Tensor:
        a, b = _strong(x1), _strong(x2)
        return op(*to_tensors(a, b))
    fn.__doc__ = f"Elementwise ``{op.__name__}`` after promoting both operands to one dtype."
    return fn


equal, not_equal = _compare(math.equal), _compare(math.not_equal)
greater, greater_equal = _compare(math.greater), _compare(math.greater_equal)
less, less_equal = _compare(math.less), _compare(math.less_equal)


def _bool(x: Any) -> Tensor:
    return math.cast(to_tensor(x), "bool")


def logical_and(x1: Any, x2: Any) -> Tensor:
    return math.logical_and(_bool(x1), _bool(x2))


def logical_or(x1: Any, x2: Any) -> Tensor:
    return math.logical_or(_bool(x1), _bool(x2))


def logical_not(x: Any) -> Tensor:
    return math.logical_not(_bool(x))


def logical_xor(x1: Any, x2: Any) -> Tensor:
    return math.not_equal(_bool(x1), _bool(x2))


def _close(x1: Any, x2: Any, rtol: float, atol: float) -> tuple[Tensor, Tensor, Tensor | None]:
    a, b = to_tensors(_strong(x1), _strong(x2))
    if "float" not in dtypes.name(a.dtype):
        return a, b, None
    close = math.less_equal(math.abs(a - b), math.scalar_like(a, atol) + math.scalar_like(a, rtol) * math.abs(b))
    return a, b, close


def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    a, b, close = _close(x1, x2, rtol, atol)
    if close is None:
        return math.equal(a, b)
    return math.logical_or(close, math.logical_and(math.is_nan(a), math.is_nan(b))) if equal_nan else close


def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    a, b, close = _close(x1, x2, rtol, atol)
    if close is None:
        return math.reduce_all(math.equal(a, b))
    finite = math.logical_and(math.is_finite(a), math.is_finite(b))
    result = math.logical_or(math.logical_and(finite, close), math.equal(a, b))
    if equal_nan:
        result = math.logical_or(result, math.logical_and(math.is_nan(a), math.is_nan(b)))
    return math.reduce_all(result)


def _float_test(op, for_ints: bool):
    def fn(x: Any) -> Tensor:
        x = to_tensor(x)
        if not dtypes.is_floating(x.dtype):
            same = math.equal(array.zeros_like(x), array.zeros_like(x))
            return same if for_ints else math.logical_not(same)
        return op(x)
    fn.__doc__ = f"``{getattr(op, '__name__', 'test')}`` of each element (integers: {for_ints})."
    return fn


def _is_signed_inf(sign: float):
    return lambda x: math.equal(x, math.scalar_like(x, sign * float("inf")))


isfinite = _float_test(math.is_finite, True)
isinf = _float_test(numpy_ops.is_inf, False)
isnan = _float_test(math.is_nan, False)
isposinf = _float_test(_is_signed_inf(1.0), False)
isneginf = _float_test(_is_signed_inf(-1.0), False)


def isreal(x: Any) -> Tensor:
    """The package has no complex dtypes: every element is real."""
    x = to_tensor(x)
    return math.equal(array.zeros_like(x), array.zeros_like(x))


def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Tensor:
    a, b = to_tensors(to_tensor(x1), to_tensor(x2))
    hits = math.reduce_any(math.equal(array.expand_dims(array.reshape(a, [-1]), 1),
                                      array.expand_dims(array.reshape(b, [-1]), 0)), axis=1)
    if invert:
        hits = math.logical_not(hits)
    return array.reshape(hits, array.shape(a))


def _bitwise(op):
    def fn(x: Any, y: Any) -> Tensor:
        a = to_tensor(x)
        if isinstance(y, int) and not isinstance(y, bool) and op in (numpy_ops.left_shift, numpy_ops.right_shift):
            return op(a, to_tensor(y, dtypes.name(a.dtype)))
        return op(*to_tensors(a, to_tensor(y)))
    fn.__doc__ = f"Elementwise ``{op.__name__}`` of integer tensors."
    return fn


bitwise_and, bitwise_or = _bitwise(numpy_ops.bitwise_and), _bitwise(numpy_ops.bitwise_or)
bitwise_xor = _bitwise(numpy_ops.bitwise_xor)
bitwise_left_shift = left_shift = _bitwise(numpy_ops.left_shift)
bitwise_right_shift = right_shift = _bitwise(numpy_ops.right_shift)


def bitwise_invert(x: Any) -> Tensor:
    x = to_tensor(x)
    return math.logical_not(x) if x.dtype == dtypes.BOOL else numpy_ops.invert(x)


bitwise_not = bitwise_invert


def where(condition: Any, x1: Any = None, x2: Any = None) -> Tensor | tuple[Tensor, ...]:
    condition = _bool(condition)
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    a, b = to_tensors(x1, x2)
    return math.select(condition, a, b)


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Tensor:
    """The first choice whose condition holds, else ``default`` (numpy's select)."""
    if len(condlist) != len(choicelist):
        raise ValueError("condlist and choicelist must have the same length")
    dtype = result_type(*choicelist, default)
    out = to_tensor(default, dtype)
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = math.select(_bool(cond), to_tensor(choice, dtype), out)
    return out


def nonzero(x: Any) -> tuple[Tensor, ...]:
    """One int32 index vector per axis of ``x`` for its non-zero elements."""
    x = to_tensor(x)
    if x.rank is None:
        raise ValueError("nonzero needs a known rank")
    found = math.cast(numpy_ops.where_indices(math.not_equal(x, array.zeros_like(x))), "int32")
    return tuple(found[:, i] for i in range(x.rank))
