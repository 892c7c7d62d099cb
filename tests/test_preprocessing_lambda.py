"""Normalization (adapt, given statistics, invert, axes), Rescaling and Lambda against Keras 3: the same
outputs and weights, adapted statistics that save with the model, and configs with Keras' values."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import train_both_and_compare  # noqa: E402
from tfkg_graph import layers, ops  # noqa: E402

RNG = np.random.default_rng(17)
X = (RNG.normal(size=(40, 4)) * [1, 10, 0.1, 3] + [0, 5, -2, 1]).astype("float32")
IMAGES = RNG.uniform(0, 255, (6, 3, 4, 2)).astype("float32")


@pytest.mark.parametrize("kwargs, data", [({}, X), ({"axis": None}, X), ({"axis": (1, 3)}, IMAGES),
                                          ({"invert": True}, X)], ids=["last_axis", "scalar", "axes_1_3", "invert"])
def test_adapted_normalization_matches_keras(kwargs, data):
    ours, theirs = layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
    ours.adapt(data)
    theirs.adapt(data)
    model = tfkg_graph.models.Sequential([layers.Input(data.shape[1:]), ours])
    np.testing.assert_allclose(model.predict(data, verbose=0), np.asarray(theirs(data)), rtol=1e-5, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_adapt_over_batches_merges_like_keras():
    batches = [X[:7], X[7:25], X[25:]]
    ours, theirs = layers.Normalization(), keras.layers.Normalization()
    ours.adapt(iter(batches))
    theirs.adapt(batches)
    for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[0], X.mean(0), rtol=1e-5)


def test_given_statistics_and_rescaling_match_keras():
    ours, theirs = (root.models.Sequential([root.layers.Input((3, 4, 2)), root.layers.Rescaling(1 / 255, offset=-0.5),
                                            root.layers.Normalization(axis=-1, mean=[0.1, -0.2], variance=[0.5, 2.0])])
                    for root in (tfkg_graph, keras))
    np.testing.assert_allclose(ours.predict(IMAGES, verbose=0), theirs.predict(IMAGES, verbose=0), rtol=1e-5, atol=1e-6)
    assert ours.get_weights() == [] == theirs.get_weights()


def test_adapted_statistics_save_and_load_with_the_model(tmp_path):
    norm = layers.Normalization()
    norm.adapt(X)
    model = tfkg_graph.models.Sequential([layers.Input((4,)), norm, layers.Dense(2)])
    model.save(str(tmp_path / "m"))
    loaded = tfkg_graph.models.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(loaded.layers[0].get_weights()[0], X.mean(0), rtol=1e-5)


def test_normalization_trains_in_a_model_like_keras_and_configs_match():
    y = RNG.integers(0, 3, len(X))

    def build(root):
        L = root.layers
        norm = L.Normalization()
        norm.adapt(X)
        return root.models.Sequential([L.Input((4,)), norm, L.Dense(5, activation="tanh"),
                                       L.Dense(3, activation="softmax")])
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, X, y, "sparse_categorical_crossentropy")  # statistics stay as adapted
    for ours_layer, keras_layer in ((layers.Normalization(axis=(1, 2), mean=[1.0], variance=[2.0], invert=True),
                                     keras.layers.Normalization(axis=(1, 2), mean=[1.0], variance=[2.0], invert=True)),
                                    (layers.Rescaling(0.5, offset=1.0), keras.layers.Rescaling(0.5, offset=1.0))):
        mine, theirs_config = ours_layer.get_config(), keras_layer.get_config()
        for key in set(mine) - {"name", "dtype", "trainable"}:
            assert np.array_equal(np.asarray(mine[key]), np.asarray(theirs_config[key])), key
        assert layers.deserialize(layers.serialize(ours_layer)).get_config() == mine


def squash(x, power=2.0):
    return ops.tanh(x) ** power


def test_lambda_layers_compute_save_and_refuse_to_save_lambdas(tmp_path):
    model = tfkg_graph.models.Sequential([layers.Input((4,)), layers.Lambda(squash, arguments={"power": 3.0}),
                                          layers.Dense(2)])
    np.testing.assert_allclose(model.predict(X, verbose=0),
                               (np.tanh(X) ** 3) @ model.get_weights()[0] + model.get_weights()[1], rtol=1e-4, atol=1e-5)
    model.save(str(tmp_path / "m"))
    loaded = tfkg_graph.models.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    anonymous = tfkg_graph.models.Sequential([layers.Input((4,)), layers.Lambda(lambda x: x * 2.0),
                                              layers.Dense(1, kernel_initializer="ones")])
    np.testing.assert_allclose(anonymous.predict(X, verbose=0), X.sum(1, keepdims=True) * 2, rtol=1e-5)
    with pytest.raises(ValueError, match="cannot be saved: use a named module-level function"):
        anonymous.save(str(tmp_path / "anonymous"))
    assert not (tmp_path / "anonymous").exists()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="set both mean and variance or neither"):
        layers.Normalization(mean=[1.0])
    with pytest.raises(ValueError, match="adapt\\(\\) got data of shape"):
        norm = layers.Normalization()
        norm.adapt(X)
        norm.adapt(X[:, :3])
    with pytest.raises(ValueError, match="Lambda needs a callable"):
        layers.Lambda(3)
