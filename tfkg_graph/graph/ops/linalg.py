"""Matrix ops over the last two axes (TF's linalg_ops): inverse, determinant, solves."""
from __future__ import annotations

from typing import Any

from .. import shapes_linalg  # noqa: F401 - registers these ops' static shapes
from ..graph import Tensor
from ._base import out
from .constants import convert


def _matrix(x: Any, what: str) -> Tensor:
    x = convert(x)
    if x.shape is not None and (len(x.shape) < 2 or (None not in x.shape[-2:] and x.shape[-1] != x.shape[-2])):
        raise ValueError(f"{what} needs square matrices in the last two axes, got shape {x.shape}")
    return x


def matrix_inverse(x: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    return out("MatrixInverse", [_matrix(x, "inv")], {"adjoint": adjoint}, name=name)


def matrix_determinant(x: Any, name: str | None = None) -> Tensor:
    return out("MatrixDeterminant", [_matrix(x, "det")], name=name)


def matrix_solve(matrix: Any, rhs: Any, adjoint: bool = False, name: str | None = None) -> Tensor:
    matrix = _matrix(matrix, "solve")
    return out("MatrixSolve", [matrix, convert(rhs, matrix.dtype, matrix.graph)], {"adjoint": adjoint}, name=name)


def matrix_triangular_solve(matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False,
                            name: str | None = None) -> Tensor:
    matrix = _matrix(matrix, "solve_triangular")
    return out("MatrixTriangularSolve", [matrix, convert(rhs, matrix.dtype, matrix.graph)],
               {"lower": lower, "adjoint": adjoint}, name=name)


def matrix_band_part(x: Any, num_lower: int, num_upper: int, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("MatrixBandPart", [x, convert(num_lower, "int64", x.graph), convert(num_upper, "int64", x.graph)],
               name=name)
