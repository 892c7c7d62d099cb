"""Iris flowers with the seed's model: Dense(100, swish) x2 -> Dense(3, softmax), Adam, batch 3, 10 epochs.

Run ``make demo`` (or ``python examples/iris/train.py``). Prints the held-out accuracy (>= 0.9), saves the
model as a SavedModel, reloads it and prints a few predictions. ``graphdefs/iris.pbtxt`` is this model's training graph (``make graphdefs``).
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from tfkg_graph import layers, models, optimizers, set_random_seed

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
SEED = 42


def load_iris(path: str = os.path.join(HERE, "iris.data")) -> tuple[np.ndarray, np.ndarray]:
    """Four measurements (cm) and the species index of each flower."""
    rows = [line.strip().split(",") for line in open(path) if line.strip()]
    x = np.array([[float(v) for v in row[:4]] for row in rows], np.float32)
    y = np.array([CLASSES.index(row[4]) for row in rows], np.int32)
    return x, y


def train_test_split(x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = SEED):
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def build_model() -> models.Sequential:
    return models.Sequential([
        layers.Input(shape=(4,), name="measurements"),
        layers.Dense(100, activation="swish"),
        layers.Dense(100, activation="swish"),
        layers.Dense(3, activation="softmax"),
    ], name="iris")


def compile_model(model: models.Model) -> None:
    model.compile(optimizer=optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])


def main(export_dir: str | None = None) -> float:
    set_random_seed(SEED)
    x, y = load_iris()
    x = x / x.max(axis=0)  # each measurement scaled to (0, 1], as TFKG's Divisor processor did
    x_train, y_train, x_test, y_test = train_test_split(x, y)
    model = build_model()
    compile_model(model)
    model.summary()
    model.fit(x_train, y_train, batch_size=3, epochs=10, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")
    export_dir = export_dir or os.path.join(tempfile.mkdtemp(prefix="tfkg_iris_"), "iris")
    model.save(export_dir)  # a TF SavedModel (serving_default, train, evaluate) + the model config
    reloaded = models.load_model(export_dir)
    probabilities = reloaded.predict(x_test[:5], verbose=0)
    np.testing.assert_allclose(probabilities, model.predict(x_test[:5], verbose=0), rtol=1e-6)
    print(f"saved to {export_dir}; predictions from the reloaded model:")
    for p, label in zip(probabilities, y_test[:5]):
        print(f"predicted {CLASSES[int(np.argmax(p))]:<16} p={p.max():.3f}  actual {CLASSES[label]}")
    return accuracy


if __name__ == "__main__":
    main()
