"""tfkg_graph: Keras-style models whose TensorFlow GraphDefs (forward, gradients, optimizer updates) are
built here and run through TensorFlow's C API.

``from tfkg_graph import layers, models, optimizers, losses, activations, initializers, regularizers,
metrics, callbacks, ops`` - submodules load on first use, so importing the package stays cheap.
"""
from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("activations", "autodiff", "callbacks", "constraints", "data", "distribute", "graph", "initializers",
               "inspect", "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers", "runtime",
               "saving", "tensorboard")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in ("clear_session", "set_random_seed"):
        from .layers import base
        return getattr(base, name)
    raise AttributeError(f"module 'tfkg_graph' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES) + ["clear_session", "set_random_seed"])
