"""Keras 3 weight regularizers: ``reg(weight: Tensor) -> scalar Tensor`` added to the loss."""
from __future__ import annotations

import math as pymath
from typing import Any

from . import _keras_objects
from .graph import Tensor
from .graph.ops import math
from .graph.ops.constants import convert


def _penalty(value: Any, name: str) -> float:
    if not isinstance(value, (int, float)) or pymath.isinf(value) or pymath.isnan(value) or value < 0:
        raise ValueError(f"invalid value for argument {name}: expected a non-negative float, got {value!r}")
    return float(value)


class Regularizer:
    def __call__(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Regularizer":
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``; Keras 3 defaults both to 0."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _penalty(0.0 if l1 is None else l1, "l1")
        self.l2 = _penalty(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        x = convert(x)
        terms = []
        if self.l1:
            terms.append(math.reduce_sum(math.abs(x)) * self.l1)
        if self.l2:
            terms.append(math.reduce_sum(math.square(x)) * self.l2)
        if not terms:
            return math.scalar_like(x, 0.0)
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


class L1(Regularizer):
    def __init__(self, l1: float = 0.01):
        self.l1 = _penalty(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Tensor) -> Tensor:
        return math.reduce_sum(math.abs(x)) * self.l1


class L2(Regularizer):
    def __init__(self, l2: float = 0.01):
        self.l2 = _penalty(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Tensor) -> Tensor:
        return math.reduce_sum(math.square(x)) * self.l2


REGULARIZERS: dict[str, type] = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1l2": L1L2,
                                 "l1_l2": L1L2}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    return _keras_objects.serialize(regularizer, "keras.regularizers")


def deserialize(config: dict[str, Any] | str) -> Regularizer:
    return _keras_objects.lookup(config, REGULARIZERS, "regularizer", Regularizer)


def get(identifier: Any) -> Regularizer | None:
    """None, a name ('l2'), a class, an instance, a config dict, or any callable (used as is)."""
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, (type, Regularizer)):
        return identifier
    return deserialize(identifier)
