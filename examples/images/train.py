"""A tiny generated image folder -> Conv2D -> pooling -> Dense softmax.

Writes 3 classes x 30 PNGs (24x24 RGB: a disc, a square outline, horizontal stripes; random colours,
positions, sizes and noise) into a temporary folder, one subfolder per class, then reads it back with
``ImageFolderDataset`` (decoded and resized by TF's kernels through our runtime, 70/10/20 split) and
trains Conv2D(8) -> MaxPooling2D -> Conv2D(16) -> GlobalAveragePooling2D -> Dense(3, softmax).

Run ``python examples/images/train.py``; it prints the test accuracy, which reaches >= 0.9
(tests/test_conv.py runs it).
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
import zlib

import numpy as np

from tfkg_graph import layers, models, optimizers, set_random_seed
from tfkg_graph.data import ImageFolderDataset

CLASSES = ("disc", "square", "stripes")
SEED = 7


def write_png(path: str, pixels: np.ndarray) -> None:
    """8-bit PNG (grayscale (h, w), RGB or RGBA (h, w, c)) with zlib + struct; atomic via os.replace."""
    pixels = np.ascontiguousarray(pixels, np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = pixels.reshape(height, width * channels)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 on every row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def draw(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One noisy RGB image of a shape in a random colour on a random dark background."""
    yy, xx = np.mgrid[:size, :size]
    cy, cx = rng.uniform(size * 0.35, size * 0.65, 2)
    r = rng.uniform(size * 0.2, size * 0.3)
    if kind == "disc":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    elif kind == "square":
        inside = np.maximum(abs(yy - cy), abs(xx - cx))
        mask = (inside <= r) & (inside >= r - 2)
    else:
        period = int(rng.integers(3, 6))
        mask = (yy + int(rng.integers(period))) % period == 0
    background = rng.uniform(0, 80, 3)
    colour = rng.uniform(150, 255, 3)
    image = np.where(mask[..., None], colour, background) + rng.normal(0, 12, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def make_image_folder(root: str, per_class: int = 30, size: int = 24, seed: int = SEED) -> str:
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
        for i in range(per_class):
            write_png(os.path.join(root, kind, f"{i:03d}.png"), draw(kind, size, rng))
    return root


def build_model(image_size: tuple[int, int], channels: int, num_classes: int) -> models.Sequential:
    return models.Sequential([
        layers.Input(shape=(*image_size, channels), name="image"),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(num_classes, activation="softmax"),
    ], name="shapes")


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="where to write the image folder (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--per-class", type=int, default=30)
    args = parser.parse_args(argv)
    set_random_seed(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_image_folder(args.dir or os.path.join(tmp, "shapes"), args.per_class)
        ds = ImageFolderDataset(root, image_size=(24, 24), channels=3, batch_size=8, val_fraction=0.1,
                                test_fraction=0.2, seed=SEED, cache_dir=os.path.join(tmp, "cache"))
        print(f"classes {ds.class_names}: {len(ds.train.paths)} train, {len(ds.val.paths)} val, "
              f"{len(ds.test.paths)} test images")
        model = build_model(ds.image_size, ds.channels, ds.num_classes)
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(ds.train, validation_data=ds.val, epochs=args.epochs, class_weight=ds.class_weights(), verbose=0)
        loss, accuracy = model.evaluate(ds.test, verbose=0)
    print(f"test loss: {loss:.4f}  test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.9 else 1)
