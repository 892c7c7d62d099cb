"""Feeds and fetches of a prepared call: a placeholder's spec, the checks that keep a wrong dtype or shape
away from TF, and numpy <-> TF_Tensor copies shaped by what the graph already tells."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import dtypes, errors, tensor
from .library import ffi, lib


@dataclass(frozen=True)
class FeedSpec:
    """A placeholder's dtype and static shape (None for unknown dims, or shape None for unknown rank)."""

    name: str
    dtype: int
    shape: tuple[int | None, ...] | None



def coerce(spec: FeedSpec, value: Any) -> np.ndarray:
    """Checks a feed against its placeholder so TF never sees a wrong dtype or shape."""
    if spec.dtype == dtypes.STRING:
        array = np.asarray(value, dtype=object)
    else:
        want = dtypes.to_numpy(spec.dtype)
        array = np.asarray(value)
        if array.dtype != want:
            integers = array.dtype.kind in "iub" and want.kind in "iu"  # cast only values that fit
            if integers:
                ok = np.can_cast(array.dtype, want, "safe") or fits(array, want)
            else:
                ok = array.dtype.kind not in "OSU" and np.can_cast(array.dtype, want, "same_kind")
            if not ok:
                raise errors.InvalidArgumentError(
                    f"feed {spec.name!r} expects {dtypes.name(spec.dtype)}, got an array of {array.dtype}"
                    + (" with values out of its range" if integers else ""))
            array = array.astype(want)
    if spec.shape is not None:
        if array.ndim != len(spec.shape) or any(
                d is not None and d != a for d, a in zip(spec.shape, array.shape)):
            want_shape = "(" + ", ".join("None" if d is None else str(d) for d in spec.shape) + ")"
            raise errors.InvalidArgumentError(
                f"feed {spec.name!r} expects shape {want_shape}, got {tuple(array.shape)}")
    return array


def fits(array: np.ndarray, want: np.dtype) -> bool:
    info = np.iinfo(want)
    return array.size == 0 or (int(array.min()) >= info.min and int(array.max()) <= info.max)


class Feed:
    """What a feed must be, precomputed so the per-step check is a few comparisons."""

    __slots__ = ("spec", "dtype", "np_dtype", "rank", "known_dims")

    def __init__(self, spec: FeedSpec):
        self.spec, self.dtype = spec, spec.dtype
        self.np_dtype = None if spec.dtype == dtypes.STRING else dtypes.to_numpy(spec.dtype)
        self.rank = None if spec.shape is None else len(spec.shape)
        self.known_dims = () if spec.shape is None else tuple(
            (axis, d) for axis, d in enumerate(spec.shape) if d is not None)

    def accepts(self, value: Any) -> bool:
        """True when ``value`` can go to TF as is (the common case in a training loop)."""
        if type(value) is not np.ndarray or value.dtype != self.np_dtype or not value.flags.c_contiguous:
            return False
        shape = value.shape
        if self.rank is not None and len(shape) != self.rank:
            return False
        for axis, d in self.known_dims:
            if shape[axis] != d:
                return False
        return True


class Fetch:
    """Reads one fetched TF_Tensor into numpy (and deletes it), skipping the C calls for dims that
    the static shape already tells."""

    __slots__ = ("dtype", "np_dtype", "shape", "tail", "row_bytes")

    def __init__(self, spec: FeedSpec):
        self.dtype = spec.dtype
        plain = spec.dtype not in (dtypes.STRING, dtypes.RESOURCE, dtypes.VARIANT)
        self.np_dtype = dtypes.to_numpy(spec.dtype) if plain else None
        shape = spec.shape if plain else None
        self.shape = shape if shape is not None and None not in shape else None
        self.tail: tuple[int, ...] = ()
        self.row_bytes = 0  # shape (None, d1, ...) with known d_i: the row count follows from the size
        if shape and shape[0] is None and None not in shape[1:]:
            self.tail = tuple(shape[1:])
            self.row_bytes = int(np.prod(self.tail, dtype=np.int64)) * self.np_dtype.itemsize

    def read(self, t: Any) -> np.ndarray:
        if self.shape is not None:
            shape = self.shape
        elif self.row_bytes:
            shape = (lib().TF_TensorByteSize(t) // self.row_bytes,) + self.tail
        else:
            return tensor.from_tf(t)
        L = lib()
        out = np.empty(shape, dtype=self.np_dtype)
        if out.nbytes:
            ffi.memmove(out, L.TF_TensorData(t), out.nbytes)
        L.TF_DeleteTensor(t)
        return out
