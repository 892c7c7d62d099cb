"""compile() with losses and metrics given as objects (ours or Keras'), in lists or dicts, with loss_weights
as a dict, and with the new loss classes: the same training, logs and evaluation as Keras."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import TRAINED_ATOL, TRAINED_RTOL, assert_weights_match  # noqa: E402

ROWS, BATCH, EPOCHS = 48, 8, 3
RNG = np.random.default_rng(5)
X = RNG.normal(size=(ROWS, 4)).astype("float32")
LABELS = ((X[:, 0] > 0).astype("int64") + (X[:, 1] > 0.3)).astype("int64")
REGRESSION = (X[:, :1] * 2 - X[:, 1:2]).astype("float32")
BINARY = (X[:, 2:3] > 0).astype("float32")


def _two_outputs(root):
    layers = root.layers
    inp = layers.Input((4,))
    h = layers.Dense(6, activation="tanh")(inp)
    return root.models.Model(inp, [layers.Dense(3, activation="softmax", name="cls")(h),
                                   layers.Dense(1, name="reg")(h)])


# (id, compile arguments given the framework's root module (tfkg_graph or keras) -> kwargs)
CASES = [
    ("dict_of_objects", lambda r: dict(
        loss={"cls": r.losses.SparseCategoricalCrossentropy(), "reg": r.losses.Huber(delta=0.5)},
        loss_weights={"cls": 1.0, "reg": 0.4},
        metrics={"cls": [r.metrics.SparseCategoricalAccuracy(), r.metrics.SparseCategoricalCrossentropy()],
                 "reg": [r.metrics.MeanAbsolutePercentageError(), "poisson", r.metrics.R2Score()]})),
    ("list_of_objects", lambda r: dict(
        loss=[r.losses.SparseCategoricalCrossentropy(), r.losses.LogCosh()], loss_weights=[0.7, 1.3],
        metrics=[["accuracy", r.metrics.SparseTopKCategoricalAccuracy(k=2)], [r.metrics.PearsonCorrelation()]])),
    ("keras_objects_given_to_ours", lambda r: dict(
        loss={"cls": keras.losses.SparseCategoricalCrossentropy(), "reg": keras.losses.MeanSquaredLogarithmicError()},
        metrics={"cls": [keras.metrics.SparseCategoricalAccuracy(name="acc")], "reg": [keras.metrics.LogCoshError()]})),
    ("loss_object_as_metric", lambda r: dict(
        loss=["sparse_categorical_crossentropy", "mse"],
        metrics={"reg": [r.losses.MeanAbsoluteError(), "msle"], "cls": ["sparse_categorical_crossentropy"]})),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_compile_with_objects_trains_like_keras(case):
    _, arguments = case
    ours, theirs = _two_outputs(tfkg_graph), _two_outputs(keras)
    ours.set_weights(theirs.get_weights())
    y = [LABELS, REGRESSION]
    histories = []
    for root, model in ((tfkg_graph, ours), (keras, theirs)):
        model.compile(optimizer=root.optimizers.SGD(0.05), jit_compile=False, **arguments(root))
        histories.append(model.fit(X, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history)
    assert_weights_match(ours, theirs)
    ours_history, keras_history = histories
    assert set(ours_history) == set(keras_history)
    for key, values in keras_history.items():
        np.testing.assert_allclose(ours_history[key], values, rtol=1e-4, atol=1e-5, err_msg=key)
    ours_eval = ours.evaluate(X, y, batch_size=16, verbose=0, return_dict=True)
    keras_eval = theirs.evaluate(X, y, batch_size=16, verbose=0, return_dict=True)
    for key, value in keras_eval.items():
        np.testing.assert_allclose(ours_eval[key], value, rtol=TRAINED_RTOL * 10, atol=TRAINED_ATOL, err_msg=key)


@pytest.mark.parametrize("loss", ["BinaryFocalCrossentropy", "Hinge", "SquaredHinge", "Poisson", "Dice", "Tversky"])
def test_new_binary_losses_train_like_keras(loss):
    """One output, the loss object from each framework: weights agree after training."""
    models = [root.models.Sequential([root.layers.Input((4,)), root.layers.Dense(5, activation="tanh"),
                                      root.layers.Dense(1, activation="sigmoid")]) for root in (keras, tfkg_graph)]
    models[1].set_weights(models[0].get_weights())
    for root, model in zip((keras, tfkg_graph), models):
        model.compile(optimizer=root.optimizers.SGD(0.1), loss=getattr(root.losses, loss)(), jit_compile=False)
        model.fit(X, BINARY, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    assert_weights_match(models[1], models[0])
