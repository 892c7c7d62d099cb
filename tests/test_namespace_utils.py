"""``tfkg_graph.utils`` against ``keras.utils``: the same calls on the same data give the same arrays, and the
datasets they build hold the same samples as Keras' tf.data datasets and train with our ``fit``."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import layers, models, utils  # noqa: E402

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("x, num_classes", [
    ([0, 2, 1, 2], None), (np.array([[1], [0], [3]]), None), (np.array([[0, 1], [2, 1]]), 4), ([3], 5), ([], 3)])
def test_to_categorical(x, num_classes):
    ours, theirs = utils.to_categorical(x, num_classes), keras.utils.to_categorical(x, num_classes)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"class indices must be in \[0, 3\)"):
        utils.to_categorical([0, 3], 3)


@pytest.mark.parametrize("axis, order", [(-1, 2), (1, 1), (-1, np.inf)])
def test_normalize(axis, order):
    x = RNG.normal(size=(4, 3))
    x[1] = 0  # a zero row stays zero
    np.testing.assert_allclose(utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order), rtol=1e-12)


def test_normalize_columns():
    """axis=0, which Keras' numpy path cannot do (it normalizes along -1 and fails to broadcast)."""
    x = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(np.linalg.norm(utils.normalize(x, axis=0), axis=0), np.ones(3), rtol=1e-12)


SEQUENCES = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


@pytest.mark.parametrize("kwargs", [
    {}, {"maxlen": 3}, {"maxlen": 3, "padding": "post"}, {"maxlen": 2, "truncating": "post"},
    {"maxlen": 6, "value": -1, "padding": "post"}, {"dtype": "float32", "value": 0.5}])
def test_pad_sequences(kwargs):
    ours, theirs = utils.pad_sequences(SEQUENCES, **kwargs), keras.utils.pad_sequences(SEQUENCES, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_of_vectors():
    seqs = [RNG.normal(size=(n, 2)) for n in (3, 1, 4)]
    np.testing.assert_array_equal(utils.pad_sequences(seqs, dtype="float64"),
                                  keras.utils.pad_sequences(seqs, dtype="float64"))


def tf_batches(dataset):
    return [tuple(np.asarray(part) for part in b) if isinstance(b, tuple) else np.asarray(b) for b in dataset]


def assert_same_batches(ours, theirs):
    ours, theirs = list(ours), tf_batches(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        for x, y in zip(a if isinstance(a, tuple) else (a,), b if isinstance(b, tuple) else (b,)):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-4)


DATA = np.arange(60, dtype="float32").reshape(30, 2)
TARGETS = np.arange(30) * 10


@pytest.mark.parametrize("kwargs", [
    {"sequence_length": 5, "batch_size": 4},
    {"sequence_length": 3, "sequence_stride": 2, "sampling_rate": 3, "batch_size": 5},
    {"sequence_length": 4, "start_index": 5, "end_index": 25, "batch_size": 3},
    {"sequence_length": 4, "batch_size": None}])
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_dataset_from_array(kwargs, with_targets):
    targets = TARGETS if with_targets else None
    ours = utils.timeseries_dataset_from_array(DATA, targets, **kwargs)
    theirs = keras.utils.timeseries_dataset_from_array(DATA, targets, **kwargs)
    assert_same_batches(ours, theirs)
    assert len(ours) == len(list(theirs))


def test_shuffled_timeseries_holds_keras_windows_and_reshuffles():
    ours = utils.timeseries_dataset_from_array(DATA, TARGETS, 4, batch_size=8, shuffle=True, seed=1)
    theirs = keras.utils.timeseries_dataset_from_array(DATA, TARGETS, 4, batch_size=8, shuffle=True, seed=1)
    def windows(batches):
        return sorted(tuple(w.ravel()) + (t,) for x, y in batches for w, t in zip(x, y))
    first, second = list(ours), list(ours)
    assert windows(first) == windows(tf_batches(theirs))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, second))  # a new order each epoch


@pytest.mark.parametrize("left, right, shuffle", [(0.8, None, False), (None, 5, False), (0.5, 0.25, True),
                                                  (12, None, True)])
def test_split_dataset_takes_keras_samples(left, right, shuffle):
    x, y = RNG.normal(size=(20, 3)).astype("float32"), np.arange(20)
    ours = utils.split_dataset((x, y), left, right, shuffle=shuffle, seed=5)
    theirs = keras.utils.split_dataset((x, y), left, right, shuffle=shuffle, seed=5)
    for our_side, their_side in zip(ours, theirs):
        assert_same_batches(our_side, their_side)
    batched = list(ours[0].batch(4))
    assert len(batched) == len(ours[0].batch(4)) == -(-len(ours[0]) // 4) and batched[0][0].shape[1:] == (3,)


def test_split_dataset_rejects_empty_sides():
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(np.arange(10), left_size=1.0)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, tf):
    root = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for label, count in (("cats", 5), ("dogs", 4), ("owls", 3)):
        os.makedirs(root / label)
        for i in range(count):
            pixels = rng.integers(0, 256, size=(9 + i, 7 + label.count("o"), 3), dtype=np.uint8)
            (root / label / f"{i:02d}.png").write_bytes(tf.io.encode_png(pixels).numpy())
    return str(root)


@pytest.mark.parametrize("kwargs", [
    {"label_mode": "int"}, {"label_mode": "categorical", "color_mode": "grayscale"},
    {"label_mode": None}, {"class_names": ["owls", "cats"], "label_mode": "binary"}])
def test_image_dataset_in_file_order_matches_keras(image_folder, kwargs):
    args = dict(image_size=(6, 5), batch_size=5, shuffle=False, verbose=False, **kwargs)
    ours = utils.image_dataset_from_directory(image_folder, **args)
    theirs = keras.utils.image_dataset_from_directory(image_folder, **args)
    assert ours.class_names == theirs.class_names
    assert_same_batches(ours, theirs)


def test_image_dataset_validation_subsets_hold_keras_files(image_folder):
    args = dict(image_size=(6, 5), batch_size=4, validation_split=0.25, seed=11, verbose=False)
    ours = utils.image_dataset_from_directory(image_folder, subset="both", **args)
    for our_subset, name in zip(ours, ("training", "validation")):
        theirs = keras.utils.image_dataset_from_directory(image_folder, subset=name, **args)
        def samples(batches):
            return [(int(label), img) for x, y in batches for img, label in zip(x, y)]
        our_samples, their_samples = samples(our_subset), samples(tf_batches(theirs))
        assert len(our_samples) == len(their_samples)
        for label, image in our_samples:  # the same files (tf.data's order within an epoch is its own)
            assert any(label == t_label and np.abs(image - t_image).max() < 1e-3
                       for t_label, t_image in their_samples)


def test_image_dataset_trains_with_fit(image_folder):
    ds = utils.image_dataset_from_directory(image_folder, image_size=(6, 5), batch_size=4, seed=1, verbose=False)
    model = models.Sequential([layers.Input((6, 5, 3)), layers.Rescaling(1 / 255), layers.Flatten(),
                               layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


@pytest.fixture(scope="module")
def text_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("texts")
    for label, texts in (("neg", ["bad film", "awful, really", "boring"]), ("pos", ["great", "loved it ♥"])):
        os.makedirs(root / label)
        for i, text in enumerate(texts):
            (root / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (root / "pos" / "notes.md").write_text("not a .txt file")
    return str(root)


@pytest.mark.parametrize("kwargs", [{}, {"max_length": 4, "label_mode": "binary"}])
def test_text_dataset_matches_keras(text_folder, kwargs):
    args = dict(batch_size=2, shuffle=False, verbose=False, **kwargs)
    ours = list(utils.text_dataset_from_directory(text_folder, **args))
    theirs = tf_batches(keras.utils.text_dataset_from_directory(text_folder, **args))
    assert len(ours) == len(theirs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        assert list(x) == list(tx)
        np.testing.assert_array_equal(y, ty)


def test_directory_errors_name_the_problem(tmp_path, text_folder):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        utils.image_dataset_from_directory(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="needs a seed"):
        utils.text_dataset_from_directory(text_folder, validation_split=0.5, subset="training")
    for label in "abc":
        os.makedirs(tmp_path / "three" / label)
        (tmp_path / "three" / label / "x.txt").write_text("x")
    with pytest.raises(ValueError, match="exactly 2 classes"):
        utils.text_dataset_from_directory(str(tmp_path / "three"), label_mode="binary", verbose=False)


def small_functional_model():
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    joined = layers.Concatenate(name="join")([layers.Dense(4, name="hidden")(a), b])
    return models.Model([a, b], layers.Dense(1, name="out")(joined))


def test_model_to_dot_has_one_box_per_layer_and_one_edge_per_connection():
    dot = utils.model_to_dot(small_functional_model(), show_shapes=True)
    boxes = [line for line in dot.splitlines() if "[label=" in line]
    edges = [line.strip() for line in dot.splitlines() if "->" in line]
    assert len(boxes) == 5 and len(edges) == 4
    assert any("join (Concatenate)" in b and "Output shape: (None, 6)" in b for b in boxes)


def test_plot_model_draws_with_graphviz(tmp_path):
    if not shutil.which("dot"):
        pytest.skip("Graphviz' dot is not installed")
    target = tmp_path / "model.png"
    utils.plot_model(small_functional_model(), to_file=str(target), show_shapes=True)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "model.svg"
    utils.plot_model(small_functional_model(), to_file=str(svg))
    assert "<svg" in svg.read_text() and "hidden (Dense)" in svg.read_text()
    assert sorted(os.listdir(tmp_path)) == ["model.png", "model.svg"]  # no temporary files left


def test_plot_model_without_graphviz_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    with pytest.raises(ImportError, match="install graphviz"):
        utils.plot_model(small_functional_model(), to_file=str(tmp_path / "m.png"))
    try:  # Keras also raises ImportError when it cannot draw (pydot or Graphviz missing)
        keras.utils.plot_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]),
                               to_file=str(tmp_path / "k.png"))
    except ImportError as e:
        assert "install" in str(e)
