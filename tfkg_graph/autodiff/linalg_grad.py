"""Gradient rules for matrix inverse, determinant and the two solves (real matrices)."""
from __future__ import annotations

from ..graph.ops import array, linalg, math
from ._util import unbroadcast
from .gradients import register


@register("MatrixInverse")
def _inverse(op, grad):
    """d(A^-1) = -A^-1 dA A^-1, so dA = -Y^T G Y^T (with Y = A^-1; Y G^T Y for the adjoint form)."""
    y = op.outputs[0]
    if op.get_attr("adjoint"):
        return [math.negative(math.matmul(math.matmul(y, grad, transpose_b=True), y))]
    return [math.negative(math.matmul(math.matmul(y, grad, transpose_a=True), y, transpose_b=True))]


@register("MatrixDeterminant")
def _determinant(op, grad):
    """d det(A) / dA = det(A) A^-T."""
    scaled = array.expand_dims(array.expand_dims(grad * op.outputs[0], -1), -1)
    return [scaled * linalg.matrix_inverse(op.inputs[0], adjoint=True)]


@register("MatrixSolve")
def _solve(op, grad):
    a, _ = op.inputs
    x = op.outputs[0]
    adjoint = op.get_attr("adjoint")
    grad_b = linalg.matrix_solve(a, grad, adjoint=not adjoint)
    grad_a = math.negative(math.matmul(x, grad_b, transpose_b=True) if adjoint
                           else math.matmul(grad_b, x, transpose_b=True))
    return [grad_a, grad_b]


@register("MatrixTriangularSolve")
def _triangular_solve(op, grad):
    """As MatrixSolve, keeping only the triangle the op reads."""
    a, _ = op.inputs
    x = op.outputs[0]
    adjoint, lower = op.get_attr("adjoint"), op.get_attr("lower")
    grad_b = linalg.matrix_triangular_solve(a, grad, lower=lower, adjoint=not adjoint)
    grad_a = math.negative(math.matmul(x, grad_b, transpose_b=True) if adjoint
                           else math.matmul(grad_b, x, transpose_b=True))
    grad_a = linalg.matrix_band_part(grad_a, -1, 0) if lower else linalg.matrix_band_part(grad_a, 0, -1)
    return [unbroadcast(grad_a, a), unbroadcast(grad_b, op.inputs[1])]
