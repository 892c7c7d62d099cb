"""``keras.ops.numpy`` rearranging: flipping, rolling, moving axes, repeating, stacking and splitting.

Everything composes graph ops that already have gradient rules (ReverseV2, GatherV2, Transpose, Tile,
ConcatV2, SplitV, StridedSlice); dims unknown when the graph is built are read with Shape at run time.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ..runtime import dtypes
from ._dtype_rules import to_tensor, to_tensors

__all__ = ["flip", "fliplr", "flipud", "roll", "rot90", "moveaxis", "swapaxes", "ravel", "repeat", "append",
           "hstack", "vstack", "dstack", "array_split", "hsplit", "vsplit", "dsplit", "diff", "take_along_axis"]


def rank_of(x: Tensor, what: str) -> int:
    """The static rank, which these functions need to lay out axes."""
    if x.rank is None:
        raise ValueError(f"{what} needs a tensor of known rank, got {x.name!r} of unknown rank")
    return x.rank


def axis_of(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ValueError(f"axis {axis} is out of bounds for a tensor of rank {rank}")
    return axis % max(rank, 1)


def dim(x: Tensor, axis: int) -> int | Tensor:
    """The length of ``axis``: an int when static, else an int32 scalar read at run time."""
    static = x.shape[axis] if x.shape is not None else None
    return static if static is not None else array.shape(x)[axis]


def dims(x: Tensor) -> list[int | Tensor]:
    return [dim(x, i) for i in range(rank_of(x, "this function"))]


def flip(x: Any, axis: int | Sequence[int] | None = None) -> Tensor:
    x = to_tensor(x)
    rank = rank_of(x, "flip")
    axes = range(rank) if axis is None else [axis] if isinstance(axis, int) else axis
    axes = [axis_of(a, rank) for a in axes]
    return numpy_ops.reverse(x, axes) if axes else array.identity(x)


def fliplr(x: Any) -> Tensor:
    return flip(x, 1)


def flipud(x: Any) -> Tensor:
    return flip(x, 0)


def _roll_axis(x: Tensor, shift: int | Tensor, axis: int) -> Tensor:
    n = dim(x, axis)
    if isinstance(n, int) and n == 0:
        return x
    positions = array.range_(0, n, 1) - to_tensor(shift, "int32")
    return array.gather(x, math.floor_mod(positions, to_tensor(n, "int32")), axis=axis)


def roll(x: Any, shift: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Tensor:
    """Elements shifted along ``axis`` with wrap-around (over the flattened tensor when None)."""
    x = to_tensor(x)
    if axis is None:
        flat = _roll_axis(array.reshape(x, [-1]), shift, 0)
        return array.reshape(flat, array.shape(x))
    shifts = [shift] if isinstance(shift, (int, Tensor)) else list(shift)
    axes = [axis] if isinstance(axis, int) else list(axis)
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: shift {shift} and axis {axis} have different lengths")
    rank = rank_of(x, "roll")
    for s, a in zip(shifts, axes):
        x = _roll_axis(x, s, axis_of(a, rank))
    return x


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    x = to_tensor(x)
    rank = rank_of(x, "swapaxes")
    a, b = axis_of(axis1, rank), axis_of(axis2, rank)
    perm = list(range(rank))
    perm[a], perm[b] = b, a
    return array.transpose(x, perm) if a != b else array.identity(x)


def moveaxis(x: Any, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    x = to_tensor(x)
    rank = rank_of(x, "moveaxis")
    src = [axis_of(a, rank) for a in ([source] if isinstance(source, int) else source)]
    dst = [axis_of(a, rank) for a in ([destination] if isinstance(destination, int) else destination)]
    if len(src) != len(dst):
        raise ValueError(f"Inconsistent number of `source` and `destination`: {source} and {destination}")
    if src == dst:
        return array.identity(x)
    perm = [i for i in range(rank) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return array.transpose(x, perm)


def rot90(array: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:  # noqa: F811 - Keras' name
    """Rotation by 90 degrees ``k`` times in the plane of ``axes`` (numpy's flips and a transpose)."""
    x = to_tensor(array)
    rank = rank_of(x, "rot90")
    if rank < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: array.ndim={rank}")
    if len(axes) != 2 or axis_of(axes[0], rank) == axis_of(axes[1], rank):
        raise ValueError(f"Invalid axes: {axes}. Axes must be a tuple of two different dimensions.")
    a, b = axis_of(axes[0], rank), axis_of(axes[1], rank)
    k %= 4
    if k == 0:
        return flip(x, [])
    if k == 2:
        return flip(x, [a, b])
    if k == 1:
        return swapaxes(flip(x, b), a, b)
    return flip(swapaxes(x, a, b), b)


def ravel(x: Any) -> Tensor:
    return array.reshape(to_tensor(x), [-1])


def _repeat_indices(repeats: Any, n: int | Tensor) -> Tensor:
    """For each output position, the input index it copies: positions before each cumulative count."""
    counts = to_tensor(repeats, "int32")
    if counts.rank == 0:
        counts = array.fill(array.reshape(to_tensor(n, "int32"), [1]), counts)
    ends = numpy_ops.cumsum(counts, axis=0)
    total = math.reduce_sum(counts)
    positions = array.range_(0, total, 1)
    found = numpy_ops.search_bound(array.expand_dims(ends, 0), array.expand_dims(positions, 0), side="right")
    return array.reshape(found, [-1])


def repeat(x: Any, repeats: int | Sequence[int] | Tensor, axis: int | None = None) -> Tensor:
    """Each element ``repeats`` times along ``axis`` (of the flattened tensor when None)."""
    x = to_tensor(x)
    if axis is None:
        x, axis = array.reshape(x, [-1]), 0
    rank = rank_of(x, "repeat")
    axis = axis_of(axis, rank)
    if isinstance(repeats, (int, np.integer)):
        multiples = [1] * (rank + 1)
        multiples[axis + 1] = int(repeats)
        tiled = array.tile(array.expand_dims(x, axis + 1), multiples)
        shape = dims(x)
        shape[axis] = shape[axis] * int(repeats)
        return array.reshape(tiled, shape)
    if not isinstance(repeats, Tensor):
        indices = constant(np.repeat(np.arange(len(repeats), dtype=np.int32), np.asarray(repeats)))
    else:
        indices = _repeat_indices(repeats, dim(x, axis))
    return array.gather(x, indices, axis=axis)


def append(x1: Any, x2: Any, axis: int | None = None) -> Tensor:
    a, b = to_tensors(x1, x2)
    if axis is None:
        return array.concat([array.reshape(a, [-1]), array.reshape(b, [-1])], 0)
    return array.concat([a, b], axis)


def _joined(xs: Sequence[Any]) -> list[Tensor]:
    xs = list(xs)
    if not xs:
        raise ValueError("need at least one tensor to join")
    return to_tensors(*xs)


def hstack(xs: Sequence[Any]) -> Tensor:
    xs = _joined(xs)
    return array.concat(xs, 0 if rank_of(xs[0], "hstack") == 1 else 1)


def vstack(xs: Sequence[Any]) -> Tensor:
    xs = [array.reshape(x, [1, -1]) if rank_of(x, "vstack") < 2 else x for x in _joined(xs)]
    return array.concat(xs, 0)


def dstack(xs: Sequence[Any]) -> Tensor:
    def at_least_3d(x: Tensor) -> Tensor:
        rank = rank_of(x, "dstack")
        if rank == 0:
            return array.reshape(x, [1, 1, 1])
        if rank == 1:
            return array.expand_dims(array.expand_dims(x, 0), 2)
        return array.expand_dims(x, 2) if rank == 2 else x
    return array.concat([at_least_3d(x) for x in _joined(xs)], 2)


def _split_sizes(x: Tensor, sizes: Tensor, count: int, axis: int) -> list[Tensor]:
    from ..graph.ops._base import make  # SplitV with run-time sizes: array.split takes Python sizes
    return make("SplitV", [x, sizes, constant(np.int32(axis), graph=x.graph)], {"num_split": count}).outputs


def array_split(x: Any, indices_or_sections: int, axis: int = 0) -> list[Tensor]:
    """``n`` parts along ``axis`` whose sizes differ by at most one, the larger ones first."""
    x = to_tensor(x)
    n = int(indices_or_sections)
    if n <= 0:
        raise ValueError(f"number of sections must be positive, got {n}")
    axis = axis_of(axis, rank_of(x, "array_split"))
    total = dim(x, axis)
    if isinstance(total, int):
        return array.split(x, [total // n + (i < total % n) for i in range(n)], axis)
    extra = math.cast(math.less(array.range_(0, n, 1), math.floor_mod(total, n)), "int32")
    return _split_sizes(x, math.floor_div(total, n) + extra, n, axis)


def split_at(x: Tensor, indices_or_sections: int | Sequence[int], axis: int) -> list[Tensor]:
    """numpy's split: ``n`` equal parts, or cuts before each of the given indices."""
    if isinstance(indices_or_sections, (int, np.integer)):
        return array.split(x, int(indices_or_sections), axis)
    cuts = [int(i) for i in indices_or_sections]
    total = dim(x, axis)
    if isinstance(total, int):
        bounds = [0, *cuts, total]
        return array.split(x, [b - a for a, b in zip(bounds, bounds[1:])], axis)
    sizes = [constant(np.int32(c - p)) for p, c in zip([0, *cuts], cuts)] + [total - cuts[-1] if cuts else total]
    return _split_sizes(x, array.stack(sizes), len(sizes), axis)


def hsplit(x: Any, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    x = to_tensor(x)
    return split_at(x, indices_or_sections, 0 if rank_of(x, "hsplit") == 1 else 1)


def vsplit(x: Any, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    return split_at(to_tensor(x), indices_or_sections, 0)


def dsplit(x: Any, indices_or_sections: int | Sequence[int]) -> list[Tensor]:
    return split_at(to_tensor(x), indices_or_sections, 2)


def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th discrete difference along ``axis`` (booleans: where neighbours differ)."""
    x = to_tensor(a)
    if n < 0:
        raise ValueError(f"Order `n` must be non-negative. Received n={n}")
    if n == 0:
        return array.identity(x)
    rank = rank_of(x, "diff")
    if rank == 0:
        raise ValueError("`diff` requires input that is at least one dimensional.")
    axis = axis_of(axis, rank)
    later = tuple(slice(1, None) if i == axis else slice(None) for i in range(rank))
    earlier = tuple(slice(None, -1) if i == axis else slice(None) for i in range(rank))
    for _ in range(n):
        x = math.not_equal(x[later], x[earlier]) if x.dtype == dtypes.BOOL else x[later] - x[earlier]
    return x


def shape_tensor(shape: Sequence[int | Tensor]) -> Tensor:
    """A shape list (ints and int32 scalars) as one int32 vector."""
    if all(isinstance(d, int) for d in shape):
        return constant(np.asarray(shape, np.int32))
    return array.stack([d if isinstance(d, Tensor) else constant(np.int32(d)) for d in shape])


def _broadcast_dim(a: int | Tensor, b: int | Tensor) -> int | Tensor:
    if isinstance(a, int) and isinstance(b, int):
        return b if a == 1 else a
    if isinstance(a, int) and a != 1 or isinstance(b, int) and b != 1:
        return a if isinstance(a, int) and a != 1 else b
    return math.maximum(to_tensor(a, "int32"), to_tensor(b, "int32"))  # dims must agree or be 1


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """``x`` gathered along ``axis`` at ``indices`` (negative ones count from the end), both broadcast
    against each other on the other axes; one flat gather, so GatherV2's rule differentiates it."""
    x = to_tensor(x)
    indices = math.cast(to_tensor(indices), "int32")
    if axis is None:
        if indices.rank != 1:
            raise ValueError(f"`indices` must be 1D if axis=None. Received: indices.shape={indices.shape}")
        x, axis = array.reshape(x, [-1]), 0
    rank = rank_of(x, "take_along_axis")
    if rank_of(indices, "take_along_axis") != rank:
        raise ValueError(f"`x` and `indices` must have the same rank, got {x.shape} and {indices.shape}")
    axis = axis_of(axis, rank)
    x = moveaxis(x, axis, -1)
    indices = moveaxis(indices, axis, -1)
    common = [_broadcast_dim(a, b) for a, b in zip(dims(x)[:-1], dims(indices)[:-1])]
    n, k = dim(x, -1), dim(indices, -1)
    x = array.broadcast_to(x, shape_tensor(common + [n]))
    indices = array.broadcast_to(indices, shape_tensor(common + [k]))
    n_t = to_tensor(n, "int32")
    indices = math.select(math.less(indices, math.scalar_like(indices, 0)), indices + n_t, indices)
    rows = array.reshape(indices, array.stack([constant(np.int32(-1)), to_tensor(k, "int32")]))
    offsets = array.expand_dims(array.range_(0, array.shape(rows)[0], 1) * n_t, 1)
    taken = array.gather(array.reshape(x, [-1]), array.reshape(rows + offsets, [-1]))
    return moveaxis(array.reshape(taken, shape_tensor(common + [k])), -1, axis)
