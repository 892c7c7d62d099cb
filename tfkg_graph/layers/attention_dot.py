"""Attention (Luong-style dot or concat scores) and AdditiveAttention (Bahdanau-style) over
``[query, value]`` or ``[query, value, key]``, with Keras 3's weights, masks and configs."""
from __future__ import annotations

from typing import Any

from ..graph.ops import array, math, nn
from .base import Layer
from .core import Dropout

_MASKED_SCORE = 1.0e9  # Keras subtracts it from masked scores before the softmax


class Attention(Layer):
    """``softmax(scores(q, k)) @ v``; a value mask (and ``use_causal_mask``) hides keys, a query mask
    zeroes the output rows and is the output's mask."""

    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: score_mode must be 'dot' or 'concat', got {score_mode!r}")
        self.use_scale, self.score_mode, self.dropout, self.seed = use_scale, score_mode, dropout, seed
        self._dropout_layer = Dropout(float(dropout), seed=seed)

    def _check(self, inputs: Any) -> None:
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{type(self).__name__} ({self.name}) must be called on [query, value] or "
                             f"[query, value, key], got {inputs!r}")

    def build(self, input_shape):
        self._check(input_shape)
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
                                    if self.score_mode == "concat" else None)

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = math.matmul(query, key, transpose_b=True)
            return scores * self.scale.value() if self.scale is not None else scores
        summed = array.expand_dims(query, -2) + array.expand_dims(key, -3)
        if self.scale is not None:
            summed = summed * self.scale.value()
        return math.reduce_sum(math.tanh(summed), -1) * self.concat_score_weight.value()

    def call(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False):
        self._check(inputs)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = mask[0] if mask else None
        value_mask = mask[1] if mask else None
        scores = self._scores(query, key)
        score_mask = None if value_mask is None else array.expand_dims(math.cast(value_mask, "bool"), -2)
        if use_causal_mask:
            steps = array.shape(scores)
            rows = array.expand_dims(array.range_(0, steps[-2]), -1)
            cols = array.expand_dims(array.range_(0, steps[-1]), 0)
            causal = array.expand_dims(math.greater_equal(rows, cols), 0)
            score_mask = causal if score_mask is None else math.logical_and(score_mask, causal)
        if score_mask is not None:
            scores = math.select(score_mask, scores, scores - _MASKED_SCORE)
        weights = nn.softmax(scores)
        attended = self._dropout_layer.call(weights, training=training) if training and self.dropout > 0 else weights
        output = math.matmul(attended, value)
        if query_mask is not None:
            keep = array.expand_dims(math.cast(query_mask, "bool"), -1)
            output = math.select(array.broadcast_to(keep, array.shape(output)), output, array.zeros_like(output))
        return (output, weights) if return_attention_scores else output

    def compute_mask(self, inputs, previous_mask=None):
        if not previous_mask or previous_mask[0] is None:
            return None
        return previous_mask[0]

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Scores ``sum(scale * tanh(q + k), -1)`` with a learned per-feature ``scale`` (``use_scale``)."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, **kwargs: Any):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._check(input_shape)
        dim = input_shape[0][-1]
        self.scale = (self.add_weight(name="scale", shape=(int(dim),), initializer="glorot_uniform")
                      if self.use_scale else None)

    def _scores(self, query, key):
        tanh = math.tanh(array.expand_dims(query, -2) + array.expand_dims(key, -3))
        return math.reduce_sum(tanh * self.scale.value() if self.scale is not None else tanh, -1)

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "score_mode"}
