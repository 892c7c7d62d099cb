"""Small defects found while restructuring (issue 17 part 7): arguments that were accepted and then
ignored now work or raise, and the single save/save_weights honours ``overwrite``."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from tfkg_graph import layers, models


def small_model() -> models.Model:
    layers.clear_session()
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_save_and_save_weights_with_overwrite_false_refuse_an_existing_path(tmp_path):
    model = small_model()
    saved = str(tmp_path / "model")
    weights = str(tmp_path / "w.weights.h5")
    model.save(saved)
    model.save_weights(weights)
    before = os.path.getmtime(weights)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(saved, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(weights, overwrite=False)
    assert os.path.getmtime(weights) == before
    restored = models.load_model(saved)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


class Scaled(layers.Layer):
    def __init__(self, aggregation="none", autocast=True, **kwargs):
        super().__init__(**kwargs)
        self.aggregation, self.autocast = aggregation, autocast

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", aggregation=self.aggregation,
                                     autocast=self.autocast, name="scale")

    def call(self, inputs):
        return inputs * self.scale


@pytest.mark.parametrize("aggregation", [None, "none", "mean", "sum", "only_first_replica", "bogus"])
def test_add_weight_aggregation_checked_and_recorded_like_keras(aggregation):
    keras = pytest.importorskip("keras")
    keras_layer = keras.layers.Layer()
    try:
        expected = keras_layer.add_weight(shape=(), aggregation=aggregation).aggregation
    except ValueError:
        expected = ValueError
    layer = Scaled(aggregation)
    if expected is ValueError:
        with pytest.raises(ValueError, match="aggregation"):
            layer(layers.Input((2,)))
        return
    layer(layers.Input((2,)))
    assert layer.scale.aggregation == expected


def test_autocast_false_reads_the_weight_in_its_own_dtype_like_true():
    outputs = []
    for autocast in (True, False):
        layers.clear_session()
        inputs = layers.Input((2,))
        model = models.Model(inputs, Scaled(autocast=autocast)(inputs))
        assert model.layers[-1].scale.autocast is autocast
        outputs.append(model.predict(np.array([[1.5, -2.0]], np.float32), verbose=0))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    np.testing.assert_array_equal(outputs[0], [[1.5, -2.0]])


@pytest.mark.parametrize("kwargs, message", [
    ({"tensor": np.zeros((1, 3), np.float32)}, "existing tensor"),
    ({"optional": True}, "optional inputs"),
    ({"ragged": True}, "ragged inputs"),
    ({"sparse": True}, "sparse inputs"),
])
def test_input_refuses_arguments_it_cannot_honour(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Input((3,), **kwargs)
    with pytest.raises(ValueError, match=message):
        layers.InputLayer(shape=(3,), **{"input_tensor" if k == "tensor" else k: v for k, v in kwargs.items()})


def test_every_subpackage_is_reachable_as_an_attribute_in_a_fresh_process():
    code = ("import tfkg_graph\n"
            "for name in ('distribute', 'tensorboard', 'inspect', 'saving', 'data'):\n"
            "    assert getattr(tfkg_graph, name).__name__ == 'tfkg_graph.' + name, name\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr


class CountingBatches:
    """An endless dataset that counts the batches handed out."""

    def __init__(self):
        self.served = 0

    def __iter__(self):
        while True:
            self.served += 1
            yield np.full((2, 3), self.served, np.float32)


def test_predict_on_a_dataset_stops_after_steps_batches():
    model = small_model()
    data = CountingBatches()
    out = model.predict(data, steps=3, verbose=0)
    assert data.served == 3
    expected = model.predict(np.repeat(np.arange(1, 4, dtype=np.float32), 2)[:, None] * np.ones((1, 3), np.float32),
                             verbose=0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)  # batches of 2 vs 32: float sum order
