"""Op constructors grouped like TF's modules."""
from . import array, constants, math, nn, state
from .constants import constant, convert, placeholder
from . import linalg, nn_spatial  # noqa: E402

__all__ = ["array", "constants", "math", "nn", "state", "constant", "convert", "placeholder", "nn_spatial", "linalg"]
