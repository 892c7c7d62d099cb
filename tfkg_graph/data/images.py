"""Image folders as datasets: one subfolder per class, decoded and resized by TF's own kernels.

Layout (as TFKG's)::

    root/cat/001.png  root/cat/002.jpg  root/dog/a.png ...

Class names are the subfolder names, sorted; label = index in that order. Each file is decoded
(PNG/JPEG/GIF/BMP, ``channels`` 1, 3 or 4), resized bilinearly to ``image_size`` = (height, width) like
``tf.image.resize`` (half-pixel centers, no antialias) and scaled to [0, 1], by a tiny graph
(DecodeImage -> ResizeBilinear -> Mul) run in our runtime: no image library, no TF Python.

Splits are stratified: inside every class a seeded permutation gives each split its exact share
(cumulative rounding), so splits are disjoint, their union is every file, and the same seed gives
the same split. The file index (relative paths and labels) is cached as JSON in ``cache_dir``, keyed by
the folder, and reused while the modification times of the folder and its class folders are unchanged
(adding, removing or renaming a file changes them).
"""
from __future__ import annotations

import json
import math
import os
from typing import Any, Iterator, Sequence

import numpy as np

from ._util import atomic_write_json, config_hash
from .tables import default_cache_dir
from .processors import class_weights

IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INDEX_VERSION = 1


class ImageDecodeError(ValueError):
    """An image file could not be decoded; names the file."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: cannot decode image: {message}")

    def __reduce__(self) -> tuple:
        return (ImageDecodeError, (self.path, self.message))


class ImageDecoder:
    """Encoded bytes -> float32 (height, width, channels) in [0, 1], through one small TF graph."""

    def __init__(self, image_size: tuple[int, int], channels: int = 3) -> None:
        from ..graph import Graph
        from ..graph.ops import array, constants, math as tmath
        from ..runtime import Session, SessionConfig
        if channels not in (1, 3, 4):
            raise ValueError(f"channels must be 1 (grayscale), 3 (RGB) or 4 (RGBA), got {channels!r}")
        height, width = (int(d) for d in image_size)
        if height < 1 or width < 1:
            raise ValueError(f"image_size must be two positive ints (height, width), got {image_size!r}")
        self.image_size, self.channels = (height, width), channels
        g = Graph()
        with g.as_default():
            contents = constants.placeholder("string", (), name="contents")
            image = g.create_op("DecodeImage", [contents], {"channels": channels, "dtype": "uint8",
                                                            "expand_animations": False}).outputs[0]
            size = constants.constant(np.array([height, width], np.int32))
            resized = g.create_op("ResizeBilinear", [array.expand_dims(image, 0), size],
                                  {"align_corners": False, "half_pixel_centers": True}).outputs[0]
            scaled = tmath.multiply(array.squeeze(resized, [0]), np.float32(1 / 255), name="scaled")
        self._session = Session(g, config=SessionConfig(intra_op_threads=1, inter_op_threads=1))
        self._run = self._session.make_callable([contents.name], [scaled.name])

    def decode(self, data: bytes, path: str = "<bytes>") -> np.ndarray:
        from ..runtime import errors
        try:
            return self._run(np.array(data, dtype=object))[0]
        except errors.TFError as e:  # corrupt, truncated or unsupported data
            raise ImageDecodeError(path, str(e).split("\n")[0]) from None

    def load(self, path: str) -> np.ndarray:
        with open(path, "rb") as f:
            return self.decode(f.read(), path)


def _signature(directory: str, classes: Sequence[str]) -> dict[str, int]:
    return {name: os.stat(os.path.join(directory, name)).st_mtime_ns for name in ("", *classes)}


def _scan(directory: str) -> tuple[list[str], list[tuple[str, int]]]:
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir() and not e.name.startswith("."))
    files = []
    for label, name in enumerate(classes):
        for root, dirs, names in os.walk(os.path.join(directory, name)):
            dirs.sort()
            for file in sorted(names):
                if file.lower().endswith(IMAGE_EXTENSIONS):
                    files.append((os.path.relpath(os.path.join(root, file), directory), label))
    return classes, files


def load_or_build_file_index(directory: str, cache_dir: str) -> tuple[list[str], list[tuple[str, int]]]:
    """(class names, [(relative path, label)]) from the cache when still valid, else by a scan."""
    directory = os.path.abspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"image folder {directory!r} does not exist")
    cache = os.path.join(cache_dir, f"images-{config_hash([directory, INDEX_VERSION])}.json")
    try:
        with open(cache) as f:
            cached = json.load(f)
        if cached["signature"] == _signature(directory, cached["classes"]):
            return cached["classes"], [(p, int(label)) for p, label in cached["files"]]
    except (OSError, ValueError, KeyError):
        pass  # no cache, unreadable, or a class folder is gone: rescan
    classes, files = _scan(directory)
    atomic_write_json(cache, {"directory": directory, "classes": classes, "files": files,
                              "signature": _signature(directory, classes)})
    return classes, files


class ImageSplit:
    """One split: iterable of ``(images, labels)`` batches (float32 NHWC, int32), ``len`` = batches."""

    def __init__(self, owner: "ImageFolderDataset", paths: list[str], labels: np.ndarray, shuffle: bool) -> None:
        self.owner, self.paths, self.labels, self.shuffle = owner, paths, labels, shuffle
        self._epoch = 0

    def __len__(self) -> int:
        return math.ceil(len(self.paths) / self.owner.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        epoch, self._epoch = self._epoch, self._epoch + 1
        n, size = len(self.paths), self.owner.batch_size
        order = np.random.default_rng([self.owner.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, n, size):
            idx = order[start:start + size]
            images = np.stack([self.owner.decoder.load(os.path.join(self.owner.directory, self.paths[i]))
                               for i in idx])
            yield images, self.labels[idx]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole split in file order as (images, labels)."""
        n = len(self.paths)
        images = [self.owner.decoder.load(os.path.join(self.owner.directory, p)) for p in self.paths]
        shape = (0, *self.owner.image_size, self.owner.channels)
        return (np.stack(images) if n else np.zeros(shape, np.float32)), self.labels.copy()


class ImageFolderDataset:
    """An image folder (one subfolder per class) as train/val/test datasets.

    Iterating the dataset itself iterates ``.train`` (reshuffled every epoch when ``shuffle``);
    ``class_weights()`` gives TFKG's majority/class-count weights over the train split.
    """

    def __init__(self, directory: str, *, image_size: tuple[int, int] = (256, 256), channels: int = 3,
                 batch_size: int = 32, val_fraction: float = 0.0, test_fraction: float = 0.0, seed: int = 0,
                 shuffle: bool = True, cache_dir: str | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if val_fraction < 0 or test_fraction < 0 or val_fraction + test_fraction >= 1:
            raise ValueError(f"val_fraction and test_fraction must be >= 0 and leave some training data, "
                             f"got {val_fraction} and {test_fraction}")
        self.directory = os.path.abspath(directory)
        self.batch_size, self.seed = int(batch_size), int(seed)
        self.decoder = ImageDecoder(image_size, channels)
        self.image_size, self.channels = self.decoder.image_size, channels
        self.class_names, files = load_or_build_file_index(self.directory, cache_dir or default_cache_dir())
        if not files:
            raise ValueError(f"image folder {self.directory!r} has no images ({', '.join(IMAGE_EXTENSIONS)}) "
                             "in class subfolders")
        split_of = self._assign_splits([label for _, label in files], (val_fraction, test_fraction))
        self.train, self.val, self.test = (
            ImageSplit(self, [p for (p, _), s in zip(files, split_of) if s == k],
                       np.array([label for (_, label), s in zip(files, split_of) if s == k], np.int32),
                       shuffle=shuffle and k == 0)
            for k in range(3))

    def _assign_splits(self, labels: list[int], fractions: tuple[float, float]) -> np.ndarray:
        """Split id (0 train, 1 val, 2 test) per file, an exact share of every class."""
        labels_arr = np.array(labels)
        split_of = np.zeros(len(labels), np.int8)
        for label in range(len(self.class_names)):
            members = np.flatnonzero(labels_arr == label)
            members = members[np.random.default_rng([self.seed, label]).permutation(len(members))]
            n_val = int(math.floor(fractions[0] * len(members) + 0.5))
            n_test = int(math.floor((fractions[0] + fractions[1]) * len(members) + 0.5)) - n_val
            split_of[members[:n_val]] = 1
            split_of[members[n_val:n_val + n_test]] = 2
        return split_of

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return iter(self.train)

    def __len__(self) -> int:
        return len(self.train)

    def class_weights(self, user: dict[Any, float] | None = None) -> dict[int, float]:
        """Dict for ``fit(class_weight=...)``: majority count / class count over the train split, or
        ``user`` (keys are class indices or class names) mapped to indices."""
        counts = np.bincount(self.train.labels, minlength=self.num_classes)
        return class_weights(counts.tolist(), user, self.class_names)
