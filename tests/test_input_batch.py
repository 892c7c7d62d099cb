"""Input(shape, batch_size, batch_shape) as Keras 3: a known batch size reaches the placeholders and
survives get_config/from_config, SavedModel and .keras round trips."""
from __future__ import annotations

import numpy as np
import pytest

import tfkg_graph as ours

X = np.arange(12, dtype="float32").reshape(4, 3) / 10


@pytest.mark.parametrize("kwargs", [{"shape": (3,)}, {"shape": (3,), "batch_size": 4},
                                    {"batch_shape": (4, 3)}, {"batch_shape": (None, 3)},
                                    {"shape": (None, 5), "batch_size": 2}])
def test_input_shape_and_config_match_keras(keras, kwargs):
    theirs = keras.Input(**kwargs)
    mine = ours.Input(**kwargs)
    assert mine.shape == tuple(theirs.shape)
    layer = mine.node.layer
    assert list(layer.get_config()["batch_shape"]) == list(theirs._keras_history[0].get_config()["batch_shape"])
    again = ours.layers.InputLayer.from_config(layer.get_config())
    assert again.batch_shape == layer.batch_shape


@pytest.mark.parametrize("kwargs", [{"shape": (3,), "batch_shape": (4, 3)},
                                    {"batch_size": 4, "batch_shape": (4, 3)}, {}, {"shape": 7},
                                    {"shape": (3,), "batch_size": -2}])
def test_input_refuses_what_keras_refuses(keras, kwargs):
    with pytest.raises(ValueError):
        keras.Input(**kwargs)
    with pytest.raises(ValueError):
        ours.Input(**kwargs)


def test_deprecated_spellings_of_input_layer(keras):
    assert ours.layers.InputLayer(input_shape=(3,)).batch_shape == (None, 3)
    assert ours.layers.InputLayer(batch_input_shape=(2, 3)).batch_shape == (2, 3)


def _model():
    x = ours.Input(shape=(3,), batch_size=4, name="x")
    return ours.Model(x, ours.layers.Dense(2, name="out")(x))


def test_known_batch_size_reaches_the_placeholder_and_is_checked():
    model = _model()
    assert model.predict(X, batch_size=4, verbose=0).shape == (4, 2)
    assert tuple(model._ensure_runtime().inputs[0].shape) == (4, 3)
    with pytest.raises(ValueError, match="expected shape"):
        model.predict(np.ones((5, 3), "float32"), batch_size=5, verbose=0)


def test_batch_size_survives_config_and_saving(tmp_path):
    model = _model()
    expected = model.predict(X, batch_size=4, verbose=0)
    assert ours.Model.from_config(model.get_config()).inputs[0].shape == (4, 3)
    loaded = ours.saving.load_model(model.save(str(tmp_path / "sm")))
    assert loaded.inputs[0].shape == (4, 3)
    np.testing.assert_array_equal(loaded.predict(X, batch_size=4, verbose=0), expected)
    model.save(str(tmp_path / "m.keras"))
    archived = ours.saving.load_model(str(tmp_path / "m.keras"))
    assert archived.inputs[0].shape == (4, 3)
    np.testing.assert_array_equal(archived.predict(X, batch_size=4, verbose=0), expected)


def test_sequential_keeps_the_batch_shape_of_its_input():
    model = ours.Sequential([ours.Input(batch_shape=(4, 3)), ours.layers.Dense(2)])
    assert model.inputs[0].shape == (4, 3)
    assert ours.Sequential.from_config(model.get_config()).inputs[0].shape == (4, 3)
