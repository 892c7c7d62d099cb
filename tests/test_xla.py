"""compile(jit_compile=True): the model's session compiles its clusters with XLA (on CPU too)."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tfkg_graph import layers, models, optimizers
from tfkg_graph.layers import base


def _trained(jit_compile: object) -> models.Model:
    base.set_random_seed(5)
    model = models.Sequential([layers.Input((8,)), layers.Dense(16, activation="tanh"),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  jit_compile=jit_compile)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 3, 64)
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    return model


def test_xla_trains_to_the_same_weights_as_the_plain_graph():
    plain, xla = _trained(False), _trained(True)
    assert xla.jit_compile and not plain.jit_compile and not _trained("auto").jit_compile
    for a, b in zip(xla.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


XLA_LOG = "Compiled cluster using XLA"


def _train_in_child(jit_compile: bool, export_dir: str) -> subprocess.CompletedProcess:
    """Trains and saves in a fresh process with TF's INFO logging on (it logs its first XLA compile)."""
    code = f"""
import sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
from test_xla import _trained
from tfkg_graph import models
_trained({jit_compile!r}).save({export_dir!r})
assert models.load_model({export_dir!r}).jit_compile is {jit_compile!r}
"""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"})


def test_jit_compile_reaches_tensorflow_and_survives_save(tmp_path):
    xla = _train_in_child(True, str(tmp_path / "xla"))
    assert xla.returncode == 0 and XLA_LOG in xla.stderr, xla.stderr[-3000:]
    plain = _train_in_child(False, str(tmp_path / "plain"))
    assert plain.returncode == 0 and XLA_LOG not in plain.stderr, plain.stderr[-3000:]


def test_a_bad_jit_compile_value_is_refused():
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile(loss="mse", jit_compile="yes")
