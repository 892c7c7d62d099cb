"""``keras.ops.numpy`` products and diagonals: dot, inner, outer, kron, vdot, tensordot, cross, diag*, trace.

Products reduce to one MatMul after Transpose/Reshape (computing in a float dtype where Keras does, then
casting back); diagonals are Gathers of the flattened last two axes.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import result_type, to_tensor, to_tensors
from ._np_shape import axis_of, dim, dims, moveaxis, rank_of, shape_tensor

__all__ = ["dot", "inner", "outer", "vdot", "tensordot", "kron", "cross", "diag", "diagflat", "diagonal", "trace"]

Dim = int | Tensor


def _product(values: Sequence[Dim]) -> Dim:
    out: Dim = 1
    for v in values:
        out = out * v if isinstance(out, int) and isinstance(v, int) else to_tensor(out, "int32") * to_tensor(v, "int32")
    return out


def _contract(a: Tensor, b: Tensor, a_axes: Sequence[int], b_axes: Sequence[int]) -> Tensor:
    """Sum over ``a_axes`` of ``a`` paired with ``b_axes`` of ``b``: the free axes of ``a``, then of ``b``."""
    ra, rb = rank_of(a, "tensordot"), rank_of(b, "tensordot")
    a_axes = [axis_of(i, ra) for i in a_axes]
    b_axes = [axis_of(i, rb) for i in b_axes]
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot axes differ in length: {a_axes} and {b_axes}")
    a_free = [i for i in range(ra) if i not in a_axes]
    b_free = [i for i in range(rb) if i not in b_axes]
    a_dims, b_dims = dims(a), dims(b)
    summed = _product([a_dims[i] for i in a_axes])
    a2 = array.reshape(array.transpose(a, a_free + a_axes), shape_tensor([_product([a_dims[i] for i in a_free]), summed]))
    b2 = array.reshape(array.transpose(b, b_axes + b_free), shape_tensor([summed, _product([b_dims[i] for i in b_free])]))
    return array.reshape(math.matmul(a2, b2), shape_tensor([a_dims[i] for i in a_free] + [b_dims[i] for i in b_free]))


def _float_compute(x1: Any, x2: Any) -> tuple[Tensor, Tensor, str]:
    dtype = result_type(x1, x2)
    a, b = to_tensors(x1, x2, dtype=result_type(dtype, float))
    return a, b, dtype


def tensordot(x1: Any, x2: Any, axes: int | Sequence[Any] = 2) -> Tensor:
    dtype = result_type(x1, x2)
    compute = dtype if dtype in ("int32", "int64", "float16", "float32", "float64", "bfloat16") \
        else result_type(dtype, float)
    a, b = to_tensors(x1, x2, dtype=compute)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ra = rank_of(a, "tensordot")
        a_axes, b_axes = list(range(ra - n, ra)), list(range(n))
    else:
        a_axes, b_axes = ([x] if isinstance(x, int) else list(x) for x in axes)
    return math.cast(_contract(a, b, a_axes, b_axes), dtype)


def dot(x1: Any, x2: Any) -> Tensor:
    a, b, dtype = _float_compute(x1, x2)
    if rank_of(a, "dot") == 0 or rank_of(b, "dot") == 0:
        out = a * b
    else:
        out = _contract(a, b, [-1], [-1 if b.rank == 1 else -2])
    return math.cast(out, dtype)


def inner(x1: Any, x2: Any) -> Tensor:
    a, b, dtype = _float_compute(x1, x2)
    if rank_of(a, "inner") == 0 or rank_of(b, "inner") == 0:
        return math.cast(a * b, dtype)
    return math.cast(_contract(a, b, [-1], [-1]), dtype)


def vdot(x1: Any, x2: Any) -> Tensor:
    a, b, dtype = _float_compute(x1, x2)
    return math.cast(math.reduce_sum(array.reshape(a, [-1]) * array.reshape(b, [-1])), dtype)


def outer(x1: Any, x2: Any) -> Tensor:
    a, b = to_tensors(x1, x2)
    return array.reshape(a, [-1, 1]) * array.reshape(b, [-1])


def kron(x1: Any, x2: Any) -> Tensor:
    """Every element of ``x1`` times the whole of ``x2``: interleaved axes, one product, one reshape."""
    a, b = to_tensors(x1, x2)
    ra, rb = rank_of(a, "kron"), rank_of(b, "kron")
    rank = max(ra, rb)
    a_dims, b_dims = [1] * (rank - ra) + dims(a), [1] * (rank - rb) + dims(b)
    a = array.reshape(a, shape_tensor([d for ad in a_dims for d in (ad, 1)]))
    b = array.reshape(b, shape_tensor([d for bd in b_dims for d in (1, bd)]))
    return array.reshape(a * b, shape_tensor([_product([p, q]) for p, q in zip(a_dims, b_dims)]))


def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Tensor:
    """Cross products of 2- or 3-vectors along the given axes (2-vectors have a zero third component)."""
    a, b = to_tensors(x1, x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross needs vectors of static length 2 or 3, got shapes {a.shape} and {b.shape}")

    def parts(v: Tensor, n: int) -> list[Tensor]:
        comps = [v[..., i] for i in range(n)]
        return comps + [array.zeros_like(comps[0])] * (3 - n)

    (a0, a1, a2), (b0, b1, b2) = parts(a, na), parts(b, nb)
    last = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return last
    c = array.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, last], -1)
    return moveaxis(c, -1, axisc)


def _diagonal_last(x: Tensor, offset: int) -> Tensor:
    """The ``offset`` diagonal of the last two axes: a Gather of the flattened pair."""
    rows, cols = dim(x, -2), dim(x, -1)
    batch = dims(x)[:-2]
    flat = array.reshape(x, shape_tensor(batch + [_product([rows, cols])]))
    if isinstance(rows, int) and isinstance(cols, int):
        length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
        start = offset if offset >= 0 else -offset * cols
        indices = constant(np.arange(length, dtype=np.int32) * (cols + 1) + start)
    else:
        rows, cols = to_tensor(rows, "int32"), to_tensor(cols, "int32")
        length = math.maximum(math.minimum(rows + min(offset, 0), cols - max(offset, 0)), constant(np.int32(0)))
        start = constant(np.int32(offset)) if offset >= 0 else cols * (-offset)
        indices = array.range_(0, length, 1) * (cols + 1) + start
    return array.gather(flat, indices, axis=len(batch))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    x = to_tensor(x)
    rank = rank_of(x, "diagonal")
    if rank < 2:
        raise ValueError(f"diagonal needs at least 2 dims, got shape {x.shape}")
    if axis_of(axis1, rank) == axis_of(axis2, rank):
        raise ValueError("axis1 and axis2 cannot be the same")
    return _diagonal_last(moveaxis(x, [axis1, axis2], [-2, -1]), int(offset))


def diag(x: Any, k: int = 0) -> Tensor:
    """A 1-D ``x`` on the ``k``-th diagonal of a square matrix, or the ``k``-th diagonal of a 2-D ``x``."""
    x = to_tensor(x)
    rank = rank_of(x, "diag")
    if rank == 2:
        return diagonal(x, offset=k)
    if rank != 1:
        raise ValueError(f"`x` must be 1d or 2d. Received: x.shape={x.shape}")
    n = dim(x, 0)
    size = n + abs(k) if isinstance(n, int) else to_tensor(n, "int32") + abs(k)
    positions = array.range_(0, to_tensor(size, "int32"), 1)
    last = to_tensor(n, "int32") - 1
    values = array.gather(x, math.clip_by_value(positions, constant(np.int32(0)), math.maximum(last, 0)))
    values = array.expand_dims(values, 1 if k >= 0 else 0)  # row i holds x[i] above the diagonal, column j below
    square = shape_tensor([size, size])
    on_diagonal = math.equal(array.expand_dims(positions, 0) - array.expand_dims(positions, 1), constant(np.int32(k)))
    values = array.broadcast_to(values, square)
    return math.select(on_diagonal, values, array.zeros_like(values))


def diagflat(x: Any, k: int = 0) -> Tensor:
    return diag(array.reshape(to_tensor(x), [-1]), k)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    x = to_tensor(x)
    name = dtypes.name(x.dtype)
    if name in ("bool", "int8", "int16"):
        x = math.cast(x, "int32")
    elif name in ("uint8", "uint16"):
        x = math.cast(x, "uint32")
    return math.reduce_sum(diagonal(x, offset, axis1, axis2), axis=-1)
