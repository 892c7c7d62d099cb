"""Activation, reshaping, masking and spatial-dropout layers against Keras 3: the same model around each
layer (Dense before it, so gradients pass through it; Dense softmax after) gives the same predictions,
the same weights after 24 SGD steps, and get_config values equal to Keras'."""
from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import tfkg_graph  # noqa: E402
from _parity import assert_weight_files_move_both_ways, train_both_and_compare  # noqa: E402
from tfkg_graph import layers  # noqa: E402
from tfkg_graph.graph import Graph, placeholder  # noqa: E402
from tfkg_graph.runtime import Session  # noqa: E402

ROWS, BATCH, EPOCHS = 48, 8, 4  # 6 batches x 4 epochs = 24 steps
RNG = np.random.default_rng(5)

CASES = [  # (id, layer factory over a layers module, input shape without the batch)
    ("relu", lambda L: L.ReLU(), (6,)),
    ("relu_options", lambda L: L.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2), (6,)),
    ("leaky_relu", lambda L: L.LeakyReLU(), (6,)),
    ("leaky_relu_slope", lambda L: L.LeakyReLU(negative_slope=0.05), (6,)),
    ("elu", lambda L: L.ELU(alpha=0.7), (6,)),
    ("softmax", lambda L: L.Softmax(), (6,)),
    ("softmax_axis_1", lambda L: L.Softmax(axis=1), (4, 3)),
    ("prelu", lambda L: L.PReLU(), (6,)),
    ("prelu_shared_axes", lambda L: L.PReLU(shared_axes=[1]), (4, 3)),
    ("identity", lambda L: L.Identity(), (6,)),
    ("repeat_vector", lambda L: L.RepeatVector(3), (6,)),
    ("permute", lambda L: L.Permute((2, 1)), (4, 3)),
    ("zero_padding_1d", lambda L: L.ZeroPadding1D((1, 2)), (4, 3)),
    ("zero_padding_2d", lambda L: L.ZeroPadding2D(((1, 0), (2, 1))), (3, 4, 2)),
    ("cropping_1d", lambda L: L.Cropping1D((1, 2)), (5, 3)),
    ("cropping_2d", lambda L: L.Cropping2D(((1, 0), (0, 2))), (4, 5, 2)),
    ("up_sampling_1d", lambda L: L.UpSampling1D(3), (4, 3)),
    ("up_sampling_2d", lambda L: L.UpSampling2D((2, 3)), (3, 2, 2)),
    ("spatial_dropout_1d", lambda L: L.SpatialDropout1D(0.3), (4, 3)),  # training is random: predict only
    ("spatial_dropout_2d", lambda L: L.SpatialDropout2D(0.3), (3, 4, 2)),
]
BASE_KEYS = {"name", "trainable", "dtype", "seed"}


def around(root, factory, shape):
    L = root.layers
    inputs = L.Input(shape)
    x = factory(L)(L.Dense(shape[-1])(inputs))
    return root.models.Model(inputs, L.Dense(3, activation="softmax")(L.Flatten()(x)))


def data(shape):
    x = RNG.normal(size=(ROWS, *shape)).astype("float32")
    return x, RNG.integers(0, 3, ROWS)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_trains_like_keras(case):
    name, factory, shape = case
    x, y = data(shape)
    ours, theirs = around(tfkg_graph, factory, shape), around(keras, factory, shape)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    if name.startswith("spatial_dropout"):
        return
    train_both_and_compare(ours, theirs, x, y, "sparse_categorical_crossentropy", batch_size=BATCH, epochs=EPOCHS)


def _plain(config):
    """Config values as JSON sees them (tuples -> lists); initializers and the like are left out."""
    return {k: json.loads(json.dumps(v)) for k, v in config.items()
            if k not in BASE_KEYS and not k.endswith(("_initializer", "_regularizer", "_constraint"))}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_config_matches_keras_and_round_trips(case):
    _, factory, _ = case
    ours, theirs = factory(layers), factory(keras.layers)
    mine = _plain(ours.get_config())
    keras_config = json.loads(json.dumps(theirs.get_config()))
    assert mine == {k: keras_config[k] for k in mine}
    again = type(ours).from_config(ours.get_config())
    assert _plain(again.get_config()) == mine
    assert layers.deserialize(layers.serialize(ours)).get_config() == ours.get_config()


@pytest.mark.parametrize("layer, shape", [(layers.SpatialDropout1D(0.5), (6, 5, 40)),
                                          (layers.SpatialDropout2D(0.5), (6, 3, 4, 40))], ids=["1d", "2d"])
def test_spatial_dropout_drops_whole_channels_when_training(layer, shape):
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, *shape[1:]), name="x")
        trained = layer(x, training=True)  # inference is the identity: checked by the predict parity above
    with Session(g) as sess:
        out = sess.run(trained.name, {"x:0": np.ones(shape, np.float32)})
    per_channel = out.reshape(shape[0], -1, shape[-1])
    assert np.all(per_channel == per_channel[:, :1]), "a channel is dropped for all its steps/pixels or none"
    assert set(np.unique(out)) == {0.0, 2.0}
    assert 0.3 < (per_channel[:, 0] == 0).mean() < 0.7


def test_masking_masks_padded_steps_like_keras():
    """Masking(0.0) before an LSTM: the all-zero steps are skipped (equal to Keras, trained), and a
    different value at masked steps' would-be positions changes nothing."""
    lengths = RNG.integers(1, 7, ROWS)
    x = RNG.normal(size=(ROWS, 6, 3)).astype("float32") * (np.arange(6)[None, :, None] < lengths[:, None, None])
    y = RNG.integers(0, 2, ROWS).astype("float32")[:, None]

    def build(root):
        L = root.layers
        inputs = L.Input((6, 3))
        return root.models.Model(inputs, L.Dense(1, activation="sigmoid")(L.LSTM(4)(L.Masking(0.0)(inputs))))
    ours, theirs = build(tfkg_graph), build(keras)
    ours.set_weights(theirs.get_weights())
    train_both_and_compare(ours, theirs, x, y, "binary_crossentropy", 0.2, batch_size=BATCH, epochs=EPOCHS)
    predictions = ours.predict(x, verbose=0)
    shifted = x.copy()
    shifted[:, -1] = 0.0  # one more step masked per row whose last step was valid: its prediction changes
    changed = lengths == 6
    differs = np.abs(ours.predict(shifted, verbose=0) - predictions)[:, 0] > 1e-7
    np.testing.assert_array_equal(differs, changed)


def test_softmax_with_a_mask_gives_masked_entries_zero_probability():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None, 4), name="x")
        m = placeholder("bool", (None, 4), name="m")
        y = layers.Softmax()(x, mask=m)
    logits = RNG.normal(size=(3, 4)).astype("float32")
    mask = np.array([[1, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]], bool)
    with Session(g) as sess:
        got = sess.run(y.name, {"x:0": logits, "m:0": mask})
    theirs = keras.layers.Softmax()(logits, mask=mask)
    np.testing.assert_allclose(got, np.asarray(theirs), rtol=1e-6, atol=1e-7)
    assert got[1].sum() == 0 and got[2, 0] == 1


@pytest.mark.parametrize("make, message", [
    (lambda: layers.Permute((1, 3)), r"Permute dims must be a permutation of 1..2"),
    (lambda: layers.UpSampling2D(interpolation="bilinear"), r"interpolation='nearest' only"),
    (lambda: layers.ZeroPadding2D(data_format="channels_first"), r"only data_format='channels_last'"),
    (lambda: layers.Cropping1D((-1, 0)), r"pair of non-negative ints"),
    (lambda: layers.LeakyReLU(negative_slope=-1), r"cannot be None or negative"),
    (lambda: layers.RepeatVector(0), r"positive int"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_input_shapes_are_named():
    with pytest.raises(ValueError, match=r"expects \(batch, features\) inputs"):
        layers.RepeatVector(2)(layers.Input((3, 4)))
    with pytest.raises(ValueError, match=r"cropping \(3, 2\) leaves nothing of axis 1 \(length 5\)"):
        layers.Cropping1D((3, 2))(layers.Input((5, 2)))
    with pytest.raises(ValueError, match=r"dims \(2, 1\) need inputs of rank 3"):
        layers.Permute((2, 1))(layers.Input((4,)))
    tokens = layers.Input((5,), dtype="int32")
    with pytest.raises(ValueError, match=r"mask must be broadcastable to the inputs, got mask shape \(None, 5\) "
                                         r"for inputs \(None, 5, 3\)"):
        model = tfkg_graph.models.Model(tokens, layers.Softmax()(layers.Embedding(9, 3, mask_zero=True)(tokens)))
        model.predict(np.ones((2, 5), np.int32), verbose=0)  # masks exist in the model's graph, not when wiring


def test_prelu_weights_move_through_keras_weight_files(tmp_path):
    def build(root):
        L = root.layers
        inputs = L.Input((4,))
        return root.models.Model(inputs, L.Dense(2)(L.PReLU()(L.Dense(4)(inputs))))
    ours, theirs = assert_weight_files_move_both_ways(build, tmp_path, RNG)
    x = RNG.normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6)
