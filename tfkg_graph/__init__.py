"""tfkg_graph: Keras-style models whose TensorFlow GraphDefs (forward, gradients, optimizer updates) are
built here and run through TensorFlow's C API.

``import tfkg_graph as keras`` gives Keras 3's top-level namespace (``keras.Sequential``, ``keras.Input``,
``keras.layers``, ``keras.utils.to_categorical`` ...), so a published Keras script runs by changing its
import line. Every name loads on first use (module ``__getattr__``), so importing the package stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("activations", "autodiff", "backend", "callbacks", "constraints", "data", "datasets", "distribute",
               "graph", "initializers", "inspect", "layers", "losses", "metrics", "models", "ops", "optimizers",
               "random", "regularizers", "runtime", "saving", "tensorboard", "utils")

# Keras 3's top-level classes and functions: name -> (our submodule, attribute there).
_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "Sequential": ("models", "Sequential"),
    "Model": ("models", "Model"),
    "Input": ("layers", "Input"),
    "Layer": ("layers", "Layer"),
    "KerasTensor": ("layers", "KerasTensor"),
    "Loss": ("losses", "Loss"),
    "Metric": ("metrics", "Metric"),
    "Optimizer": ("optimizers", "Optimizer"),
    "Initializer": ("initializers", "Initializer"),
    "Regularizer": ("regularizers", "Regularizer"),
    "clear_session": ("backend", "clear_session"),
    "set_random_seed": ("utils", "set_random_seed"),
    "version": ("_version", "version"),
    "__version__": ("_version", "__version__"),
}


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _ATTRIBUTES:
        module, attribute = _ATTRIBUTES[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attribute)
        globals()[name] = value  # later look-ups skip __getattr__
        return value
    raise AttributeError(f"module 'tfkg_graph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES) | set(_ATTRIBUTES))
