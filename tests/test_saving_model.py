"""Model entry points: save_weights/load_weights, save/load_model, against Keras and TF Python."""
import os

import numpy as np
import pytest

from tfkg_graph import layers, models
from tfkg_graph import saving

X = np.random.default_rng(2).standard_normal((6, 4)).astype(np.float32)


def functional():
    layers.clear_session()
    x = layers.Input((4,), name="x")
    h = layers.Dense(5, activation="relu", name="hidden")(x)
    return models.Model(x, layers.Dense(3, name="out")(h))


def test_keras_model_built_the_same_way_restores_our_weights(tmp_path, tf):
    import keras
    model = functional()
    prefix = model.save_weights(str(tmp_path / "w"))
    x = keras.Input((4,))
    h = keras.layers.Dense(5, activation="relu")(x)
    theirs = keras.Model(x, keras.layers.Dense(3)(h))
    tf.train.Checkpoint(theirs).restore(prefix).expect_partial()
    np.testing.assert_allclose(theirs.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_weights_round_trip_and_mismatch(tmp_path):
    model = functional()
    prefix = model.save_weights(str(tmp_path / "w"))
    other = functional()
    other.load_weights(str(tmp_path))  # the directory's latest checkpoint
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    layers.clear_session()
    x = layers.Input((4,), name="x")
    wide = models.Model(x, layers.Dense(3, name="out")(layers.Dense(7, name="hidden")(x)))
    before = wide.get_weights()
    with pytest.raises(saving.CheckpointError, match=r"'hidden/kernel' has shape \(4, 5\) in the checkpoint"):
        wide.load_weights(prefix)
    for a, b in zip(before, wide.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_saved_model_serves_our_predictions_in_tf_and_reloads(tmp_path, tf):
    model = functional()
    path = model.save(str(tmp_path / "model"))
    assert {"saved_model.pb", "variables", "tfkg_model.json", "tfkg_signatures.json", "tfkg_version"} <= set(
        os.listdir(path))
    expected = model.predict(X, verbose=0)
    served = tf.saved_model.load(path).signatures["serving_default"](x=tf.constant(X))
    np.testing.assert_allclose(served["out"].numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(saving.SavedModelPredictor(path).predict(X), expected, rtol=1e-6)
    np.testing.assert_array_equal(saving.load_model(path).predict(X, verbose=0), expected)


def test_a_model_without_variables_saves_and_serves(tmp_path, tf):
    """Nothing to save but the graph: no SaverDef and an empty variables/, which TF Python and our
    loaders accept (the C library too: test_capi)."""
    layers.clear_session()
    x = layers.Input((4,), name="x")
    model = models.Model(x, layers.Rescaling(2.0, offset=1.0, name="out")(x))
    path = model.save(str(tmp_path / "model"))
    assert os.listdir(os.path.join(path, "variables")) == []
    expected = X * 2.0 + 1.0
    served = tf.saved_model.load(path).signatures["serving_default"](x=tf.constant(X))
    np.testing.assert_allclose(served["out"].numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(saving.SavedModelPredictor(path).predict(X), expected, rtol=1e-6)
    np.testing.assert_allclose(saving.load_model(path).predict(X, verbose=0), expected, rtol=1e-6)


def test_save_load_continue_equals_uninterrupted(tmp_path):
    y = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
    straight = functional()
    straight.compile(optimizer="adam", loss="mse")
    resumed = functional()
    resumed.set_weights(straight.get_weights())
    resumed.compile(optimizer="adam", loss="mse")
    straight.fit(X, y, batch_size=2, epochs=4, shuffle=False, verbose=0)
    resumed.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    loaded = saving.load_model(resumed.save(str(tmp_path / "m")))
    loaded.fit(X, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_tf_train_signature_steps_like_our_train_on_batch(tmp_path, tf):
    y = np.ones((6, 3), np.float32)
    model = functional()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, y, batch_size=6, epochs=1, shuffle=False, verbose=0)
    loaded = tf.saved_model.load(model.save(str(tmp_path / "m")))
    loaded.signatures["train"](x=tf.constant(X), out_target=tf.constant(y),
                               out_sample_weight=tf.constant(np.ones(6, np.float32)))
    model.train_on_batch(X, y)
    theirs = loaded.prune([], ["out/kernel/Read/ReadVariableOp:0"])()[0].numpy()
    np.testing.assert_array_equal(theirs, model.get_layer("out").get_weights()[0])


def test_load_model_checks_the_stored_graph_against_the_allowlist(tmp_path):
    model = functional()
    path = model.save(str(tmp_path / "m"))
    pb = os.path.join(path, "saved_model.pb")
    sm = saving.savedmodel.protos.SavedModel.FromString(open(pb, "rb").read())
    graph = sm.meta_graphs[0].graph_def
    graph.node.add(name="leak", op="ReadFile", input=["save/Const"])
    open(pb, "wb").write(sm.SerializeToString())
    with pytest.raises(saving.UnsafeGraphError, match=r"ReadFile \(leak\)"):
        saving.load_model(path)
    expected = model.predict(X, verbose=0)
    for kwargs in ({"safe": False}, {"allow_ops": ["ReadFile"]}):
        np.testing.assert_array_equal(saving.load_model(path, **kwargs).predict(X, verbose=0), expected)
    os.remove(pb)
    with pytest.raises(saving.SavedModelError, match="no saved_model.pb"):
        saving.load_model(path)
