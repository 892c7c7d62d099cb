"""Matrix factorizations over the last two axes (TF's linalg_ops): Cholesky, log-determinant, QR,
symmetric eigendecomposition and SVD, with their static shapes."""
from __future__ import annotations

from typing import Any

from ...runtime import dtypes
from ..graph import Tensor
from ..shapes import rule
from . import array
from ._base import make, out
from .constants import convert
from .linalg import _matrix


def cholesky(x: Any, name: str | None = None) -> Tensor:
    return out("Cholesky", [_matrix(x, "cholesky")], name=name)


def log_matrix_determinant(x: Any, name: str | None = None) -> list[Tensor]:
    """(sign, log|det|) of square matrices."""
    return make("LogMatrixDeterminant", [_matrix(x, "slogdet")], name=name).outputs


def qr(x: Any, full_matrices: bool = False, name: str | None = None) -> list[Tensor]:
    """(q, r) of matrices in the last two axes."""
    return make("Qr", [_rank2(x, "qr")], {"full_matrices": full_matrices}, name=name).outputs


def self_adjoint_eig(x: Any, name: str | None = None) -> list[Tensor]:
    """(eigenvalues ascending, eigenvectors as columns) of symmetric matrices (lower triangle read)."""
    return make("SelfAdjointEigV2", [_matrix(x, "eigh")], {"compute_v": True}, name=name).outputs


def svd(x: Any, full_matrices: bool = False, compute_uv: bool = True, name: str | None = None) -> list[Tensor]:
    """(s descending, u, v) with ``x = u diag(s) v^T``; u and v are empty when ``compute_uv`` is False."""
    return make("Svd", [_rank2(x, "svd")], {"full_matrices": full_matrices, "compute_uv": compute_uv},
                name=name).outputs


def lu(x: Any, name: str | None = None) -> list[Tensor]:
    """(lu, p): L (unit diagonal, below) and U packed in one matrix, and the row permutation (int32)."""
    return make("Lu", [_matrix(x, "lu_factor")], {"output_idx_type": dtypes.INT32}, name=name).outputs


def adjoint(x: Any) -> Tensor:
    """``x`` with its last two axes swapped (real matrices: the transpose)."""
    x = convert(x)
    if x.rank is not None:
        return array.transpose(x, list(range(x.rank - 2)) + [x.rank - 1, x.rank - 2])
    r = array.rank(x)
    return array.transpose(x, array.concat([array.range_(0, r - 2), array.stack([r - 1, r - 2])], 0))


def _rank2(x: Any, what: str) -> Tensor:
    x = convert(x)
    if x.shape is not None and len(x.shape) < 2:
        raise ValueError(f"{what} needs matrices in the last two axes, got shape {x.shape}")
    return x


rule("Cholesky")(lambda op: [op.inputs[0].shape])


@rule("Lu")
def _lu(op: Any) -> list:
    s = op.inputs[0].shape
    return [s, None if s is None else tuple(s[:-1])]


@rule("LogMatrixDeterminant")
def _slogdet(op: Any) -> list:
    s = op.inputs[0].shape
    batch = None if s is None else tuple(s[:-2])
    return [batch, batch]


def _min(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else min(a, b)


@rule("Qr")
def _qr(op: Any) -> list:
    s = op.inputs[0].shape
    if s is None:
        return [None, None]
    *batch, m, n = s
    k = m if op.get_attr("full_matrices") else _min(m, n)
    return [(*batch, m, k), (*batch, k, n)]


@rule("SelfAdjointEigV2")
def _eigh(op: Any) -> list:
    s = op.inputs[0].shape
    return [None if s is None else tuple(s[:-1]), s]


@rule("Svd")
def _svd(op: Any) -> list:
    s = op.inputs[0].shape
    if s is None:
        return [None, None, None]
    *batch, m, n = s
    k = _min(m, n)
    if not op.get_attr("compute_uv"):
        return [(*batch, k), None, None]
    full = op.get_attr("full_matrices")
    return [(*batch, k), (*batch, m, m if full else k), (*batch, n, n if full else k)]
