"""Gradient cases for the matrix ops (graph/ops/linalg.py)."""
from __future__ import annotations

import numpy as np
from test_gradients import C, away

from tfkg_graph.graph.ops import linalg


def well_conditioned(*shape: int) -> np.ndarray:
    """Random matrices plus a multiple of the identity, far from singular."""
    return away(*shape, lo=0.1, hi=0.5) + 2.0 * np.eye(shape[-1])


CASES = {
    "MatrixInverse": [C(linalg.matrix_inverse, well_conditioned(3, 3), any_rank=False),
                      C(lambda x: linalg.matrix_inverse(x, adjoint=True), well_conditioned(2, 3, 3), any_rank=False,
                        label="adjoint")],
    "MatrixDeterminant": [C(linalg.matrix_determinant, well_conditioned(2, 3, 3), any_rank=False)],
    "MatrixSolve": [C(linalg.matrix_solve, well_conditioned(3, 3), away(3, 2), any_rank=False),
                    C(lambda a, b: linalg.matrix_solve(a, b, adjoint=True), well_conditioned(2, 3, 3), away(2, 3, 1),
                      any_rank=False, label="adjoint")],
    "MatrixTriangularSolve": [
        C(lambda a, b: linalg.matrix_triangular_solve(a, b, lower=True), well_conditioned(3, 3), away(3, 2),
          any_rank=False, label="lower"),
        C(lambda a, b: linalg.matrix_triangular_solve(a, b, lower=False, adjoint=True), well_conditioned(2, 3, 3),
          away(2, 3, 2), any_rank=False, label="upper_adjoint")],
}
