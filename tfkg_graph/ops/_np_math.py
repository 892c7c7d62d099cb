"""``keras.ops.numpy`` elementwise math: Keras' dtype promotion, then our graph ops."""
from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, control_flow, math, numpy_ops
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor, to_tensors

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "divide_no_nan", "maximum", "minimum",
           "power", "floor_divide", "mod", "fmod", "fmax", "fmin", "arctan2", "hypot", "logaddexp", "logaddexp2",
           "heaviside", "ldexp", "nextafter", "abs", "absolute", "fabs", "negative", "square", "sign",
           "reciprocal", "exp", "exp2", "expm1", "log", "log10", "log2", "log1p", "sqrt", "cbrt", "sin", "cos",
           "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
           "deg2rad", "rad2deg", "sinc", "floor", "ceil", "round", "trunc", "conj", "conjugate", "real", "imag",
           "angle", "signbit", "nan_to_num", "clip", "gcd", "lcm"]


def _same(*xs: Any) -> list[Tensor]:
    return to_tensors(*xs)


def add(x1: Any, x2: Any) -> Tensor:
    return math.add(*_same(x1, x2))


def subtract(x1: Any, x2: Any) -> Tensor:
    return math.subtract(*_same(x1, x2))


def multiply(x1: Any, x2: Any) -> Tensor:
    return math.multiply(*_same(x1, x2))


def maximum(x1: Any, x2: Any) -> Tensor:
    return math.maximum(*_same(x1, x2))


def minimum(x1: Any, x2: Any) -> Tensor:
    return math.minimum(*_same(x1, x2))


def divide(x1: Any, x2: Any) -> Tensor:
    return math.divide(*to_tensors(x1, x2, dtype=result_type(x1, x2, float)))


true_divide = divide


def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    return math.div_no_nan(*to_tensors(x1, x2, dtype=result_type(x1, x2, float)))


def power(x1: Any, x2: Any) -> Tensor:
    dtype = result_type(x1, x2)
    if dtype.startswith("uint"):
        return math.cast(math.pow(*to_tensors(x1, x2, dtype="int32")), dtype)
    return math.pow(*to_tensors(x1, x2, dtype=dtype))


def floor_divide(x1: Any, x2: Any) -> Tensor:
    return math.floor_div(*_same(x1, x2))


def _int_if_bool(x1: Any, x2: Any) -> str:
    dtype = result_type(x1, x2)
    return "int32" if dtype == "bool" else dtype


def mod(x1: Any, x2: Any) -> Tensor:
    return math.floor_mod(*to_tensors(x1, x2, dtype=_int_if_bool(x1, x2)))


def fmod(x1: Any, x2: Any) -> Tensor:
    """The remainder with the sign of ``x1`` (C's fmod)."""
    dtype = _int_if_bool(x1, x2)
    compute = "int32" if dtype in ("uint8", "uint16", "uint32") else dtype
    a, b = to_tensors(x1, x2, dtype=compute)
    return math.cast(math.sign(a) * math.floor_mod(math.abs(a), math.abs(b)), dtype)


def _nan_aware(pick):
    def fn(x1: Any, x2: Any) -> Tensor:
        a, b = _same(x1, x2)
        res = pick(a, b)
        if "float" not in dtypes.name(a.dtype):
            return res
        nan_a, nan_b = math.is_nan(a), math.is_nan(b)
        res = math.select(math.logical_and(nan_a, math.logical_not(nan_b)), b, res)
        return math.select(math.logical_and(nan_b, math.logical_not(nan_a)), a, res)
    fn.__doc__ = "Elementwise extreme that ignores a NaN beside a number (numpy's fmax/fmin)."
    return fn


fmax, fmin = _nan_aware(math.maximum), _nan_aware(math.minimum)


def _float_of(*xs: Any, int64_to_double: bool = False) -> str:
    """Keras' result dtype of a float-valued function: ints become floatx (int64 floatx or float64)."""
    dtype = result_type(*xs)
    if dtype == "int64":
        return "float64" if int64_to_double else FLOATX
    return result_type(dtype, float)


def arctan2(x1: Any, x2: Any) -> Tensor:
    return numpy_ops.atan2(*to_tensors(x1, x2, dtype=result_type(x1, x2, float)))


def hypot(x1: Any, x2: Any) -> Tensor:
    a, b = to_tensors(x1, x2, dtype=_float_of(x1, x2, int64_to_double=True))
    big, small = math.maximum(math.abs(a), math.abs(b)), math.minimum(math.abs(a), math.abs(b))
    ratio = math.div_no_nan(small, big)
    return big * math.sqrt(math.scalar_like(a, 1.0) + math.square(ratio))


def logaddexp(x1: Any, x2: Any) -> Tensor:
    a, b = to_tensors(x1, x2, dtype=result_type(x1, x2, float))
    delta = a - b
    stable = math.maximum(a, b) + math.log1p(math.exp(math.negative(math.abs(delta))))
    return math.select(math.is_nan(delta), a + b, stable)


def logaddexp2(x1: Any, x2: Any) -> Tensor:
    a, b = to_tensors(x1, x2, dtype=result_type(x1, x2, float))
    ln2 = math.scalar_like(a, pymath.log(2.0))
    delta = a - b
    stable = math.maximum(a, b) + math.log1p(math.pow(math.scalar_like(a, 2.0), math.negative(math.abs(delta)))) / ln2
    return math.select(math.is_nan(delta), a + b, stable)


def heaviside(x1: Any, x2: Any) -> Tensor:
    a, b = to_tensors(x1, x2, dtype=_float_of(x1, x2, int64_to_double=True))
    zero = math.scalar_like(a, 0.0)
    ones = array.ones_like(a)
    return math.select(math.less(a, zero), array.zeros_like(a),
                       math.select(math.greater(a, zero), ones, b * ones))


def ldexp(x1: Any, x2: Any) -> Tensor:
    dtype = result_type(x1, x2, float)
    if result_type(x2) not in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
        raise TypeError(f"ldexp exponent must be an integer type, got {result_type(x2)}")
    a, b = to_tensors(x1, x2, dtype=dtype)
    scaled = a * math.pow(math.scalar_like(a, 2.0), b)
    return math.select(math.logical_or(numpy_ops.is_inf(a), math.equal(a, math.scalar_like(a, 0.0))), a, scaled)


def nextafter(x1: Any, x2: Any) -> Tensor:
    dtype = result_type(x1, x2, float)
    compute = dtype if dtype in ("float32", "float64") else "float64"
    return math.cast(numpy_ops.next_after(*to_tensors(x1, x2, dtype=compute)), dtype)


# ---- unary ---------------------------------------------------------------------------------------
def absolute(x: Any) -> Tensor:
    x = to_tensor(x)
    unsigned = x.dtype == dtypes.BOOL or dtypes.name(x.dtype).startswith("uint")
    return array.identity(x) if unsigned else math.abs(x)


abs = absolute  # noqa: A001 - Keras' name


def fabs(x: Any) -> Tensor:
    return math.abs(_floated(x, int_to=FLOATX))


def negative(x: Any) -> Tensor:
    return math.negative(to_tensor(x))


def square(x: Any) -> Tensor:
    x = to_tensor(x)
    return math.square(math.cast(x, "int32") if x.dtype == dtypes.BOOL else x)


def sign(x: Any) -> Tensor:
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    if name in ("uint8", "uint16", "uint32"):
        return math.cast(math.sign(math.cast(x, "int32")), name)
    return math.sign(x)


def _floated(x: Any, int_to: str | None = None) -> Tensor:
    """``x`` cast the way Keras' float functions do: ints to floatx (int64 too unless ``int_to``)."""
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    if "int" in name or name == "bool":
        return math.cast(x, int_to or FLOATX)
    return x


def _float_fn(op):
    def fn(x: Any) -> Tensor:
        return op(_floated(x))
    fn.__doc__ = f"Elementwise ``{getattr(op, '__name__', op)}``; integer inputs become floatx."
    return fn


exp, expm1, log, log1p, sqrt = (_float_fn(f) for f in (math.exp, numpy_ops.expm1, math.log, math.log1p, math.sqrt))
sin, cos, tan = (_float_fn(f) for f in (numpy_ops.sin, numpy_ops.cos, numpy_ops.tan))
arcsin, arccos, arctan = (_float_fn(f) for f in (numpy_ops.asin, numpy_ops.acos, numpy_ops.atan))
sinh, cosh, tanh = (_float_fn(f) for f in (numpy_ops.sinh, numpy_ops.cosh, math.tanh))
arcsinh, arccosh, arctanh = (_float_fn(f) for f in (numpy_ops.asinh, numpy_ops.acosh, numpy_ops.atanh))
reciprocal = _float_fn(math.reciprocal)


def exp2(x: Any) -> Tensor:
    x = _floated(x)
    return math.pow(math.scalar_like(x, 2.0), x)


def _log_base(base: float):
    def fn(x: Any) -> Tensor:
        x = _floated(x)
        return math.log(x) / math.log(math.scalar_like(x, base))
    fn.__doc__ = f"Logarithm to base {base:g}."
    return fn


log2, log10 = _log_base(2.0), _log_base(10.0)


def cbrt(x: Any) -> Tensor:
    x = _floated(x, int_to="float64" if result_type(x) == "int64" else FLOATX)
    return math.sign(x) * math.pow(math.abs(x), math.scalar_like(x, 1.0 / 3.0))


def _degrees(factor: float):
    def fn(x: Any) -> Tensor:
        x = _floated(x, int_to="float64" if result_type(x) == "int64" else FLOATX)
        return x * math.scalar_like(x, factor)
    return fn


deg2rad, rad2deg = _degrees(pymath.pi / 180.0), _degrees(180.0 / pymath.pi)


def sinc(x: Any) -> Tensor:
    x = _floated(x)
    pi_x = x * math.scalar_like(x, np.pi)
    is_zero = math.equal(x, math.scalar_like(x, 0.0))
    safe = math.select(is_zero, array.ones_like(x), pi_x)
    return math.select(is_zero, array.ones_like(x), numpy_ops.sin(safe) / safe)


def floor(x: Any) -> Tensor:
    return math.floor(_floated(x))


def ceil(x: Any) -> Tensor:
    return math.ceil(_floated(x))


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001 - Keras' name
    x = to_tensor(x)
    if not dtypes.is_floating(x.dtype) and decimals >= 0:
        return array.identity(x)
    if decimals == 0:
        return math.round(x)
    if dtypes.is_floating(x.dtype):
        factor = math.scalar_like(x, 10.0 ** decimals)
        return math.round(x * factor) / factor
    if decimals > 0:
        return x
    xf = math.cast(x, FLOATX)
    factor = math.scalar_like(xf, 10.0 ** decimals)
    return math.cast(math.round(xf * factor) / factor, x.dtype)


def trunc(x: Any) -> Tensor:
    x = to_tensor(x)
    if not dtypes.is_floating(x.dtype):
        return array.identity(x)
    return math.select(math.less(x, math.scalar_like(x, 0.0)), math.ceil(x), math.floor(x))


def conj(x: Any) -> Tensor:
    """Real tensors only (the package has no complex dtypes): the value itself."""
    return array.identity(to_tensor(x))


conjugate = real = conj


def imag(x: Any) -> Tensor:
    return array.zeros_like(to_tensor(x))


def angle(x: Any) -> Tensor:
    """The argument of a real number: pi for negatives, else 0."""
    x = _floated(x)
    return math.select(math.less(x, math.scalar_like(x, 0.0)), math.scalar_like(x, np.pi) * array.ones_like(x),
                       array.zeros_like(x))


def signbit(x: Any) -> Tensor:
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    if name == "bool":
        return math.not_equal(x, x)
    if "int" in name:
        return math.less(x, math.scalar_like(x, 0))
    bits = numpy_ops.bitcast(math.cast(x, "float32"), "int32")
    return math.less(numpy_ops.bitwise_and(bits, math.scalar_like(bits, np.iinfo(np.int32).min)),
                     math.scalar_like(bits, 0))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    x = to_tensor(x)
    if not dtypes.is_floating(x.dtype):
        return array.identity(x)
    info = np.finfo(dtypes.to_numpy(x.dtype))
    zero = math.scalar_like(x, 0.0)
    x = math.select(math.is_nan(x), math.scalar_like(x, nan), x)
    inf = numpy_ops.is_inf(x)
    x = math.select(math.logical_and(inf, math.greater(x, zero)),
                    math.scalar_like(x, info.max if posinf is None else posinf), x)
    return math.select(math.logical_and(inf, math.less(x, zero)),
                       math.scalar_like(x, info.min if neginf is None else neginf), x)


def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    x = to_tensor(x)
    if x.dtype == dtypes.BOOL:
        x = math.cast(x, "int32")
    return math.clip_by_value(x, to_tensor(x_min, dtypes.name(x.dtype)), to_tensor(x_max, dtypes.name(x.dtype)))


def gcd(x1: Any, x2: Any) -> Tensor:
    """Euclid's algorithm as a While loop, on the broadcast integer operands."""
    a, b = _same(x1, x2)
    if not dtypes.name(a.dtype).lstrip("u").startswith("int"):
        raise TypeError("Arguments to gcd must be integers.")
    shape = array.shape(a + b)
    a, b = array.broadcast_to(math.abs(a), shape), array.broadcast_to(math.abs(b), shape)
    zero = math.scalar_like(a, 0)

    def step(p, q):
        nonzero = math.not_equal(q, zero)
        safe = math.select(nonzero, q, array.ones_like(q))
        return math.select(nonzero, q, p), math.select(nonzero, math.floor_mod(p, safe), array.zeros_like(q))

    return control_flow.while_loop(lambda p, q: math.reduce_any(math.not_equal(q, zero)), step, (a, b))[0]


def lcm(x1: Any, x2: Any) -> Tensor:
    a, b = _same(x1, x2)
    if not dtypes.name(a.dtype).startswith("u"):
        a, b = math.abs(a), math.abs(b)
    divisor = gcd(a, b)
    zero = math.scalar_like(divisor, 0)
    safe = math.select(math.equal(divisor, zero), array.ones_like(divisor), divisor)
    return math.select(math.equal(divisor, zero), array.zeros_like(divisor), a * math.floor_div(b, safe))
