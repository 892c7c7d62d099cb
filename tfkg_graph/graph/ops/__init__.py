"""Op constructors grouped like TF's modules."""
from . import array, constants, linalg, math, nn, nn_spatial, numpy_ops, state
from . import ctc, linalg_more, math_more
from .constants import constant, convert, placeholder

__all__ = ["array", "constants", "linalg", "math", "nn", "nn_spatial", "numpy_ops", "state", "constant", "convert",
           "placeholder"]
__all__ += ["ctc", "linalg_more", "math_more"]
