"""ModelCheckpoint writes what its file name promises, read back by the independent reader of that format:
``.weights.h5`` by Keras' ``load_weights``, a plain name by TF's SavedModel loader; ``.keras`` goes through
``model.save`` (the .keras archive writer); names that promise something else are refused up front."""
from __future__ import annotations

import os

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402

RNG = np.random.default_rng(5)
X, Y = RNG.normal(size=(32, 3)).astype("float32"), RNG.normal(size=(32, 1)).astype("float32")


def trained_with(checkpoint):
    model = tfkg_graph.Sequential([tfkg_graph.Input((3,)), tfkg_graph.layers.Dense(4, activation="relu"),
                                   tfkg_graph.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[checkpoint])
    return model


@pytest.mark.parametrize("weights_only", [False, True])
def test_weights_h5_name_gets_keras_weights(tmp_path, weights_only):
    path = tmp_path / "best-{epoch}.weights.h5"
    ours = trained_with(tfkg_graph.callbacks.ModelCheckpoint(str(path), save_weights_only=weights_only))
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    theirs.load_weights(str(tmp_path / "best-2.weights.h5"))
    np.testing.assert_allclose(theirs.predict(X, verbose=0), ours.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    assert sorted(os.listdir(tmp_path)) == ["best-1.weights.h5", "best-2.weights.h5"]


def test_plain_name_gets_a_savedmodel_directory(tmp_path, tf):
    ours = trained_with(tfkg_graph.callbacks.ModelCheckpoint(str(tmp_path / "model")))
    assert os.path.isfile(tmp_path / "model" / "saved_model.pb")
    loaded = tf.saved_model.load(str(tmp_path / "model"))
    serve = loaded.signatures["serving_default"]
    out = list(serve(**{serve.structured_input_signature[1].popitem()[0]: tf.constant(X)}).values())[0]
    np.testing.assert_allclose(out.numpy(), ours.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_keras_name_is_written_by_model_save(tmp_path):
    """The .keras format belongs to model.save; the callback writes exactly what model.save writes there."""
    ours = trained_with(tfkg_graph.callbacks.ModelCheckpoint(str(tmp_path / "ckpt" / "best_model.keras")))
    by_callback, direct = tmp_path / "ckpt" / "best_model.keras", tmp_path / "direct" / "best_model.keras"
    os.makedirs(direct.parent)
    ours.save(str(direct))
    assert by_callback.is_dir() == direct.is_dir()
    if direct.is_dir():
        assert sorted(os.listdir(by_callback)) == sorted(os.listdir(direct))


@pytest.mark.parametrize("name, kwargs, message, keras_refuses", [
    ("m.keras", {"save_weights_only": True}, "a .keras name promises a whole model", True),
    ("w.hdf5", {"save_weights_only": True}, "legacy Keras 2 HDF5", True),
    ("m.h5", {}, "legacy Keras 2 HDF5", False),  # Keras still writes legacy HDF5 models; we do not
])
def test_names_promising_another_format_are_refused(tmp_path, name, kwargs, message, keras_refuses):
    with pytest.raises(ValueError, match=message):
        tfkg_graph.callbacks.ModelCheckpoint(str(tmp_path / name), **kwargs)
    if keras_refuses:
        with pytest.raises(ValueError):
            keras.callbacks.ModelCheckpoint(str(tmp_path / name), **kwargs)
