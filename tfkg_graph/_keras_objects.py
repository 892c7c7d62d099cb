"""Keras' serialized-object dicts for the config-carrying modules (regularizers, losses, ...)."""
from __future__ import annotations

from typing import Any


def serialize(obj: Any, module: str) -> dict[str, Any]:
    """``{"module", "class_name", "config", "registered_name"}`` as keras.saving writes it."""
    return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(),
            "registered_name": None}


def lookup(identifier: Any, known: dict[str, type], kind: str, base: type) -> Any:
    """A name, a class, a ``base`` instance or a config dict -> an instance.

    ``known`` maps accepted names (class names and Keras' snake_case aliases) to classes.
    """
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        if name not in known:
            raise ValueError(f"unknown {kind} class {name!r}; known: {sorted(known)}")
        return known[name].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str):
        if identifier not in known:
            raise ValueError(f"unknown {kind} {identifier!r}; known: {sorted(known)}")
        return known[identifier]()
    if isinstance(identifier, type) and issubclass(identifier, base):
        return identifier()
    if isinstance(identifier, base):
        return identifier
    converted = from_foreign(identifier, known)
    if converted is not None:
        return converted
    raise ValueError(f"cannot interpret {identifier!r} as a {kind}")


def from_foreign(obj: Any, known: dict[str, type], module_part: str | None = None) -> Any:
    """An equivalent of another library's object (e.g. a ``keras.losses.Huber(delta=2)`` instance) rebuilt
    from its class name and ``get_config()``, or None when the class is not one of ``known`` (or its module
    path lacks ``module_part``: a ``keras.losses.MeanAbsoluteError`` is not the metric of that name)."""
    name = type(obj).__name__
    if isinstance(obj, type) or name not in known or not callable(getattr(obj, "get_config", None)):
        return None
    if module_part is not None and module_part not in type(obj).__module__.split("."):
        return None
    return known[name].from_config(dict(obj.get_config()))
