"""``layers.RNN`` over cells (SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, a list of cells and a
user's cell as in Keras' guide "Working with RNNs") against Keras 3: predictions over an unknown time
axis, masked and unmasked, then successive fits on batches of different lengths ending with the same
weights; configs; ``.keras`` archives both ways."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _keras_names import fresh_names  # noqa: E402,F401  (autouse)
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_arrays_match, assert_weights_match  # noqa: E402
from tfkg_graph import layers  # noqa: E402

RNG = np.random.default_rng(5)
VOCAB = 10
LENGTHS = (3, 7, 1, 5)


def minimal_cell(root):
    """The custom cell of Keras' RNN guide, written once for either side (``root`` is keras or ours)."""
    class MinimalRNNCell(root.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            output = root.ops.tanh(root.ops.matmul(inputs, self.kernel)
                                   + root.ops.matmul(states[0], self.recurrent_kernel))
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    return MinimalRNNCell


CELLS = {
    "simple": lambda root: root.layers.SimpleRNNCell(4),
    "lstm": lambda root: root.layers.LSTMCell(4),
    "gru": lambda root: root.layers.GRUCell(4),
    "gru_before": lambda root: root.layers.GRUCell(3, reset_after=False, use_bias=True),
    "stacked": lambda root: root.layers.StackedRNNCells([root.layers.LSTMCell(3), root.layers.GRUCell(4)]),
    "list": lambda root: [root.layers.SimpleRNNCell(3), root.layers.LSTMCell(4)],
    "custom": lambda root: minimal_cell(root)(4),
}


def tokens(length: int, rows: int = 6) -> np.ndarray:
    used = RNG.integers(1, length + 1, rows)
    ids = RNG.integers(1, VOCAB, (rows, length))
    return np.where(np.arange(length)[None, :] < used[:, None], ids, 0).astype("int32")


def sequences(length: int, masked: bool, rows: int = 6) -> np.ndarray:
    return tokens(length, rows) if masked else RNG.normal(size=(rows, length, 3)).astype("float32")


def model(root, cell: str, masked: bool, length: int | None = None, **kwargs):
    L = root.layers
    if masked:
        inputs = root.Input((length,), dtype="int32")
        x = L.Embedding(VOCAB, 3, mask_zero=True)(inputs)
    else:
        inputs = root.Input((length, 3))
        x = inputs
    x = L.RNN(CELLS[cell](root), **kwargs)(x)
    if kwargs.get("return_sequences"):
        x = L.GRU(3)(x)
    return root.Model(inputs, L.Dense(1, activation="sigmoid")(x))


CASES = [
    ("simple", False, {}),
    ("simple", True, {"go_backwards": True}),
    ("lstm", False, {}),
    ("lstm", True, {"return_sequences": True}),
    ("gru", True, {}),
    ("gru_before", False, {"return_sequences": True, "go_backwards": True}),
    ("stacked", True, {}),
    ("stacked", False, {"return_sequences": True}),
    ("list", True, {"return_sequences": True, "zero_output_for_mask": True}),
    ("custom", False, {}),
    ("custom", True, {"return_sequences": True}),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c}-{'mask' if m else 'nomask'}-{'-'.join(k) or 'last'}"
                                             for c, m, k in CASES])
def test_rnn_over_a_cell_predicts_and_trains_like_keras_on_any_length(case):
    cell, masked, kwargs = case
    ours, theirs = model(tfkg_graph, cell, masked, **kwargs), model(keras, cell, masked, **kwargs)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    for length in (2, 9):
        x = sequences(length, masked)
        assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), f"length {length}")
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.3, momentum=0.5), loss="binary_crossentropy")
    for length in LENGTHS:
        x, y = sequences(length, masked), (RNG.random((6, 1)) > 0.5).astype("float32")
        for m in (ours, theirs):
            m.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)
    x = sequences(11, masked, rows=4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=TRAINED_RTOL,
                               atol=TRAINED_ATOL)


@pytest.mark.parametrize("cell", ["lstm", "stacked", "custom"])
def test_unroll_matches_keras_and_the_loop(cell):
    unrolled = model(tfkg_graph, cell, True, length=6, unroll=True, return_sequences=True)
    looped = model(tfkg_graph, cell, True, length=6, return_sequences=True)
    theirs = model(keras, cell, True, length=6, unroll=True, return_sequences=True)
    unrolled.set_weights(theirs.get_weights())
    looped.set_weights(theirs.get_weights())
    x = tokens(6)
    assert_arrays_match(unrolled.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert_arrays_match(looped.predict(x, verbose=0), theirs.predict(x, verbose=0))
    assert unrolled.layers[2].unrolled and not looped.layers[2].unrolled
    with pytest.raises(ValueError, match="unroll=True needs a known number of steps"):
        layers.RNN(layers.LSTMCell(2), unroll=True)(layers.Input((None, 3)))


@pytest.mark.parametrize("cell", ["lstm", "stacked", "simple"])
def test_return_state_and_initial_state_match_keras(cell):
    def build(root):
        seq = root.Input((None, 3))
        cells = CELLS[cell](root)
        sizes = [cells.state_size] if isinstance(cells.state_size, int) else list(cells.state_size)
        flat = [s for size in sizes for s in (size if isinstance(size, list) else [size])]
        init = [root.Input((s,)) for s in flat]
        rnn = root.layers.RNN(cells, return_sequences=True, return_state=True)
        structured = init if cell != "stacked" else [init[:2], init[2]]
        return root.Model([seq, *init], rnn(seq, initial_state=structured)), len(flat)
    (ours, n), (theirs, _) = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    x = [RNG.normal(size=(3, 5, 3)).astype("float32")] + [
        RNG.normal(size=(3, int(t.shape[-1]))).astype("float32") for t in theirs.inputs[1:]]
    got, want = ours.predict(x, verbose=0), theirs.predict(x, verbose=0)
    got, want = keras.tree.flatten(got), keras.tree.flatten(want)
    assert len(got) == len(want) == n + 1
    for a, b in zip(got, want):
        assert_arrays_match(a, b)


def test_weight_names_and_paths_follow_keras():
    ours = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.LSTMCell(2)]), name="rnn")
    theirs = keras.layers.RNN(keras.layers.StackedRNNCells([keras.layers.LSTMCell(3), keras.layers.LSTMCell(2)]),
                              name="rnn")
    m = tfkg_graph.Model(inp := tfkg_graph.Input((None, 4)), ours(inp))
    keras.Model(k := keras.Input((None, 4)), theirs(k))
    assert [w.name for w in m.weights] == [w.name for w in theirs.weights]
    assert [w.path for w in m.weights] == [w.path for w in theirs.weights]


@pytest.mark.parametrize("cell", ["lstm", "custom"])
def test_tf_checkpoint_paths_restore_into_keras(cell, tmp_path, tf):
    """save_weights writes Keras' object paths (``_operations/1/cell/kernel``): tf.train.Checkpoint
    restores them into the Keras model."""
    def build(root):
        inputs = root.Input((None, 3))
        return root.Model(inputs, root.layers.RNN(CELLS[cell](root))(inputs))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") for w in ours.weights])
    prefix = ours.save_weights(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(theirs).restore(prefix).expect_partial()  # all but its save_counter
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bidirectional_over_an_rnn_of_a_cell_matches_keras():
    def build(root):
        inputs = root.Input((None,), dtype="int32")
        x = root.layers.Embedding(VOCAB, 3, mask_zero=True)(inputs)
        x = root.layers.Bidirectional(root.layers.RNN(root.layers.GRUCell(3), return_sequences=True))(x)
        return root.Model(inputs, root.layers.Dense(1)(root.layers.LSTM(2)(x)))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    x = tokens(7)
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_stateful_rnn_carries_states_like_keras():
    def build(root):
        inputs = root.Input((None, 3), batch_size=2)
        return root.Model(inputs, root.layers.RNN(root.layers.LSTMCell(3), stateful=True)(inputs))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    for length in (4, 2):
        x = RNG.normal(size=(2, length, 3)).astype("float32")
        assert_arrays_match(ours.predict(x, verbose=0, batch_size=2), theirs.predict(x, verbose=0, batch_size=2))
    ours.layers[1].reset_state()
    theirs.layers[1].reset_state()
    x = RNG.normal(size=(2, 3, 3)).astype("float32")
    assert_arrays_match(ours.predict(x, verbose=0, batch_size=2), theirs.predict(x, verbose=0, batch_size=2))


# ---- configs ---------------------------------------------------------------------------------------------------
BASE_KEYS = {"name", "dtype", "trainable"}


def _plain(config):
    """Config values as JSON sees them; initializers and the like (and nested cells) compared separately."""
    return {k: json.loads(json.dumps(v)) for k, v in config.items()
            if k not in BASE_KEYS | {"cell", "cells"} and not k.endswith(("_initializer", "_regularizer",
                                                                          "_constraint"))}


CONFIG_CASES = {
    "SimpleRNNCell": lambda L: L.SimpleRNNCell(3, activation="relu", dropout=0.25, seed=4),
    "LSTMCell": lambda L: L.LSTMCell(3, unit_forget_bias=False, recurrent_activation="hard_sigmoid"),
    "GRUCell": lambda L: L.GRUCell(3, reset_after=False, use_bias=False),
    "StackedRNNCells": lambda L: L.StackedRNNCells([L.SimpleRNNCell(2), L.GRUCell(3)]),
    "RNN": lambda L: L.RNN(L.LSTMCell(3), return_sequences=True, go_backwards=True, zero_output_for_mask=True),
    "RNN_list": lambda L: L.RNN([L.LSTMCell(3), L.SimpleRNNCell(2)], return_state=True),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_config_matches_keras_and_round_trips(case):
    ours, theirs = CONFIG_CASES[case](layers), CONFIG_CASES[case](keras.layers)
    mine, keras_config = ours.get_config(), json.loads(json.dumps(theirs.get_config()))
    assert set(mine) == set(keras_config)
    assert _plain(mine) == {k: keras_config[k] for k in _plain(mine)}
    nested_ours = [mine["cell"]] if "cell" in mine else mine.get("cells", [])
    nested_theirs = [keras_config["cell"]] if "cell" in keras_config else keras_config.get("cells", [])
    if nested_ours and "cells" in nested_ours[0]["config"]:
        nested_ours, nested_theirs = nested_ours[0]["config"]["cells"], nested_theirs[0]["config"]["cells"]
    for a, b in zip(nested_ours, nested_theirs, strict=True):
        assert a["class_name"] == b["class_name"]
        assert set(a["config"]) == set(b["config"])
        assert _plain(a["config"]) == {k: b["config"][k] for k in _plain(a["config"])}
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == mine
    assert layers.deserialize(layers.serialize(ours)).get_config() == mine


def test_bad_cells_are_refused_with_keras_messages():
    with pytest.raises(ValueError, match="should have a `call` method"):
        layers.RNN(object())
    with pytest.raises(ValueError, match="`state_size` attribute"):
        layers.RNN(layers.Dense(2))
    with pytest.raises(ValueError, match="positive integer"):
        layers.LSTMCell(0)


def test_nested_inputs_and_multi_dimensional_states_are_refused_clearly():
    """Keras' guide also runs a cell over a structure of sequences with (batch, a, b) states; not here
    (docs/differences.md): a clear ValueError instead."""
    cell = minimal_cell(tfkg_graph)(2)
    cell.state_size = [np.array([2, 3])]  # a (batch, 2, 3) state, as a TensorShape in Keras' guide
    with pytest.raises(ValueError, match="state_size must hold integers"):
        layers.RNN(cell)
    a, b = layers.Input((None, 3)), layers.Input((None, 2))
    with pytest.raises(ValueError, match="nested inputs"):
        layers.RNN(layers.LSTMCell(2))((a, b))


# ---- .keras archives -------------------------------------------------------------------------------------------
ARCHIVE_CASES = {
    "RNN_LSTMCell": lambda L: L.RNN(L.LSTMCell(4), return_sequences=True),
    "RNN_StackedRNNCells": lambda L: L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(4)])),
}


@pytest.mark.parametrize("case", sorted(ARCHIVE_CASES))
def test_rnn_moves_through_keras_archives_both_ways(case, tmp_path):
    """Keras .keras -> ours (predict, train) -> our .keras -> Keras (predict, train), unknown time axis."""
    def build(root):
        inputs = root.Input((None, 3))
        h = ARCHIVE_CASES[case](root.layers)(inputs)
        if len(h.shape) > 2:
            h = root.layers.GlobalAveragePooling1D()(h)
        return root.Model(inputs, root.layers.Dense(2)(h))

    def fit(m, x, y):
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    x, y = RNG.normal(size=(8, 5, 3)).astype("float32"), RNG.normal(size=(8, 2)).astype("float32")
    theirs = build(keras)
    theirs.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")
    ours = tfkg_graph.models.load_model(str(tmp_path / "theirs.keras"))
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), "loaded predictions")
    fit(ours, x, y)
    fit(theirs, x, y)
    assert_weights_match(ours, theirs)
    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    x7 = RNG.normal(size=(4, 7, 3)).astype("float32")
    assert_arrays_match(back.predict(x7, verbose=0), ours.predict(x7, verbose=0), "predictions in Keras")
    fit(back, x, y)
    fit(ours, x, y)
    assert_weights_match(ours, back)


# ---- TFLite ----------------------------------------------------------------------------------------------------
def test_tflite_converts_an_unknown_length_lstm_and_rnn_of_cells_and_matches_at_two_lengths(tmp_path):
    """SavedModels of LSTM(unroll=False) and RNN(StackedRNNCells) over an unknown time axis go through
    ``TFLiteConverter.from_saved_model``; the interpreter, resized per length, predicts what we do. In a
    child process: the converter and interpreter load native code the test process need not carry."""
    from conftest import run_python
    done = run_python(f"""
        import numpy as np
        import tensorflow as tf
        import tfkg_graph
        from tfkg_graph import layers
        rng = np.random.default_rng(3)
        bodies = {{"lstm": lambda: layers.LSTM(4),
                  "cells": lambda: layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(4)]))}}
        for key, body in bodies.items():
            model = tfkg_graph.models.Sequential([layers.Input(shape=(None, 3)), body(), layers.Dense(2)])
            path = {str(tmp_path)!r} + "/" + key
            model.save(path)
            interpreter = tf.lite.Interpreter(model_content=tf.lite.TFLiteConverter.from_saved_model(path).convert())
            (source,), (result,) = interpreter.get_input_details(), interpreter.get_output_details()
            for length in (3, 11):
                x = rng.normal(size=(2, length, 3)).astype("float32")
                interpreter.resize_tensor_input(source["index"], x.shape)
                interpreter.allocate_tensors()
                interpreter.set_tensor(source["index"], x)
                interpreter.invoke()
                got, want = interpreter.get_tensor(result["index"]), model.predict(x, verbose=0)
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
                print(key, length, "ok")
    """, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["lstm", "3", "ok", "lstm", "11", "ok", "cells", "3", "ok", "cells", "11", "ok"]


def test_cell_dropout_trains_in_the_loop_and_is_off_at_inference():
    """Dropout masks are drawn before the loop (no random op in the body, so the While gradient works);
    at inference the cells compute what Keras' do."""
    def build(root):
        inputs = root.Input((None, 3))
        cells = [root.layers.LSTMCell(4, dropout=0.5, recurrent_dropout=0.3, seed=1),
                 root.layers.GRUCell(3, dropout=0.2, recurrent_dropout=0.2, seed=2)]
        return root.Model(inputs, root.layers.Dense(1)(root.layers.RNN(cells)(inputs)))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(6, 5, 3)).astype("float32")
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    ours.compile(optimizer="sgd", loss="mse")
    before = ours.get_weights()
    losses = ours.fit(x, np.ones((6, 1), "float32"), epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses))
    assert all(not np.array_equal(a, b) for a, b in zip(before, ours.get_weights()))


@pytest.mark.parametrize("cell", ["lstm", "simple", "gru"])
def test_a_cell_called_on_its_own_is_one_step_of_keras_cell(cell):
    def build(root):
        layer = CELLS[cell](root)
        x = root.Input((3,))
        states = [root.Input((4,)) for _ in range(2 if cell == "lstm" else 1)]
        out, new = layer(x, states if cell == "lstm" else states[0])
        return root.Model([x, *states], [out, *(new if cell == "lstm" else [new])])
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    data = [RNG.normal(size=(2, int(t.shape[-1]))).astype("float32") for t in theirs.inputs]
    for a, b in zip(ours.predict(data, verbose=0), theirs.predict(data, verbose=0)):
        assert_arrays_match(a, b)
