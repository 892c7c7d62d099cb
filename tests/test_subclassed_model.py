"""A subclassed ``Model`` (layers in ``__init__``, ``call(inputs, training=None)``), as in Keras' "Making new
layers and models via subclassing" guide: built on first call, then compile/fit/evaluate/predict and
save_weights/load_weights; Keras' same class with the same weights is the oracle."""
import numpy as np
import pytest

import tfkg_graph
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match

RNG = np.random.default_rng(7)


def mlp_class(lib):
    class MLP(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="relu")
            self.dropout = lib.layers.Dropout(0.0)
            self.head = lib.layers.Dense(2)

        def call(self, inputs, training=None):
            return self.head(self.dropout(self.hidden(inputs), training=training))
    return MLP


def test_subclassed_model_trains_like_keras(keras, tmp_path):
    x, y = RNG.standard_normal((16, 4)).astype(np.float32), RNG.standard_normal((16, 2)).astype(np.float32)
    ours, theirs = mlp_class(tfkg_graph)(), mlp_class(keras)()
    ours.predict(x[:2], verbose=0), theirs.predict(x[:2], verbose=0)  # built on first call
    assert len(ours.get_weights()) == len(theirs.get_weights()) == 4
    ours.set_weights(theirs.get_weights())
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    for model, lib in ((ours, tfkg_graph), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    h_ours = ours.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
    h_theirs = theirs.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0).history
    assert_weights_match(ours, theirs)
    assert_arrays_match(np.asarray(h_ours["loss"]), np.asarray(h_theirs["loss"]))
    assert_arrays_match(np.asarray(ours.evaluate(x, y, verbose=0)), np.asarray(theirs.evaluate(x, y, verbose=0)))
    path = str(tmp_path / "mlp.weights.h5")
    ours.save_weights(path)
    fresh = mlp_class(tfkg_graph)()
    fresh.predict(x[:1], verbose=0)
    fresh.load_weights(path)
    assert_arrays_match(fresh.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_subclassed_model_built_by_fit_and_bad_call():
    x, y = RNG.standard_normal((8, 3)).astype(np.float32), RNG.standard_normal((8, 2)).astype(np.float32)
    model = mlp_class(tfkg_graph)()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 2)

    class Broken(tfkg_graph.Model):
        def call(self, inputs):
            return None
    with pytest.raises(ValueError, match="returned None"):
        Broken().predict(x, verbose=0)
