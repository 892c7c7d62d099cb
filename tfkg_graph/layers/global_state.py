"""Process-wide layer state, like Keras' backend globals: automatic names, the random seed, the
masks layers attach to tensors, and the graph collections a training pass reads."""
from __future__ import annotations

import re
import weakref
from typing import Any

import numpy as np

from ..graph import Graph, Tensor
from ..runtime import dtypes

UPDATES = "layer_updates"      # graph collection: ops a training pass must run (BatchNorm moving stats)
LOSSES = "layer_losses"        # graph collection: activity-regularization losses of the training pass

_name_counts: dict[str, int] = {}
_seed: list[int | None] = [None]


_masks: "weakref.WeakKeyDictionary[Graph, dict[Tensor, Tensor]]" = weakref.WeakKeyDictionary()


def get_keras_mask(tensor: Any) -> Tensor | None:
    """The boolean (batch, steps) mask a layer attached to ``tensor`` (Keras' ``backend.get_keras_mask``)."""
    return _masks.get(tensor.graph, {}).get(tensor) if isinstance(tensor, Tensor) else None


def set_keras_mask(tensor: Tensor, mask: Tensor | None) -> None:
    """Attaches ``mask`` to ``tensor``; the next layer's ``call(mask=...)`` and ``compute_mask`` receive it."""
    if mask is not None:
        _masks.setdefault(tensor.graph, {})[tensor] = mask


def clear_session() -> None:
    """Resets automatic layer names (``dense``, ``dense_1``...), like ``keras.backend.clear_session``."""
    _name_counts.clear()


def set_random_seed(seed: int) -> None:
    """Seeds every model graph built afterwards (initializers, dropout) and fit's shuffling, like
    ``keras.utils.set_random_seed``."""
    _seed[0] = int(seed)
    np.random.seed(int(seed))


def random_seed() -> int | None:
    return _seed[0]


def unique_name(base: str) -> str:
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def to_snake_case(name: str) -> str:
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def standardize_dtype(dtype: Any) -> str:
    return dtypes.name(dtypes.as_dtype(dtype if dtype is not None else "float32"))
