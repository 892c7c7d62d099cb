"""Gradient cases for autodiff/math_more_grad.py, linalg_more_grad.py and custom_gradient.py (picked up by
test_gradients.py)."""
from __future__ import annotations

import numpy as np
from test_gradients import RNG, C, away, distinct, i32

from tfkg_graph.autodiff.custom_gradient import custom_gradient
from tfkg_graph.graph.ops import ctc, linalg, linalg_more, math, math_more
from tfkg_graph.graph.ops.constants import constant
from tfkg_graph.graph.ops._base import make

IDS = [0, 2, 0, 1, 2]


def _segment(op_type, num=3):
    return lambda x: math_more.unsorted_segment(op_type, x, i32(IDS), num)


def _zeros_in_segments():
    """Segment 0 holds one zero in column 0 and two in column 1 (rows 0 and 2 share it)."""
    x = away(5, 2, lo=0.5, hi=1.5)
    x[0, 0] = 0.0
    x[0, 1] = x[2, 1] = 0.0
    return x


def _symmetric(x):
    return (x + linalg_more.adjoint(x)) * 0.5


def _spd(*shape):
    m = RNG.normal(size=shape)
    return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])


@custom_gradient
def _softplus(x):
    e = math.exp(x)

    def grad(upstream):
        return upstream * e / (1.0 + e)
    return math.log1p(e), grad


def _einsum(equation):
    return lambda *xs: math_more.einsum(equation, *xs)


CASES = {
    "CheckNumerics": [C(lambda x: math_more.check_numerics(x * 2.0, "doubled"), away(2, 3))],
    "Erfinv": [C(math_more.erfinv, away(2, 3, lo=0.1, hi=0.8))],
    "UnsortedSegmentMax": [C(_segment("UnsortedSegmentMax"), distinct(5, 3))],
    "UnsortedSegmentMin": [C(_segment("UnsortedSegmentMin"), distinct(5)),
                           C(_segment("UnsortedSegmentMin"), np.array([1.0, 2.0, 1.0, 3.0, 2.0]), fd=False,
                             label="ties")],
    "UnsortedSegmentProd": [C(_segment("UnsortedSegmentProd"), away(5, 3, lo=0.5, hi=1.5)),
                            C(_segment("UnsortedSegmentProd"), _zeros_in_segments(), label="zeros")],
    "GatherNd": [C(lambda x: math_more.gather_nd(x, i32([[0, 1], [2, 0], [0, 1]])), away(3, 2, 4)),
                 C(lambda x: math_more.gather_nd(x, i32([[1, 0, 2]])), away(2, 3, 4), label="elements")],
    "ScatterNd": [C(lambda u: math_more.scatter_nd(i32([[1], [3], [1]]), u, [5, 2]), away(3, 2))],
    "TensorScatterUpdate": [C(lambda t, u: math_more.tensor_scatter("TensorScatterUpdate", t, i32([[0], [2]]), u),
                              away(4, 3), away(2, 3))],
    "TensorScatterAdd": [C(lambda t, u: math_more.tensor_scatter("TensorScatterAdd", t, i32([[1, 1], [1, 1]]), u),
                           away(3, 4), away(2))],
    "TensorScatterMax": [C(lambda t, u: math_more.tensor_scatter("TensorScatterMax", t, i32([[0], [2], [0]]), u),
                           distinct(3, 4), distinct(3, 4) + 0.05)],
    "TensorScatterMin": [C(lambda t, u: math_more.tensor_scatter("TensorScatterMin", t, i32([[1, 1], [2, 3]]), u),
                           distinct(3, 4), distinct(2) + 0.05),
                         C(lambda t, u: math_more.tensor_scatter("TensorScatterMin", t, i32([[0], [0]]), u),
                           np.ones((2, 3)), np.ones((2, 3)), fd=False, label="ties")],
    # float32 inside: TF's float64 CTCLoss kernel returns a gradient off by ~2e-2 from its own loss
    # (finite differences); ops.nn.ctc_loss computes in float32 as Keras does
    "CTCLoss": [C(lambda x: math.cast(ctc.ctc_loss(math.cast(x, "float32"),
                                                   constant(np.array([[0, 0], [0, 1], [1, 0]], np.int64)),
                                                   i32([1, 0, 2]), i32([4, 3]))[0], "float64"),
                  away(4, 2, 4), eps=1e-3, fd_tol=3e-3)],
    "Einsum": [C(_einsum("ij,jk->ik"), away(3, 4), away(4, 2)),
               C(_einsum("bij,bkj->bik"), away(2, 3, 4), away(2, 5, 4), label="batch"),
               C(_einsum("ij->ji"), away(3, 4), label="transpose"),
               C(_einsum("ijk->ki"), away(2, 3, 4), label="reduce"),
               C(_einsum("ij,jk->k"), away(3, 4), away(4, 2), label="summed_label"),
               C(_einsum("i,j->ij"), away(3), away(4), label="outer"),
               C(_einsum("...ij,...jk->...ik"), away(2, 3, 4), away(4, 5), label="ellipsis_broadcast"),
               C(_einsum("...ij,jk->...ik"), away(2, 3, 4), away(4, 5), label="ellipsis_one_side")],
    "IdentityN": [C(lambda x, y: make("IdentityN", [[x * 2.0, y]]).outputs, away(2, 3), away(3)),
                  C(_softplus, away(2, 3), label="custom_gradient")],
    "MatrixBandPart": [C(lambda x: linalg.matrix_band_part(x, 1, 0), away(3, 4)),
                       C(lambda x: linalg.matrix_band_part(x, -1, 0), away(2, 3, 3), label="lower")],
    "Cholesky": [C(lambda x: linalg_more.cholesky(_symmetric(x)), _spd(3, 3), any_rank=False),
                 C(lambda x: linalg_more.cholesky(_symmetric(x)), _spd(2, 4, 4), any_rank=False, label="batch")],
    "LogMatrixDeterminant": [C(lambda x: linalg_more.log_matrix_determinant(x)[1],
                               away(2, 3, 3, lo=0.1, hi=0.5) - 2.0 * np.eye(3), any_rank=False)],
    "SelfAdjointEigV2": [C(lambda x: linalg_more.self_adjoint_eig(_symmetric(x)), _spd(3, 3), any_rank=False,
                           fd_tol=1e-5),
                         C(lambda x: linalg_more.self_adjoint_eig(_symmetric(x))[0], _spd(2, 4, 4), any_rank=False,
                           label="values")],
    "Qr": [C(lambda v: linalg_more.qr(v.value()), away(4, 3), variables=True, label="tall"),
           C(lambda v: linalg_more.qr(v.value()), away(3, 3), variables=True, label="square"),
           C(lambda v: linalg_more.qr(v.value()), away(2, 3, 5), variables=True, label="wide")],
    "Svd": [C(lambda v: linalg_more.svd(v.value()), away(4, 3), variables=True, fd_tol=1e-5, label="tall"),
            C(lambda v: linalg_more.svd(v.value()), away(2, 3, 5), variables=True, fd_tol=1e-5, label="wide"),
            C(lambda v: linalg_more.svd(v.value(), full_matrices=True), away(3, 4), variables=True, fd_tol=1e-5,
              label="full"),
            C(lambda x: linalg_more.svd(x, compute_uv=False)[0], away(4, 3), any_rank=False, label="values")],
}
