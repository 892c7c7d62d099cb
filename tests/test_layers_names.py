"""Every public name of ``keras.layers`` exists in ``tfkg_graph.layers`` or is listed with its reason under
"Not implemented" in docs/differences.md; Keras' aliases are the same classes here as there."""
from __future__ import annotations

import pytest

from _differences import not_implemented
from test_keras_names import _keras_public
from tfkg_graph import layers

keras = pytest.importorskip("keras")

# The ConvLSTM layers belong to the `loops` branch, which adds them (and removes this).
RECURRENT = {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}


def test_every_keras_layer_name_exists_or_is_listed_with_a_reason():
    listed = {n.split(".", 1)[1] for n in not_implemented() if n.startswith("layers.")}
    public = [n for n in _keras_public("layers") if n not in RECURRENT]
    missing = [n for n in public if not hasattr(layers, n) and n not in listed]
    assert not missing, f"keras.layers names neither implemented nor listed in docs/differences.md: {missing}"
    stale = sorted(n for n in listed if hasattr(layers, n))
    assert not stale, f"listed as not implemented but present: {stale}"


def test_keras_aliases_name_the_same_class_here():
    for name in _keras_public("layers"):
        theirs = getattr(keras.layers, name)
        if not isinstance(theirs, type) or theirs.__name__ == name or not hasattr(layers, name):
            continue
        assert getattr(layers, name) is getattr(layers, theirs.__name__), name
