"""TensorFlow data types: enum numbers (TF_DataType == DataType proto), names and numpy dtypes."""
from __future__ import annotations

from typing import Any

import numpy as np

FLOAT, DOUBLE, INT32, UINT8, INT16, INT8, STRING = 1, 2, 3, 4, 5, 6, 7
INT64, BOOL, BFLOAT16, UINT16, HALF, RESOURCE, VARIANT, UINT32, UINT64 = 9, 10, 14, 17, 19, 20, 21, 22, 23

NAMES = {FLOAT: "float32", DOUBLE: "float64", INT32: "int32", UINT8: "uint8", INT16: "int16",
         INT8: "int8", STRING: "string", INT64: "int64", BOOL: "bool", BFLOAT16: "bfloat16",
         UINT16: "uint16", HALF: "float16", RESOURCE: "resource", VARIANT: "variant",
         UINT32: "uint32", UINT64: "uint64"}
_BY_NAME = {name: num for num, name in NAMES.items()}
_BY_NAME.update(float=FLOAT, half=HALF, double=DOUBLE, str=STRING, object=STRING, bytes=STRING)

_TO_NUMPY = {num: np.dtype(name) for num, name in NAMES.items()
             if name not in ("string", "resource", "variant", "bfloat16")}
_FROM_NUMPY = {dt: num for num, dt in _TO_NUMPY.items()}


def _bfloat16() -> np.dtype | None:
    """numpy has no bfloat16; ml_dtypes (shipped with TensorFlow wheels) does, but costs ~0.5 s to
    import, so it is loaded the first time a bfloat16 is met. None when it is not installed."""
    if BFLOAT16 not in _TO_NUMPY:
        try:
            import ml_dtypes
        except ImportError:  # pragma: no cover - depends on the environment
            return None
        dt = np.dtype(ml_dtypes.bfloat16)
        _FROM_NUMPY[dt] = BFLOAT16
        _TO_NUMPY[BFLOAT16] = dt
    return _TO_NUMPY[BFLOAT16]

FLOATING = {HALF, BFLOAT16, FLOAT, DOUBLE}
INTEGER = {INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64}


def as_dtype(value: Any) -> int:
    """Accepts a DataType number, a name ('float32'), a numpy dtype or scalar type."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if int(value) not in NAMES:
            raise TypeError(f"unsupported TensorFlow DataType number {value}")
        return int(value)
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"not a dtype: {value!r}") from None
    if dt.kind in "SUO":
        return STRING
    if dt.name == "bfloat16" and dt not in _FROM_NUMPY:
        _bfloat16()
    if dt not in _FROM_NUMPY:
        raise TypeError(f"numpy dtype {dt} has no TensorFlow equivalent")
    return _FROM_NUMPY[dt]


def to_numpy(dtype: int) -> np.dtype:
    if dtype == STRING:
        return np.dtype(object)
    if dtype == BFLOAT16:
        _bfloat16()
    if dtype not in _TO_NUMPY:
        raise TypeError(f"{name(dtype)} tensors have no numpy form")
    return _TO_NUMPY[dtype]


def name(dtype: int) -> str:
    return NAMES.get(dtype, f"DataType({dtype})")


def is_floating(dtype: int) -> bool:
    return dtype in FLOATING
