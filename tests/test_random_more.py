"""``tfkg_graph.random`` gamma/beta/binomial/categorical/shuffle: the bits differ from Keras' stateless
draws, so each is checked by its distribution's moments (against Keras' draws with the same arguments
and the formula), its dtype, and its seeding (same int seed, same numbers)."""
from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import random  # noqa: E402
from tfkg_graph.graph import Graph  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

N = 20000


def _draw(fn, seed=3):
    g = Graph()
    with g.as_default():
        t = fn(seed)
    with Session(g) as sess:
        return sess.run(t.name)


CASES = [  # id, our/keras call over (module, seed), mean, variance by formula
    ("gamma", lambda m, s: m.gamma((N,), 2.5, seed=s), 2.5, 2.5),
    ("beta", lambda m, s: m.beta((N,), 2.0, 3.0, seed=s), 0.4, 2 * 3 / (25 * 6)),
    ("binomial", lambda m, s: m.binomial((N,), 10, 0.3, seed=s), 3.0, 2.1),
]


@pytest.mark.parametrize("name,fn,mean,var", CASES, ids=[c[0] for c in CASES])
def test_moments_match_the_formula_and_keras(name, fn, mean, var):
    ours = _draw(lambda s: fn(random, s))
    theirs = keras.ops.convert_to_numpy(fn(keras.random, 3))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    for sample in (ours, theirs):
        assert abs(sample.mean() - mean) < 4 * np.sqrt(var / N) + 1e-3
        assert abs(sample.var() - var) < 0.06 * var
    np.testing.assert_array_equal(ours, _draw(lambda s: fn(random, s)))  # same int seed, same draws


def test_categorical_frequencies_follow_the_softmax():
    logits = np.log(np.array([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]], np.float32))
    ours = _draw(lambda s: random.categorical(logits, N, seed=s))
    theirs = keras.ops.convert_to_numpy(keras.random.categorical(logits, N, seed=3))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape == (2, N)
    for row in range(2):
        for sample in (ours, theirs):
            freq = np.bincount(sample[row], minlength=3) / N
            np.testing.assert_allclose(freq, np.exp(logits[row]), atol=0.015)


def test_shuffle_is_a_permutation_along_the_axis():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    ours = _draw(lambda s: random.shuffle(x, axis=1, seed=s))
    theirs = keras.ops.convert_to_numpy(keras.random.shuffle(x, axis=1, seed=3))
    for out in (ours, theirs):
        assert out.shape == x.shape and out.dtype == x.dtype
        np.testing.assert_array_equal(np.sort(out, axis=1), x)
    assert not np.array_equal(ours, x)
    np.testing.assert_array_equal(ours[1] - ours[0], np.full(12, 12.0))  # one permutation for the whole axis
