"""``keras.ops.linalg`` factorizations and what is built from them: cholesky (and the inverse from a
factor), qr, svd, eigh, pinv, lstsq, matrix_rank and norm (Keras 3 signatures, TF backend semantics)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, linalg, linalg_more, math, math_more, numpy_ops
from ..graph.ops.constants import convert
from ..graph.ops.linalg_more import adjoint
from ..runtime import dtypes

__all__ = ["cholesky", "cholesky_inverse", "qr", "svd", "eigh", "pinv", "lstsq", "matrix_rank", "norm",
           "lu_factor"]


def _identity_like(x: Tensor) -> Tensor:
    return linalg.matrix_band_part(array.ones_like(x), 0, 0)


def cholesky(x: Any, upper: bool = False) -> Tensor:
    """The Cholesky factor L (or L^T with ``upper``) of symmetric positive-definite matrices; other
    matrices fail when run (a NaN check, as Keras)."""
    factor = math_more.check_numerics(linalg_more.cholesky(x), "Cholesky")  # NaN: not positive definite
    return adjoint(factor) if upper else factor


def cholesky_inverse(x: Any, upper: bool = False) -> Tensor:
    """A^-1 from A's Cholesky factor ``x`` (lower, or upper with ``upper``)."""
    x = convert(x)
    inv_factor = linalg.matrix_triangular_solve(x, _identity_like(x), lower=not upper)
    if upper:
        return math.matmul(inv_factor, inv_factor, transpose_b=True)
    return math.matmul(inv_factor, inv_factor, transpose_a=True)


def qr(x: Any, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    if mode not in ("reduced", "complete"):
        raise ValueError("`mode` argument value not supported. Expected one of {'reduced', 'complete'}. "
                         f"Received: mode={mode}")
    q, r = linalg_more.qr(x, full_matrices=mode == "complete")
    return q, r


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """(u, s, vh) with x = u diag(s) vh; only s when ``compute_uv`` is False."""
    s, u, v = linalg_more.svd(x, full_matrices=full_matrices, compute_uv=compute_uv)
    return (u, s, adjoint(v)) if compute_uv else s


def eigh(x: Any) -> tuple[Tensor, Tensor]:
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices."""
    e, v = linalg_more.self_adjoint_eig(x)
    return e, v


def _eps(x: Tensor) -> float:
    return float(np.finfo(dtypes.to_numpy(x.dtype)).eps)


def _max_dim(x: Tensor) -> Any:
    if x.shape is not None and None not in x.shape[-2:]:
        return float(max(x.shape[-2:]))
    dims = array.shape(x)
    return math.cast(math.maximum(dims[-2], dims[-1]), x.dtype)


def pinv(x: Any, rcond: float | None = None) -> Tensor:
    """Moore-Penrose pseudo-inverse from the SVD, as tf.linalg.pinv (default cutoff 10 max(m, n) eps)."""
    x = convert(x)
    if rcond is None:
        rcond = _max_dim(x) * (10.0 * _eps(x))
    s, u, v = linalg_more.svd(x, full_matrices=False)
    cutoff = array.expand_dims(math.reduce_max(s, axis=-1) * rcond, -1)
    s = math.select(math.greater(s, cutoff), s, math.scalar_like(s, np.inf) * array.ones_like(s))
    return math.matmul(v / array.expand_dims(s, -2), u, transpose_b=True)


def matrix_rank(x: Any, tol: float | None = None) -> Tensor:
    """Number of singular values above ``tol`` (default: eps * max(m, n) * the largest), int32."""
    x = convert(x)
    if not dtypes.is_floating(x.dtype):
        x = math.cast(x, "float32")
    s = linalg_more.svd(x, compute_uv=False)[0]
    if tol is None:
        tol = math.reduce_max(s, axis=-1, keepdims=True) * (_max_dim(x) * _eps(x))
    return math.reduce_sum(math.cast(math.greater(s, tol), "int32"), axis=-1)


def lstsq(a: Any, b: Any, rcond: float | None = None) -> Tensor:
    """Least-squares solution of ``a x = b`` for a 2-D ``a`` through the SVD, as Keras' TF backend."""
    a = convert(a)
    b = convert(b, a.dtype, a.graph)
    if a.rank != 2:
        raise TypeError(f"{a.rank}-dimensional array given. Array must be two-dimensional")
    if b.rank not in (1, 2):
        raise TypeError(f"{b.rank}-dimensional array given. Array must be one or two-dimensional")
    if None not in (a.shape[0], b.shape[0]) and a.shape[0] != b.shape[0]:
        raise ValueError("Leading dimensions of input arrays must match")
    vector = b.rank == 1
    if vector:
        b = array.expand_dims(b, -1)
    eps = _eps(a)
    rcond = _max_dim(a) * eps if rcond is None else (eps if rcond < 0 else rcond)
    s, u, v = linalg_more.svd(a, full_matrices=False)
    mask = math.greater_equal(s, s[0] * rcond)
    safe = math.select(mask, s, array.ones_like(s))
    s_inv = array.expand_dims(math.select(mask, math.reciprocal(safe), array.zeros_like(s)), -1)
    x = math.matmul(v, s_inv * math.matmul(u, b, transpose_a=True))
    return array.reshape(x, [-1]) if vector else x


def norm(x: Any, ord: Any = None, axis: int | Sequence[int] | None = None,  # noqa: A002 - Keras' name
         keepdims: bool = False) -> Tensor:
    """Vector norms over one axis, matrix norms over two (Keras' ``ops.linalg.norm``)."""
    x = convert(x)
    if x.rank is None:
        raise ValueError("norm needs the input's rank to be known")
    ndim = x.rank
    axes = tuple(range(ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    if any(a < -ndim or a >= ndim for a in axes):
        raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                         f"ndim={ndim}, while axis={axis}")
    if x.dtype == dtypes.INT64 or not dtypes.is_floating(x.dtype):
        x = math.cast(x, "float32")
    if ord is None and axis is None:  # the 2-norm of the flattened input, as Keras documents (any rank)
        return math.sqrt(math.reduce_sum(x * x, axis=list(axes), keepdims=keepdims))
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims, ndim)
    raise ValueError(f"Invalid axis values. Received: axis={axis}")


def _vector_norm(x: Tensor, ord: Any, axis: int, keepdims: bool) -> Tensor:  # noqa: A002
    if ord is None or ord == 2:
        return math.sqrt(math.reduce_sum(x * x, axis=axis, keepdims=keepdims))
    if ord == float("inf"):
        return math.reduce_max(math.abs(x), axis=axis, keepdims=keepdims)
    if ord == float("-inf"):
        return math.reduce_min(math.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return math.reduce_sum(math.cast(math.not_equal(x, math.scalar_like(x, 0.0)), x.dtype), axis=axis,
                               keepdims=keepdims)
    if isinstance(ord, str):
        raise ValueError(f"Invalid `ord` argument for vector norm. Received: ord={ord}")
    total = math.reduce_sum(math.pow(math.abs(x), math.scalar_like(x, ord)), axis=axis, keepdims=keepdims)
    return math.pow(total, math.scalar_like(x, 1.0 / ord))


def _matrix_norm(x: Tensor, ord: Any, axes: tuple, keepdims: bool, ndim: int) -> Tensor:  # noqa: A002
    row, col = (a % ndim for a in axes)
    if ord is None or ord == "fro":
        return math.sqrt(math.reduce_sum(x * x, axis=list(axes), keepdims=keepdims))
    if ord in (1, -1, float("inf"), float("-inf")):
        inner, outer = (row, col) if ord in (1, -1) else (col, row)
        if not keepdims and outer > inner:
            outer -= 1
        pick = math.reduce_max if ord in (1, float("inf")) else math.reduce_min
        return pick(math.reduce_sum(math.abs(x), axis=inner, keepdims=keepdims), axis=outer, keepdims=keepdims)
    if ord in ("nuc", 2, -2):
        rest = [a for a in range(ndim) if a not in (row, col)]
        s = linalg_more.svd(array.transpose(x, rest + [row, col]), compute_uv=False)[0]
        out = {"nuc": math.reduce_sum, 2: math.reduce_max, -2: math.reduce_min}[ord](s, axis=-1)
        if keepdims:
            out = array.expand_dims(array.expand_dims(out, axes[0]), axes[1])
        return out
    raise ValueError(f"Invalid `ord` argument for matrix norm. Received: ord={ord}")


def lu_factor(x: Any) -> tuple[Tensor, Tensor]:
    """(lu, pivots) as Keras' TF backend: the packed LU factors and the inverse of TF's row permutation.
    Not differentiable (TF has no gradient for Lu either)."""
    packed, perm = linalg_more.lu(x)
    if perm.rank == 1:
        return packed, array.invert_permutation(perm)
    n = perm.shape[-1] if perm.shape is not None and perm.shape[-1] is not None else array.shape(perm)[-1]
    _, inverse = numpy_ops.top_k(math.negative(perm), n)  # argsort of a permutation is its inverse
    return packed, inverse
