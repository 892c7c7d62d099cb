"""``Model``: Keras 3's functional model with its training API, as ``Trainer`` (compile, fit, evaluate,
predict: trainer.py) over ``Functional`` (the layer DAG, weights, runtime, saving: functional.py)."""
from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..layers import base as layer_base
from ..layers.base import KerasTensor, Layer
from ..saving import model_classes
from .runtime import ModelRuntime, TrainSpec, current_strategy
from .functional import Functional
from .trainer import Trainer


class Model(Trainer, Functional):
    """``Model(inputs=..., outputs=...)`` over KerasTensors, with Keras 3's training API."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True, **kwargs: Any):
        self._layers: list[Layer] = []
        self._lock = threading.RLock()  # compile/fit/evaluate/saving one at a time; runtime (re)builds
        self._closed = False
        self.jit_compile = False
        super().__init__(name=name or layer_base.unique_name(
            "sequential" if type(self).__name__ == "Sequential" else "functional"), trainable=trainable, **kwargs)
        self._runtime: ModelRuntime | None = None
        self._compiled: dict[str, Any] | None = None
        self._spec: TrainSpec | None = None
        self.stop_training = self.stop_evaluating = self.stop_predicting = False
        self.history: Any = None
        self._distribute_strategy = current_strategy()
        self._initial_epoch: int | None = None  # set by a restoring callback (distribute.BackupAndRestore)
        self._shuffle_rng = np.random.default_rng(layer_base.random_seed())
        self._inputs: list[KerasTensor] = []
        self._outputs: list[KerasTensor] = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model needs both inputs and outputs")
            self._init_graph(inputs, outputs)


model_classes.register(Model, "Functional")  # load_model rebuilds it by name (saving sits below models)
