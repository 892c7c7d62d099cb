"""Names Keras keeps in ``keras.ops.numpy`` (and ``keras.ops.rearrange``) that this package adds at the
``ops`` top level: einsum, get_item, slogdet and the einops-style rearrange."""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, linalg_more, math, math_more
from ..graph.ops.constants import convert
from ..runtime import dtypes

__all__ = ["einsum", "get_item", "slogdet", "rearrange"]


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation over TF's Einsum op (integers are summed in int32 as Keras' TF backend)."""
    if kwargs:
        raise TypeError(f"einsum takes no keyword arguments here, got {sorted(kwargs)}")
    values = [convert(v) for v in operands]
    if not values:
        raise ValueError("einsum needs at least one operand")
    floats = [v.dtype for v in values if dtypes.is_floating(v.dtype)]
    common = max(floats, key=lambda d: dtypes.to_numpy(d).itemsize) if floats else dtypes.INT32
    return math_more.einsum(subscripts, *[math.cast(v, common) for v in values])


def get_item(x: Any, key: Any) -> Tensor:
    """``x[key]``: ints, slices, None and Ellipsis as one StridedSlice; an integer array picks along axis 0."""
    x = convert(x)
    if isinstance(key, Tensor) or (isinstance(key, (list, np.ndarray)) and np.asarray(key).dtype.kind in "iu"):
        return array.gather(x, key if isinstance(key, Tensor) else np.asarray(key, np.int32))
    return array.getitem(x, key)


def slogdet(x: Any) -> tuple[Tensor, Tensor]:
    """(sign, log|det|) of square matrices."""
    sign, log_abs = linalg_more.log_matrix_determinant(x)
    return sign, log_abs


_AXES = re.compile(r"\w+|\(.*?\)")


def _groups(side: str) -> list[list[str]]:
    return [re.findall(r"\w+", token) for token in _AXES.findall(side)]


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Tensor:
    """einops' rearrange: split grouped input axes, permute, merge output groups
    (``"b (h w) c -> b c h w", h=4``) as one Reshape, one Transpose and one Reshape at most."""
    x = convert(tensor)
    left, arrow, right = pattern.partition("->")
    if not arrow:
        raise ValueError(f"rearrange pattern needs '->', got {pattern!r}")
    inputs, outputs = _groups(left), _groups(right)
    if x.rank is None or len(inputs) != x.rank:
        raise ValueError(f"rearrange pattern {left.strip()!r} has {len(inputs)} axes, input shape {x.shape}")
    dims = [d if d is not None else array.shape(x)[i] for i, d in enumerate(x.shape)]
    sizes: dict[str, Any] = {}
    for group, dim in zip(inputs, dims):
        known = [a for a in group if a in axes_lengths]
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(f"rearrange cannot infer the sizes of {unknown} in one group")
        sizes.update({a: axes_lengths[a] for a in known})
        if group == unknown:
            sizes[group[0]] = dim
        elif unknown:
            product = int(np.prod([axes_lengths[a] for a in known])) if known else 1
            sizes[unknown[0]] = dim // product if isinstance(dim, int) else math.floor_div(dim, product)
    elementary = [a for g in inputs for a in g]
    wanted = [a for g in outputs for a in g]
    if sorted(elementary) != sorted(wanted) or len(set(elementary)) != len(elementary):
        raise ValueError(f"rearrange pattern {pattern!r} must use each axis name once on both sides")
    if any(len(g) != 1 for g in inputs):
        x = array.reshape(x, [sizes[a] for a in elementary])
    perm = [elementary.index(a) for a in wanted]
    if perm != list(range(len(perm))):
        x = array.transpose(x, perm)
    if any(len(g) != 1 for g in outputs):
        merged = []
        for g in outputs:
            size: Any = 1
            for a in g:
                size = size * sizes[a]
            merged.append(size)
        x = array.reshape(x, merged)
    return x
