"""``keras.backend`` basics that apply to a graph builder: the global float type, fuzz factor, image layout
and session reset. Models here are always float32 and channels_last, as in Keras' defaults."""
from __future__ import annotations

from .layers.base import clear_session, standardize_dtype

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


__all__ = ["backend", "clear_session", "epsilon", "floatx", "image_data_format", "is_float_dtype", "is_int_dtype",
           "set_floatx", "set_image_data_format", "standardize_dtype"]
