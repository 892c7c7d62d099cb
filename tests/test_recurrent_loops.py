"""Recurrent layers as While loops (unroll=False, Keras' default) over an unknown time axis, against
Keras 3: the same model trained by successive fit calls on batches of different lengths, masked and
unmasked, must end with the same weights and predictions; unroll=True keeps the static unroll."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_arrays_match, assert_weights_match  # noqa: E402
from tfkg_graph import layers  # noqa: E402

RNG = np.random.default_rng(11)
VOCAB = 10
LENGTHS = (3, 7, 5, 1, 9)  # one fit call per length, on the same model


def tokens(length: int, rows: int = 6) -> np.ndarray:
    """Post-padded token rows of random lengths up to ``length`` (at least one token each)."""
    used = RNG.integers(1, length + 1, rows)
    ids = RNG.integers(1, VOCAB, (rows, length))
    return np.where(np.arange(length)[None, :] < used[:, None], ids, 0).astype("int32")


def recurrent(L, kind: str, **kwargs):
    if kind.startswith("bi_"):
        return L.Bidirectional(recurrent(L, kind[3:], **kwargs))
    return {"rnn": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}[kind](4, **kwargs)


def model(L, M, kind: str, masked: bool, kwargs: dict):
    if masked:
        inputs = L.Input((None,), dtype="int32")
        x = L.Embedding(VOCAB, 3, mask_zero=True)(inputs)
    else:
        inputs = L.Input((None, 3))
        x = inputs
    x = recurrent(L, kind, **kwargs)(x)
    if kwargs.get("return_sequences"):
        x = L.GRU(3)(x)
    return M.Model(inputs, L.Dense(1, activation="sigmoid")(x))


def batches(masked: bool):
    for length in LENGTHS:
        x = tokens(length) if masked else RNG.normal(size=(6, length, 3)).astype("float32")
        yield x, (RNG.random((6, 1)) > 0.5).astype("float32")


CASES = [
    ("rnn", "rnn", False, {}),
    ("rnn_mask_backwards", "rnn", True, {"go_backwards": True}),
    ("lstm", "lstm", False, {}),
    ("lstm_mask_seq", "lstm", True, {"return_sequences": True}),
    ("lstm_seq_backwards", "lstm", False, {"return_sequences": True, "go_backwards": True}),
    ("gru", "gru", False, {"reset_after": False}),
    ("gru_mask", "gru", True, {}),
    ("bi_lstm_mask", "bi_lstm", True, {}),
    ("bi_gru_seq", "bi_gru", False, {"return_sequences": True}),
    ("bi_rnn_mask_seq", "bi_rnn", True, {"return_sequences": True}),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_successive_fits_on_different_lengths_match_keras(case):
    _, kind, masked, kwargs = case
    ours = model(layers, tfkg_graph.models, kind, masked, dict(kwargs))
    theirs = model(keras.layers, keras, kind, masked, dict(kwargs))
    ours.set_weights(theirs.get_weights())
    for m, side in ((ours, tfkg_graph), (theirs, keras)):
        m.compile(optimizer=side.optimizers.SGD(0.3, momentum=0.5), loss="binary_crossentropy")
    for x, y in batches(masked):
        for m in (ours, theirs):
            m.fit(x, y, batch_size=3, epochs=1, shuffle=False, verbose=0)
    assert_weights_match(ours, theirs)
    for length in (2, 12):
        x = next(batches(masked))[0] if length == 2 else (
            tokens(length) if masked else RNG.normal(size=(4, length, 3)).astype("float32"))
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                                   rtol=TRAINED_RTOL, atol=TRAINED_ATOL)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_return_state_and_initial_state_over_unknown_length(kind):
    def build(L, M):
        seq = L.Input((None, 3))
        init = [L.Input((4,)) for _ in range(2 if kind == "lstm" else 1)]
        out = recurrent(L, kind, return_sequences=True, return_state=True)(seq, initial_state=init)
        return M.Model([seq, *init], out)
    ours, theirs = build(layers, tfkg_graph.models), build(keras.layers, keras)
    ours.set_weights(theirs.get_weights())
    x = [RNG.normal(size=(3, 5, 3)).astype("float32")] + [
        RNG.normal(size=(3, 4)).astype("float32") for _ in range(len(ours.inputs) - 1)]
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0)):
        assert_arrays_match(a, b)


def test_unroll_true_keeps_the_static_unroll_and_matches_the_loop():
    def build(unroll):
        inputs = layers.Input((6,), dtype="int32")
        x = layers.Embedding(VOCAB, 3, mask_zero=True)(inputs)
        x = layers.Bidirectional(layers.LSTM(4, return_sequences=True, unroll=unroll))(x)
        return tfkg_graph.models.Model(inputs, layers.Dense(1)(layers.GRU(2, unroll=unroll)(x)))
    looped, unrolled = build(False), build(True)
    unrolled.set_weights(looped.get_weights())
    x = tokens(6)
    assert_arrays_match(looped.predict(x, verbose=0), unrolled.predict(x, verbose=0))
    assert unrolled.layers[2].unrolled and not looped.layers[2].unrolled
    with pytest.raises(ValueError, match="unroll=True needs a known number of steps"):
        layers.LSTM(2, unroll=True)(layers.Input((None, 3)))


def test_text_model_with_unknown_length_trains_on_any_length():
    """The most common Keras text model: Input(shape=(None,)) -> Embedding(mask_zero) -> LSTM."""
    model = tfkg_graph.models.Sequential([layers.Input(shape=(None,), dtype="int32"),
                                          layers.Embedding(VOCAB, 8, mask_zero=True), layers.LSTM(8),
                                          layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    losses = [model.fit(x, y, verbose=0).history["loss"][0] for x, y in batches(True)]
    assert all(np.isfinite(losses))
    long = tokens(300, rows=2)
    assert model.predict(long, verbose=0).shape == (2, 1)
    # padding with zeros (masked) does not change the prediction
    padded = np.concatenate([long, np.zeros((2, 50), "int32")], 1)
    assert_arrays_match(model.predict(padded, verbose=0), model.predict(long, verbose=0))


def test_time_distributed_over_an_unknown_length_matches_keras():
    def build(L, M):
        inputs = L.Input((None, 3))
        return M.Model(inputs, L.LSTM(2)(L.TimeDistributed(L.Dense(4))(inputs)))
    ours = build(layers, tfkg_graph.models)
    for length in (1, 5):  # a fresh Keras model per length: Keras' TimeDistributed keeps its first length
        theirs = build(keras.layers, keras)
        ours.set_weights(theirs.get_weights())
        x = RNG.normal(size=(2, length, 3)).astype("float32")
        assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_saved_loop_model_predicts_any_length_here_and_in_tf_python(tmp_path, tf):
    model = tfkg_graph.models.Sequential([layers.Input(shape=(None,), dtype="int32"),
                                          layers.Embedding(VOCAB, 4, mask_zero=True),
                                          layers.Bidirectional(layers.GRU(3, return_sequences=True)),
                                          layers.LSTM(5), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(tokens(7), np.ones((6, 1), "float32"), verbose=0)
    path = str(tmp_path / "loop_model")
    model.save(path)
    samples = [tokens(length, rows=3) for length in (2, 7, 40)]
    expected = [model.predict(x, verbose=0) for x in samples]
    loaded = tfkg_graph.models.load_model(path)
    serving = tf.saved_model.load(path).signatures["serving_default"]
    (input_name,) = serving.structured_input_signature[1]
    for x, want in zip(samples, expected):
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)
        (got,) = serving(**{input_name: tf.constant(x)}).values()
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-7)
    loaded.fit(tokens(11), np.ones((6, 1), "float32"), verbose=0)  # keeps training at another length


def test_tflite_converter_reads_the_loop_and_runs_any_length(tmp_path, tf):
    """Inputs are read by index, so an inference loop converts to TFLite builtins and runs at any
    length. Lists of per-step values with an unknown batch dim (return_sequences, the inputs a trained
    loop keeps for its gradient) need SELECT_TF_OPS, as TF's own TensorArray loops do."""
    model = tfkg_graph.models.Sequential([layers.Input(shape=(None, 3)), layers.GRU(4, go_backwards=True),
                                          layers.Dense(1)])
    path = str(tmp_path / "loop_model")
    model.save(path)
    interpreter = tf.lite.Interpreter(model_content=tf.lite.TFLiteConverter.from_saved_model(path).convert())
    (source,), (result,) = interpreter.get_input_details(), interpreter.get_output_details()
    for length in (4, 9):
        x = RNG.normal(size=(2, length, 3)).astype("float32")
        interpreter.resize_tensor_input(source["index"], x.shape)
        interpreter.allocate_tensors()
        interpreter.set_tensor(source["index"], x)
        interpreter.invoke()
        assert_arrays_match(interpreter.get_tensor(result["index"]), model.predict(x, verbose=0))
    trained = tfkg_graph.models.Sequential([layers.Input(shape=(None, 3)), layers.LSTM(4, return_sequences=True),
                                            layers.GRU(2)])
    trained.compile(optimizer="adam", loss="mse")
    trained.fit(RNG.normal(size=(4, 6, 3)).astype("float32"), np.ones((4, 2), "float32"), verbose=0)
    trained.save(str(tmp_path / "trained"))
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "trained"))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    converter._experimental_lower_tensor_list_ops = False
    assert len(converter.convert()) > 0
