"""``keras.ops``: the same names over our graph ops, so a custom layer's ``call`` ports by changing the import.

``core`` holds the names this package has had from the start; Keras' sub-namespaces (``ops.numpy``,
``ops.nn``, ``ops.linalg``, ``ops.image``) are modules beside it, and every name is also here at the top
level, as in Keras.
"""
from . import numpy as _numpy_module
from .core import *  # noqa: F401,F403
from .core import __all__ as _core_names

# keras.ops.numpy names that core does not define yet (core's own versions stay for the names it has)
globals().update({n: getattr(_numpy_module, n) for n in _numpy_module.__all__ if n not in _core_names})
__all__ = list(_core_names) + [n for n in _numpy_module.__all__ if n not in _core_names]
numpy = _numpy_module
