"""Op constructors grouped like TF's modules."""
from . import array, constants, math, nn, state
from .constants import constant, convert, placeholder

__all__ = ["array", "constants", "math", "nn", "state", "constant", "convert", "placeholder"]
