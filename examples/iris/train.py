"""Iris flowers with the seed's model: Dense(100, swish) x2 -> Dense(3, softmax), Adam, batch 3, 10 epochs.

Run ``make demo`` (or ``python examples/iris/train.py``): reads ``iris.data`` through CsvDataset (a Divisor
for the four measurements, the species names as sparse labels; seeded train/val/test split), trains, prints
the held-out accuracy (>= 0.9), saves the SavedModel with its processors to ``build/iris_model``, reloads it
and predicts raw CSV rows through the InferenceHelper. ``graphdefs/iris.pbtxt`` is this model's training
graph (``make graphdefs``). ``load_iris``/``train_test_split`` are the same data as plain arrays.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np

from tfkg_graph import layers, models, optimizers, set_random_seed
from tfkg_graph.data import CsvDataset, Divisor, InferenceHelper, SparseCategoricalY

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
    """TFKG's flow: CSV -> fitted processors -> fit -> save (model + processors) -> reload -> raw rows."""
    set_random_seed(SEED)
    cache_dir = tempfile.mkdtemp(prefix="tfkg_iris_cache_")
    dataset = CsvDataset(os.path.join(HERE, "iris.data"), header=False,
                         features=[Divisor(offset=0, length=4, name="measurements")],
                         label=SparseCategoricalY(column=4),
                         batch_size=3, val_fraction=0.1, test_fraction=0.2, seed=SEED, cache_dir=cache_dir,
                         progress=False)
    model = build_model()
    compile_model(model)
    model.summary()
    model.fit(dataset.train, validation_data=dataset.val, epochs=10, verbose=2,
              class_weight=dataset.class_weights())
    loss, accuracy = model.evaluate(dataset.test, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")

    export_dir = export_dir or os.path.join(HERE, "..", "..", "build", "iris_model")
    model.save(export_dir, processors=dataset)  # SavedModel (serving_default, train, evaluate) + config + processors
    reloaded = models.load_model(export_dir)
    helper = InferenceHelper.from_directory(reloaded, export_dir)
    raw_rows = ["5.1,3.5,1.4,0.2", "6.4,3.2,4.5,1.5", "6.3,3.3,6.0,2.5"]
    probabilities = helper.predict_lines(raw_rows)
    print(f"saved to {os.path.abspath(export_dir)}; the reloaded model on raw CSV rows:")
    for row, label, p in zip(raw_rows, helper.decode(probabilities), probabilities):
        print(f"  {row:<18} -> {label:<16} p={p.max():.3f}")
    return accuracy


if __name__ == "__main__":
    main()
