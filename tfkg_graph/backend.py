"""``keras.backend`` basics that apply to a graph builder: the global float type, fuzz factor, image layout
and session reset. Models here are always float32 and channels_last, as in Keras' defaults."""
from __future__ import annotations

from .layers import global_state
from .layers.base import KerasTensor, clear_session, standardize_dtype

_config = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def backend() -> str:
    """The name of the engine running the graphs (Keras answers "tensorflow", "jax" ...)."""
    return "tensorflow"


def floatx() -> str:
    return _config["floatx"]


def set_floatx(value: str) -> None:
    if value != "float32":
        raise ValueError(f"tfkg_graph builds float32 models only; set_floatx({value!r}) is not supported")
    _config["floatx"] = value


def epsilon() -> float:
    """Keras' fuzz factor; the losses and metrics use this fixed value (there is no ``set_epsilon``)."""
    return _config["epsilon"]


def image_data_format() -> str:
    return _config["image_data_format"]


def set_image_data_format(data_format: str) -> None:
    if data_format != "channels_last":
        raise ValueError(f"tfkg_graph's layers use channels_last only, got {data_format!r}")
    _config["image_data_format"] = data_format


def is_float_dtype(dtype: object) -> bool:
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: object) -> bool:
    return standardize_dtype(dtype).startswith(("int", "uint"))


def is_keras_tensor(x: object) -> bool:
    """Whether ``x`` is a symbolic tensor of a model being wired (``Input`` and layer outputs)."""
    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """The next number for ``prefix`` in the automatic layer names (1 for the first), reset by clear_session."""
    global_state._name_counts[prefix] = global_state._name_counts.get(prefix, 0) + 1
    return global_state._name_counts[prefix]


_FLOAT_ORDER = ("bfloat16", "float16", "float32", "float64")


def result_type(*dtypes: object) -> str:
    """The dtype of an op over inputs of ``dtypes`` (Keras' promotion: any float wins over ints and bools,
    floats widen, ``bfloat16`` with ``float16`` gives ``float32``; ints promote as in numpy, but
    ``int64`` with ``uint64`` gives ``floatx()``). No dtypes: ``floatx()``."""
    import numpy as np
    if not dtypes:
        return floatx()
    names = [standardize_dtype(d) for d in dtypes]
    floats = [n for n in names if n in _FLOAT_ORDER]
    if floats:
        if {"bfloat16", "float16"} <= set(floats) and not {"float32", "float64"} & set(floats):
            return "float32"
        return max(floats, key=_FLOAT_ORDER.index)
    if {"int64", "uint64"} <= set(names):  # no integer type holds both: Keras answers floatx
        return floatx()
    return str(np.result_type(*[np.dtype(n) for n in names]))


__all__ = ["backend", "get_uid", "is_keras_tensor", "result_type", "clear_session", "epsilon", "floatx", "image_data_format", "is_float_dtype", "is_int_dtype",
           "set_floatx", "set_image_data_format", "standardize_dtype"]
