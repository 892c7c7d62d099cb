"""Issue 19 item 2, written the way Keras' guides use the API: a Sequential without Input inside a custom
layer, ``optimizer.learning_rate = ...`` between fits, integer inputs, loss and metric objects
inside dicts and lists in ``compile``. Keras with the same weights is the oracle."""
import numpy as np
import pytest

import tfkg_graph
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match

RNG = np.random.default_rng(3)


def test_sequential_without_input_inside_a_custom_layer(keras):
    def block(lib):
        class Block(lib.layers.Layer):  # the guides' "MLPBlock": a Sequential built at first call
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.mlp = lib.Sequential([lib.layers.Dense(4, activation="relu"), lib.layers.Dense(2)])

            def call(self, inputs):
                return self.mlp(inputs)
        x = lib.layers.Input((3,))
        return lib.Model(x, Block()(x))
    ours, theirs = block(tfkg_graph), block(keras)
    ours.set_weights(theirs.get_weights())
    data = RNG.standard_normal((5, 3)).astype(np.float32)
    assert_arrays_match(ours.predict(data, verbose=0), theirs.predict(data, verbose=0))


def test_learning_rate_assigned_between_fits_takes_effect(keras):
    x, y = RNG.standard_normal((16, 3)).astype(np.float32), RNG.standard_normal((16, 1)).astype(np.float32)
    models = []
    for lib in (tfkg_graph, keras):
        model = lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
        models.append(model)
    models[0].set_weights(models[1].get_weights())
    for model in models:
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        model.optimizer.learning_rate = 0.01
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert float(np.asarray(models[0].optimizer.learning_rate)) == float(np.asarray(models[1].optimizer.learning_rate))
    assert_weights_match(*models)


def test_integer_inputs_beside_float_inputs(keras):
    flags = RNG.integers(0, 2, (8, 3)).astype(np.float32)
    ids = RNG.integers(0, 10, (8, 4)).astype(np.int32)
    y = RNG.standard_normal((8, 1)).astype(np.float32)
    built = []
    for lib in (tfkg_graph, keras):
        f, i = lib.layers.Input((3,), name="flags"), lib.layers.Input((4,), dtype="int32", name="ids")
        emb = lib.layers.Flatten()(lib.layers.Embedding(10, 2)(i))
        h = lib.layers.Concatenate()([emb, lib.layers.Dense(2)(f)])
        model = lib.Model([f, i], lib.layers.Dense(1)(h))
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        built.append(model)
    built[0].set_weights(built[1].get_weights())
    for model in built:
        model.fit([flags, ids], y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_weights_match(*built)
    assert_arrays_match(built[0].predict([flags, ids], verbose=0), built[1].predict([flags, ids], verbose=0))


def test_loss_and_metric_objects_inside_dicts_and_lists(keras):
    x = RNG.standard_normal((12, 4)).astype(np.float32)
    y_cls, y_reg = RNG.integers(0, 3, (12,)), RNG.standard_normal((12, 1)).astype(np.float32)
    results = []
    for lib in (tfkg_graph, keras):
        inp = lib.layers.Input((4,))
        h = lib.layers.Dense(5, activation="relu")(inp)
        model = lib.Model(inp, {"cls": lib.layers.Dense(3, activation="softmax", name="cls")(h),
                                "reg": lib.layers.Dense(1, name="reg")(h)})
        model.compile(optimizer=lib.optimizers.SGD(0.05),
                      loss={"cls": lib.losses.SparseCategoricalCrossentropy(), "reg": lib.losses.Huber(delta=0.5)},
                      metrics={"cls": [lib.metrics.SparseCategoricalAccuracy()], "reg": [lib.metrics.MeanAbsoluteError()]})
        results.append(model)
    results[0].set_weights(results[1].get_weights())
    logs = [m.fit(x, {"cls": y_cls, "reg": y_reg}, batch_size=4, epochs=2, shuffle=False, verbose=0).history
            for m in results]
    assert_weights_match(*results)
    for key in ("loss", "cls_sparse_categorical_accuracy", "reg_mean_absolute_error"):
        assert_arrays_match(np.asarray(logs[0][key]), np.asarray(logs[1][key]), key)


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float64"])
def test_bool_and_integer_inputs_into_dense_as_keras(keras, dtype):
    """Keras' ops promote a bool/integer input to the float kernel's dtype (and autocast float64 down):
    flags fed straight into Dense train the same as there, over rank 3 and, flattened, rank 2."""
    x = (RNG.integers(0, 2, (8, 6, 3)) if dtype != "float64" else RNG.standard_normal((8, 6, 3))).astype(dtype)
    y = RNG.standard_normal((8, 1)).astype(np.float32)
    built = []
    for lib in (tfkg_graph, keras):
        inputs = lib.layers.Input((6, 3), dtype=dtype)
        flat = lib.layers.Dense(2)(lib.layers.Flatten()(inputs))
        model = lib.Model(inputs, lib.layers.Dense(1)(lib.layers.Concatenate()([flat, lib.layers.Flatten()(
            lib.layers.Dense(2)(inputs))])))
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        built.append(model)
    built[0].set_weights(built[1].get_weights())
    for model in built:
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert_weights_match(*built)
    assert_arrays_match(built[0].predict(x, verbose=0), built[1].predict(x, verbose=0))
