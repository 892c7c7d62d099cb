"""``keras.ops.numpy``: the numpy-style names over our graph ops, with Keras 3's dtype rules."""
from __future__ import annotations

from ._np_core_like import *  # noqa: F401,F403
from ._np_core_like import __all__ as _core_like_names
from ._np_create import *  # noqa: F401,F403
from ._np_create import __all__ as _create_names
from ._np_linalg_like import *  # noqa: F401,F403
from ._np_linalg_like import __all__ as _linalg_like_names
from ._np_logic import *  # noqa: F401,F403
from ._np_logic import __all__ as _logic_names
from ._np_math import *  # noqa: F401,F403
from ._np_math import __all__ as _math_names
from ._np_misc import *  # noqa: F401,F403
from ._np_misc import __all__ as _misc_names
from ._np_reduce import *  # noqa: F401,F403
from ._np_reduce import __all__ as _reduce_names
from ._np_sets import *  # noqa: F401,F403
from ._np_sets import __all__ as _sets_names
from ._np_shape import *  # noqa: F401,F403
from ._np_shape import __all__ as _shape_names
from ._np_stats import *  # noqa: F401,F403
from ._np_stats import __all__ as _stats_names
from ._np_vectorize import *  # noqa: F401,F403
from ._np_vectorize import __all__ as _vectorize_names
from ._numpy_extra import einsum, get_item, slogdet  # noqa: F401 - the ops top level's (TF's Einsum op)

__all__ = sorted(set(_math_names) | set(_logic_names) | set(_reduce_names) | set(_create_names) | set(_shape_names)
                 | set(_linalg_like_names) | set(_stats_names) | set(_misc_names) | set(_core_like_names)
                 | set(_sets_names) | set(_vectorize_names) | {"einsum", "get_item", "slogdet"})
