"""Models: the training loop's behaviour (data forms, batching, callbacks, freezing, configs, errors)."""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph import callbacks, layers, models, optimizers
from tfkg_graph.data import ArrayDataset
from tfkg_graph.graph.ops import math

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = (X[:, 0] > 0).astype("int32") + (X[:, 1] > 0).astype("int32")  # 3 classes


def mlp(seed_name: str = "m") -> models.Sequential:
    return models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3, activation="softmax")], name=seed_name)


def compiled(model=None, **kwargs):
    model = model or mlp()
    model.compile(optimizer=kwargs.pop("optimizer", optimizers.SGD(0.1)),
                  loss=kwargs.pop("loss", "sparse_categorical_crossentropy"), **kwargs)
    return model


def test_fit_learns_and_history_has_keras_logs():
    model = compiled(metrics=["accuracy"])
    history = model.fit(X, Y, batch_size=8, epochs=5, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2, 3, 4]
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(X[48:], Y[48:], verbose=0)
    assert loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    assert accuracy == pytest.approx(history.history["val_accuracy"][-1])


def test_batch_size_is_not_baked_in_and_last_partial_batch_is_kept():
    model = mlp()
    graph_inputs = model.runtime.inputs
    assert all(t.shape[0] is None for t in graph_inputs)
    full = model.predict(X, batch_size=64, verbose=0)
    for rows, batch in ((1, 32), (7, 3), (33, 32), (64, 10)):
        got = model.predict(X[:rows], batch_size=batch, verbose=0)
        assert got.shape == (rows, 3)
        np.testing.assert_allclose(got, full[:rows], rtol=1e-6)


def test_evaluate_uses_every_row_with_batch_weighting():
    model = compiled()
    probs = model.predict(X, verbose=0)
    want = -np.mean(np.log(np.clip(probs[np.arange(len(Y)), Y], 1e-7, 1)))
    for batch in (64, 10, 7):
        assert model.evaluate(X, Y, batch_size=batch, verbose=0) == pytest.approx(want, rel=1e-5)


def test_steps_per_epoch_limits_array_batches():
    history = compiled().fit(X, Y, batch_size=8, epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2
    model = compiled()
    calls = []
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0)
    original = model.runtime.train_fn
    model.runtime.train_fn = lambda *a: calls.append(1) or original(*a)
    model.fit(X, Y, batch_size=8, epochs=2, steps_per_epoch=3, verbose=0)
    assert len(calls) == 6


def test_one_session_run_per_train_step():
    model = compiled()
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    runtime = model.runtime
    calls = []
    original = runtime.train_fn
    runtime.train_fn = lambda *a: calls.append(1) or original(*a)
    model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    assert len(calls) == 2 * 4


def test_multi_input_multi_output_with_dicts_and_loss_weights():
    a, b = layers.Input((2,), name="a"), layers.Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="tanh")(a), layers.Dense(4, activation="tanh")(b)])
    out_class = layers.Dense(3, activation="softmax", name="cls")(h)
    out_reg = layers.Dense(1, name="reg")(h)
    model = models.Model(inputs=[a, b], outputs=[out_class, out_reg])
    model.compile(optimizer=optimizers.SGD(0.05), loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    x = {"a": X[:, :2], "b": X[:, 2:]}
    y = {"cls": Y, "reg": X[:, :1] * 2}
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy"} <= set(history.history)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-5)
    as_list = model.evaluate([X[:, :2], X[:, 2:]], [Y, X[:, :1] * 2], verbose=0)
    assert as_list == pytest.approx([logs[k] for k in ("loss", "cls_loss", "reg_loss", "cls_accuracy")], rel=1e-6)
    preds = model.predict(x, verbose=0)
    assert [p.shape for p in preds] == [(64, 3), (64, 1)]


def test_single_feature_inputs_accept_rank1_arrays():
    inputs = [layers.Input((1,), name=f"f{i}") for i in range(2)]
    model = models.Model(inputs, layers.Dense(2)(layers.Concatenate()(inputs)))
    np.testing.assert_allclose(model.predict([X[:, 0], X[:, 1]], verbose=0),
                               model.predict([X[:, :1], X[:, 1:2]], verbose=0))


def test_dataset_protocol_fit_evaluate_predict():
    model = compiled()
    model.fit(ArrayDataset(X, Y, batch_size=16), epochs=2, verbose=0,
              validation_data=ArrayDataset(X[:16], Y[:16], batch_size=5))
    evaluated = model.evaluate(ArrayDataset(X, Y, batch_size=13), verbose=0)
    assert evaluated == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(model.predict(ArrayDataset(X, Y, batch_size=10), verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)


def test_on_batch_methods():
    model = compiled()
    before = model.test_on_batch(X, Y)
    model.train_on_batch(X, Y)
    assert model.test_on_batch(X, Y) < before
    np.testing.assert_allclose(model.predict_on_batch(X[:5]), model.predict(X[:5], verbose=0), rtol=1e-6)


def test_frozen_layer_keeps_its_weights():
    first = layers.Dense(8, activation="relu")
    model = compiled(models.Sequential([layers.Input((4,)), first, layers.Dense(3, activation="softmax")]))
    first.trainable = False
    frozen_before = [w.copy() for w in first.get_weights()]
    last_before = model.layers[-1].get_weights()[0].copy()
    model.fit(X, Y, epochs=1, verbose=0)
    for a, b in zip(frozen_before, first.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(last_before, model.layers[-1].get_weights()[0])
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_transfer_learning_reuses_trained_layers():
    base = compiled()
    base.fit(X, Y, epochs=2, verbose=0)
    trained = base.layers[0].get_weights()
    inp = layers.Input((4,))
    new = models.Model(inp, layers.Dense(2)(base.layers[0](inp)))
    for a, b in zip(trained, new.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_sequential_and_functional():
    seq = mlp()
    clone = models.Sequential.from_config(seq.get_config())
    clone.set_weights(seq.get_weights())
    np.testing.assert_allclose(clone.predict(X, verbose=0), seq.predict(X, verbose=0), rtol=1e-6)
    a, b = layers.Input((2,), name="a"), layers.Input((2,), name="b")
    shared = layers.Dense(3, name="shared")
    out = layers.Add()([shared(a), shared(b)])
    func = models.Model([a, b], out)
    clone = models.Model.from_config(func.get_config())
    assert [l.name for l in clone.layers] == [l.name for l in func.layers]
    clone.set_weights(func.get_weights())
    np.testing.assert_allclose(clone.predict([X[:, :2], X[:, 2:]], verbose=0),
                               func.predict([X[:, :2], X[:, 2:]], verbose=0), rtol=1e-6)


def test_summary_counts_params():
    lines = []
    model = mlp()
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 67" in text and "dense" in text and "(None, 8)" in text


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch", epoch, sorted(logs)))
        if epoch == 1:
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch", batch, "loss" in logs))


def test_callbacks_get_keras_hooks_and_can_stop_training():
    recorder = Recorder()
    history = compiled().fit(X, Y, batch_size=32, epochs=5, callbacks=[recorder], verbose=0)
    assert history.epoch == [0, 1]
    assert recorder.events == [("batch", 0, True), ("batch", 1, True), ("epoch", 0, ["loss"]),
                               ("batch", 0, True), ("batch", 1, True), ("epoch", 1, ["loss"])]


def test_metrics_ignore_sample_weights_and_weighted_metrics_use_them():
    model = compiled(metrics=["accuracy"], weighted_metrics=["accuracy"])
    weights = np.where(Y == 0, 5.0, 0.5).astype("float32")
    logs = model.evaluate(X, Y, sample_weight=weights, verbose=0, return_dict=True)
    hits = (np.argmax(model.predict(X, verbose=0), axis=-1) == Y).astype("float64")
    values = [v for k, v in logs.items() if k != "loss"]
    assert values == pytest.approx([hits.mean(), (hits * weights).sum() / weights.sum()])


class AliasRecorder(callbacks.Callback):
    """A callback written against Keras' on_batch_end alias."""

    def __init__(self):
        super().__init__()
        self.batches = []

    def on_batch_end(self, batch, logs=None):
        self.batches.append(batch)


def test_callbacks_using_keras_batch_aliases_are_called():
    recorder = AliasRecorder()
    compiled().fit(X, Y, batch_size=32, epochs=1, callbacks=[recorder], verbose=0)
    assert recorder.batches == [0, 1]


def test_class_weight_matches_explicit_sample_weight():
    class_weight = {0: 0.5, 1: 2.0, 2: 3.0}
    a, b = compiled(mlp("a")), compiled(mlp("b"))
    b.set_weights(a.get_weights())
    a.fit(X, Y, batch_size=16, epochs=2, shuffle=False, class_weight=class_weight, verbose=0)
    b.fit(X, Y, batch_size=16, epochs=2, shuffle=False, sample_weight=np.vectorize(class_weight.get)(Y), verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)


class Scale(layers.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return math.tanh(inputs * self.scale)


def test_custom_layer_trains_through_registry_gradients():
    model = compiled(models.Sequential([layers.Input((4,)), Scale(), layers.Dense(3, activation="softmax")]))
    before = model.layers[0].get_weights()[0].copy()
    model.fit(X, Y, epochs=2, verbose=0)
    assert not np.allclose(before, model.layers[0].get_weights()[0])


def test_sequential_builds_from_data_without_input():
    model = compiled(models.Sequential([layers.Dense(5, activation="relu"), layers.Dense(3, activation="softmax")]))
    model.fit(X, Y, epochs=1, verbose=0)
    assert [w.shape for w in model.get_weights()] == [(4, 5), (5,), (5, 3), (3,)]


@pytest.mark.parametrize("call,match", [
    (lambda m: m.fit([X, X], Y, verbose=0), "1 .*got 2"),
    (lambda m: m.fit(X[:, :3], Y, verbose=0), r"expected shape \(None, 4\)"),
    (lambda m: m.fit(X.astype(str), Y, verbose=0), "expected numbers"),
    (lambda m: m.fit(X, Y[:10], verbose=0), "same number of rows"),
    (lambda m: m.fit(X, Y + 1, verbose=0), r"labels must be integers in \[0, 3\)"),
    (lambda m: m.fit(X, Y - 0.5, verbose=0), "labels must be integers"),
    (lambda m: m.predict({"nope": X}, verbose=0), "expected keys"),
    (lambda m: m.fit(ArrayDataset(X, Y), Y, verbose=0), "y must be None"),
], ids=["n_inputs", "shape", "dtype", "rows", "label_range", "label_fraction", "dict_keys", "dataset_and_y"])
def test_bad_input_raises_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(compiled())


def test_out_of_range_labels_from_a_dataset_surface_as_clear_error():
    with pytest.raises(ValueError, match="label"):
        compiled().fit(ArrayDataset(X, Y + 5, batch_size=16), epochs=1, verbose=0)


def test_nan_loss_is_reported():
    x = X.copy()
    x[3, 0] = np.nan
    model = compiled(models.Sequential([layers.Input((4,)), layers.Dense(1)]), loss="mse")
    with pytest.warns(RuntimeWarning, match="NaN"):
        model.fit(x, X[:, :1], epochs=1, verbose=0)


def test_uncompiled_training_raises():
    with pytest.raises(RuntimeError, match="compile"):
        mlp().fit(X, Y, verbose=0)


@pytest.mark.parametrize("name", ["iris", "multiple_inputs"])
def test_examples_reach_90_percent_test_accuracy(name, tmp_path, capsys):
    from tools.examples_graphdefs import load_example
    example = load_example(name)
    accuracy = example.main(str(tmp_path / "saved")) if name == "iris" else example.main()
    assert accuracy >= 0.9
    assert "test accuracy" in capsys.readouterr().out


def test_nested_model_as_layer_trains_freezes_and_round_trips():
    base = models.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu")], name="base")
    model = compiled(models.Sequential([layers.Input((4,)), base, layers.Dense(3, activation="softmax")]))
    model.fit(X, Y, epochs=1, verbose=0)
    np.testing.assert_allclose(base.predict(X, verbose=0), np.maximum(X @ base.get_weights()[0] + base.get_weights()[1], 0),
                               rtol=1e-5, atol=1e-6)
    base.trainable = False
    frozen = [w.copy() for w in base.get_weights()]
    compiled(model).fit(X, Y, epochs=1, verbose=0)
    for a, b in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    clone = models.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)


def test_unbuilt_sequential_predicts_from_data():
    model = models.Sequential([layers.Dense(3)])
    assert model.predict(X[:5], verbose=0).shape == (5, 3)
