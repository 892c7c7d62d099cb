"""Op constructors grouped like TF's modules."""
from . import array, constants, math, nn, numpy_ops, state
from .constants import constant, convert, placeholder

__all__ = ["array", "constants", "math", "nn", "numpy_ops", "state", "constant", "convert", "placeholder"]
