"""``keras.saving``'s object registration and ``serialize/deserialize_keras_object``: Keras' dict format
(``module``, ``class_name``, ``config``, ``registered_name``), so a dict from either library loads in the
other. Our built-in classes are written with Keras' public module names (``keras.layers`` ...)."""
from __future__ import annotations

import contextlib
import types
from typing import Any

import numpy as np

from .._registry import _scope_objects
from .._registry import (CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
                         get_registered_object, register_keras_serializable)

PLAIN_TYPES = (str, int, float, bool)


def _object_tables() -> list[tuple[str, dict[str, type]]]:
    """(Keras module, our classes by name) for each kind of object (kept apart from keras_config, which
    reaches models/: this module must not join the models <-> saving import cycle)."""
    from .. import constraints, initializers, layers, losses, metrics, optimizers, regularizers
    from ..optimizers import schedules
    tables = [("keras.layers", dict(layers.LAYERS))]
    for module, ours in (("keras.initializers", initializers), ("keras.regularizers", regularizers),
                         ("keras.constraints", constraints), ("keras.losses", losses), ("keras.metrics", metrics),
                         ("keras.optimizers.schedules", schedules), ("keras.optimizers", optimizers)):
        tables.append((module, {k: v for k, v in vars(ours).items() if isinstance(v, type) and k[:1].isupper()}))
    return tables


def _function_module(fn: Any) -> str | None:
    from .. import activations, losses, metrics
    for module, name in ((activations, "keras.activations"), (losses, "keras.losses"), (metrics, "keras.metrics")):
        if getattr(module, fn.__name__, None) is fn:
            return name
    return None


def serialize_keras_object(obj: Any) -> Any:
    """A layer, loss, metric, optimizer, initializer... (or a registered custom one) -> Keras' dict."""
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.ndarray) and obj.ndim > 0:
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, types.FunctionType):
        if obj.__name__ == "<lambda>":
            raise ValueError("a lambda cannot be serialized here; use a named, registered function")
        registered = get_registered_name(obj)
        module = _function_module(obj) if registered == obj.__name__ else obj.__module__
        return {"module": module or obj.__module__, "class_name": "function", "config": registered,
                "registered_name": registered}
    if not callable(getattr(obj, "get_config", None)):
        raise TypeError(f"cannot serialize {obj!r}: it has no get_config()")
    config = serialize_keras_object(obj.get_config())
    registered = get_registered_name(type(obj))
    class_name = type(obj).__name__
    if registered == class_name:
        module = next((m for m, table in _object_tables() if table.get(class_name) is type(obj)), None)
        if module is not None:  # options left unset are left out: Keras' classes lack some of ours
            config = {k: v for k, v in config.items() if v is not None}
            return {"module": module, "class_name": class_name, "config": config, "registered_name": None}
    return {"module": type(obj).__module__, "class_name": class_name, "config": config,
            "registered_name": registered}


def _find_class(entry: dict[str, Any], custom_objects: dict[str, Any] | None) -> Any:
    for key in (entry.get("registered_name"), entry.get("class_name")):
        if key:
            found = get_registered_object(key, custom_objects)
            if found is not None:
                return found
    module = str(entry.get("module") or "")
    for table_module, table in _object_tables():
        if module.startswith(table_module) or module.startswith("keras.src." + table_module[len("keras."):]):
            if entry.get("class_name") in table:
                return table[entry["class_name"]]
    for _, table in _object_tables():  # a module we do not mirror (e.g. "keras"): any class of that name
        if entry.get("class_name") in table:
            return table[entry["class_name"]]
    raise TypeError(f"could not locate {entry.get('class_name')!r} (module {module!r}, registered name "
                    f"{entry.get('registered_name')!r}); register it or pass it in custom_objects")


def _find_function(entry: dict[str, Any], custom_objects: dict[str, Any] | None) -> Any:
    name = entry.get("registered_name") or entry.get("config")
    found = get_registered_object(name, custom_objects) if name else None
    if found is not None:
        return found
    from .. import activations, losses, metrics
    for module in (activations, losses, metrics):
        fn = getattr(module, str(entry.get("config")), None)
        if callable(fn) and str(entry.get("module", "")).rpartition(".")[2] in (
                module.__name__.rpartition(".")[2], "builtins"):  # Keras writes built-ins as "builtins"
            return fn
    raise TypeError(f"could not locate function {entry.get('config')!r}; register it or pass it in "
                    "custom_objects")


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True,
                             **kwargs: Any) -> Any:
    """Keras' dict (from ``serialize_keras_object`` of either library) -> our object."""
    if config is None or isinstance(config, PLAIN_TYPES):
        if isinstance(config, str) and custom_objects and config in custom_objects:
            return custom_objects[config]
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects, safe_mode) for x in config]
    if not isinstance(config, dict):
        raise TypeError(f"cannot deserialize {config!r}")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode) for key, value in config.items()}
    class_name, inner = config["class_name"], config["config"]
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name in ("__numpy__", "__tensor__"):
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__lambda__":
        raise ValueError("the config holds a lambda (Python bytecode), which is never loaded here")
    if class_name == "function":
        return _find_function(config, custom_objects)
    cls = _find_class(config, custom_objects)
    scope = custom_object_scope({**_scope_objects(), **custom_objects}) if custom_objects else contextlib.nullcontext()
    with scope:  # nested objects inside ``inner`` resolve through the same custom objects
        return cls.from_config(inner)




__all__ = ["CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "get_registered_object", "register_keras_serializable", "serialize_keras_object"]
