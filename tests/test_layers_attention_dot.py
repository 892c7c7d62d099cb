"""Attention and AdditiveAttention against Keras 3: the same model around each (Dense before query, value
and key, so gradients pass through; Dense softmax after) gives the same predictions and the same weights
after 24 SGD steps; masks from Embedding(mask_zero=True) and use_causal_mask as Keras; configs equal."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _keras_names import fresh_names  # noqa: E402,F401  (autouse)
from _parity import train_both_and_compare  # noqa: E402
from tfkg_graph import layers  # noqa: E402

ROWS, BATCH, EPOCHS = 48, 8, 4
RNG = np.random.default_rng(9)

CASES = [  # (id, factory, call kwargs, with a key input)
    ("dot", lambda L: L.Attention(), {}, False),
    ("dot_scaled_key", lambda L: L.Attention(use_scale=True), {}, True),
    ("concat", lambda L: L.Attention(use_scale=True, score_mode="concat"), {}, False),
    ("dot_causal", lambda L: L.Attention(), {"use_causal_mask": True}, False),
    ("additive", lambda L: L.AdditiveAttention(), {}, True),
    ("additive_unscaled", lambda L: L.AdditiveAttention(use_scale=False), {"use_causal_mask": True}, False),
]


def around(root, factory, kwargs, with_key):
    L = root.layers
    q, v, k = L.Input((4, 3)), L.Input((5, 2)), L.Input((5, 3))
    inputs = [L.Dense(3)(q), L.Dense(3)(v)] + ([L.Dense(3)(k)] if with_key else [])
    out = factory(L)(inputs, **kwargs)
    return root.models.Model([q, v, k] if with_key else [q, v], L.Dense(3, activation="softmax")(L.Flatten()(out)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_attention_trains_like_keras(case):
    _, factory, kwargs, with_key = case
    xs = [RNG.normal(size=(ROWS, *s)).astype("float32") for s in ((4, 3), (5, 2), (5, 3))][:3 if with_key else 2]
    y = RNG.integers(0, 3, ROWS)
    ours, theirs = around(tfkg_graph, factory, kwargs, with_key), around(keras, factory, kwargs, with_key)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(xs, verbose=0), theirs.predict(xs, verbose=0), rtol=1e-5, atol=1e-6)
    train_both_and_compare(ours, theirs, xs, y, "sparse_categorical_crossentropy", batch_size=BATCH, epochs=EPOCHS)


@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_masked_attention_trains_like_keras(name):
    """Padded query and value steps (Embedding(mask_zero=True)): hidden keys, zeroed query rows."""
    def build(root):
        L = root.layers
        q, v = L.Input((4,), dtype="int32"), L.Input((5,), dtype="int32")
        qe, ve = L.Embedding(6, 3, mask_zero=True)(q), L.Embedding(6, 3, mask_zero=True)(v)
        out = getattr(L, name)()([qe, ve])
        return root.models.Model([q, v], L.Dense(1, activation="sigmoid")(L.GlobalAveragePooling1D()(out)))
    ids = [RNG.integers(0, 6, (ROWS, n)).astype("int32") for n in (4, 5)]
    for x in ids:
        x[:, -2:] *= RNG.integers(0, 2, (ROWS, 1))  # some rows end in padding
    y = RNG.integers(0, 2, (ROWS, 1)).astype("float32")
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)
    train_both_and_compare(ours, theirs, ids, y, "binary_crossentropy", batch_size=BATCH, epochs=EPOCHS)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_config_matches_keras_and_round_trips(case):
    factory = case[1]
    ours, theirs = factory(layers), factory(keras.layers)
    mine = {k: v for k, v in ours.get_config().items() if k not in ("name", "dtype")}
    keras_config = json.loads(json.dumps(theirs.get_config()))
    assert set(ours.get_config()) == set(keras_config)
    assert mine == {k: keras_config[k] for k in mine}
    assert layers.deserialize(layers.serialize(ours)).get_config() == ours.get_config()


def test_attention_refuses_a_single_input():
    with pytest.raises(ValueError, match="query, value"):
        layers.Attention()(layers.Input((4, 3)))
