"""Where Keras keeps its downloaded datasets, and safe readers for their files.

tfkg_graph never downloads: it reads the files Keras' ``get_file`` left in ``$KERAS_HOME/datasets`` (default
``~/.keras/datasets``; Keras falls back to ``/tmp/.keras`` when that is not writable), and names the file and
its URL when it is missing.
"""
from __future__ import annotations

import io
import os
import pickle
import shutil
import tarfile
import tempfile
import zipfile
from typing import Any

import numpy as np

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# The only globals a numpy object array of Python lists needs (IMDB and Reuters store ragged sequences so).
_ALLOWED_GLOBALS = frozenset({("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                              ("numpy._core.multiarray", "_reconstruct")})


class DatasetFileMissing(FileNotFoundError):
    """A dataset file is not in the Keras cache; the message says what to fetch and where to put it."""


def keras_home() -> str:
    return os.path.expanduser(os.environ.get("KERAS_HOME", os.path.join("~", ".keras")))


def dataset_dirs(subdir: str = "datasets") -> list[str]:
    return [os.path.join(keras_home(), subdir), os.path.join("/tmp", ".keras", subdir)]


def find(name: str, origin: str, subdir: str = "datasets") -> str:
    """The cached path of ``name`` (a file or an extracted folder), or DatasetFileMissing."""
    for directory in dataset_dirs(subdir):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise DatasetFileMissing(
        f"{name!r} is not in the Keras dataset cache ({dataset_dirs(subdir)[0]}); tfkg_graph does not download. "
        f"Fetch {origin} and save it as {os.path.join(dataset_dirs(subdir)[0], name)} "
        "(or run the Keras loader once, which puts it there).")


def find_extracted(folder: str, origin: str) -> str:
    """An archive Keras extracts into ``datasets/<folder>``; extracts ``<folder>_archive`` when only that is
    cached (through a temporary folder renamed into place, so a failed extraction leaves nothing behind)."""
    try:
        return find(folder, origin)
    except DatasetFileMissing:
        try:
            archive = find(folder + "_archive", origin)
        except DatasetFileMissing:
            raise DatasetFileMissing(
                f"{folder!r} is not in the Keras dataset cache ({dataset_dirs()[0]}); tfkg_graph does not "
                f"download. Fetch {origin} and extract it into {os.path.join(dataset_dirs()[0], folder)} "
                "(or run the Keras loader once, which puts it there).") from None
    target = os.path.join(os.path.dirname(archive), folder)
    staging = tempfile.mkdtemp(prefix=f".{folder}-", dir=os.path.dirname(archive))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        os.replace(staging, target)
    except OSError:
        if not os.path.isdir(target):  # not a concurrent extraction that got there first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file (corrupt or unsafe)")


def _read_npy(stream: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError:  # an object array: its payload is a pickle, read with only numpy's globals allowed
        stream.seek(0)
        major, _ = np.lib.format.read_magic(stream)
        if major == 1:
            np.lib.format.read_array_header_1_0(stream)
        else:
            np.lib.format.read_array_header_2_0(stream)
        return _RestrictedUnpickler(stream).load()


def load_npz(path: str) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, object arrays included, without running arbitrary pickles."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    arrays[member[:-4]] = _read_npy(io.BytesIO(raw.read()))
    return arrays


def load_pickle(path: str) -> Any:
    """A CIFAR batch file (a pickled dict of numpy arrays and lists; byte-string keys)."""
    with open(path, "rb") as f:
        return _RestrictedUnpickler(f, encoding="bytes").load()
