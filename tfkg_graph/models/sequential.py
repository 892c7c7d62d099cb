"""Sequential: a linear stack of layers, wired as a functional model once its input shape is known."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..layers.base import InputLayer, KerasTensor, Layer
from ..layers.registry import serialize
from ..saving import model_classes
from .model import Model
from .serialization import deserialize_layer


class Sequential(Model):
    """``Sequential([layers.Input((4,)), layers.Dense(3)])``; without an Input (or ``input_shape`` on the
    first layer) the model builds itself from the first data it gets."""

    def __init__(self, layers: Sequence[Layer] | None = None, trainable: bool = True, name: str | None = None):
        super().__init__(name=name, trainable=trainable)
        self._stack: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._wire()

    def add(self, layer: Layer | KerasTensor, rebuild: bool = True) -> None:
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("an Input can only be the first entry of a Sequential model")
            self._input_layer = layer
        elif isinstance(layer, Layer):
            if any(l.name == layer.name for l in self._stack):
                raise ValueError(f"Sequential already has a layer named {layer.name!r}")
            self._stack.append(layer)
        else:
            raise TypeError(f"Sequential.add takes a Layer, got {type(layer).__name__}")
        if rebuild:
            self._wire()

    def pop(self, rebuild: bool = True) -> Layer:
        layer = self._stack.pop()
        if rebuild:
            self._wire()
        return layer

    def _wire(self) -> None:
        """Connects the stack as a functional graph when the input shape is known."""
        if self._input_layer is None and self._stack and self._stack[0]._input_shape_arg is not None:
            self._input_layer = InputLayer(shape=self._stack[0]._input_shape_arg)
        if self._input_layer is None or not self._stack:
            self._layers, self._inputs, self._outputs = list(self._stack), [], []
            self._runtime = None
            return
        x = self._input_layer.output_tensor
        for layer in self._stack:
            x = layer(x)
        self._init_graph(self._input_layer.output_tensor, x)
        self._layers = list(self._stack)

    @property
    def output_names(self) -> list[str]:
        return super().output_names if self._outputs else [self._stack[-1].name] if self._stack else []

    def build(self, input_shape: Sequence[int | None] | None = None) -> None:
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
            self._wire()

    def run_graph(self, input_tensors: Sequence[Any], training: bool, **kwargs: Any) -> list[Any]:
        """Called as a layer before it has an Input (a Sequential inside a custom layer, as in Keras'
        examples): builds from the shape of what it is called on."""
        if not self._outputs and self._stack and len(input_tensors) == 1 and input_tensors[0].shape is not None:
            self.build((None, *input_tensors[0].shape[1:]))
        return super().run_graph(input_tensors, training, **kwargs)

    def _ensure_built(self, x: Any = None) -> None:
        if not self._outputs and x is not None and self._stack:
            first = x[0] if isinstance(x, (list, tuple)) and len(x) == 1 else x
            if isinstance(first, dict) and len(first) == 1:
                first = next(iter(first.values()))
            first = np.asarray(first)
            with self._lock:  # two threads' first calls build it once
                self.build((None, *first.shape[1:]))
        super()._ensure_built(x)

    def get_config(self) -> dict[str, Any]:
        entries = [serialize(self._input_layer)] if self._input_layer is not None else []
        return {"name": self.name, "trainable": self.trainable, "layers": entries + [serialize(l) for l in self._stack]}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> "Sequential":
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for entry in config["layers"]:
            model.add(deserialize_layer(entry, custom_objects), rebuild=False)
        model._wire()
        return model


model_classes.register(Sequential)  # load_model rebuilds it by name (saving sits below models)
