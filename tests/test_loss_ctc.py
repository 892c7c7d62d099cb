"""keras.losses.CTC / ctc against Keras: per-sequence values, the reduced loss and its gradient, configs,
and a model trained on it for a few steps from the same weights."""
from __future__ import annotations

import numpy as np
import pytest

import tfkg_graph
from tfkg_graph import losses
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops.constants import placeholder
from tfkg_graph.runtime.session import Session
from _parity import assert_weights_match

keras = pytest.importorskip("keras")
RNG = np.random.default_rng(21)


def _labels(batch: int, width: int, classes: int) -> np.ndarray:
    """Labels in 1..classes-1, each row padded with zeros after a random length (at least 1)."""
    y = RNG.integers(1, classes, (batch, width)).astype("int32")
    for row, length in zip(y, RNG.integers(1, width + 1, batch)):
        row[length:] = 0
    return y


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", None])
def test_ctc_values_and_gradient_match_keras(reduction):
    import tensorflow as tf
    y_true, logits = _labels(4, 3, 5), RNG.normal(size=(4, 7, 5)).astype("float32")
    g = Graph()
    with g.as_default():
        yt, yp = placeholder("int32", (None, 3)), placeholder("float32", (None, 7, 5))
        loss = losses.CTC(reduction=reduction)(yt, yp)
        per_sample = losses.ctc(yt, yp)
        grad = gradients(tfkg_graph.graph.ops.math.reduce_sum(loss), [yp])[0]
    with Session(g) as s:
        ours, ours_each, ours_grad = s.run([loss.name, per_sample.name, grad.name], {yt.name: y_true, yp.name: logits})
    theirs_fn = keras.losses.CTC(reduction=reduction)
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        theirs = theirs_fn(y_true, variable)
        total = tf.reduce_sum(theirs)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours_each, keras.losses.ctc(y_true, logits).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours_grad, tape.gradient(total, variable).numpy(), rtol=1e-4, atol=1e-5)


def test_ctc_config_and_names_as_keras():
    assert losses.CTC().get_config() == keras.losses.CTC().get_config()
    assert isinstance(losses.get("ctc"), losses.CTC)
    again = losses.deserialize(keras.losses.serialize(keras.losses.CTC(reduction="sum", name="c")))
    assert isinstance(again, losses.CTC) and again.get_config() == keras.losses.CTC(reduction="sum", name="c").get_config()


def test_ctc_rejects_labels_of_the_wrong_rank():
    with Graph().as_default():
        with pytest.raises(ValueError, match="max_length"):
            losses.ctc(placeholder("int32", (None, 3, 1)), placeholder("float32", (None, 7, 5)))


def test_a_model_trained_on_ctc_matches_keras():
    x, y = RNG.normal(size=(8, 9, 4)).astype("float32"), _labels(8, 4, 6)
    built = []
    for lib in (tfkg_graph, keras):
        inputs = lib.Input((9, 4))
        model = lib.Model(inputs, lib.layers.Dense(6)(lib.layers.Dense(8, activation="tanh")(inputs)))
        model.compile(lib.optimizers.SGD(0.1), loss=lib.losses.CTC())
        built.append(model)
    built[0].set_weights(built[1].get_weights())
    histories = [m.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history["loss"] for m in built]
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    assert_weights_match(*built)
