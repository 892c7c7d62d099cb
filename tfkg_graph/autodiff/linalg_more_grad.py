"""Gradient rules for the factorizations in graph/ops/linalg_more.py (real matrices; the formulas of
TF's linalg_grad.py, written over our ops)."""
from __future__ import annotations

from ..graph.ops import array, linalg, linalg_more, math
from ..graph.ops.linalg_more import adjoint
from .gradients import not_differentiable, register

not_differentiable("Lu")  # TF registers no gradient for it either (Keras' lu_factor has none)


def _eye_like(m):
    """Identity matrices of ``m``'s (square) shape and dtype."""
    return linalg.matrix_band_part(array.ones_like(m), 0, 0)


def _diag(v, square):
    """Matrices with ``v`` on the diagonal, shaped like ``square``."""
    return _eye_like(square) * array.expand_dims(v, -2)


def _half_lower(m):
    """The lower triangle with the diagonal halved."""
    return linalg.matrix_band_part(m, -1, 0) - math.scalar_like(m, 0.5) * linalg.matrix_band_part(m, 0, 0)


def _static_dims(op, what):
    s = op.inputs[0].shape
    if s is None or s[-1] is None or s[-2] is None:
        raise NotImplementedError(f"the {what} gradient needs the matrix dims known while building "
                                  f"(node {op.name!r}, shape {s})")
    return s[-2], s[-1]


@register("MatrixBandPart")
def _band_part(op, grad):
    """The band is copied, the rest set to zero: the gradient keeps the same band."""
    _, lower, upper = op.inputs
    return [op.graph.create_op("MatrixBandPart", [grad, lower, upper]).outputs[0], None, None]


@register("Cholesky")
def _cholesky(op, grad):
    """dA = sym(L^-T Phi(L^T G) L^-1) / ... with Phi the lower triangle and half the diagonal."""
    lo = op.outputs[0]
    lo_inverse = linalg.matrix_triangular_solve(lo, _eye_like(lo), lower=True)
    middle = _half_lower(math.matmul(lo, grad, transpose_a=True))
    grad_a = math.matmul(math.matmul(lo_inverse, middle, transpose_a=True), lo_inverse)
    return [math.scalar_like(grad_a, 0.5) * (grad_a + adjoint(grad_a))]


@register("LogMatrixDeterminant")
def _log_determinant(op, _sign_grad, grad):
    """d log|det A| = A^-T; the sign is piecewise constant."""
    scaled = array.expand_dims(array.expand_dims(grad, -1), -1)
    return [scaled * linalg.matrix_inverse(op.inputs[0], adjoint=True)]


@register("SelfAdjointEigV2")
def _eigh(op, grad_e, grad_v):
    """TF's rule; the kernel reads the lower triangle, so the gradient is lower triangular."""
    e, v = op.outputs
    eye = _eye_like(v)
    gaps = array.expand_dims(e, -2) - array.expand_dims(e, -1)
    f = math.select(math.cast(eye, "bool"), array.zeros_like(gaps), math.reciprocal(gaps))
    inner = _diag(grad_e, v) + f * math.matmul(v, grad_v, transpose_a=True)
    grad_a = math.matmul(v, math.matmul(inner, v, transpose_b=True))
    return [_half_lower(grad_a + adjoint(grad_a))]


def _solve_r(x, r):
    """x R^-1 with R upper triangular."""
    return adjoint(linalg.matrix_triangular_solve(r, adjoint(x), lower=False, adjoint=False))


def _qr_square_or_deep(q, r, dq, dr):
    qdq = math.matmul(q, dq, transpose_a=True)
    rdr = math.matmul(r, dr, transpose_b=True)
    tril = linalg.matrix_band_part(qdq - adjoint(qdq) + rdr - adjoint(rdr), -1, 0)
    grad_a = math.matmul(q, dr + _solve_r(tril, r))
    return grad_a + _solve_r(dq - math.matmul(q, qdq), r)


@register("Qr")
def _qr(op, dq, dr):
    """TF's rule (reduced QR, or complete QR of square/wide matrices); needs static matrix dims."""
    m, n = _static_dims(op, "QR")
    q, r = op.outputs
    if op.get_attr("full_matrices") and m > n:
        raise NotImplementedError(f"no gradient for complete QR of a tall matrix (node {op.name!r})")
    if m >= n:
        return [_qr_square_or_deep(q, r, dq, dr)]
    y = op.inputs[0][..., :, m:]
    u, du, dv = r[..., :, :m], dr[..., :, :m], dr[..., :, m:]
    dx = _qr_square_or_deep(q, u, dq + math.matmul(y, dv, transpose_b=True), du)
    return [array.concat([dx, math.matmul(q, dv)], -1)]


def _safe_reciprocal(x, eps=1e-20):
    return x * math.reciprocal(x * x + math.scalar_like(x, eps))


@register("Svd")
def _svd(op, grad_s, grad_u, grad_v):
    """TF's rule (Townsend's formulas); needs static matrix dims, full matrices only when square-ish."""
    if not op.get_attr("compute_uv"):
        _, u, v = linalg_more.svd(op.inputs[0], full_matrices=False)
        return [math.matmul(u * array.expand_dims(grad_s, -2), v, transpose_b=True)]
    m, n = _static_dims(op, "SVD")
    full = op.get_attr("full_matrices")
    if full and abs(m - n) > 1:
        raise NotImplementedError(f"no SVD gradient for full_matrices with |m - n| > 1 (node {op.name!r})")
    s, u, v = op.outputs
    transposed = m > n
    if transposed:
        m, n, u, v, grad_u, grad_v = n, m, v, u, grad_v, grad_u
    eye = _eye_like(array.expand_dims(s, -1) * array.expand_dims(s, -2))
    s_mat = eye * array.expand_dims(s, -2)
    gaps = array.expand_dims(math.square(s), -2) - array.expand_dims(math.square(s), -1)
    f = math.select(math.cast(eye, "bool"), array.zeros_like(gaps), _safe_reciprocal(gaps))
    v1, grad_v1 = v[..., :, :m], grad_v[..., :, :m]
    f_u = f * math.matmul(u, grad_u, transpose_a=True)
    f_v = f * math.matmul(v1, grad_v1, transpose_a=True)
    middle = (eye * array.expand_dims(grad_s, -2) + math.matmul(f_u + adjoint(f_u), s_mat)
              + math.matmul(s_mat, f_v + adjoint(f_v)))
    grad_a = math.matmul(u, math.matmul(middle, v1, transpose_b=True))
    if m != n:
        gv1t = adjoint(grad_v1)
        rest = gv1t - math.matmul(math.matmul(gv1t, v1), v1, transpose_b=True)
        if full:
            v2, grad_v2 = v[..., :, m:n], grad_v[..., :, m:n]
            rest = rest - math.matmul(math.matmul(v1, grad_v2, transpose_a=True), v2, transpose_b=True)
        s_inverse = eye * array.expand_dims(_safe_reciprocal(s), -2)
        grad_a = grad_a + math.matmul(math.matmul(u, s_inverse), rest)
    return [adjoint(grad_a) if transposed else grad_a]
