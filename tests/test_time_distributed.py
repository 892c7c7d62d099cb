"""TimeDistributed against Keras 3: a Dense or a Conv1D applied to every step trains to the same weights
(24 SGD steps), masks pass through to a following LSTM, weight files move both ways with Keras' layout
(``layers/time_distributed/layer/vars``), and the config round-trips."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import assert_weight_files_move_both_ways, train_both_and_compare  # noqa: E402
from tfkg_graph import layers  # noqa: E402

ROWS, BATCH, EPOCHS, STEPS = 48, 8, 4, 5
RNG = np.random.default_rng(9)
LABELS = RNG.integers(0, 3, ROWS)


def dense_per_step(root):
    L = root.layers
    inputs = L.Input((STEPS, 3))
    x = L.TimeDistributed(L.Dense(4, activation="tanh"))(inputs)
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.Flatten()(x)))


def conv_per_frame(root):
    L = root.layers
    inputs = L.Input((STEPS, 6, 2))  # 5 frames of a 6-sample, 2-channel signal
    x = L.TimeDistributed(L.Conv1D(3, 3, activation="relu"))(inputs)
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.Flatten()(x)))


def masked_tokens(root):
    L = root.layers
    inputs = L.Input((STEPS,), dtype="int32")
    x = L.TimeDistributed(L.Dense(4))(L.Embedding(10, 3, mask_zero=True)(inputs))
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.LSTM(3)(x)))


def tokens():
    lengths = RNG.integers(1, STEPS + 1, ROWS)
    return np.where(np.arange(STEPS)[None] < lengths[:, None], RNG.integers(1, 10, (ROWS, STEPS)), 0).astype("int32")


CASES = [("dense", dense_per_step, lambda: RNG.normal(size=(ROWS, STEPS, 3)).astype("float32")),
         ("conv1d", conv_per_frame, lambda: RNG.normal(size=(ROWS, STEPS, 6, 2)).astype("float32")),
         ("masked_before_lstm", masked_tokens, tokens)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trains_like_keras(case):
    _, build, make_x = case
    x = make_x()
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, x, LABELS, "sparse_categorical_crossentropy", batch_size=BATCH,
                           epochs=EPOCHS)


def test_weight_files_move_both_ways_in_keras_layout(tmp_path):
    assert_weight_files_move_both_ways(dense_per_step, tmp_path, RNG)
    import h5py
    with h5py.File(tmp_path / "ours.weights.h5") as f:
        assert f["layers/time_distributed/layer/vars/0"].shape == (3, 4)


def test_config_round_trips_and_unknown_step_counts_work():
    wrapped = layers.TimeDistributed(layers.Dense(2, name="inner"), name="td")
    config = wrapped.get_config()
    assert config["layer"]["class_name"] == "Dense"
    assert set(config) == set(keras.layers.TimeDistributed(keras.layers.Dense(2)).get_config())
    again = layers.deserialize(layers.serialize(wrapped))
    assert type(again.layer) is layers.Dense and again.layer.units == 2 and again.name == "td"
    inputs = layers.Input((None, 3))
    model = tfkg_graph.models.Model(inputs, layers.TimeDistributed(layers.Dense(2))(inputs))
    kernel, bias = model.get_weights()
    for steps in (4, 7):
        x = RNG.normal(size=(2, steps, 3)).astype("float32")
        np.testing.assert_allclose(model.predict(x, verbose=0), x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_inputs_without_steps_are_named():
    with pytest.raises(ValueError, match=r"TimeDistributed needs inputs of at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(layers.Input((3,)))
    with pytest.raises(ValueError, match="TimeDistributed wraps a layer"):
        layers.TimeDistributed("dense")


def test_checkpoints_restore_into_keras_through_tf_train_checkpoint(tf, tmp_path):
    """Keras tracks the wrapped Dense as ``layer`` with its kernel as ``_kernel``: our TF checkpoint
    restores into the Keras model by those object paths."""
    ours, theirs = dense_per_step(tfkg_graph), dense_per_step(keras)
    ours.set_weights([RNG.uniform(-1, 1, w.shape).astype("float32") for w in ours.get_weights()])
    prefix = str(tmp_path / "ckpt")
    ours.save_weights(prefix)
    tf.train.Checkpoint(theirs).restore(prefix).expect_partial()
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
