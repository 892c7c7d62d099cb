"""``tfkg_graph.random`` (``keras.random`` as graph ops): the draws follow the distributions Keras' draws follow
(compared by their moments and ranges, since the generators differ), seeds repeat, and a custom layer can use
them in ``call``."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import layers, models, ops  # noqa: E402
from tfkg_graph import random as tfkg_random  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

N = 40000


def draw(fn, runs=1, graph_seed=None):
    g = Graph(seed=graph_seed)
    with g.as_default():
        out = fn()
    with Session(g) as sess:
        return [sess.run(out.name) for _ in range(runs)]


CASES = [  # (name, the draw through either module, bounded: compare the ranges too)
    ("normal", lambda r: r.normal((N,), mean=2.0, stddev=0.5, seed=1), False),
    ("uniform", lambda r: r.uniform((N,), minval=-3.0, maxval=5.0, seed=2), True),
    ("truncated_normal", lambda r: r.truncated_normal((N,), mean=1.0, stddev=2.0, seed=3), True),
    ("randint", lambda r: r.randint((N,), minval=-2, maxval=4, seed=4), True),
    ("dropout", lambda r: r.dropout(np.ones((N,), np.float32), rate=0.3, seed=5), True),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_draws_follow_keras_distribution(case):
    _, fn, bounded = case
    ours = draw(lambda: fn(tfkg_random))[0]
    theirs = np.asarray(fn(keras.random))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if bounded:
        slack = 0.01 * (theirs.max() - theirs.min())
        assert theirs.min() - slack <= ours.min() and ours.max() <= theirs.max() + slack
    assert abs(ours.mean() - theirs.mean()) < 0.05 * max(theirs.std(), 1e-3) + 0.02
    assert abs(ours.std() - theirs.std()) < 0.05 * theirs.std()
    if ours.dtype.kind == "i":
        assert sorted(set(ours.tolist())) == sorted(set(theirs.tolist()))


def test_each_run_draws_anew_and_a_graph_seed_repeats_a_sequence():
    first = draw(lambda: tfkg_random.uniform((5,)), runs=2, graph_seed=7)
    again = draw(lambda: tfkg_random.uniform((5,)), runs=2, graph_seed=7)
    assert not np.array_equal(first[0], first[1])
    np.testing.assert_array_equal(first, again)
    seeded = draw(lambda: tfkg_random.normal((5,), seed=tfkg_random.SeedGenerator(3)))
    np.testing.assert_array_equal(seeded, draw(lambda: tfkg_random.normal((5,), seed=3)))


def test_shape_with_unknown_batch_and_noise_shape():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, 4), name="x")
        noise = tfkg_random.normal(ops.shape(x))
        dropped = tfkg_random.dropout(x, 0.5, noise_shape=(None, 1), seed=1)
    with Session(g) as sess:
        n, d = sess.run([noise.name, dropped.name], {"x:0": np.ones((3, 4), np.float32)})
    assert n.shape == (3, 4)
    assert all(len(set(row.tolist())) == 1 and row[0] in (0.0, 2.0) for row in d)  # one draw per row


def test_a_custom_layer_draws_noise_in_training_only():
    class Noise(layers.Layer):
        def call(self, inputs, training=None):
            return inputs + tfkg_random.normal(ops.shape(inputs), stddev=0.1) if training else inputs
    model = models.Sequential([layers.Input((3,)), Noise(), layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.ones((8, 3), np.float32)
    model.fit(x, np.zeros((8, 1), np.float32), verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="seed must be an int"):
        draw(lambda: tfkg_random.normal((2,), seed=1.5))
    with pytest.raises(ValueError, match="dropout rate"):
        draw(lambda: tfkg_random.dropout(np.ones(2, np.float32), 1.0))
