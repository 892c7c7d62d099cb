"""Keras' custom-object registry (``register_keras_serializable``, ``custom_object_scope``): the classes
and functions a saved config may name by ``"package>Name"``. It sits at the bottom of the package so
layers, models and saving all resolve names through it; ``keras.saving`` and ``keras.utils`` re-export it.
"""
from __future__ import annotations

import inspect
import threading
from typing import Any, Callable

GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_scope = threading.local()  # as in Keras, a custom_object_scope is seen by its own thread only


def _scope_objects() -> dict[str, Any]:
    return getattr(_scope, "objects", {})


class CustomObjectScope:
    """``with custom_object_scope({"name": obj}):`` makes ``obj`` resolvable by name while loading."""

    def __init__(self, custom_objects: dict[str, Any] | None = None):
        self.custom_objects = dict(custom_objects or {})
        self.backup: dict[str, Any] | None = None

    def __enter__(self) -> "CustomObjectScope":
        self.backup = _scope_objects()
        _scope.objects = dict(self.custom_objects)  # Keras replaces (not merges) the scope's objects
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope.objects = dict(self.backup or {})


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict[str, Any]:
    """The live global dict of registered objects (scoped objects are not in it)."""
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Decorator: registers a class (which must have ``get_config``) or function as ``"package>name"``."""
    def decorator(arg: Any) -> Any:
        registered_name = f"{package}>{name if name is not None else arg.__name__}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg
    return decorator


def get_registered_name(obj: Any) -> str:
    """``"package>Name"`` for a registered object, else its ``__name__``."""
    return GLOBAL_CUSTOM_NAMES.get(obj, obj.__name__)


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None,
                          module_objects: dict[str, Any] | None = None) -> Any:
    """The object for ``name``: scope first, then the global registry, ``custom_objects``,
    ``module_objects``; None when none has it (Keras' order)."""
    for table in (_scope_objects(), GLOBAL_CUSTOM_OBJECTS, custom_objects or {}, module_objects or {}):
        if name in table:
            return table[name]
    return None


def known_objects(custom_objects: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every name a config may use for a custom object, by the same precedence as get_registered_object,
    with each registered object also reachable by its bare class name (``Name`` for ``"pkg>Name"``)."""
    merged: dict[str, Any] = {}
    for table in (custom_objects or {}, GLOBAL_CUSTOM_OBJECTS, _scope_objects()):
        for key, value in table.items():
            merged[key.rpartition(">")[2]] = value
            merged[key] = value
    return merged


__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable", "known_objects"]
