"""Subclassed models (``class M(keras.Model)`` with layers made in ``__init__`` and a ``call``): on the
first data the model sees, ``call`` runs once on ``Input`` tensors shaped like that data, and the layer
calls it makes become the model's functional graph. So ``call`` is traced, not run per step: Python
branches on tensor values or on ``training`` are fixed at that trace (layers such as Dropout and
BatchNormalization still switch between training and inference)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..layers.base import Input

_MODELS_PACKAGE = __name__.rpartition(".")[0] + "."


def has_own_call(model: Any) -> bool:
    """Whether ``model``'s class defines ``call`` itself (a subclassed model) rather than replaying a graph."""
    defining = next(klass for klass in type(model).__mro__ if "call" in vars(klass))
    return not defining.__module__.startswith(_MODELS_PACKAGE)  # ours (Functional) replays the graph instead


def _input_like(value: Any, name: str | None = None) -> Any:
    array = np.asarray(value)
    if array.ndim == 0:
        raise ValueError("a subclassed model's inputs need a batch dimension; got a scalar")
    dtype = "float32" if array.dtype.kind == "f" else str(array.dtype)
    return Input(shape=array.shape[1:], dtype=dtype, name=name)


def build_from_call(model: Any, x: Any) -> None:
    """Wires ``model`` as the graph of ``model.call`` on Inputs shaped like the batch ``x`` (array, list or
    dict of arrays, batch dimension left free)."""
    if isinstance(x, dict):
        inputs: Any = {key: _input_like(value, key) for key, value in x.items()}
    elif isinstance(x, (list, tuple)):
        inputs = [_input_like(value) for value in x]
    else:
        inputs = _input_like(x)
    outputs = model.call(inputs)
    if outputs is None:
        raise ValueError(f"{type(model).__name__}.call returned None; it must return the model's outputs")
    model._init_graph(inputs, outputs)
    compiled = model._compiled
    if compiled:  # compiled before the first call: resolve losses and metrics for the real outputs
        model.compile(optimizer=compiled["optimizer"], loss=compiled["loss"], loss_weights=compiled["loss_weights"],
                      metrics=compiled["metrics"], weighted_metrics=compiled["weighted_metrics"],
                      jit_compile=model.jit_compile)


__all__ = ["build_from_call", "has_own_call"]
