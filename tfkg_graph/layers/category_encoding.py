"""CategoryEncoding: integer token ids to one-hot, multi-hot or count vectors (Keras 3's arguments,
output shapes and config), inside the graph. Sparse outputs are not supported."""
from __future__ import annotations

from typing import Any

from ..graph.ops import array, math
from ..runtime import dtypes
from .base import Layer


class CategoryEncoding(Layer):
    """``(batch, n)`` ids in ``[0, num_tokens)`` -> ``(batch, num_tokens)`` (multi_hot: 1 where an id
    occurs; count: how often, optionally weighted by ``count_weights``), or ``(batch, n, num_tokens)``
    one-hot rows (``(batch, num_tokens)`` when ``n == 1``)."""

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"CategoryEncoding: unknown output_mode {output_mode!r}")
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be set to an int >= 1, got {num_tokens!r}")
        if sparse:
            raise ValueError("CategoryEncoding: sparse outputs are not supported")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, False

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{self.name}: count_weights is used only with output_mode='count'")
        if inputs.dtype not in (dtypes.INT32, dtypes.INT64):
            inputs = math.cast(inputs, "int32")
        if inputs.rank < 1:
            raise ValueError(f"{self.name}: expects (batch, ids) inputs, got shape {inputs.shape}")
        if self.output_mode == "one_hot":
            if inputs.rank > 1 and inputs.shape[-1] == 1:
                inputs = array.squeeze(inputs, [-1])
            return array.one_hot(inputs, self.num_tokens, dtype=self.dtype)
        if inputs.rank == 1:
            inputs = array.expand_dims(inputs, -1)
        hot = array.one_hot(inputs, self.num_tokens, dtype=self.dtype)
        if self.output_mode == "multi_hot":
            return math.reduce_max(hot, -2)
        if count_weights is not None:
            hot = hot * array.expand_dims(math.cast(count_weights, self.dtype), -1)
        return math.reduce_sum(hot, -2)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}
