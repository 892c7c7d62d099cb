"""Keras 3 weight files: ``.keras`` / ``.weights.h5`` into a tfkg_graph model, and ``.weights.h5`` out.

Keras 3 keys weights by object structure, not by layer name: ``layers/<snake_case class>[_n]/vars/<i>``
with a counter per class in the order of ``model.layers``, nested models recursing
(``layers/sequential/layers/dense/vars/0``), each layer's variables in creation order with the trainable
ones first. The model gives that walk (``model._keras_weight_layout()``, tfkg_graph/models/keras_structure.py);
this file reads and writes it, so a file moves between equivalent models in both directions whatever the
layers are named. A compiled model's optimizer state goes to and comes from
``optimizer/vars/<i>``, Keras' ``optimizer.variables`` order (iterations, learning rate, slots per
trainable weight), so training resumes where the other framework left it.
"""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from typing import Any

import numpy as np

from .._io import atomic_path

KERAS_WEIGHTS_SUFFIX = ".weights.h5"
KERAS_ARCHIVE_SUFFIX = ".keras"
_ARCHIVE_WEIGHTS = "model.weights.h5"  # the weights member of a .keras zip


class KerasWeightsError(ValueError):
    """A Keras weights file that cannot be read or does not fit the model."""


def is_keras_file(filepath: str) -> bool:
    return os.fspath(filepath).endswith((KERAS_WEIGHTS_SUFFIX, KERAS_ARCHIVE_SUFFIX))


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ImportError("reading and writing Keras weight files needs h5py (pip install h5py)") from None
    return h5py


# ---- import -------------------------------------------------------------------------------------------------
def _open_h5(filepath: str) -> Any:
    h5py = _h5py()
    if not os.path.isfile(filepath):
        raise FileNotFoundError(f"no Keras weights file at {filepath!r}")
    try:
        if filepath.endswith(KERAS_ARCHIVE_SUFFIX):
            with zipfile.ZipFile(filepath) as archive:
                if _ARCHIVE_WEIGHTS not in archive.namelist():
                    raise KerasWeightsError(f"{filepath!r} is a zip without {_ARCHIVE_WEIGHTS}: not a Keras 3 "
                                            f".keras file (it has {sorted(archive.namelist())[:10]})")
                data = archive.read(_ARCHIVE_WEIGHTS)
            return h5py.File(io.BytesIO(data), "r")
        return h5py.File(filepath, "r")
    except zipfile.BadZipFile:
        raise KerasWeightsError(f"{filepath!r} is not a .keras archive (not a zip file)") from None
    except OSError as e:
        raise KerasWeightsError(f"{filepath!r} is not a readable HDF5 weights file: {e}") from None


def _stored_layers(f: Any) -> dict[str, int]:
    """Group path -> number of arrays, for every layer group under ``layers/`` that holds weights."""
    h5py = _h5py()
    out: dict[str, int] = {}

    def visit(name: str, obj: Any) -> None:
        if name.endswith("/vars") and isinstance(obj, h5py.Group) and len(obj):
            out[name[:-len("/vars")]] = len(obj)
    if "layers" in f:
        f["layers"].visititems(lambda name, obj: visit("layers/" + name, obj))
    return out


def _describe(layer: Any) -> str:
    return f"layer {layer.name!r} ({type(layer).__name__})"


def import_keras_weights(model: Any, filepath: str, skip_mismatch: bool = False) -> None:
    """Loads a Keras 3 ``.keras`` or ``.weights.h5`` file into a model built like the Keras one.

    Layers are matched by structure (class and position, see ``keras_layout``), every weight by shape.
    Any mismatch raises KerasWeightsError naming the layer, the expected and the stored shapes, and
    nothing is assigned; ``skip_mismatch=True`` warns instead and loads the layers that fit."""
    filepath = os.fspath(filepath)
    if not model.outputs:
        raise ValueError(f"model {model.name!r} is not built yet: give it an Input before loading weights")
    with _open_h5(filepath) as f:
        stored = _stored_layers(f)
        weights, values, problems = [], [], []
        for path, layer, own in ((f"{path}/{sub}" if sub else path, layer, own)
                                 for path, layer, groups in model._keras_weight_layout() for sub, own in groups):
            count = stored.pop(path, 0)
            if count != len(own):
                problems.append(f"{_describe(layer)} at {path}: expects {len(own)} array(s) "
                                f"{[w.name for w in own]}, the file has {count}")
                continue
            if not own:
                continue
            group = f[path + "/vars"]
            found = [group.get(str(i)) for i in range(len(own))]
            if any(ds is None or not hasattr(ds, "shape") for ds in found):
                problems.append(f"{_describe(layer)} at {path}: arrays are not named 0..{len(own) - 1} "
                                f"(found {sorted(group)})")
                continue
            bad = [f"{w.name} expected {w.shape}, found {tuple(ds.shape)}" for w, ds in zip(own, found)
                   if tuple(ds.shape) != w.shape]
            if bad:
                problems.append(f"{_describe(layer)} at {path}: " + ", ".join(bad))
                continue
            weights += own
            values += [np.asarray(ds[()], dtype=w.dtype) for w, ds in zip(own, found)]
        problems += [f"the file has {n} array(s) at {path}, which no layer of the model matches"
                     for path, n in sorted(stored.items())]
        optimizer_state = _stored_optimizer_state(f)
    if problems:
        message = f"{filepath!r} does not fit model {model.name!r}: " + "; ".join(problems)
        if not skip_mismatch:
            raise KerasWeightsError(message)
        warnings.warn(message + " (skipped)", stacklevel=3)
    if weights:
        model.runtime.write_weights(weights, values)
    if optimizer_state is not None and model.optimizer is not None:
        model.optimizer.pending_state = optimizer_state  # written now if trained, else at the first fit
        model.runtime.write_pending_optimizer_state()


def _stored_optimizer_state(f: Any) -> list[np.ndarray] | None:
    group = f.get("optimizer/vars")
    if group is None or not len(group):
        return None
    found = [group.get(str(i)) for i in range(len(group))]
    if any(ds is None or not hasattr(ds, "shape") for ds in found):
        raise KerasWeightsError(f"optimizer arrays are not named 0..{len(group) - 1} (found {sorted(group)})")
    return [np.asarray(ds[()]) for ds in found]


# ---- export -------------------------------------------------------------------------------------------------
def export_keras_weights(model: Any, filepath: str) -> str:
    """Writes the model's weights as a Keras 3 ``.weights.h5`` that ``keras_model.load_weights`` reads
    into an equivalent Keras model, with the optimizer's state once it has some (Keras loads that into
    a built optimizer). Written beside the target and renamed into place."""
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if not filepath.endswith(KERAS_WEIGHTS_SUFFIX):
        raise ValueError(f"a Keras weights file name must end in {KERAS_WEIGHTS_SUFFIX!r}, got {filepath!r}")
    layout = model._keras_weight_layout()
    weights = [w for _, _, groups in layout for _, own in groups for w in own]
    values = iter(model.runtime.read_weights(weights)) if weights else iter(())
    optimizer_state = model.runtime.optimizer_state()
    with atomic_path(filepath) as tmp:
        with h5py.File(tmp, "w") as f:
            f.create_group("layers")
            for path, layer, groups in layout:
                f.create_group(path + "/vars").attrs["name"] = layer.name
                for sub, own in groups:
                    parts = sub.split("/") if sub else []
                    for depth in range(1, len(parts) + 1):  # Keras has a vars group for every object: cell/...
                        f.require_group("/".join([path, *parts[:depth], "vars"]))
                    group = f["/".join([path, *parts, "vars"])]
                    for i, _ in enumerate(own):
                        group[str(i)] = next(values)
            if optimizer_state is not None:
                group = f.create_group("optimizer/vars")
                group.attrs["name"] = model.optimizer.name
                for i, value in enumerate(optimizer_state):
                    group[str(i)] = value
            f.create_group("vars").attrs["name"] = model.name
    return filepath


__all__ = ["KerasWeightsError", "import_keras_weights", "export_keras_weights", "is_keras_file"]
