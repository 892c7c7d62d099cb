"""``keras.ops.numpy`` odds and ends: window functions, the Bessel function i0, Vandermonde matrices,
integration, correlation, sorted search, binning and index unravelling.

``i0`` (and ``kaiser`` through it) uses the polynomial approximations of Abramowitz & Stegun 9.8.1-2
(relative error below 1e-6), composed of elementwise ops so it has a gradient; see docs/differences.md.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import FLOATX, result_type, to_tensor, to_tensors
from ._np_create import linspace
from ._np_linalg_like import diagonal
from ._np_reduce import argsort
from ._np_shape import diff, dim, moveaxis, rank_of

__all__ = ["bartlett", "blackman", "hamming", "hanning", "kaiser", "i0", "vander", "trapezoid", "corrcoef",
           "correlate", "searchsorted", "digitize", "bincount", "histogram", "unravel_index", "argpartition"]


def _positions(n: Any) -> tuple[Tensor, Tensor]:
    """0..n-1 and n as floatx, for the window formulas."""
    count = to_tensor(n, "int32")
    return math.cast(array.range_(0, count, 1), FLOATX), math.cast(count, FLOATX)


def _window(n: Any, formula) -> Tensor:
    """``formula(positions, n - 1)``, or ``[1.]`` for a window of length 1 (no division by zero)."""
    k, length = _positions(n)
    span = length - math.scalar_like(length, 1.0)
    safe = math.select(math.equal(span, math.scalar_like(span, 0.0)), math.scalar_like(span, 1.0), span)
    values = formula(k, safe)
    return math.select(math.equal(span, math.scalar_like(span, 0.0)), array.ones_like(values), values)


def bartlett(x: Any) -> Tensor:
    def triangle(k, span):
        rising = math.scalar_like(k, 2.0) * k / span
        return math.select(math.less_equal(k, span / math.scalar_like(span, 2.0)), rising,
                           math.scalar_like(k, 2.0) - rising)
    return _window(x, triangle)


def _cosine_sum(*coefficients: float):
    def formula(k, span):
        out = array.zeros_like(k) + math.scalar_like(k, coefficients[0])
        for order, c in enumerate(coefficients[1:], start=1):
            out = out + math.scalar_like(k, c) * numpy_ops.cos(math.scalar_like(k, 2.0 * np.pi * order) * k / span)
        return out
    return formula


def blackman(x: Any) -> Tensor:
    return _window(x, _cosine_sum(0.42, -0.5, 0.08))


def hamming(x: Any) -> Tensor:
    return _window(x, _cosine_sum(0.54, -0.46))


def hanning(x: Any) -> Tensor:
    return _window(x, _cosine_sum(0.5, -0.5))


_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)  # in (x / 3.75)^2
_I0E_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
              -0.01647633, 0.00392377)  # sqrt(x) exp(-x) I0(x) in 3.75 / x


def _polynomial(t: Tensor, coefficients: Sequence[float]) -> Tensor:
    out = math.scalar_like(t, coefficients[-1]) * array.ones_like(t)
    for c in reversed(coefficients[:-1]):
        out = out * t + math.scalar_like(t, c)
    return out


def _i0e(x: Tensor) -> Tensor:
    """exp(-|x|) I0(x): the small-argument series times exp(-|x|), the asymptotic series beyond 3.75."""
    a = math.abs(x)
    small = math.less_equal(a, math.scalar_like(a, 3.75))
    t_small = math.square(math.select(small, a, array.zeros_like(a)) / math.scalar_like(a, 3.75))
    large_a = math.select(small, math.scalar_like(a, 3.75) * array.ones_like(a), a)
    scaled_small = _polynomial(t_small, _I0_SMALL) * math.exp(math.negative(a))
    scaled_large = _polynomial(math.scalar_like(a, 3.75) / large_a, _I0E_LARGE) * math.rsqrt(large_a)
    return math.select(small, scaled_small, scaled_large)


def i0(x: Any) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (float64 for 64-bit inputs)."""
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    dtype = "float64" if name in ("int64", "float64") else name if name in ("bfloat16", "float16") else FLOATX
    x = math.cast(x, dtype)
    return _i0e(x) * math.exp(math.abs(x))


def kaiser(x: Any, beta: float) -> Tensor:
    def formula(k, span):
        half = span / math.scalar_like(span, 2.0)
        b = math.scalar_like(k, beta)
        ratio = (k - half) / half
        arg = b * math.sqrt(math.maximum(math.scalar_like(k, 1.0) - math.square(ratio), array.zeros_like(k)))
        return math.exp(arg - b) * _i0e(arg) / _i0e(b)
    return _window(x, formula)


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803 - Keras' name
    x = to_tensor(x)
    if rank_of(x, "vander") != 1:
        raise ValueError(f"vander needs a 1-D tensor, got shape {x.shape}")
    compute = result_type(x, "float32")
    n = dim(x, 0) if N is None else N
    count = to_tensor(n, "int32")
    powers = array.range_(0, count, 1) if increasing else array.range_(count - 1, -1, -1)
    table = math.pow(math.cast(array.expand_dims(x, -1), compute), math.cast(powers, compute))
    return math.cast(table, dtypes.name(x.dtype))


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    y = to_tensor(y)
    dtype = result_type(y, float)
    y = moveaxis(math.cast(y, dtype), axis, -1)
    if x is None:
        widths = to_tensor(dx, dtype)
    else:
        widths = moveaxis(diff(to_tensor(x, dtype), axis=axis), axis, -1)
    heights = math.scalar_like(y, 0.5) * (y[..., 1:] + y[..., :-1])
    return math.reduce_sum(heights * widths, axis=-1)


def corrcoef(x: Any) -> Tensor:
    """Pearson correlation of the rows of a 2-D ``x``, clipped to [-1, 1]."""
    x = to_tensor(x)
    if dtypes.name(x.dtype) in ("bool", "int8", "int16", "int32", "uint8", "uint16", "uint32"):
        x = math.cast(x, FLOATX)
    if rank_of(x, "corrcoef") != 2:
        raise ValueError(f"corrcoef needs a 2-D tensor (variables in rows), got shape {x.shape}")
    centred = x - math.reduce_mean(x, axis=-1, keepdims=True)
    samples = math.cast(to_tensor(dim(x, -1), "int32"), dtypes.name(x.dtype))
    cov = math.matmul(centred, centred, transpose_b=True) / (samples - math.scalar_like(samples, 1))
    stddev = math.sqrt(diagonal(cov))
    corr = cov / (array.expand_dims(stddev, 1) * array.expand_dims(stddev, 0))
    return math.clip_by_value(corr, math.scalar_like(corr, -1.0), math.scalar_like(corr, 1.0))


def correlate(x1: Any, x2: Any, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D tensors: sliding windows of ``x1`` (a Gather) times ``x2``."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"Invalid mode: '{mode}'. Mode must be one of: 'full', 'same', 'valid'.")
    dtype = result_type(x1, x2)
    dtype = "float64" if dtype == "int64" else dtype if dtype in ("bfloat16", "float16", "float64") else "float32"
    a, b = to_tensors(x1, x2, dtype=dtype)
    if rank_of(a, "correlate") != 1 or rank_of(b, "correlate") != 1:
        raise ValueError(f"correlate needs 1-D tensors, got shapes {a.shape} and {b.shape}")
    n, m = to_tensor(dim(a, 0), "int32"), to_tensor(dim(b, 0), "int32")
    if mode != "valid":
        pad = math.maximum(m - 1, constant(np.int32(0)))
        a = array.pad(a, array.reshape(array.stack([pad, pad]), [1, 2]))
    windows = array.expand_dims(array.range_(0, array.size(a) - m + 1, 1), 1) + array.expand_dims(
        array.range_(0, m, 1), 0)
    full = array.reshape(math.matmul(array.gather(a, windows), array.expand_dims(b, 1)), [-1])
    if mode != "same":
        return full
    length = math.maximum(n, m)
    start = math.floor_div(n + m - 1 - length, constant(np.int32(2)))
    return array.slice(full, array.reshape(start, [1]), array.reshape(length, [1]))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Tensor:
    """Insertion points (int32) of ``values`` (any shape) in a 1-D ascending ``sorted_sequence``."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    seq = to_tensor(sorted_sequence)
    if rank_of(seq, "searchsorted") != 1:
        raise ValueError(f"`searchsorted` only supports 1-D sorted sequences, got shape {seq.shape}")
    vals = to_tensor(values, dtypes.name(seq.dtype))
    found = numpy_ops.search_bound(array.reshape(seq, [1, -1]), array.reshape(vals, [1, -1]), side=side)
    return array.reshape(found, array.shape(vals))


def digitize(x: Any, bins: Sequence[float]) -> Tensor:
    """The bin index of each element: how many of the ascending ``bins`` are <= it (int32)."""
    x = math.cast(to_tensor(x), "float64")
    edges = constant(np.asarray([float(b) for b in bins], np.float32).astype(np.float64))  # TF's float boundaries
    return searchsorted(edges, x, side="right")


def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Counts (or summed ``weights``) of each non-negative integer, per row of a 2-D ``x``."""
    if sparse:
        raise ValueError("bincount(sparse=True) needs sparse tensors, which tfkg_graph does not have")
    x = to_tensor(x)
    if dtypes.name(x.dtype) not in ("int32", "int64"):
        x = math.cast(x, "int32")
    if weights is None:
        dtype, weights = "int32", constant(np.zeros((0,), np.int32))
    else:
        weights = to_tensor(weights)
        dtype = result_type(x, weights)
        name = dtypes.name(weights.dtype)
        if name not in ("int32", "int64", "float32", "float64"):
            weights = math.cast(weights, "int32" if "int" in name else "float32")
    size = math.maximum(math.reduce_max(x) + math.scalar_like(x, 1), math.scalar_like(x, minlength))
    return math.cast(numpy_ops.dense_bincount(x, size, weights), dtype)


def histogram(x: Any, bins: int = 10, range: tuple[float, float] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Counts (in ``x``'s dtype) of a 1-D ``x`` in ``bins`` equal bins over ``range``, and the bin edges."""
    x = to_tensor(x)
    if rank_of(x, "histogram") != 1:
        raise ValueError(f"histogram needs a 1-D tensor, got shape {x.shape}")
    lo, hi = (math.reduce_min(x), math.reduce_max(x)) if range is None else to_tensors(*range, dtype=dtypes.name(x.dtype))
    edges = math.cast(linspace(lo, hi, bins + 1), dtypes.name(x.dtype))
    inside = math.logical_and(math.greater_equal(x, lo), math.less_equal(x, hi))
    index = searchsorted(edges[1:-1], x, side="right")
    hits = math.cast(array.one_hot(index, bins), dtypes.name(x.dtype)) * array.expand_dims(
        math.cast(inside, dtypes.name(x.dtype)), 1)
    return math.reduce_sum(hits, axis=0), edges


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[Tensor, ...]:
    """Coordinates in a C-ordered array of ``shape`` for flat ``indices`` (one tensor per axis)."""
    if any(d is None for d in shape):
        raise ValueError(f"`shape` argument cannot contain `None`. Received: shape={shape}")
    indices = to_tensor(indices)
    coords = []
    for d in reversed(list(shape)):
        coords.append(math.floor_mod(indices, math.scalar_like(indices, d)))
        indices = math.floor_div(indices, math.scalar_like(indices, d))
    return tuple(reversed(coords))


def argpartition(x: Any, kth: int, axis: int | None = -1) -> Tensor:
    """Indices that put the ``kth`` smallest element in its sorted place, smaller ones before it and
    larger ones after: a full argsort is one such order (numpy leaves the order within each side open)."""
    x = to_tensor(x)
    n = dim(array.reshape(x, [-1]), 0) if axis is None else dim(x, axis)
    if isinstance(n, int) and not -n <= kth < n:
        raise ValueError(f"kth={kth} is out of bounds for an axis of length {n}")
    return argsort(x, axis=axis)

