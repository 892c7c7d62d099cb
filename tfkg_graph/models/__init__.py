"""Keras 3 models: ``Sequential`` and functional ``Model`` with compile/fit/evaluate/predict."""
from __future__ import annotations

from typing import Any

from ..saving import load_model as _load_model
from .model import Model
from .sequential import Sequential

Functional = Model


def load_model(filepath: str, custom_objects: dict[str, Any] | None = None, compile: bool = True,
               safe_mode: bool = True) -> Model:
    """A model saved with ``model.save`` (SavedModel + config), compiled and with its trained state."""
    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe=safe_mode)


def save_model(model: Model, filepath: str, overwrite: bool = True, zipped: bool | None = None,
               **kwargs: Any) -> str:
    """``model.save(filepath)``: a ``.keras`` archive, or a SavedModel directory for other paths."""
    if zipped is False and str(filepath).endswith(".keras"):
        raise ValueError("zipped=False asks for an unzipped .keras directory, which is not written here")
    return model.save(filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None) -> Model:
    """A model (fresh weights) from the JSON of ``keras.Model.to_json()``."""
    import json

    from .. import saving  # the one known models -> saving edge (as load_model); saving loads keras_config
    config = json.loads(json_string)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_json expects the JSON of a model config ({'class_name': ..., 'config': ...})")
    return saving.keras_config.model_from_keras_config(config, custom_objects)


def clone_model(model: Model, input_tensors: Any = None, clone_function: Any = None, call_function: Any = None,
                recursive: bool = False, **kwargs: Any) -> Model:
    """A new model of the same architecture with newly initialized weights (Keras' ``clone_model``).
    ``clone_function`` (layer -> new layer) is applied to every layer of a Sequential model."""
    if input_tensors is not None or call_function is not None or kwargs:
        raise NotImplementedError("clone_model supports clone_function (Sequential) only; input_tensors, "
                                  "call_function and other options are not implemented")
    if clone_function is not None and not isinstance(model, Sequential):
        raise NotImplementedError("clone_function is supported for Sequential models only")
    if isinstance(model, Sequential):
        clone = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
        inputs = [type(model._input_layer).from_config(model._input_layer.get_config())] \
            if model._input_layer is not None else []
        return Sequential(inputs + [clone(layer) for layer in model._stack], name=model.name)
    return type(model).from_config(model.get_config())


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
