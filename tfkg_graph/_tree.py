"""Nested structures (lists, tuples, dicts), flattened, rebuilt and mapped in one order (dict keys
sorted), like Keras' ``tree`` utilities. Below every other module: graph/ loops and layers/ both use it."""
from __future__ import annotations

from typing import Any, Callable


def flatten(structure: Any) -> list[Any]:
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_as(structure: Any, leaves: list[Any]) -> Any:
    """``leaves`` in the shape of ``structure`` (the inverse of ``flatten``)."""
    it = iter(leaves)

    def build(s: Any) -> Any:
        if isinstance(s, (list, tuple)):
            items = [build(item) for item in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        if isinstance(s, dict):
            return {key: build(s[key]) for key in sorted(s)}
        return next(it)
    return build(structure)
