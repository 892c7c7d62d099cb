"""Keras 3 models: ``Sequential`` and functional ``Model`` with compile/fit/evaluate/predict."""
from __future__ import annotations

from typing import Any

from ..saving import load_model as _load_model
from .model import Model
from .sequential import Sequential

Functional = Model


def load_model(filepath: str, custom_objects: dict[str, Any] | None = None, compile: bool = True,
               safe_mode: bool = True) -> Model:
    """A model saved with ``model.save`` (SavedModel + config), compiled and with its trained state."""
    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe=safe_mode)


__all__ = ["Functional", "Model", "Sequential", "load_model"]
