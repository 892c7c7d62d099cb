"""``tfkg_graph.datasets`` reads the files Keras caches: small stand-in files in the real formats are written to
a temporary ``KERAS_HOME``, and Keras' own loaders (pointed at the same files instead of downloading) must give
the same arrays."""
from __future__ import annotations

import gzip
import importlib
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from tfkg_graph import datasets  # noqa: E402

RNG = np.random.default_rng(4)


def ragged(n, vocab=40):
    sequences = np.empty(n, dtype=object)
    for i in range(n):
        sequences[i] = [int(w) for w in RNG.integers(1, vocab, size=RNG.integers(2, 12))]
    return sequences


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A KERAS_HOME with stand-ins for every dataset; Keras' loaders read them through their get_file."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cache = tmp_path / "datasets"
    os.makedirs(cache / "fashion-mnist")
    images = lambda n: RNG.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)  # noqa: E731
    labels = lambda n, k=10: RNG.integers(0, k, size=(n,), dtype=np.uint8)  # noqa: E731
    np.savez(cache / "mnist.npz", x_train=images(6), y_train=labels(6), x_test=images(3), y_test=labels(3))
    for name, n in (("train", 5), ("t10k", 2)):
        with gzip.open(cache / "fashion-mnist" / f"{name}-labels-idx1-ubyte.gz", "wb") as f:
            f.write(b"\0" * 8 + labels(n).tobytes())
        with gzip.open(cache / "fashion-mnist" / f"{name}-images-idx3-ubyte.gz", "wb") as f:
            f.write(b"\0" * 16 + images(n).tobytes())
    np.savez(cache / "imdb.npz", x_train=ragged(12), y_train=labels(12, 2), x_test=ragged(7), y_test=labels(7, 2))
    np.savez(cache / "reuters.npz", x=ragged(15), y=labels(15, 46).astype("int64"))
    (cache / "imdb_word_index.json").write_text(json.dumps({"film": 1, "good": 2}))
    for name in ("boston_housing", "california_housing"):
        np.savez(cache / f"{name}.npz", x=RNG.normal(size=(30, 5)), y=RNG.normal(size=(30,)))
    cifar100 = cache / "cifar-100-python-target" / "cifar-100-python"
    os.makedirs(cifar100)
    for name, n in (("train", 6), ("test", 4)):
        batch = {b"data": RNG.integers(0, 256, size=(n, 3072), dtype=np.uint8),
                 b"fine_labels": labels(n, 100).tolist(), b"coarse_labels": labels(n, 20).tolist()}
        (cifar100 / name).write_bytes(pickle.dumps(batch))

    def get_file(fname=None, origin=None, cache_subdir="datasets", **kwargs):
        return str(tmp_path / cache_subdir / fname)
    for module in ("mnist", "fashion_mnist", "imdb", "reuters", "boston_housing", "california_housing", "cifar100"):
        monkeypatch.setattr(importlib.import_module(f"keras.src.datasets.{module}"), "get_file", get_file)
    return cache


def assert_same(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    if ours.dtype == object:
        assert [list(s) for s in ours] == [list(s) for s in theirs]
    else:
        np.testing.assert_array_equal(ours, theirs)


CASES = [  # (dataset, load_data keyword arguments)
    ("mnist", {}), ("fashion_mnist", {}), ("cifar100", {}), ("cifar100", {"label_mode": "coarse"}),
    ("boston_housing", {}), ("boston_housing", {"test_split": 0.3, "seed": 2}),
    ("california_housing", {}), ("california_housing", {"version": "small", "test_split": 0.1}),
    ("imdb", {"num_words": 30}), ("imdb", {"num_words": 30, "skip_top": 5, "maxlen": 8, "seed": 1}),
    ("imdb", {"num_words": 25, "start_char": None, "oov_char": None, "index_from": 0}),
    ("reuters", {"num_words": 35}), ("reuters", {"num_words": 35, "maxlen": 9, "test_split": 0.4}),
]


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in CASES])
def test_load_data_matches_keras(home, name, kwargs):
    ours = getattr(datasets, name).load_data(**kwargs)
    theirs = getattr(keras.datasets, name).load_data(**kwargs)
    assert_same(ours, theirs)


def test_without_num_words_every_word_is_kept(home):
    """Keras documents num_words=None as "keep all words" but its code turns the highest index into oov_char;
    we keep it (the difference is the only one)."""
    (x_train, _), (x_test, _) = datasets.imdb.load_data()
    (k_train, _), (k_test, _) = keras.datasets.imdb.load_data()
    ours = [w for s in list(x_train) + list(x_test) for w in s]
    theirs = [w for s in list(k_train) + list(k_test) for w in s]
    top = max(ours)
    assert len(ours) == len(theirs) and top in ours
    assert all(t == (2 if o == top else o) for o, t in zip(ours, theirs))  # Keras: oov_char (2) for the top word


def test_word_index_and_label_names(home):
    assert datasets.imdb.get_word_index() == keras.datasets.imdb.get_word_index()
    assert datasets.reuters.get_label_names() == keras.datasets.reuters.get_label_names()


def test_cifar10_reads_the_extracted_batches_or_the_cached_archive(home, tmp_path):
    batches = {name: {b"data": RNG.integers(0, 256, size=(3, 3072), dtype=np.uint8), b"labels": [1, 0, 9]}
               for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]}
    source = tmp_path / "src" / "cifar-10-batches-py"
    os.makedirs(source)
    for name, batch in batches.items():
        (source / name).write_bytes(pickle.dumps(batch))
    with tarfile.open(home / "cifar-10-batches-py-target_archive", "w:gz") as tar:
        tar.add(source, arcname="cifar-10-batches-py")
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()  # extracts the archive once
    assert os.path.isdir(home / "cifar-10-batches-py-target" / "cifar-10-batches-py")
    expected = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, expected.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    assert x_train.shape == (15, 32, 32, 3) and y_train.shape == (15, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3) and y_test.ravel().tolist() == [1, 0, 9]
    assert datasets.cifar10.load_data()[1][1].ravel().tolist() == [1, 0, 9]  # now from the extracted folder


def test_missing_file_names_what_to_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    with pytest.raises(datasets.DatasetFileMissing, match=r"'mnist.npz'.*https://storage.googleapis.com/"
                                                          r"tensorflow/tf-keras-datasets/mnist.npz"):
        datasets.mnist.load_data()
    with pytest.raises(FileNotFoundError, match="cifar-10-python.tar.gz"):
        datasets.cifar10.load_data()


def test_a_tampered_pickle_is_refused(home):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo owned",))
    np.savez(home / "reuters.npz", x=np.array([Evil()], dtype=object), y=np.array([0]))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        datasets.reuters.load_data()
