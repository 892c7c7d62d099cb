"""SimpleRNN/LSTM/GRU/Bidirectional vs Keras 3: same weights (set_weights), same batches (shuffle=False)
-> same weights after 24 steps and the same predictions, with and without return_sequences, going
backwards, and behind Embedding(mask_zero=True) on zero-padded sequences. Sequences are short and
layers small so every case costs about a second."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_weights_match  # noqa: E402
from tfkg_graph import initializers, layers  # noqa: E402
from tfkg_graph.graph import Graph  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

ROWS, BATCH, EPOCHS, STEPS, VOCAB = 48, 8, 4, 6, 12  # 6 batches x 4 epochs = 24 steps
RNG = np.random.default_rng(7)
LENGTHS = RNG.integers(1, STEPS + 1, ROWS)
TOKENS = np.where(np.arange(STEPS)[None, :] < LENGTHS[:, None], RNG.integers(1, VOCAB, (ROWS, STEPS)), 0)
TOKENS = TOKENS.astype("int32")  # post-padded with zeros
FLOATS = RNG.normal(size=(ROWS, STEPS, 3)).astype("float32")
Y = ((TOKENS % 3 == 1).sum(1) > LENGTHS / 3).astype("float32")[:, None]
RTOL, ATOL = TRAINED_RTOL, TRAINED_ATOL


def recurrent(L, kind: str, **kwargs):
    if kind.startswith("bi_"):
        merge = kwargs.pop("merge_mode", "concat")
        return L.Bidirectional(recurrent(L, kind[3:], **kwargs), merge_mode=merge)
    return {"rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}[kind](4, **kwargs)


def model(L, M, kind: str, mask: bool | None, **kwargs):
    """tokens -> Embedding(mask_zero) -> RNN [-> second RNN reading the sequence] -> Dense sigmoid;
    ``mask=None`` feeds float sequences straight into the RNN instead."""
    if mask is None:
        inputs = L.Input((STEPS, 3))
        x = inputs
    else:
        inputs = L.Input((STEPS,), dtype="int32")
        x = L.Embedding(VOCAB, 3, mask_zero=mask)(inputs)
    x = recurrent(L, kind, **kwargs)(x)
    if kwargs.get("return_sequences"):
        x = L.LSTM(3)(x)  # consumes the sequence and the mask it carries; its own output is unmasked
    return M.Model(inputs, L.Dense(1, activation="sigmoid")(x))


CASES = [  # (id, kind, mask: True/False/None for float inputs, layer kwargs)
    ("rnn", "rnn", False, {}),
    ("rnn_seq_mask", "rnn", True, {"return_sequences": True}),
    ("rnn_mask_backwards", "rnn", True, {"go_backwards": True}),
    ("lstm", "lstm", False, {}),
    ("lstm_mask", "lstm", True, {}),
    ("lstm_seq", "lstm", None, {"return_sequences": True}),
    ("lstm_seq_mask_backwards", "lstm", True, {"return_sequences": True, "go_backwards": True}),
    ("lstm_no_forget_bias_relu", "lstm", None, {"unit_forget_bias": False, "activation": "relu"}),
    ("gru", "gru", False, {}),
    ("gru_mask", "gru", True, {}),
    ("gru_seq_mask", "gru", True, {"return_sequences": True}),
    ("gru_reset_before", "gru", None, {"reset_after": False}),
    ("gru_reset_before_mask", "gru", True, {"reset_after": False, "go_backwards": True}),
    ("gru_no_bias", "gru", None, {"use_bias": False}),
    ("bi_lstm", "bi_lstm", False, {}),
    ("bi_lstm_mask", "bi_lstm", True, {}),
    ("bi_lstm_seq_mask", "bi_lstm", True, {"return_sequences": True}),
    ("bi_gru_sum_seq", "bi_gru", None, {"return_sequences": True, "merge_mode": "sum"}),
    ("bi_rnn_ave_mask", "bi_rnn", True, {"merge_mode": "ave"}),
    ("bi_gru_mul_mask", "bi_gru", True, {"merge_mode": "mul", "return_sequences": True}),
]


def x_for(mask):
    return FLOATS if mask is None else TOKENS


def optimizer(side, mask):
    """Adam on float inputs; SGD with momentum behind an Embedding, because Keras' Adam updates the
    table from IndexedSlices (squares of per-occurrence gradients), not from the dense gradient."""
    return side.optimizers.Adam(0.02) if mask is None else side.optimizers.SGD(0.2, momentum=0.5)


def build_both(kind, mask, kwargs):
    ours = model(layers, tfkg_graph.models, kind, mask, **dict(kwargs))
    theirs = model(keras.layers, keras, kind, mask, **dict(kwargs))
    ours.set_weights(theirs.get_weights())
    return ours, theirs


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_training_matches_keras(case):
    _, kind, mask, kwargs = case
    ours, theirs = build_both(kind, mask, kwargs)
    x = x_for(mask)
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=optimizer(side, mask), loss="binary_crossentropy", metrics=["accuracy"])
        history = m.fit(x, Y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
        m.final_loss = history.history["loss"][-1]
    assert_weights_match(ours, theirs)
    np.testing.assert_allclose(ours.final_loss, theirs.final_loss, rtol=RTOL)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


SEQUENCE_CASES = [  # raw sequence outputs (predict only, so no loss mask is involved)
    ("lstm_mask", "lstm", {"return_sequences": True}),
    ("lstm_mask_backwards", "lstm", {"return_sequences": True, "go_backwards": True}),
    ("gru_mask_zero_output", "gru", {"return_sequences": True, "zero_output_for_mask": True}),
    ("rnn_mask_last", "rnn", {}),
    ("bi_lstm_mask", "bi_lstm", {"return_sequences": True}),
    ("bi_gru_none_merge", "bi_gru", {"return_sequences": True, "merge_mode": None}),
]


@pytest.mark.parametrize("case", SEQUENCE_CASES, ids=[c[0] for c in SEQUENCE_CASES])
def test_masked_sequence_outputs_match_keras(case):
    _, kind, kwargs = case
    outs = []
    for L, M in ((layers, tfkg_graph.models), (keras.layers, keras)):
        inputs = L.Input((STEPS,), dtype="int32")
        outs.append(M.Model(inputs, recurrent(L, kind, **dict(kwargs))(L.Embedding(VOCAB, 3, mask_zero=True)(inputs))))
    ours, theirs = outs
    ours.set_weights(theirs.get_weights())
    a, b = ours.predict(TOKENS, verbose=0), theirs.predict(TOKENS, verbose=0)
    for x, y in zip(a if isinstance(a, (list, tuple)) else [a], b if isinstance(b, (list, tuple)) else [b]):
        np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_return_state_matches_keras(kind):
    outs = []
    for L, M in ((layers, tfkg_graph.models), (keras.layers, keras)):
        inputs = L.Input((STEPS, 3))
        outputs = recurrent(L, kind, return_state=True, return_sequences=True)(inputs)
        outs.append(M.Model(inputs, list(outputs)))
    ours, theirs = outs
    ours.set_weights(theirs.get_weights())
    a, b = ours.predict(FLOATS, verbose=0), theirs.predict(FLOATS, verbose=0)
    assert len(a) == len(b) == {"rnn": 2, "lstm": 3, "gru": 2}[kind]
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "bi_lstm"])
def test_weights_shapes_paths_and_config_match_keras(kind):
    ours, theirs = build_both(kind, True, {})
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours_rnn, theirs_rnn = ours.layers[2], theirs.layers[2]
    if kind.startswith("bi_"):
        assert [w.path.split("/", 1)[1] if w.path.startswith("bidirectional") else w.path
                for w in theirs_rnn.weights] == [w.path for w in ours_rnn.weights]
        theirs_config, ours_config = theirs_rnn.get_config()["layer"]["config"], ours_rnn.get_config()["layer"]["config"]
    else:
        assert [w.path.split("/", 1)[1] for w in theirs_rnn.weights] == \
            [w.path.split("/", 1)[1] for w in ours_rnn.weights]
        theirs_config, ours_config = theirs_rnn.get_config(), ours_rnn.get_config()
    for key in ("units", "return_sequences", "return_state", "go_backwards", "dropout", "recurrent_dropout",
                "use_bias", "unit_forget_bias", "reset_after", "zero_output_for_mask"):
        assert ours_config.get(key) == theirs_config.get(key), key
    assert set(ours_config) - {"input_shape"} <= set(theirs_config) | {"trainable", "dtype"}


@pytest.mark.parametrize("kind", ["lstm", "gru", "bi_gru"])
def test_from_config_round_trip_predicts_the_same(kind):
    ours, _ = build_both(kind, True, {"return_sequences": False})
    clone = tfkg_graph.models.Model.from_config(ours.get_config())
    clone.set_weights(ours.get_weights())
    np.testing.assert_allclose(clone.predict(TOKENS, verbose=0), ours.predict(TOKENS, verbose=0), rtol=1e-6)


def test_default_initializers_follow_keras():
    """LSTM bias = [0, 1, 0, 0] blocks; GRU bias has two rows; recurrent kernels are orthogonal."""
    inputs = layers.Input((STEPS, 3))
    lstm, gru = layers.LSTM(5), layers.GRU(4)
    m = tfkg_graph.models.Model(inputs, [lstm(inputs), gru(inputs)])
    _, recurrent_kernel, bias = lstm.get_weights()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    assert gru.get_weights()[2].shape == (2, 12) and not gru.get_weights()[2].any()
    for kernel in (recurrent_kernel, gru.get_weights()[1]):
        rows = kernel.shape[0]  # (units, gates*units): orthonormal rows
        np.testing.assert_allclose(kernel @ kernel.T, np.eye(rows), atol=1e-5)
    assert len(m.weights) == 6


@pytest.mark.parametrize("shape,gain", [((5, 5), 1.0), ((3, 8), 2.0), ((8, 3), 0.5), ((2, 3, 4), 1.0)])
def test_orthogonal_initializer_matches_keras_properties(shape, gain):
    g = Graph(seed=3)
    with g.as_default():
        tensor = initializers.get({"class_name": "Orthogonal", "config": {"gain": gain, "seed": 5}})(shape)
    value = Session(g).run(tensor.name)
    reference = keras.initializers.Orthogonal(gain=gain, seed=5)(shape).numpy()
    assert value.shape == reference.shape == shape
    flat = value.reshape(-1, shape[-1]) / gain
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, np.eye(min(flat.shape)), atol=1e-5)
    assert initializers.Orthogonal(gain=gain, seed=5).get_config() == \
        {k: v for k, v in keras.initializers.Orthogonal(gain=gain, seed=5).get_config().items()}


def test_layers_that_ignore_masks_warn_and_clear_errors():
    inputs = layers.Input((STEPS,), dtype="int32")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tfkg_graph.models.Model(inputs, layers.Flatten()(layers.Embedding(VOCAB, 3, mask_zero=True)(inputs))).predict(
            TOKENS, verbose=0)
    assert any("does not support masking" in str(w.message) for w in caught)
    with pytest.raises(ValueError, match="known number of steps"):
        layers.LSTM(2, unroll=True)(layers.Input((None, 3)))
    with pytest.raises(ValueError, match="batch, steps, features"):
        layers.GRU(2)(layers.Input((3,)))
    with pytest.raises(ValueError, match="batch size must be static"):  # stateful: tests/test_recurrent_stateful.py
        layers.SimpleRNN(2, stateful=True)(layers.Input((None, 3)))
    with pytest.raises(ValueError, match="merge_mode"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="recurrent layer"):
        layers.Bidirectional(layers.Dense(2))


def test_dropout_only_changes_training_and_gradients_flow():
    """With dropout the training pass differs from inference; inference equals the dropout-free layer."""
    inputs = layers.Input((STEPS, 3))
    rnn = layers.LSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=1)
    m = tfkg_graph.models.Model(inputs, layers.Dense(1, activation="sigmoid")(rnn(inputs)))
    plain_inputs = keras.layers.Input((STEPS, 3))
    plain = keras.Model(plain_inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.LSTM(4)(plain_inputs)))
    m.set_weights(plain.get_weights())
    np.testing.assert_allclose(m.predict(FLOATS, verbose=0), plain.predict(FLOATS, verbose=0), rtol=RTOL, atol=ATOL)
    m.compile(optimizer="sgd", loss="binary_crossentropy")
    before = m.get_weights()
    m.fit(FLOATS, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, m.get_weights()))


def _example(name: str):
    import importlib.util
    import pathlib
    import sys
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "text" / f"{name}.py"
    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(f"text_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_text_example_csv_is_the_generators_output(tmp_path):
    make_reviews = _example("make_reviews")
    regenerated = make_reviews.write(str(tmp_path / "reviews.csv"))
    assert open(regenerated, "rb").read() == open(make_reviews.PATH, "rb").read()


def test_text_example_trains_to_its_documented_accuracy():
    results = _example("train").main(epochs=8, verbose=0)
    assert results["accuracy"] >= 0.9
    assert results["auc"] >= 0.9 and 0.0 <= results["specificity_at_sensitivity"] <= 1.0


def test_checkpoint_paths_restore_into_keras_and_saved_model_round_trips(tmp_path, tf):
    """save_weights writes Keras' object paths (``_operations/2/forward_layer/cell/kernel``): TF's
    tf.train.Checkpoint restores it into the Keras model; model.save/load_model predicts the same."""
    def build(L, M):
        inputs = L.Input((STEPS,), dtype="int32")
        x = L.Bidirectional(L.GRU(4, return_sequences=True))(L.Embedding(VOCAB, 3)(inputs))
        return M.Model(inputs, L.Dense(1, activation="sigmoid")(L.LSTM(2)(x)))
    ours, theirs = build(layers, tfkg_graph.models), build(keras.layers, keras)
    ours.set_weights([RNG.normal(size=w.shape).astype("float32") for w in ours.weights])
    prefix = ours.save_weights(str(tmp_path / "ckpt"))
    tf.train.Checkpoint(theirs).restore(prefix).expect_partial()
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    ours.save(str(tmp_path / "model"))
    reloaded = tfkg_graph.models.load_model(str(tmp_path / "model"))
    np.testing.assert_allclose(reloaded.predict(TOKENS, verbose=0), theirs.predict(TOKENS, verbose=0),
                               rtol=RTOL, atol=ATOL)



def test_bidirectional_trainable_false_freezes_both_directions_like_keras():
    ours = tfkg_graph.models.Sequential([layers.Input((3, 4)), layers.Bidirectional(layers.LSTM(2))])
    theirs = keras.Sequential([keras.Input((3, 4)), keras.layers.Bidirectional(keras.layers.LSTM(2))])
    for model in (ours, theirs):
        model.layers[-1].trainable = False
    assert len(ours.trainable_weights) == len(theirs.trainable_weights) == 0
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights) == 6
