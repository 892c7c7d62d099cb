"""Keras 3 weight constraints: ``c(w: Tensor) -> Tensor``, assigned to the weight after each update."""
from __future__ import annotations

from typing import Any, Sequence

from . import _keras_objects
from .graph import Tensor
from .graph.ops import math
from .graph.ops.constants import convert

EPSILON = 1e-7  # keras.backend.epsilon()


class Constraint:
    def __call__(self, w: Tensor) -> Tensor:
        return w

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Constraint":
        return cls(**config)


def _norms(w: Tensor, axis: int | Sequence[int]) -> Tensor:
    return math.sqrt(math.reduce_sum(math.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    def __init__(self, max_value: float = 2, axis: int | Sequence[int] = 0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Tensor) -> Tensor:
        w = convert(w)
        norms = _norms(w, self.axis)
        desired = math.clip_by_value(norms, 0.0, float(self.max_value))
        return w * (desired / (norms + EPSILON))


class NonNeg(Constraint):
    def __call__(self, w: Tensor) -> Tensor:
        return math.maximum(convert(w), 0.0)

    def get_config(self) -> dict[str, Any]:
        return {}


class UnitNorm(Constraint):
    def __init__(self, axis: int | Sequence[int] = 0):
        self.axis = axis

    def __call__(self, w: Tensor) -> Tensor:
        w = convert(w)
        return w / (_norms(w, self.axis) + EPSILON)


class MinMaxNorm(Constraint):
    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: int | Sequence[int] = 0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Tensor) -> Tensor:
        w = convert(w)
        norms = _norms(w, self.axis)
        clipped = math.clip_by_value(norms, float(self.min_value), float(self.max_value))
        desired = clipped * self.rate + norms * (1 - self.rate)
        return w * (desired / (norms + EPSILON))


max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm

CONSTRAINTS: dict[str, type] = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
                                "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg,
                                "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm}


def serialize(constraint: Constraint) -> dict[str, Any]:
    return _keras_objects.serialize(constraint, "keras.constraints")


def deserialize(config: dict[str, Any] | str) -> Constraint:
    return _keras_objects.lookup(config, CONSTRAINTS, "constraint", Constraint)


def get(identifier: Any) -> Constraint | None:
    """None, a name ('max_norm'), a class, an instance, a config dict, or any callable (used as is)."""
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, (type, Constraint)):
        return _keras_objects.from_foreign(identifier, CONSTRAINTS, "constraints") or identifier
    return deserialize(identifier)
