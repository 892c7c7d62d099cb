"""Keras 3 models: ``Sequential`` and functional ``Model`` with compile/fit/evaluate/predict."""
from .model import Model
from .sequential import Sequential

Functional = Model

__all__ = ["Functional", "Model", "Sequential"]
