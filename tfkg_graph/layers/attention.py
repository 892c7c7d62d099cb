"""MultiHeadAttention with Keras 3's arguments, weights (layout and order), masks and config."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from .. import activations
from ..graph.ops import array, constants, math
from ..runtime import dtypes
from .base import Layer, get_constraint, get_initializer, get_keras_mask, get_regularizer, serialize
from .core import Dropout

# Keras tracks the projections as sub-objects: ``_query_dense`` in checkpoints (kernel as ``_kernel``),
# ``query_dense`` in weight files
_KERAS_OBJECTS = {"query": "_query_dense", "key": "_key_dense", "value": "_value_dense",
                  "attention_output": "_output_dense"}


class MultiHeadAttention(Layer):
    """Scaled dot-product attention over ``num_heads`` heads: ``softmax(q k^T / sqrt(key_dim)) v`` per
    head, each head's query/key/value projected from the inputs, the heads projected back to the
    query's width (or ``output_shape``). Masks as Keras: the inputs' masks (query rows, value/key
    columns), ``attention_mask`` (batch, T, S) and ``use_causal_mask`` are ANDed; the output carries
    the query's mask. Attention over the sequence axis only (``attention_axes=None``)."""

    supports_masking = True

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, seed: int | None = None,
                 use_gate: bool = False, sliding_window: int | None = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if attention_axes is not None:
            raise ValueError(f"MultiHeadAttention: only attention over the sequence axis (attention_axes=None) "
                             f"is supported, got attention_axes={attention_axes!r}")
        if use_gate or sliding_window is not None:
            raise ValueError("MultiHeadAttention: use_gate and sliding_window are not supported")
        if int(num_heads) < 1 or int(key_dim) < 1:
            raise ValueError(f"MultiHeadAttention needs num_heads >= 1 and key_dim >= 1, got {num_heads}, {key_dim}")
        if isinstance(output_shape, (list, tuple)):
            if len(output_shape) != 1:
                raise ValueError(f"MultiHeadAttention: output_shape must be one width, got {output_shape!r}")
            output_shape = output_shape[0]
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), use_bias, seed
        self.output_shape = int(output_shape) if output_shape is not None else None
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.bias_constraint = get_constraint(bias_constraint)
        self._dropout_layer = Dropout(self.dropout, seed=seed)

    # -- weights ---------------------------------------------------------------------------------
    def _projection(self, name: str, kernel_shape: tuple[int, ...], bias_shape: tuple[int, ...]) -> None:
        setattr(self, f"{name}_kernel", self.add_weight(
            shape=kernel_shape, name=f"{name}/kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint))
        setattr(self, f"{name}_bias", self.add_weight(
            shape=bias_shape, name=f"{name}/bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint) if self.use_bias else None)

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = value_shape or query_shape
        key_shape = key_shape or value_shape
        widths = [s[-1] if s is not None and len(s) == 3 else None for s in (query_shape, value_shape, key_shape)]
        if None in widths:
            raise ValueError(f"{self.name}: query, value and key must be (batch, steps, features) with known "
                             f"features, got {query_shape}, {value_shape}, {key_shape}")
        query_width, value_width, key_width = (int(w) for w in widths)
        heads = self.num_heads
        self._projection("query", (query_width, heads, self.key_dim), (heads, self.key_dim))
        self._projection("key", (key_width, heads, self.key_dim), (heads, self.key_dim))
        self._projection("value", (value_width, heads, self.value_dim), (heads, self.value_dim))
        out = self.output_shape or query_width
        self._projection("attention_output", (heads, self.value_dim, out), (out,))

    def keras_weight_path(self, weight) -> str:
        projection, leaf = weight.name.split("/")
        return f"{_KERAS_OBJECTS[projection]}/{'_kernel' if leaf == 'kernel' else leaf}"

    def call_in_graph(self, args: tuple, kwargs: dict[str, Any], training: bool | None = None) -> Any:
        if not self.built:  # Keras builds from all three shapes, not only the first argument's
            query = args[0] if args else kwargs["query"]
            value = args[1] if len(args) > 1 else kwargs.get("value")
            key = args[2] if len(args) > 2 else kwargs.get("key")
            self.build(query.shape, None if value is None else value.shape, None if key is None else key.shape)
            self.built = True
        return super().call_in_graph(args, kwargs, training)

    # -- computing -------------------------------------------------------------------------------
    def _project(self, x: Tensor, name: str) -> Tensor:
        """(batch, steps, width) -> (batch, heads, steps, dim)."""
        kernel = getattr(self, f"{name}_kernel")
        width, heads, dim = kernel.shape
        flat = math.matmul(array.reshape(x, [-1, width]), array.reshape(kernel.value(), [width, heads * dim]))
        bias = getattr(self, f"{name}_bias")
        if bias is not None:
            flat = flat + array.reshape(bias.value(), [heads * dim])
        dynamic = array.shape(x)
        split = array.reshape(flat, array.stack([dynamic[0], dynamic[1], constants.constant(heads, "int32"),
                                                 constants.constant(dim, "int32")]))
        return array.transpose(split, [0, 2, 1, 3])

    def _attention_mask(self, query, value, key, key_given, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask) -> Tensor | None:
        """(batch, T, S) booleans: Keras' _compute_attention_mask."""
        query_mask = query_mask if query_mask is not None else get_keras_mask(query)
        value_mask = value_mask if value_mask is not None else get_keras_mask(value)
        if key_mask is None and key_given:
            key_mask = get_keras_mask(key)
        masks = []
        if query_mask is not None:
            masks.append(array.expand_dims(_bool(query_mask), -1))
        for m in (value_mask, key_mask):
            if m is not None:
                masks.append(array.expand_dims(_bool(m), -2))
        if use_causal_mask:
            q_steps, v_steps = array.shape(query)[1], array.shape(value)[1]
            rows = array.expand_dims(array.range_(0, q_steps), -1)
            cols = array.expand_dims(array.range_(0, v_steps), 0)
            masks.append(array.expand_dims(math.greater_equal(rows, cols), 0))
        if attention_mask is not None:
            masks.append(_bool(attention_mask))
        if not masks:
            return None
        mask = masks[0]
        for m in masks[1:]:
            mask = math.logical_and(mask, m)
        return mask

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=False, use_causal_mask=False):
        key_given = key is not None
        key = value if key is None else key
        mask = self._attention_mask(query, value, key, key_given, query_mask, value_mask, key_mask, attention_mask,
                                    use_causal_mask)
        q = self._project(query, "query") * (1.0 / float(np.sqrt(self.key_dim)))
        k, v = self._project(key, "key"), self._project(value, "value")
        scores = math.matmul(q, k, transpose_b=True)  # (batch, heads, T, S)
        if mask is None:
            probabilities = activations.softmax(scores)
        else:  # Keras' explicit path (its Softmax layer, with dropout or scores returned) zeroes masked
            # entries; its fused dot_product_attention, used otherwise, leaves a fully masked row uniform
            probabilities = activations.masked_softmax(scores, array.expand_dims(mask, 1),
                                                       zero_masked=self.dropout > 0 or return_attention_scores)
        attended = self._dropout_layer.call(probabilities, training=training) if self.dropout > 0 else probabilities
        heads = array.transpose(math.matmul(attended, v), [0, 2, 1, 3])  # (batch, T, heads, value_dim)
        kernel = self.attention_output_kernel
        _, _, out = kernel.shape
        dynamic = array.shape(query)
        flat = math.matmul(array.reshape(heads, [-1, self.num_heads * self.value_dim]),
                           array.reshape(kernel.value(), [self.num_heads * self.value_dim, out]))
        if self.attention_output_bias is not None:
            flat = flat + self.attention_output_bias.value()
        steps = query.shape[1]  # static when known, so later layers see it
        output = array.reshape(flat, [-1, steps, out] if steps is not None else
                               array.stack([dynamic[0], dynamic[1], constants.constant(out, "int32")]))
        return [output, probabilities] if return_attention_scores else output

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask  # the query's mask

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_shape, "attention_axes": None,
                "kernel_initializer": serialize(self.kernel_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": serialize(self.kernel_regularizer),
                "bias_regularizer": serialize(self.bias_regularizer),
                "activity_regularizer": serialize(self.activity_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "bias_constraint": serialize(self.bias_constraint), "seed": self.seed, "use_gate": False,
                "sliding_window": None}


def _bool(mask: Tensor) -> Tensor:
    return mask if mask.dtype == dtypes.BOOL else math.cast(mask, "bool")
