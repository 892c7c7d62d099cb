"""Keras 3 weight files both ways: .keras/.weights.h5 written by Keras load into our models, our
.weights.h5 loads into Keras (predictions are the oracle), and transfer learning matches Keras."""
import os
import zipfile

import h5py
import numpy as np
import pytest

from tfkg_graph import layers, models, saving
from _parity import assert_arrays_match, assert_weights_match

RNG = np.random.default_rng(7)
X = RNG.standard_normal((8, 4)).astype(np.float32)


def randomize(weights):
    """Values far from the initializers (BN statistics included; variances stay positive)."""
    return [RNG.uniform(0.5, 1.5, w.shape).astype(np.float32) * RNG.choice([-1, 1], w.shape).astype(np.float32)
            if "variance" not in getattr(w, "path", getattr(w, "name", "")) else
            RNG.uniform(0.5, 1.5, w.shape).astype(np.float32) for w in weights]


# Each architecture twice, built by the same function over Keras' or our layers module. In the
# functional one, Keras orders the parallel Dense layers by depth, not by creation (c before b).
def sequential(L, Input):
    return [Input((4,)), L.Dense(5, activation="relu"), L.BatchNormalization(), L.Dense(3),
            L.LayerNormalization(), L.Dense(2)]


def build_sequential(L, Model, Sequential, Input):
    return Sequential(sequential(L, Input))


def build_functional(L, Model, Sequential, Input):
    x = Input((4,))
    b = L.Dense(3, activation="tanh")(L.Dense(6)(x))
    c = L.Dense(2)(x)
    h = L.BatchNormalization()(L.Concatenate()([c, b]))
    return Model(x, L.Dense(1)(h))


def build_nested(L, Model, Sequential, Input):
    x = Input((4,))
    inner = Sequential([Input((4,)), L.Dense(6, activation="relu"), L.BatchNormalization()])
    return Model(x, L.Dense(2)(inner(x)))


BUILDERS = [build_sequential, build_functional, build_nested]


def both(keras, build):
    layers.clear_session()
    theirs = build(keras.layers, keras.Model, keras.Sequential, keras.Input)
    ours = build(layers, models.Model, models.Sequential, layers.Input)
    return theirs, ours


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_keras_files_load_into_our_model(tmp_path, keras, build, suffix):
    theirs, ours = both(keras, build)
    theirs.set_weights(randomize(theirs.weights))
    path = str(tmp_path / f"model{suffix}")
    theirs.save(path) if suffix == ".keras" else theirs.save_weights(path)
    ours.load_weights(path)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("build", BUILDERS)
def test_our_weights_h5_loads_into_keras(tmp_path, keras, build):
    theirs, ours = both(keras, build)
    ours.set_weights(randomize(ours.weights))
    path = ours.save_weights(str(tmp_path / "ours.weights.h5"))
    assert os.listdir(tmp_path) == ["ours.weights.h5"]  # no temp file left behind
    theirs.load_weights(path)
    np.testing.assert_allclose(theirs.predict(X, verbose=0), ours.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    # and back: the same file restores our model exactly
    _, again = both(keras, build)
    again.load_weights(path)
    for a, b in zip(again.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_embedding_and_import_keras_weights_entry_point(tmp_path, keras):
    def build(L, Sequential, Input):
        return Sequential([Input((3,), dtype="int32"), L.Embedding(10, 4), L.GlobalAveragePooling1D(), L.Dense(1)])
    layers.clear_session()
    theirs = build(keras.layers, keras.Sequential, keras.Input)
    ours = build(layers, models.Sequential, layers.Input)
    theirs.set_weights(randomize(theirs.weights))
    theirs.save(str(tmp_path / "emb.keras"))
    saving.import_keras_weights(ours, str(tmp_path / "emb.keras"))
    ids = RNG.integers(0, 10, (5, 3)).astype(np.int32)
    np.testing.assert_allclose(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)


def test_transfer_learning_frozen_layers_train_like_keras(tmp_path, keras):
    """Keras trains a model and saves it; we load its weights, freeze the first Dense and the BN, and keep
    training. Keras does the same from the same file: the weights must agree, the frozen ones bit-exactly."""
    x = RNG.standard_normal((32, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int32) + (x[:, 2] > 1).astype(np.int32)

    def build(L, Sequential, Input):
        return Sequential([Input((4,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                           L.Dense(3, activation="softmax")])
    layers.clear_session()
    pretrained = build(keras.layers, keras.Sequential, keras.Input)
    pretrained.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    pretrained.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    path = str(tmp_path / "pretrained.keras")
    pretrained.save(path)

    theirs = keras.models.load_model(path)
    ours = build(layers, models.Sequential, layers.Input)
    ours.load_weights(path)
    loaded = ours.get_weights()
    for model in (theirs, ours):
        for layer in model.layers[:2]:
            layer.trainable = False
        model.compile(optimizer=keras.optimizers.SGD(0.1) if model is theirs else "sgd",
                      loss="sparse_categorical_crossentropy")
    ours.optimizer.learning_rate = 0.1
    theirs.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    ours.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    frozen = sum(len(layer.weights) for layer in ours.layers[:2])
    for before, after in zip(loaded[:frozen], ours.get_weights()[:frozen]):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(loaded[-2], ours.get_weights()[-2])
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ---- optimizer state ------------------------------------------------------------------------------------
RESUME_X = RNG.standard_normal((32, 4)).astype(np.float32)
RESUME_Y = np.stack([RESUME_X[:, 0] - RESUME_X[:, 1], RESUME_X[:, 2] * RESUME_X[:, 3]], axis=1)
OPTIMIZERS = [("Adam", {"learning_rate": 0.01}), ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
              ("Nadam", {"learning_rate": 0.01}), ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
              ("RMSprop", {"learning_rate": 0.005, "momentum": 0.5, "centered": True}),
              ("Adagrad", {"learning_rate": 0.05}), ("Adamax", {"learning_rate": 0.01})]


def compiled_pair(keras, name, kwargs):
    """The same Dense/BN/LayerNorm model and optimizer on both sides, same initial weights."""
    theirs, ours = both(keras, build_sequential)
    ours.set_weights(theirs.get_weights())
    theirs.compile(optimizer=getattr(keras.optimizers, name)(**kwargs), loss="mse")
    ours.compile(optimizer=getattr(__import__("tfkg_graph").optimizers, name)(**kwargs), loss="mse")
    return theirs, ours


def keep_training(*trained):
    for model in trained:
        model.fit(RESUME_X, RESUME_Y, batch_size=8, epochs=2, shuffle=False, verbose=0)


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{'_' + '_'.join(k) if len(k) > 1 else ''}"
                                                         for n, k in OPTIMIZERS])
def test_training_resumes_from_a_keras_file_with_its_optimizer_state(tmp_path, keras, name, kwargs):
    """Keras trains 8 steps and saves; our compiled, never-trained model loads the file and both train 8
    more steps: same weights as Keras, which only holds if the moments and the step count came along."""
    theirs, ours = compiled_pair(keras, name, kwargs)
    keep_training(theirs)
    path = str(tmp_path / "resume.weights.h5")
    theirs.save_weights(path)
    ours.load_weights(path)
    keep_training(theirs, ours)
    assert_weights_match(ours, theirs)
    state = ours.runtime.optimizer_state()
    assert [np.shape(v) for v in state] == [tuple(v.shape) for v in theirs.optimizer.variables]
    for a, b in zip(state, theirs.optimizer.variables):
        assert_arrays_match(a, b.numpy(), b.path)
    assert int(state[0]) == 16


@pytest.mark.parametrize("name,kwargs", [OPTIMIZERS[0], OPTIMIZERS[4]], ids=["Adam", "RMSprop"])
def test_keras_resumes_from_our_file_with_its_optimizer_state(tmp_path, keras, name, kwargs):
    """The other way: we train and save, Keras builds its optimizer, loads, and both train on."""
    theirs, ours = compiled_pair(keras, name, kwargs)
    keep_training(ours)
    path = str(tmp_path / "resume.weights.h5")
    ours.save_weights(path)
    with h5py.File(path) as f:
        assert len(f["optimizer/vars"]) == len(ours.optimizer.variables)
    theirs.optimizer.build(theirs.trainable_variables)
    theirs.load_weights(path)
    assert int(theirs.optimizer.iterations.numpy()) == 8
    keep_training(theirs, ours)
    assert_weights_match(ours, theirs)


def test_optimizer_state_loaded_after_training_and_from_a_keras_archive(tmp_path, keras):
    """A model that has trained already takes the file's state at once; a .keras archive carries it too."""
    theirs, ours = compiled_pair(keras, "Adam", {"learning_rate": 0.01})
    keep_training(theirs, ours)  # ours now has its own (equal) state: overwrite it with Keras' 16-step one
    keep_training(theirs)
    path = str(tmp_path / "resume.keras")
    theirs.save(path)
    ours.load_weights(path)
    assert int(ours.runtime.optimizer_state()[0]) == 16
    keep_training(theirs, ours)
    assert_weights_match(ours, theirs)


def test_optimizer_state_that_does_not_fit_is_skipped_with_a_warning(tmp_path, keras):
    """As Keras: another optimizer's state is skipped with a warning; the layer weights still load, and
    a model that is not compiled loads only the layer weights."""
    theirs, ours = compiled_pair(keras, "Adam", {"learning_rate": 0.01})
    keep_training(theirs)
    path = str(tmp_path / "adam.weights.h5")
    theirs.save_weights(path)
    layers.clear_session()
    plain = build_sequential(layers, models.Model, models.Sequential, layers.Input)
    plain.load_weights(path)
    for a, b in zip(plain.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    plain.compile(optimizer="sgd", loss="mse")  # compiled after loading: starts from a fresh optimizer
    keep_training(plain)
    assert int(plain.runtime.optimizer_state()[0]) == 8
    sgd = build_sequential(layers, models.Model, models.Sequential, layers.Input)
    sgd.compile(optimizer=__import__("tfkg_graph").optimizers.SGD(momentum=0.9), loss="mse")
    sgd.load_weights(path)
    for a, b in zip(sgd.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match=r"Skipping variable loading for optimizer 'sgd', because it has 12 "
                                         r"variables .* whereas the saved optimizer has 22"):
        keep_training(sgd)
    assert int(sgd.runtime.optimizer_state()[0]) == 8


# ---- bad input ------------------------------------------------------------------------------------------
def test_mismatches_name_the_layer_and_change_nothing(tmp_path, keras):
    layers.clear_session()
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5), keras.layers.Dense(2)])
    path = str(tmp_path / "w.weights.h5")
    theirs.save_weights(path)
    wide = models.Sequential([layers.Input((4,)), layers.Dense(5), layers.Dense(3, name="head")])
    before = wide.get_weights()
    with pytest.raises(saving.KerasWeightsError, match=r"layer 'head' \(Dense\) at layers/dense_1: kernel expected "
                                                       r"\(5, 3\), found \(5, 2\), bias expected \(3,\), found \(2,\)"):
        wide.load_weights(path)
    for a, b in zip(before, wide.get_weights()):
        np.testing.assert_array_equal(a, b)
    short = models.Sequential([layers.Input((4,)), layers.Dense(2, name="only")])
    with pytest.raises(saving.KerasWeightsError, match=r"2 array\(s\) at layers/dense_1, which no layer"):
        short.load_weights(path)
    with pytest.raises(saving.KerasWeightsError, match=r"layer 'norm' \(LayerNormalization\) at "
                                                       r"layers/layer_normalization: expects 2 array"):
        models.Sequential([layers.Input((4,)), layers.Dense(5), layers.LayerNormalization(name="norm"),
                           layers.Dense(2)]).load_weights(path)
    with pytest.warns(UserWarning, match="does not fit"):
        wide.load_weights(path, skip_mismatch=True)  # the first Dense fits and is loaded
    for a, b in zip(wide.layers[0].get_weights(), theirs.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wide.layers[1].get_weights()[0], before[2])


def test_unreadable_files_fail_clearly(tmp_path):
    layers.clear_session()
    model = models.Sequential([layers.Input((4,)), layers.Dense(2)])
    (tmp_path / "junk.keras").write_bytes(b"not a zip")
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5" * 10)
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as z:
        z.writestr("config.json", "{}")
    cases = [("junk.keras", saving.KerasWeightsError, "not a zip"),
             ("junk.weights.h5", saving.KerasWeightsError, "not a readable HDF5"),
             ("empty.keras", saving.KerasWeightsError, "without model.weights.h5"),
             ("missing.weights.h5", FileNotFoundError, "no Keras weights file"),
             ("legacy.h5", ValueError, "legacy Keras 2")]
    for name, error, message in cases:
        with pytest.raises(error, match=message):
            model.load_weights(str(tmp_path / name))
    with pytest.raises(ValueError, match="not a .keras archive"):
        model.save_weights(str(tmp_path / "x.keras"))
    with h5py.File(tmp_path / "junk.weights.h5", "w"):  # a valid but empty HDF5 file
        pass
    with pytest.raises(saving.KerasWeightsError, match=r"expects 2 array\(s\) \['kernel', 'bias'\], the file has 0"):
        model.load_weights(str(tmp_path / "junk.weights.h5"))
