"""TimeDistributed: one layer applied to every step of a sequence (Keras 3's name, config and weight layout)."""
from __future__ import annotations

from typing import Any

from ..graph.ops import array
from .base import Layer


class TimeDistributed(Layer):
    """Applies ``layer`` to each step of ``(batch, steps, ...)`` inputs with one set of weights. The steps
    are folded into the batch, so the layer runs once on ``(batch * steps, ...)`` (Keras loops over the
    steps; the results agree, except that a BatchNormalization inside sees all steps of a batch at once)."""

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed wraps a layer, got {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def _sublayers(self) -> list[Layer]:  # none yet while Layer.__init__ sets trainable
        layer = getattr(self, "layer", None)
        return [layer] if layer is not None else []

    @property
    def trainable_weights(self):
        return self.layer.trainable_weights

    @property
    def non_trainable_weights(self):
        return self.layer.non_trainable_weights

    @property
    def weights(self):
        return self.layer.weights

    def count_params(self) -> int:
        return self.layer.count_params()

    def keras_weight_path(self, weight) -> str:
        """Keras tracks the wrapped layer as ``layer``: ``layer/kernel``."""
        inner = (self.layer.keras_weight_path(weight) if hasattr(self.layer, "keras_weight_path")
                 else weight.name.rsplit("/", 1)[-1])
        return "layer/" + inner

    def call(self, inputs, training=False, mask=None):
        shape = inputs.shape
        if shape is None or len(shape) < 3:
            raise ValueError(f"{self.name}: TimeDistributed needs inputs of at least 3 dimensions "
                             f"(batch, steps, ...), got shape {shape}")
        dynamic = array.shape(inputs)
        folded = array.reshape(inputs, [-1, *shape[2:]] if None not in shape[2:]
                               else array.concat([[-1], dynamic[2:]], 0))
        kwargs: dict[str, Any] = {}
        if mask is not None and self.layer._call_has_mask:
            kwargs["mask"] = array.reshape(mask, [-1, *mask.shape[2:]])
        outputs = self.layer.call_in_graph((folded,), kwargs, training)
        inner = outputs.shape[1:]
        if shape[1] is not None and None not in inner:
            return array.reshape(outputs, [-1, shape[1], *inner])
        result = array.reshape(outputs, array.concat([dynamic[:2], array.shape(outputs)[1:]], 0))
        if outputs.shape is not None:  # an unknown number of steps: keep the known inner dims
            result.shape = (shape[0], shape[1], *inner)
        return result

    def get_config(self):
        from .registry import serialize as serialize_layer
        return {**super().get_config(), "layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config):
        from .registry import deserialize
        return cls(**{**config, "layer": deserialize(config["layer"])})
