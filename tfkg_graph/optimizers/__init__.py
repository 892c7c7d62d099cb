"""Keras 3 optimizers as graph updates; ``get('adam')``, ``serialize``/``deserialize`` like keras.optimizers."""
from __future__ import annotations

from typing import Any

from .. import _keras_objects
from . import schedules
from .algorithms import SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .more_algorithms import Adadelta, Adafactor, Ftrl, Lamb, Lion, Muon, ScheduleFreeAdamW
from .optimizer import Optimizer

__all__ = ["SGD", "Adagrad", "Adam", "Adamax", "AdamW", "Nadam", "RMSprop", "Adadelta", "Adafactor", "Ftrl", "Lamb",
           "Lion", "Muon", "ScheduleFreeAdamW", "Optimizer", "schedules", "get", "serialize", "deserialize"]

OPTIMIZERS: dict[str, type] = {cls.__name__: cls for cls in (SGD, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop,
                                                             Adadelta, Adafactor, Ftrl, Lamb, Lion, Muon,
                                                             ScheduleFreeAdamW)}
OPTIMIZERS.update({name.lower(): cls for name, cls in list(OPTIMIZERS.items())})


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    return _keras_objects.serialize(optimizer, "keras.optimizers")


def deserialize(config: dict[str, Any] | str) -> Optimizer:
    return _keras_objects.lookup(config, OPTIMIZERS, "optimizer", Optimizer)


def get(identifier: Any) -> Optimizer:
    """'adam', 'Adam', a class, an instance or a Keras config dict -> an Optimizer."""
    return deserialize(identifier.lower() if isinstance(identifier, str) else identifier)
