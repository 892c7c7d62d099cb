"""``import tfkg_graph as keras``: every top-level name of Keras 3's namespace that we provide, each used the
same way through ``keras`` and through ``tfkg_graph`` (only the module differs), with the results compared."""
from __future__ import annotations

import re
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from tfkg_graph.graph import Graph, constant  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402
from conftest import run_python  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.normal(size=(24, 4)).astype("float32")
Y = RNG.normal(size=(24, 2)).astype("float32")
LABELS = RNG.integers(0, 3, size=(24,))


def run_graph(fn):
    """Our graph-building call ``fn()`` evaluated once."""
    g = Graph()
    with g.as_default():
        out = fn()
    with Session(g) as sess:
        return sess.run(out.name)


def both(build):
    """``build(namespace)`` with Keras and with ours; our model takes Keras' initial weights."""
    theirs, ours = build(keras), build(tfkg_graph)
    if hasattr(theirs, "get_weights"):
        ours.set_weights(theirs.get_weights())
    return theirs, ours


def mlp(k, **dense):
    return k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="relu", **dense), k.layers.Dense(2)])


def functional(k):
    a, b = k.Input((2,), name="a"), k.Input((2,), name="b")
    merged = k.layers.Concatenate()([k.layers.Dense(3)(a), b])
    return k.Model([a, b], k.layers.Dense(2, activation="tanh")(merged))


def custom_layer(k):
    class Scale(k.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return k.ops.multiply(inputs, self.scale) * 2.0
    return k.Sequential([k.Input((4,)), Scale(), k.layers.Dense(2)])


def check_sequential(k):
    theirs, ours = both(mlp)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def check_functional(k):
    theirs, ours = both(functional)
    xs = [X[:, :2], X[:, 2:]]
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0), rtol=1e-5, atol=1e-6)


def check_custom_layer(k):
    theirs, ours = both(custom_layer)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    assert isinstance(ours.layers[0], tfkg_graph.Layer) and isinstance(theirs.layers[0], keras.Layer)


def check_input_is_keras_tensor(k):
    assert isinstance(tfkg_graph.Input((3,)), tfkg_graph.KerasTensor) and isinstance(keras.Input((3,)), keras.KerasTensor)
    assert tfkg_graph.Input((3,)).shape == keras.Input((3,)).shape


def compile_and_evaluate(compile_args):
    def build(ns):
        model = mlp(ns)
        model.compile(optimizer=ns.optimizers.SGD(0.1), **compile_args(ns))
        return model
    theirs, ours = both(build)
    return theirs.evaluate(X, Y, verbose=0, return_dict=True), ours.evaluate(X, Y, verbose=0, return_dict=True)


def check_losses_and_metrics(k):
    theirs, ours = compile_and_evaluate(lambda ns: {"loss": ns.losses.MeanSquaredError(),
                                                    "metrics": [ns.metrics.MeanAbsoluteError()]})
    assert list(ours) == list(theirs)
    np.testing.assert_allclose(list(ours.values()), list(theirs.values()), rtol=1e-5)
    for ns in (keras, tfkg_graph):
        assert issubclass(ns.losses.MeanSquaredError, ns.Loss) and issubclass(ns.metrics.AUC, ns.Metric)


def check_optimizer_step(k, optimizer=lambda ns: ns.optimizers.Adam(0.01), **dense):
    def build(ns):
        model = mlp(ns, **{key: value(ns) for key, value in dense.items()})
        model.compile(optimizer=optimizer(ns), loss="mse")
        return model
    theirs, ours = both(build)
    for model in (theirs, ours):
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert isinstance(ours.optimizer, tfkg_graph.Optimizer) and isinstance(theirs.optimizer, keras.Optimizer)


def check_schedule(k):
    ours = run_graph(lambda: tfkg_graph.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)(constant(5.0)))
    theirs = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)(5)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6)


def check_regularizer(k):
    def build(ns):
        model = mlp(ns, kernel_regularizer=ns.regularizers.L2(0.1))
        model.compile(optimizer="sgd", loss="mse")
        return model
    theirs, ours = both(build)
    np.testing.assert_allclose(ours.evaluate(X, Y, verbose=0), theirs.evaluate(X, Y, verbose=0), rtol=1e-5)
    assert isinstance(ours.layers[0].kernel_regularizer, tfkg_graph.Regularizer)


def check_initializer(k):
    theirs = mlp(keras, kernel_initializer=keras.initializers.Constant(0.3))
    ours = mlp(tfkg_graph, kernel_initializer=tfkg_graph.initializers.Constant(0.3))
    np.testing.assert_allclose(ours.get_weights()[0], theirs.get_weights()[0])
    assert isinstance(tfkg_graph.initializers.Constant(0.3), tfkg_graph.Initializer)


def check_ops_and_activations(k):
    a = X[:3]
    ours = run_graph(lambda: tfkg_graph.activations.gelu(tfkg_graph.ops.matmul(constant(a), constant(a.T))))
    theirs = keras.activations.gelu(keras.ops.matmul(a, a.T))
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-6)


def check_callbacks(k):
    epochs_run = {}
    for ns in (keras, tfkg_graph):
        model = mlp(ns)
        model.compile(optimizer=ns.optimizers.SGD(0.0), loss="mse")  # a flat loss: no improvement
        # unshuffled: shuffled batches sum the same losses in another order, and the float32 rounding of
        # that can look like an improvement of 1e-8 to EarlyStopping (min_delta=0) on either side
        history = model.fit(X, Y, epochs=5, verbose=0, shuffle=False,
                            callbacks=[ns.callbacks.EarlyStopping(monitor="loss", patience=1)])
        epochs_run[ns.__name__] = len(history.history["loss"])
    assert epochs_run["tfkg_graph"] == epochs_run["keras"] == 2


def check_saving(k, tmp_path):
    theirs = mlp(keras)
    path = str(tmp_path / "m.weights.h5")
    keras.saving.save_weights(theirs, path)
    ours = mlp(tfkg_graph)
    tfkg_graph.saving.load_weights(ours, path)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def check_utils(k):
    np.testing.assert_array_equal(tfkg_graph.utils.to_categorical(LABELS), keras.utils.to_categorical(LABELS))


def check_backend(k):
    for name in ("floatx", "epsilon", "image_data_format", "backend"):
        assert getattr(tfkg_graph.backend, name)() == getattr(keras.backend, name)(), name
    names = []
    for ns in (keras, tfkg_graph):
        ns.backend.clear_session()
        names.append([ns.layers.Dense(1).name, ns.layers.Dense(1).name])
    assert names[0] == names[1] == ["dense", "dense_1"]


def check_random(k):
    ours = run_graph(lambda: tfkg_graph.random.normal((20000,), mean=1.0, stddev=2.0, seed=3))
    theirs = np.asarray(keras.random.normal((20000,), mean=1.0, stddev=2.0, seed=3))
    assert abs(ours.mean() - theirs.mean()) < 0.1 and abs(ours.std() - theirs.std()) < 0.1


def check_datasets(k):
    assert callable(tfkg_graph.datasets.mnist.load_data) and callable(keras.datasets.mnist.load_data)
    assert set(n for n in dir(keras.datasets) if not n.startswith("_")) <= set(dir(tfkg_graph.datasets))


def check_version(k):
    for version in (tfkg_graph.version(), keras.version()):
        assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version)
    assert tfkg_graph.__version__ == tfkg_graph.version()


CASES = [  # (Keras 3 names exercised, check)
    ("Sequential Input layers", check_sequential),
    ("Model", check_functional),
    ("Layer ops", check_custom_layer),
    ("KerasTensor", check_input_is_keras_tensor),
    ("Loss Metric losses metrics", check_losses_and_metrics),
    ("Optimizer optimizers", check_optimizer_step),
    ("optimizers.schedules", check_schedule),
    ("Regularizer regularizers", check_regularizer),
    ("Initializer initializers", check_initializer),
    ("constraints", lambda k: check_optimizer_step(k, lambda ns: ns.optimizers.SGD(0.5),
                                                   kernel_constraint=lambda ns: ns.constraints.NonNeg())),
    ("ops activations", check_ops_and_activations),
    ("callbacks", check_callbacks),
    ("utils", check_utils),
    ("backend", check_backend),
    ("random", check_random),
    ("datasets", check_datasets),
    ("version", check_version),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_name_behaves_as_in_keras(case):
    names, check = case
    for name in names.split():
        module, _, attribute = name.partition(".")
        assert getattr(tfkg_graph, module) is not None
        if attribute:
            assert getattr(getattr(tfkg_graph, module), attribute) is not None
    check(keras)


def test_saving_namespace_reads_keras_weight_files(tmp_path):
    check_saving(keras, tmp_path)


def test_every_keras_name_we_claim_resolves():
    claimed = ["Sequential", "Model", "Input", "Layer", "KerasTensor", "Loss", "Metric", "Optimizer", "Initializer",
               "Regularizer", "layers", "models", "ops", "optimizers", "losses", "metrics", "callbacks",
               "activations", "initializers", "regularizers", "constraints", "utils", "saving", "random", "backend",
               "datasets", "version"]
    missing = [n for n in claimed if not hasattr(tfkg_graph, n)]
    assert not missing and set(claimed) <= set(dir(keras)) and set(claimed) <= set(dir(tfkg_graph))
    with pytest.raises(AttributeError, match="no attribute 'Varible'"):
        tfkg_graph.Varible  # noqa: B018


def test_import_stays_lazy():
    """``import tfkg_graph`` loads none of the submodules; the first use of a name loads just what it needs."""
    done = run_python("""
        import sys
        import tfkg_graph as keras
        before = sorted(m for m in sys.modules if m.startswith("tfkg_graph."))
        keras.utils.to_categorical([0, 1])
        print(before, "tfkg_graph.models" in sys.modules, "tfkg_graph.utils" in sys.modules)
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False", "True"]


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"])
def test_functional_merge_helpers(name):
    def build(ns):
        a, b = ns.Input((3,)), ns.Input((3,))
        return ns.Model([a, b], getattr(ns.layers, name)([ns.layers.Dense(3)(a), b]))
    theirs, ours = both(build)
    xs = [X[:, :3], X[:, 1:]]
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0), rtol=1e-5, atol=1e-6)


def nested_layers(k):
    class Block(k.Layer):
        """Sublayers held as attributes (a Dense, a Sequential without Input, a list), as keras-io examples do."""
        def __init__(self):
            super().__init__()
            self.proj = k.layers.Dense(3, activation="tanh")
            self.ffn = k.Sequential([k.layers.Dense(5, activation="relu"), k.layers.Dense(3)])
            self.extra = [k.layers.Dense(3)]

        def call(self, inputs):
            return self.extra[0](self.ffn(self.proj(inputs))) + inputs[:, :3]
    return k.Sequential([k.Input((4,)), Block(), k.layers.Dense(2)])


def test_nested_layers_weights_are_tracked_and_trained_as_in_keras():
    def build(ns):
        model = nested_layers(ns)
        model.compile(optimizer=ns.optimizers.SGD(0.1), loss="mse")
        return model
    theirs, ours = both(build)
    assert [tuple(w.shape) for w in ours.trainable_weights] == [tuple(w.shape) for w in theirs.trainable_weights]
    for model in (theirs, ours):
        model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
