"""Keras 3 weight regularizers: ``reg(weight: Tensor) -> scalar Tensor`` added to the loss."""
from __future__ import annotations

import math as pymath
from typing import Any

import numpy as np

from . import _keras_objects
from .graph import Tensor
from .graph.ops import math
from .graph.ops.constants import constant, convert
from .runtime import dtypes


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


class OrthogonalRegularizer(Regularizer):
    """``factor * mean |cos|`` over distinct pairs of rows (or columns) of a 2-D weight: pushes them
    towards orthogonality. Vectors are L2-normalized as ``x * min(rsqrt(sum x^2), 1 / 1e-7)``."""

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}, got {mode!r}')
        self.factor, self.mode = _penalty(factor, "factor"), mode

    def __call__(self, x: Tensor) -> Tensor:
        x = convert(x)
        if x.rank != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2, got shape {x.shape}")
        axis = 1 if self.mode == "rows" else 0
        inverse_norm = math.minimum(math.rsqrt(math.reduce_sum(math.square(x), axis, keepdims=True)), 1e7)
        unit = x * inverse_norm
        product = math.matmul(unit, unit, transpose_b=True) if axis == 1 else math.matmul(unit, unit, transpose_a=True)
        size = x.shape[1 - axis]
        off_diagonal = constant(1.0 - np.eye(size, dtype=dtypes.to_numpy(x.dtype)), graph=x.graph)
        pairs = size * (size - 1.0) / 2.0
        return math.reduce_sum(math.abs(product * off_diagonal)) * (self.factor * 0.5 / pairs)


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer

REGULARIZERS: dict[str, type] = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1l2": L1L2,
                                 "l1_l2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
                                 "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer: Regularizer) -> dict[str, Any]:
    return _keras_objects.serialize(regularizer, "keras.regularizers")


def deserialize(config: dict[str, Any] | str) -> Regularizer:
    return _keras_objects.lookup(config, REGULARIZERS, "regularizer", Regularizer)


def get(identifier: Any) -> Regularizer | None:
    """None, a name ('l2'), a class, an instance, a config dict, or any callable (used as is)."""
    if identifier is None:
        return None
    if callable(identifier) and not isinstance(identifier, (type, Regularizer)):
        return _keras_objects.from_foreign(identifier, REGULARIZERS, "regularizers") or identifier
    return deserialize(identifier)
