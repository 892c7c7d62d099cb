"""``keras.ops.linalg`` over our matrix ops (Keras 3 signatures); the names not built yet are listed in
docs/differences.md."""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ..graph.ops import array
from ..graph.ops import linalg as _linalg
from ..graph.ops.constants import convert

__all__ = ["inv", "det", "solve", "solve_triangular"]

from ._linalg_more import *  # noqa: E402,F401,F403 - factorizations (issue 19)
from ._linalg_more import __all__ as _more_names  # noqa: E402

__all__ += _more_names

from ._jvp import jvp  # noqa: E402,F401 - forward mode from two reverse passes

__all__ += ["jvp"]


def inv(x: Any) -> Tensor:
    return _linalg.matrix_inverse(x)


def det(x: Any) -> Tensor:
    return _linalg.matrix_determinant(x)


def _with_vector_rhs(fn, a: Any, b: Any) -> Tensor:
    """TF's solves want a matrix right-hand side: a vector b becomes a column and back, as Keras."""
    a = convert(a)
    b = convert(b, a.dtype, a.graph)
    if a.shape is not None and b.shape is not None and len(b.shape) == len(a.shape) - 1:
        return array.squeeze(fn(a, array.expand_dims(b, -1)), [-1])
    return fn(a, b)


def solve(a: Any, b: Any) -> Tensor:
    return _with_vector_rhs(_linalg.matrix_solve, a, b)


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Tensor:
    return _with_vector_rhs(lambda m, r: _linalg.matrix_triangular_solve(m, r, lower=lower), a, b)
