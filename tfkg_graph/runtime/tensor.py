"""numpy arrays <-> TF_Tensor. Every TF_Tensor made or received here is deleted here."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .library import ffi, lib

_TSTRING_SIZE = 24


def to_tf(array: np.ndarray, dtype: int) -> Any:
    """A new TF_Tensor holding a copy of ``array`` (the caller owns it). TF_AllocateTensor gives
    aligned memory, so one memcpy beats TF_NewTensor's hidden copy of unaligned numpy buffers."""
    L = lib()
    dims = array.shape
    if dtype == dtypes.STRING:
        return _strings_to_tf(L, array)
    array = np.asarray(array, dtype=dtypes.to_numpy(dtype), order="C")
    t = L.TF_AllocateTensor(dtype, dims, len(dims), array.nbytes)
    if t == ffi.NULL:
        raise MemoryError(f"TF_AllocateTensor failed for shape {dims}")
    if array.nbytes:
        ffi.memmove(L.TF_TensorData(t), ffi.from_buffer(array), array.nbytes)
    return t


def _strings_to_tf(L: Any, array: np.ndarray) -> Any:
    """TF_AllocateTensor makes a real string Tensor: TF destroys its strings when the last reference
    goes. Never free them here: a fetch or a variable may still share the buffer after the run."""
    flat = [v if isinstance(v, bytes) else str(v).encode() for v in np.asarray(array, dtype=object).ravel()]
    t = L.TF_AllocateTensor(dtypes.STRING, array.shape, array.ndim, _TSTRING_SIZE * len(flat))
    strings = ffi.cast("TF_TString*", L.TF_TensorData(t))
    for i, value in enumerate(flat):
        L.TF_StringInit(strings + i)
        L.TF_StringCopy(strings + i, value, len(value))
    return t


def from_tf(t: Any) -> np.ndarray:
    """A numpy copy of a TF_Tensor; deletes the TF_Tensor."""
    L = lib()
    try:
        dtype = L.TF_TensorType(t)
        shape = tuple(L.TF_Dim(t, i) for i in range(L.TF_NumDims(t)))
        if dtype == dtypes.STRING:
            strings = ffi.cast("TF_TString*", L.TF_TensorData(t))
            out = np.empty(shape, dtype=object)
            flat = out.reshape(-1)
            for i in range(flat.size):
                flat[i] = ffi.unpack(L.TF_StringGetDataPointer(strings + i), L.TF_StringGetSize(strings + i))
            return out
        out = np.empty(shape, dtype=dtypes.to_numpy(dtype))
        if out.nbytes:
            ffi.memmove(out, L.TF_TensorData(t), out.nbytes)
        return out
    finally:
        L.TF_DeleteTensor(t)
