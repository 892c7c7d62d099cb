"""Synthetic data in the formats the keras-io examples read, small and learnable, so the corpus runs offline
and fast. Every file mimics its real counterpart's layout (names, dtypes, shapes, headers); the values are
generated from fixed seeds (class templates plus noise), not real data.

``write_all(workdir)`` fills ``workdir/keras_home/datasets`` (the Keras cache: mnist.npz, imdb.npz, the CIFAR-10
batches) and writes the files examples open by path (FordA TSVs, creditcard.csv) into ``workdir``.
"""
from __future__ import annotations

import os
import pickle

import numpy as np


def _digit_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-like uint8 28x28 images: each class is a fixed random stroke template, shifted and noised."""
    templates = np.random.default_rng(1234).random((10, 28, 28)) > 0.8
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    images = templates[labels] * rng.uniform(150, 255, size=(n, 1, 1))
    images = images + rng.normal(0, 30, size=images.shape)
    return np.clip(images, 0, 255).astype(np.uint8), labels


def write_mnist(cache: str, n_train: int = 1200, n_test: int = 200) -> None:
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = _digit_images(n_train, rng), _digit_images(n_test, rng)
    np.savez(os.path.join(cache, "mnist.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def _reviews(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """IMDB-like word-index lists (index 1 = most frequent word); positive reviews use more words from one
    band of the vocabulary, negative ones from another."""
    labels = rng.integers(0, 2, size=n)
    reviews = np.empty(n, dtype=object)
    for i, label in enumerate(labels):
        length = int(rng.integers(20, 260))
        common = rng.integers(1, 300, size=length)
        telling = rng.integers(300 + 200 * label, 500 + 200 * label, size=length)
        reviews[i] = [int(w) for w in np.where(rng.random(length) < 0.3, telling, common)]
    return reviews, labels.astype(np.int64)


def write_imdb(cache: str, n_train: int = 600, n_test: int = 200) -> None:
    rng = np.random.default_rng(1)
    (x_train, y_train), (x_test, y_test) = _reviews(n_train, rng), _reviews(n_test, rng)
    np.savez(os.path.join(cache, "imdb.npz"), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def write_cifar10(cache: str, per_batch: int = 100) -> None:
    """The python pickles Keras extracts to ``cifar-10-batches-py-target/cifar-10-batches-py``."""
    folder = os.path.join(cache, "cifar-10-batches-py-target", "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(2)
    templates = np.random.default_rng(4321).integers(0, 256, size=(10, 3072))
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, size=per_batch)
        data = np.clip(templates[labels] + rng.normal(0, 40, size=(per_batch, 3072)), 0, 255).astype(np.uint8)
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({b"data": data, b"labels": labels.tolist()}, f)


def write_forda(directory: str, n_train: int = 240, n_test: int = 80, length: int = 500) -> None:
    """FordA_TRAIN.tsv / FordA_TEST.tsv: label (-1 or 1) then ``length`` readings, tab-separated."""
    rng = np.random.default_rng(3)
    t = np.arange(length)
    for name, n in (("FordA_TRAIN.tsv", n_train), ("FordA_TEST.tsv", n_test)):
        labels = rng.choice([-1, 1], size=n)
        period = np.where(labels == 1, 18.0, 31.0)[:, None] * rng.uniform(0.9, 1.1, size=(n, 1))
        series = np.sin(2 * np.pi * t / period + rng.uniform(0, 6.3, size=(n, 1))) + rng.normal(0, 0.3, (n, length))
        np.savetxt(os.path.join(directory, name), np.column_stack([labels, series]), delimiter="\t", fmt="%.5f")


def write_creditcard(directory: str, n: int = 4000, positive_share: float = 0.02) -> None:
    """creditcard.csv as Kaggle ships it: quoted header, Time, V1..V28, Amount, then the quoted Class label."""
    rng = np.random.default_rng(5)
    labels = (rng.random(n) < positive_share).astype(int)
    v = rng.normal(size=(n, 28)) + labels[:, None] * np.linspace(-2, 2, 28)
    columns = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount", "Class"]
    with open(os.path.join(directory, "creditcard.csv"), "w") as f:
        f.write(",".join(f'"{c}"' for c in columns) + "\n")
        for i in range(n):
            values = [f"{i * 0.5:.1f}"] + [f"{x:.6f}" for x in v[i]] + [f"{rng.gamma(2, 40):.2f}", f'"{labels[i]}"']
            f.write(",".join(values) + "\n")


def write_all(workdir: str) -> str:
    """Writes every stand-in; returns the KERAS_HOME to use."""
    home = os.path.join(workdir, "keras_home")
    cache = os.path.join(home, "datasets")
    os.makedirs(cache, exist_ok=True)
    write_mnist(cache)
    write_imdb(cache)
    write_cifar10(cache)
    write_forda(workdir)
    write_creditcard(workdir)
    return home
