"""``keras.ops``: the same names over our graph ops, so a custom layer's ``call`` ports by changing the import.

``core`` holds the names this package has had from the start; Keras' sub-namespaces (``ops.numpy``,
``ops.nn``, ``ops.linalg``, ``ops.image``) are modules beside it, and every name is also here at the top
level, as in Keras.
"""
from .core import *  # noqa: F401,F403
from .core import __all__ as _core_names

__all__ = list(_core_names)

from . import nn  # noqa: E402
from .nn import *  # noqa: E402,F401,F403
from .nn import __all__ as _nn_names  # noqa: E402

__all__ += [n for n in _nn_names if n not in __all__]

from . import linalg  # noqa: E402
from .linalg import *  # noqa: E402,F401,F403
from .linalg import __all__ as _linalg_names  # noqa: E402

__all__ += [n for n in _linalg_names if n not in __all__]
