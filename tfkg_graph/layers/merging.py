"""Layers that merge a list of inputs: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum."""
from __future__ import annotations

from functools import reduce
from typing import Any

from ..graph.ops import array, constants, math
from .base import Layer, get_keras_mask


def _broadcast_mask(x):
    """The (batch, steps) mask attached to ``x`` spread over its features, or None."""
    mask = get_keras_mask(x)
    return None if mask is None else array.broadcast_to(array.expand_dims(mask, -1), array.shape(x))


def _masked_extremum(op, inputs):
    """Keras 3's Maximum/Minimum on masked inputs: a step masked in one input takes the other's value."""
    output, output_mask = inputs[0], _broadcast_mask(inputs[0])
    for x in inputs[1:]:
        mask = _broadcast_mask(x)
        if mask is not None:
            x = math.select(mask, x, output)
        if output_mask is not None:
            output = math.select(output_mask, output, x)
        output_mask = None if mask is None or output_mask is None else math.logical_or(output_mask, mask)
        output = op(output, x)
    return output


def _checked_masks(layer: Layer, inputs, mask) -> list | None:
    """The incoming masks as a list matching ``inputs``, or None when no input is masked."""
    if mask is None:
        return None
    if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
        raise ValueError(f"{type(layer).__name__} ({layer.name}) needs one mask per input, got {mask!r} "
                         f"for {len(inputs)} inputs")
    return list(mask)


class _Merge(Layer):
    """Elementwise merge of two or more same-shaped (broadcastable) inputs."""

    min_inputs = 2
    supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        """Keras 3: a step is valid when it is valid in any input; one unmasked input drops the mask."""
        masks = _checked_masks(self, inputs, previous_mask)
        if masks is None or any(m is None for m in masks):
            return None
        return reduce(math.logical_or, masks)

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
        """Keras 3: masked steps count as 1 in the product, and as 0 in the output when all inputs are masked."""
        masks = [_broadcast_mask(x) for x in inputs]
        factors = [x if m is None else math.select(m, x, constants.constant(1, x.dtype))
                   for x, m in zip(inputs, masks)]
        output = reduce(math.multiply, factors)
        if any(m is None for m in masks):
            return output
        return math.select(reduce(math.logical_or, masks), output, constants.constant(0, output.dtype))


class Average(_Merge):
    def _merge(self, inputs):
        return reduce(math.add, inputs) / float(len(inputs))


class Maximum(_Merge):
    def _merge(self, inputs):
        return _masked_extremum(math.maximum, inputs)


class Minimum(_Merge):
    def _merge(self, inputs):
        return _masked_extremum(math.minimum, inputs)


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

    def compute_mask(self, inputs, previous_mask=None):
        """Keras 3: each input's mask (all true when unmasked) broadcast to the input's shape, concatenated
        along ``axis`` and reduced with any over the last axis, so feature concatenation ORs the masks and
        time concatenation joins them."""
        masks = _checked_masks(self, inputs, previous_mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                m = array.ones(array.shape(x), "bool")
            elif m.rank < x.rank:
                m = array.broadcast_to(array.expand_dims(m, -1), array.shape(x))
            full.append(m)
        return math.reduce_any(array.concat(full, self.axis % inputs[0].rank), axis=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _functional(layer_class: type) -> Any:
    def merge(inputs: Any, **kwargs: Any) -> Any:
        return layer_class(**kwargs)(inputs)
    merge.__name__ = layer_class.__name__.lower()
    merge.__doc__ = f"Keras' functional ``layers.{merge.__name__}(inputs, **kwargs)``: a {layer_class.__name__} layer called once."
    return merge


add, subtract, multiply = _functional(Add), _functional(Subtract), _functional(Multiply)
average, maximum, minimum = _functional(Average), _functional(Maximum), _functional(Minimum)


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """Keras' functional ``layers.concatenate(inputs, axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
