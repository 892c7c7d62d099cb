"""The layer classes a config can name (``LAYERS``, filled by ``tfkg_graph.layers`` as it loads its
modules) and serialize/deserialize. Wrappers (Bidirectional, TimeDistributed, recurrent cells) serialize
their inner layer through here, so they need not import the package that imports them."""
from __future__ import annotations

from typing import Any

from .._registry import known_objects

LAYERS: dict[str, type] = {}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """``{"class_name": ..., "config": ...}`` -> a layer (custom classes through ``custom_objects``)."""
    classes = {**LAYERS, **known_objects(custom_objects)}
    name = config["class_name"]
    if name not in classes:
        raise ValueError(f"unknown layer class {name!r}; pass it in custom_objects")
    return classes[name].from_config(config["config"])


def serialize(layer: Any) -> dict[str, Any]:
    return {"module": "tfkg_graph.layers", "class_name": type(layer).__name__, "config": layer.get_config()}


__all__ = ["LAYERS", "deserialize", "serialize"]
