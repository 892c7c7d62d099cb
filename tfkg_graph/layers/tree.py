"""Nested structures of layer inputs and outputs: ``tfkg_graph._tree``, re-exported where layers look."""
from .._tree import flatten, map_structure, pack_as

__all__ = ["flatten", "map_structure", "pack_as"]
