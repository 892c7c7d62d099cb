"""stateful=True against Keras 3: the same weights, successive predict calls, fits on consecutive chunks of
one sequence, evaluate, then a reset; the states are carried (mask-aware), zeroed and saved with the model."""
from __future__ import annotations

import numpy as np
import pytest

import tfkg_graph as ours
from tests._parity import assert_arrays_match, assert_weights_match

BATCH, CHUNK, CHUNKS, FEATURES = 2, 4, 3, 3


def _build(root, kind: str, masked: bool, return_sequences: bool = False):
    layers = root.layers
    x = root.Input(batch_shape=(BATCH, None, FEATURES))
    h = layers.Masking(0.0)(x) if masked else x
    make = {"simple": lambda: layers.SimpleRNN(5, stateful=True, return_sequences=return_sequences),
            "lstm": lambda: layers.LSTM(5, stateful=True, return_sequences=return_sequences),
            "gru": lambda: layers.GRU(5, stateful=True, return_sequences=return_sequences),
            "bidirectional": lambda: layers.Bidirectional(layers.GRU(4, stateful=True,
                                                                     return_sequences=return_sequences))}[kind]
    h = make()(h)
    return root.Model(x, layers.Dense(2)(h))


def _data(masked: bool):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(BATCH, CHUNK * CHUNKS, FEATURES)).astype("float32")
    if masked:
        x[0, 2:5] = 0.0  # masked steps inside and across chunks
        x[1, 8] = 0.0
    return x, rng.normal(size=(BATCH, 2)).astype("float32")


def _states(model):
    return [np.asarray(s.numpy()) for layer in model.layers for s in (getattr(layer, "states", None) or [])]


def _assert_states_match(mine, theirs):
    a, b = _states(mine), _states(theirs)
    assert len(a) == len(b) > 0
    for i, (s, t) in enumerate(zip(a, b)):
        assert_arrays_match(s, t, f"state {i}")


def _reset(model):
    for layer in model.layers:
        if getattr(layer, "stateful", False) or hasattr(getattr(layer, "forward_layer", None), "stateful"):
            layer.reset_state()


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "bidirectional"])
def test_stateful_predict_fit_evaluate_reset_match_keras(keras, kind, masked):
    theirs, mine = _build(keras, kind, masked), _build(ours, kind, masked)
    mine.set_weights(theirs.get_weights())
    x, y = _data(masked)
    chunks = [x[:, i * CHUNK:(i + 1) * CHUNK] for i in range(CHUNKS)]
    for chunk in chunks:
        assert_arrays_match(mine.predict(chunk, batch_size=BATCH, verbose=0),
                            theirs.predict(chunk, batch_size=BATCH, verbose=0), "predict")
    _assert_states_match(mine, theirs)
    for model, root in ((mine, ours), (theirs, keras)):
        model.compile(optimizer=root.optimizers.SGD(0.1), loss="mse")
    for chunk in chunks:
        for model in (mine, theirs):
            model.fit(chunk, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        assert_weights_match(mine, theirs)
        _assert_states_match(mine, theirs)
    assert_arrays_match(mine.evaluate(chunks[0], y, batch_size=BATCH, verbose=0),
                        theirs.evaluate(chunks[0], y, batch_size=BATCH, verbose=0), "evaluate")
    _assert_states_match(mine, theirs)
    mine.reset_states()
    _reset(theirs)
    assert not any(np.any(s) for s in _states(mine))
    assert_arrays_match(mine.predict(x, batch_size=BATCH, verbose=0), theirs.predict(x, batch_size=BATCH, verbose=0),
                        "predict after reset")


def test_states_are_not_weights_but_save_and_load_with_the_model(keras, tmp_path):
    theirs, mine = _build(keras, "lstm", False), _build(ours, "lstm", False)
    assert len(mine.weights) == len(theirs.weights)  # Keras leaves the states out of the weights too
    x, _ = _data(False)
    mine.predict(x, batch_size=BATCH, verbose=0)
    states = _states(mine)
    assert any(np.any(s) for s in states)
    loaded = ours.saving.load_model(mine.save(str(tmp_path / "sm")))
    for a, b in zip(_states(loaded), states):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, batch_size=BATCH, verbose=0),
                                  mine.predict(x, batch_size=BATCH, verbose=0))
    prefix = mine.save_weights(str(tmp_path / "ckpt"))
    saved = _states(mine)
    mine.reset_states()
    mine.load_weights(prefix)
    for a, b in zip(_states(mine), saved):
        np.testing.assert_array_equal(a, b)


def test_stateful_needs_a_fixed_batch_size_as_in_keras(keras):
    for root in (keras, ours):
        x = root.Input(shape=(None, FEATURES))
        with pytest.raises(ValueError, match="batch size must be static"):
            root.layers.LSTM(3, stateful=True)(x)
    x = ours.Input(batch_shape=(BATCH, None, FEATURES))
    model = ours.Model(x, ours.layers.GRU(3, stateful=True)(x))
    with pytest.raises(ValueError):
        model.predict(np.zeros((BATCH + 1, 4, FEATURES), "float32"), batch_size=BATCH + 1, verbose=0)


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "bidirectional"])
def test_stateful_config_round_trips(keras, kind):
    model = _build(ours, kind, False)
    layer = model.layers[1]
    again = type(layer).from_config(layer.get_config())
    assert again.get_config() == layer.get_config() and again.stateful
    theirs = _build(keras, kind, False).layers[1].get_config()
    assert layer.get_config().get("stateful", None) == theirs.get("stateful", None)
