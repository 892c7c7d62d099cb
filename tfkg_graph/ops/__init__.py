"""``keras.ops``: the same names over our graph ops, so a custom layer's ``call`` ports by changing the import.

``core`` holds the names this package has had from the start; Keras' sub-namespaces (``ops.numpy``,
``ops.nn``, ``ops.linalg``, ``ops.image``) are modules beside it, and every name is also here at the top
level, as in Keras.
"""
from . import linalg, nn
from . import numpy as _numpy_module
from .core import *  # noqa: F401,F403
from .core import __all__ as _core_names

__all__ = list(_core_names)

# Keras' sub-namespaces at the top level too; core's own version stays for a name it already has.
for _module in (nn, linalg, _numpy_module):
    _new = [n for n in _module.__all__ if n not in __all__]
    globals().update({n: getattr(_module, n) for n in _new})
    __all__ += _new
numpy = _numpy_module
del _module, _new

# keras.ops.math, and einsum/get_item/slogdet/rearrange (issue 19); core.py takes the rest of keras.ops.core
from . import _numpy_extra, math  # noqa: E402

for _module in (math, _numpy_extra):
    _new = [n for n in _module.__all__ if n not in __all__]
    globals().update({n: getattr(_module, n) for n in _new})
    __all__ += _new
del _module, _new
