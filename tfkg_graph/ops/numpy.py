"""``keras.ops.numpy``: the numpy-style names over our graph ops, with Keras 3's dtype rules."""
from __future__ import annotations

from ._np_logic import *  # noqa: F401,F403
from ._np_logic import __all__ as _logic_names
from ._np_math import *  # noqa: F401,F403
from ._np_math import __all__ as _math_names
from ._np_reduce import *  # noqa: F401,F403
from ._np_reduce import __all__ as _reduce_names

__all__ = sorted(set(_math_names) | set(_logic_names) | set(_reduce_names))
