"""``keras.utils.image_dataset_from_directory`` / ``text_dataset_from_directory``: one subfolder per class.

Files are indexed exactly as Keras indexes them (class folders sorted, files sorted within, one global
shuffle with ``np.random.RandomState(seed)``, the validation split taken from the end), so ``subset``
"training"/"validation" hold the same files as Keras'. Batches are read on demand each epoch; the order
inside an epoch is our seeded per-epoch shuffle (Keras adds a tf.data buffer shuffle we cannot reproduce).
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from .dataset_utils import IndexedDataset
from .numerical import to_categorical

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
COLOR_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def index_directory(directory: str, labels: Any, formats: tuple[str, ...], class_names: Sequence[str] | None,
                    shuffle: bool, seed: int, follow_links: bool) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """(file paths, int labels or None, class names) in Keras' order."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory {directory!r} does not exist")
    if labels == "inferred":
        folders = sorted(d for d in os.listdir(directory)
                         if os.path.isdir(os.path.join(directory, d)) and not d.startswith("."))
        if class_names is not None:
            if not set(class_names) <= set(folders):
                raise ValueError(f"class_names {list(class_names)} must name subfolders of {directory!r}: {folders}")
            folders = list(class_names)
    else:
        folders = [""]
    paths: list[str] = []
    found: list[int] = []
    for label, folder in enumerate(folders):
        root_dir = os.path.join(directory, folder)
        for root, _, files in sorted(os.walk(root_dir, followlinks=follow_links), key=lambda w: w[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    found.append(label)
    if labels == "inferred":
        label_array: np.ndarray | None = np.asarray(found, np.int32)
        names = list(folders)
    elif labels is None:
        label_array, names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(f"{len(labels)} labels given for {len(paths)} files in {directory!r}")
        label_array = np.asarray(labels, np.int32)
        names = [str(v) for v in sorted(set(labels))]
    if shuffle:
        np.random.RandomState(seed).shuffle(paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return paths, label_array, names


def _subset(paths: list[str], labels: np.ndarray | None, validation_split: float | None, subset: str | None,
            verbose: bool) -> tuple[list[str], np.ndarray | None]:
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    if subset == "training":
        if verbose:
            print(f"Using {len(paths) - n_val} files for training.")
        return paths[:-n_val], None if labels is None else labels[:-n_val]
    if verbose:
        print(f"Using {n_val} files for validation.")
    return paths[-n_val:], None if labels is None else labels[-n_val:]


def _check_split(validation_split: float | None, subset: str | None, shuffle: bool, seed: int | None) -> None:
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(f"subset must be 'training', 'validation', 'both' or None, got {subset!r}")
    if (subset is None) != (not validation_split):
        raise ValueError("validation_split and subset go together: give both or neither")
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
    if validation_split and shuffle and seed is None:
        raise ValueError("a validation_split of shuffled files needs a seed, so both subsets agree")


def _encode_labels(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    if label_mode == "int":
        return labels
    if label_mode == "categorical":
        return to_categorical(labels, num_classes).astype("float32")
    if num_classes != 2:
        raise ValueError(f"label_mode='binary' needs exactly 2 classes, found {num_classes}")
    return labels.astype("float32")[:, None]


def _build(directory: str, labels: Any, label_mode: str | None, class_names: Sequence[str] | None, formats: tuple,
           load: Any, batch_size: int | None, shuffle: bool, seed: int | None, validation_split: float | None,
           subset: str | None, follow_links: bool, verbose: bool, what: str) -> Any:
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"label_mode must be 'int', 'categorical', 'binary' or None, got {label_mode!r}")
    if labels is None or label_mode is None:  # no labels: every file under the directory, no class names
        labels, label_mode = None, None
    _check_split(validation_split, subset, shuffle, seed)
    seed = int(np.random.randint(1_000_000)) if seed is None else int(seed)
    paths, label_array, names = index_directory(directory, labels, formats, class_names, shuffle, seed,
                                                follow_links)
    if verbose:
        print(f"Found {len(paths)} files." if label_array is None
              else f"Found {len(paths)} files belonging to {len(names or ())} classes.")
    if not paths:
        raise ValueError(f"no {what} files ({', '.join(formats)}) found in {directory!r}")

    def dataset(which: str | None) -> IndexedDataset:
        chosen, chosen_labels = _subset(paths, label_array, validation_split, which, verbose)
        encoded = None if label_mode is None else _encode_labels(chosen_labels, label_mode, len(names or ()))

        def fetch(idx: np.ndarray) -> Any:
            x = load([chosen[i] for i in idx])
            return x if encoded is None else (x, encoded[idx])
        return IndexedDataset(len(chosen), fetch, batch_size, shuffle, seed, class_names=names)
    if subset == "both":
        return [dataset("training"), dataset("validation")]
    return dataset(subset)


def image_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: str | None = "int",
                                 class_names: Sequence[str] | None = None, color_mode: str = "rgb",
                                 batch_size: int | None = 32, image_size: tuple[int, int] = (256, 256),
                                 shuffle: bool = True, seed: int | None = None,
                                 validation_split: float | None = None, subset: str | None = None,
                                 interpolation: str = "bilinear", follow_links: bool = False,
                                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                                 data_format: str | None = None, verbose: bool = True) -> Any:
    """Batches of float32 (batch, height, width, channels) images with values in [0, 255] (resized bilinearly
    like ``tf.image.resize``) and their labels; ``.class_names`` lists the classes."""
    from ..data.images import ImageDecoder
    if color_mode not in COLOR_CHANNELS:
        raise ValueError(f"color_mode must be one of {sorted(COLOR_CHANNELS)}, got {color_mode!r}")
    if interpolation != "bilinear" or crop_to_aspect_ratio or pad_to_aspect_ratio:
        raise ValueError("only interpolation='bilinear' without crop/pad to aspect ratio is supported")
    if data_format not in (None, "channels_last"):
        raise ValueError(f"only data_format='channels_last' is supported, got {data_format!r}")
    decoder = ImageDecoder(image_size, COLOR_CHANNELS[color_mode])

    def load(paths: list[str]) -> np.ndarray:
        return np.stack([decoder.load(p) for p in paths]) * np.float32(255)
    return _build(directory, labels, label_mode, class_names, IMAGE_FORMATS, load, batch_size, shuffle, seed,
                  validation_split, subset, follow_links, verbose, "image")


def text_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: str | None = "int",
                                class_names: Sequence[str] | None = None, batch_size: int | None = 32,
                                max_length: int | None = None, shuffle: bool = True, seed: int | None = None,
                                validation_split: float | None = None, subset: str | None = None,
                                follow_links: bool = False, verbose: bool = True) -> Any:
    """Batches of ``.txt`` file contents (numpy arrays of bytes, as ``tf.string`` batches give ``.numpy()``),
    cut to ``max_length`` characters when given, and their labels."""
    def load(paths: list[str]) -> np.ndarray:
        texts = []
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            texts.append(data[:max_length] if max_length is not None else data)
        return np.array(texts, dtype=object)
    return _build(directory, labels, label_mode, class_names, (".txt",), load, batch_size, shuffle, seed,
                  validation_split, subset, follow_links, verbose, "text")
