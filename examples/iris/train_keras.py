"""The iris model trained by Keras itself and saved as ``.keras``: the start of the Keras -> C path.

    python examples/iris/train_keras.py build/iris.keras     # needs keras (any backend)
    tfkg-convert build/iris.keras build/iris_keras           # SavedModel: serving_default, train, evaluate
    make csrc && csrc/build/iris_host build/iris_keras examples/iris/iris.data 100 10

The converted model keeps Keras' weights and Adam state, so the C host continues Keras' training.
"""
from __future__ import annotations

import os
import sys

import keras

from train import CLASSES, load_iris  # noqa: F401  (the example's data, as plain arrays)


def main(path: str = "build/iris.keras", epochs: int = 20) -> str:
    keras.utils.set_random_seed(42)
    x, y = load_iris()
    model = keras.Sequential([
        keras.Input(shape=(4,), name="measurements"),
        keras.layers.Dense(100, activation="swish"),
        keras.layers.Dense(100, activation="swish"),
        keras.layers.Dense(3, activation="softmax"),
    ], name="iris")
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x / x.max(axis=0), y, batch_size=8, epochs=epochs, verbose=0)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    model.save(path)
    loss, accuracy = model.evaluate(x / x.max(axis=0), y, verbose=0)
    print(f"Keras trained iris: accuracy {accuracy:.3f}; saved {path}")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:2])
