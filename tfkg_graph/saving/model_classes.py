"""The model classes saving rebuilds and recognises, registered by ``tfkg_graph.models``.

saving sits below models (docs/design.md, "Layers"): Model.save and load_model's callers import saving,
never the other way. Models register their classes here when their module loads (``register``); saving
asks for them by the ``class_name`` a config holds, as Keras resolves ``module``/``class_name`` through
its registry. A process that imported only ``tfkg_graph.saving`` gets the built-in classes on the first
lookup: their module is imported by name then, as Keras imports a config's ``module``.
"""
from __future__ import annotations

import importlib
import threading
from typing import Any

from ..layers.registry import deserialize as deserialize_layer

BUILTIN_MODULE = "tfkg_graph.models"  # registers Functional, Model and Sequential when it loads
_CLASSES: dict[str, type] = {}
_LOCK = threading.Lock()


def register(cls: type, *names: str) -> type:
    """Makes ``cls`` known under its class name and ``names`` (``Model`` is also ``Functional``)."""
    with _LOCK:
        for name in (cls.__name__, *names):
            _CLASSES[name] = cls
    return cls


def model_class(name: str) -> type | None:
    """The registered model class called ``name``, or None when no model class has that name."""
    if name not in _CLASSES and "Functional" not in _CLASSES:
        importlib.import_module(BUILTIN_MODULE)
    return _CLASSES.get(name)


def is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model (a layer graph with its own layers), not a plain layer."""
    base = model_class("Functional")
    return base is not None and isinstance(obj, base)


def is_sequential(obj: Any) -> bool:
    cls = model_class("Sequential")
    return cls is not None and isinstance(obj, cls)


def deserialize(entry: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Any:
    """``{"class_name", "config"}`` -> a model (a registered class) or a layer (``layers.deserialize``)."""
    cls = model_class(entry["class_name"])
    if cls is not None:
        return cls.from_config(entry["config"], custom_objects)
    return deserialize_layer(entry, custom_objects)


__all__ = ["BUILTIN_MODULE", "deserialize", "is_model", "is_sequential", "model_class", "register"]
