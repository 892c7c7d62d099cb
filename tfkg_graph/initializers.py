"""Keras-named public face of the initializers in ``graph/ops/state.py``."""
from __future__ import annotations

from typing import Any

from . import _keras_objects
from .graph.ops.state import (INITIALIZERS, Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
                              Initializer, LecunNormal, LecunUniform, Ones, RandomNormal, RandomUniform,
                              TruncatedNormal, VarianceScaling, Zeros)
from .graph.ops.state import Orthogonal

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Initializer", "LecunNormal",
           "LecunUniform", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
           "Zeros", "get", "serialize", "deserialize", "Orthogonal"]

_KNOWN: dict[str, type] = {**INITIALIZERS, **{cls.__name__: cls for cls in INITIALIZERS.values()}}


def serialize(initializer: Initializer) -> dict[str, Any]:
    return _keras_objects.serialize(initializer, "keras.initializers")


def deserialize(config: dict[str, Any] | str) -> Initializer:
    return _keras_objects.lookup(config, _KNOWN, "initializer", Initializer)


def get(identifier: Any) -> Initializer | None:
    """None, a name ('glorot_uniform' or 'GlorotUniform'), a class, an instance or a config dict."""
    return None if identifier is None else deserialize(identifier)
