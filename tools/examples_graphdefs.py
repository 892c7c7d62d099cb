"""``make graphdefs``: writes the training GraphDefs (text) of the example models to ``graphdefs/``.
Repository only (it reads examples/), so not part of the installed package.

The graphs are what ``fit`` runs: placeholders with a None batch dim, forward pass, ``loss/``,
``gradients/``, ``optimizer/``, ``metrics/`` and ``init``. tests/test_graphdefs.py rebuilds them and
fails when the builder's output changed without regenerating these files.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType

from tfkg_graph import layers, set_random_seed
from tfkg_graph._io import atomic_write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = {"iris": "examples/iris/train.py", "multiple_inputs": "examples/multiple_inputs/train.py"}
TARGET_SHAPE = ()  # sparse labels: one class index per row


def load_example(name: str) -> ModuleType:
    path = os.path.join(REPO, EXAMPLES[name])
    if not os.path.exists(path):
        raise FileNotFoundError(f"example {name!r} not found at {path} (run from a source checkout)")
    spec = importlib.util.spec_from_file_location(f"_tfkg_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def graph_text(name: str) -> str:
    """The example's compiled training graph as a text GraphDef (deterministic)."""
    example = load_example(name)
    layers.clear_session()
    set_random_seed(example.SEED)
    model = example.build_model()
    example.compile_model(model)
    spec = model._train_spec([TARGET_SHAPE] * len(model.outputs))
    return model._ensure_runtime(spec).graph.to_text()


def write_all(directory: str = os.path.join(REPO, "graphdefs")) -> list[str]:
    os.makedirs(directory, exist_ok=True)
    written = []
    for name in EXAMPLES:
        path = os.path.join(directory, f"{name}.pbtxt")
        atomic_write(path, graph_text(name))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(*sys.argv[1:2]):
        print(f"wrote {os.path.relpath(path, REPO)}")
