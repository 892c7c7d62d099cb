"""Layers that merge a list of inputs: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum."""
from __future__ import annotations

from functools import reduce
from typing import Any

from ..graph.ops import array, math
from .base import Layer


class _Merge(Layer):
    """Elementwise merge of two or more same-shaped (broadcastable) inputs."""

    min_inputs = 2

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self.min_inputs:
            raise ValueError(f"{type(self).__name__} ({self.name}) takes a list of at least "
                             f"{self.min_inputs} inputs")
        return self._merge(list(inputs))

    def _merge(self, inputs):
        raise NotImplementedError


class Add(_Merge):
    def _merge(self, inputs):
        return reduce(math.add, inputs)


class Subtract(_Merge):
    def _merge(self, inputs):
        if len(inputs) != 2:
            raise ValueError(f"Subtract ({self.name}) takes exactly 2 inputs, got {len(inputs)}")
        return math.subtract(inputs[0], inputs[1])


class Multiply(_Merge):
    def _merge(self, inputs):
        return reduce(math.multiply, inputs)


class Average(_Merge):
    def _merge(self, inputs):
        return reduce(math.add, inputs) / float(len(inputs))


class Maximum(_Merge):
    def _merge(self, inputs):
        return reduce(math.maximum, inputs)


class Minimum(_Merge):
    def _merge(self, inputs):
        return reduce(math.minimum, inputs)


class Concatenate(_Merge):
    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _merge(self, inputs):
        ranks = {t.rank for t in inputs}
        if len(ranks) != 1:
            raise ValueError(f"Concatenate ({self.name}) needs inputs of one rank, got shapes "
                             f"{[t.shape for t in inputs]}")
        return array.concat(inputs, self.axis % ranks.pop())

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
