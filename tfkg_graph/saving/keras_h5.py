"""Keras 3 weight files: ``.keras`` / ``.weights.h5`` into a tfkg_graph model, and ``.weights.h5`` out.

Keras 3 keys weights by object structure, not by layer name: ``layers/<snake_case class>[_n]/vars/<i>``
with a counter per class in the order of ``model.layers``, nested models recursing
(``layers/sequential/layers/dense/vars/0``), each layer's variables in creation order with the trainable
ones first. We walk our model the same way, so a file moves between equivalent models in both
directions whatever the layers are named. Optimizer state is neither read nor written.
"""
from __future__ import annotations

import io
import os
import uuid
import warnings
import zipfile
from typing import Any, Iterator

import numpy as np

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


# ---- the structure Keras saves by -------------------------------------------------------------------------
def keras_layer_order(model: Any) -> list[Any]:
    """``model.layers`` in Keras' order: Sequential keeps its stack; a functional model sorts its layers
    (InputLayers included) by depth from the outputs, deepest first, ties by first visit in a depth-first
    walk from the outputs (``keras.src.ops.function.map_graph``)."""
    from ..layers.base import InputLayer
    from ..models.sequential import Sequential
    if isinstance(model, Sequential):
        return model.layers
    first_visit: dict[Any, int] = {}
    finished: set[int] = set()
    post_order: list[Any] = []

    def visit(tensor: Any) -> None:
        node = tensor.node
        if node.id in finished:
            return
        first_visit.setdefault(node.layer, len(first_visit))
        if not isinstance(node.layer, InputLayer):
            for parent in node.inputs:
                visit(parent)
        finished.add(node.id)
        post_order.append(node)

    for output in model.outputs:
        visit(output)
    node_depth: dict[int, int] = {}
    layer_depth: dict[Any, int] = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(node.id, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = node_depth[node.id] = depth
        for parent in node.inputs:
            node_depth[parent.node.id] = max(depth + 1, node_depth.get(parent.node.id, 0))
    for tensor in model.inputs:  # inputs the outputs do not use are still layers
        if tensor.node.layer not in layer_depth:
            layer_depth[tensor.node.layer], first_visit[tensor.node.layer] = 0, -1
    return sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_visit[layer]))


def _class_key(layer: Any) -> str:
    from ..layers.base import to_snake_case
    from ..models.model import Model
    return "functional" if type(layer) is Model else to_snake_case(type(layer).__name__)


def keras_layout(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(group path, layer) for every layer, nested models' layers included, as Keras names them."""
    from ..models.model import Model
    used: dict[str, int] = {}
    for layer in keras_layer_order(model):
        key = _class_key(layer)
        used[key] = used.get(key, -1) + 1
        path = f"{prefix}layers/{key}" + (f"_{used[key]}" if used[key] else "")
        yield path, layer
        if isinstance(layer, Model):
            yield from keras_layout(layer, path + "/")


def keras_weight_order(layer: Any) -> list[Any]:
    """A layer's own weights as Keras stores them: creation order, trainable-by-definition first (freezing
    a layer does not reorder them)."""
    own = layer._weights
    return [w for w in own if w._trainable] + [w for w in own if not w._trainable]


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
        for path, layer in keras_layout(model):
            own = keras_weight_order(layer)
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
    if problems:
        message = f"{filepath!r} does not fit model {model.name!r}: " + "; ".join(problems)
        if not skip_mismatch:
            raise KerasWeightsError(message)
        warnings.warn(message + " (skipped)", stacklevel=3)
    if weights:
        model.runtime.write_weights(weights, values)


# ---- export -------------------------------------------------------------------------------------------------
def export_keras_weights(model: Any, filepath: str) -> str:
    """Writes the model's weights as a Keras 3 ``.weights.h5`` that ``keras_model.load_weights`` reads
    into an equivalent Keras model. Written beside the target and renamed into place."""
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if not filepath.endswith(KERAS_WEIGHTS_SUFFIX):
        raise ValueError(f"a Keras weights file name must end in {KERAS_WEIGHTS_SUFFIX!r}, got {filepath!r}")
    layout = list(keras_layout(model))
    weights = [w for _, layer in layout for w in keras_weight_order(layer)]
    values = iter(model.runtime.read_weights(weights)) if weights else iter(())
    directory = os.path.dirname(os.path.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(filepath)}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with h5py.File(tmp, "w") as f:
            f.create_group("layers")
            for path, layer in layout:
                group = f.create_group(path + "/vars")
                group.attrs["name"] = layer.name
                for i, _ in enumerate(keras_weight_order(layer)):
                    group[str(i)] = next(values)
            f.create_group("vars").attrs["name"] = model.name
        os.replace(tmp, filepath)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return filepath


__all__ = ["KerasWeightsError", "import_keras_weights", "export_keras_weights", "keras_layout",
           "keras_layer_order", "keras_weight_order", "is_keras_file"]
