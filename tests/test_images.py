"""ImageFolderDataset against TF Python's decode_image + tf.image.resize, the pixels we wrote, and the
folder's own listing (splits, labels, class weights, cached index, corrupt files)."""
from __future__ import annotations

import importlib.util
import json
import math
import os
import pathlib

import numpy as np
import pytest

from tfkg_graph.data import ImageDecodeError, ImageDecoder, ImageFolderDataset
from tfkg_graph.data import images as images_mod

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("images_train", ROOT / "examples" / "images" / "train.py")
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)
write_png = example.write_png

COUNTS = {"bird": 3, "cat": 7, "ant": 5}  # unsorted on purpose, unbalanced for class weights
RNG = np.random.default_rng(3)


def pixels(h: int, w: int, c: int) -> np.ndarray:
    return RNG.integers(0, 256, (h, w, c) if c > 1 else (h, w), dtype=np.uint8)


@pytest.fixture
def folder(tmp_path):
    """Class folders of small RGB PNGs of varied sizes, plus a non-image file that must be ignored."""
    root = tmp_path / "imgs"
    for name, n in COUNTS.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            write_png(str(root / name / f"{i}.png"), pixels(5 + i % 3, 6 + i % 2, 3))
    (root / "cat" / "notes.txt").write_text("not an image")
    return root


def make(folder, tmp_path, **kw):
    kw = {"image_size": (4, 4), "batch_size": 4, "cache_dir": str(tmp_path / "cache"), **kw}
    return ImageFolderDataset(str(folder), **kw)


def test_splits_partition_every_file_stratified_and_seeded(folder, tmp_path):
    ds = make(folder, tmp_path, val_fraction=0.2, test_fraction=0.3, seed=1)
    splits = [ds.train.paths, ds.val.paths, ds.test.paths]
    everything = sorted(os.path.relpath(p, folder) for p in folder.glob("*/*.png"))
    assert sorted(p for s in splits for p in s) == everything
    assert sum(len(s) for s in splits) == len(set(p for s in splits for p in s))  # disjoint
    for name, n in COUNTS.items():  # an exact share of every class
        per_split = [sum(p.startswith(name + os.sep) for p in s) for s in splits]
        val, test = math.floor(0.2 * n + 0.5), math.floor(0.5 * n + 0.5) - math.floor(0.2 * n + 0.5)
        assert per_split == [n - val - test, val, test], name
    again = make(folder, tmp_path, val_fraction=0.2, test_fraction=0.3, seed=1)
    other = make(folder, tmp_path, val_fraction=0.2, test_fraction=0.3, seed=2)
    assert again.test.paths == ds.test.paths
    assert other.test.paths != ds.test.paths


def test_labels_follow_sorted_class_folders(folder, tmp_path):
    ds = make(folder, tmp_path, val_fraction=0.25, seed=0)
    assert ds.class_names == sorted(COUNTS)
    for split in (ds.train, ds.val):
        for path, label in zip(split.paths, split.labels):
            assert ds.class_names[label] == path.split(os.sep)[0]


def test_batches_follow_the_dataset_protocol(folder, tmp_path):
    ds = make(folder, tmp_path, seed=4)
    n = sum(COUNTS.values())
    assert len(ds) == len(ds.train) == math.ceil(n / 4)
    epochs = [list(ds), list(ds)]
    for batches in epochs:
        assert [len(y) for _, y in batches] == [4] * (n // 4) + [n % 4]
        assert all(x.shape[1:] == (4, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32 for x, y in batches)
        assert all(0.0 <= x.min() and x.max() <= 1.0 for x, _ in batches)
        assert sorted(np.concatenate([y for _, y in batches])) == sorted(ds.train.labels)
    first, second = (np.concatenate([x for x, _ in b]) for b in epochs)
    assert not np.array_equal(first, second), "train reshuffles every epoch"
    val_x = np.concatenate([x for x, _ in make(folder, tmp_path, val_fraction=0.5).val])
    np.testing.assert_array_equal(val_x, make(folder, tmp_path, val_fraction=0.5).val.arrays()[0])


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_decoded_pixels_are_what_was_written_scaled_to_one(tmp_path, channels):
    image = pixels(5, 7, channels)
    path = str(tmp_path / "x.png")
    write_png(path, image)
    got = ImageDecoder((5, 7), channels).load(path)
    np.testing.assert_allclose(got, image.reshape(5, 7, channels) / 255.0, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("stored,channels,size", [(3, 3, (9, 4)), (3, 1, (3, 5)), (4, 4, (6, 6)), (1, 3, (2, 3)),
                                                  (4, 3, (11, 13))])
def test_resize_and_channel_conversion_match_tf_image_resize(tf, tmp_path, stored, channels, size):
    path = str(tmp_path / "x.png")
    write_png(path, pixels(6, 7, stored))
    data = open(path, "rb").read()
    expected = tf.image.resize(tf.io.decode_image(data, channels=channels, expand_animations=False), size) / 255.0
    got = ImageDecoder(size, channels).decode(data)
    assert got.shape == (*size, channels)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-6, atol=1e-6)


def test_jpeg_matches_tf_decoding(tf, tmp_path):
    data = tf.io.encode_jpeg(pixels(8, 10, 3), quality=90).numpy()
    got = ImageDecoder((5, 5), 3).decode(data)
    expected = tf.image.resize(tf.io.decode_jpeg(data, channels=3), (5, 5)) / 255.0
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("content", [b"definitely not an image", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00"])
def test_corrupt_file_names_the_file(folder, tmp_path, content):
    bad = folder / "bird" / "broken.png"
    bad.write_bytes(content)
    ds = make(folder, tmp_path, batch_size=64, shuffle=False)
    with pytest.raises(ImageDecodeError, match="broken.png") as info:
        list(ds)
    assert info.value.path.endswith(os.path.join("bird", "broken.png"))


def test_class_weights_are_majority_over_count(folder, tmp_path):
    ds = make(folder, tmp_path)
    counts = [COUNTS[name] for name in ds.class_names]
    assert ds.class_weights() == {i: max(counts) / c for i, c in enumerate(counts)}
    assert ds.class_weights({"cat": 2.0, 0: 1.5}) == {ds.class_names.index("cat"): 2.0, 0: 1.5}


def test_file_index_is_cached_and_refreshed_when_the_folder_changes(folder, tmp_path, monkeypatch):
    ds = make(folder, tmp_path)
    (cache,) = (tmp_path / "cache").glob("images-*.json")
    assert json.loads(cache.read_text())["classes"] == ds.class_names

    def no_scan(directory):
        raise AssertionError("the cached index should have been used")

    monkeypatch.setattr(images_mod, "_scan", no_scan)
    assert make(folder, tmp_path).train.paths == ds.train.paths
    monkeypatch.undo()
    write_png(str(folder / "ant" / "new.png"), pixels(4, 4, 3))
    assert os.path.join("ant", "new.png") in make(folder, tmp_path).train.paths


def test_bad_arguments_and_folders_are_reported(folder, tmp_path):
    with pytest.raises(ValueError, match="channels"):
        make(folder, tmp_path, channels=2)
    with pytest.raises(ValueError, match="image_size"):
        make(folder, tmp_path, image_size=(0, 4))
    with pytest.raises(FileNotFoundError, match="missing"):
        make(tmp_path / "missing", tmp_path)
    (tmp_path / "empty" / "a").mkdir(parents=True)
    with pytest.raises(ValueError, match="no images"):
        make(tmp_path / "empty", tmp_path)
