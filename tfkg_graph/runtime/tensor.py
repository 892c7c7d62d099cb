"""numpy arrays <-> TF_Tensor. Every TF_Tensor made or received here is deleted here."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes, errors, protos
from .library import ffi, lib

_TSTRING_SIZE = 24


def to_tf(array: np.ndarray, dtype: int) -> Any:
    """A new TF_Tensor holding a copy of ``array`` (the caller owns it). TF_AllocateTensor gives
    aligned memory, so one memcpy beats TF_NewTensor's hidden copy of unaligned numpy buffers."""
    L = lib()
    dims = array.shape
    if dtype == dtypes.STRING:
        return _strings_to_tf(L, array)
    array = np.ascontiguousarray(array, dtype=dtypes.to_numpy(dtype))
    t = L.TF_AllocateTensor(dtype, dims, len(dims), array.nbytes)
    if t == ffi.NULL:
        raise MemoryError(f"TF_AllocateTensor failed for shape {dims}")
    if array.nbytes:
        ffi.memmove(L.TF_TensorData(t), ffi.from_buffer(array), array.nbytes)
    return t


def _strings_to_tf(L: Any, array: np.ndarray) -> Any:
    """String tensors are built by TF from a TensorProto, so TF's own string buffers own the bytes:
    a fetch or a variable may keep sharing a fed tensor after the run, and the strings are freed
    when its last reference goes (freeing them ourselves after the run would corrupt those)."""
    proto = protos.TensorProto(dtype=dtypes.STRING)
    proto.tensor_shape.SetInParent()
    for d in array.shape:
        proto.tensor_shape.dim.add(size=d)
    proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode()
                            for v in np.asarray(array, dtype=object).ravel())
    data = protos.to_bytes(proto)
    buf = ffi.gc(L.TF_NewBufferFromString(data, len(data)), L.TF_DeleteBuffer)
    t = L.TF_AllocateTensor(dtypes.STRING, ffi.NULL, 0, _TSTRING_SIZE)
    status = errors.Status(L, ffi)
    L.TF_TensorFromProto(buf, t, status.ptr)
    if L.TF_GetCode(status.ptr):
        L.TF_DeleteTensor(t)
        status.check("string feed")
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
