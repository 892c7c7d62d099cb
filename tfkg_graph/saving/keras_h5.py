"""Keras 3 weight files: ``.keras`` / ``.weights.h5`` into a tfkg_graph model, and ``.weights.h5`` out.

Keras 3 keys weights by object structure, not by layer name: ``layers/<snake_case class>[_n]/vars/<i>``
with a counter per class in the order of ``model.layers``, nested models recursing
(``layers/sequential/layers/dense/vars/0``), each layer's variables in creation order with the trainable
ones first. We walk our model the same way, so a file moves between equivalent models in both
directions whatever the layers are named. A compiled model's optimizer state goes to and comes from
``optimizer/vars/<i>``, Keras' ``optimizer.variables`` order (iterations, learning rate, slots per
trainable weight), so training resumes where the other framework left it.
"""
from __future__ import annotations

import io
import os
import warnings
import zipfile
from typing import Any, Iterator

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


# ---- the structure Keras saves by -------------------------------------------------------------------------
def keras_layer_order(model: Any) -> list[Any]:
    """``model.layers`` in Keras' order: Sequential keeps its stack; a functional model sorts its layers
    (InputLayers included) as ``keras_operations`` does."""
    from ..models.sequential import Sequential
    if isinstance(model, Sequential):
        return model.layers
    return [op for op in keras_operations(model, hidden_ops=False) if not isinstance(op, HiddenOp)]


class HiddenOp:
    """An op Keras 3 lists among a functional model's operations without it being a layer: the
    ``NotEqual`` computing ``Embedding(mask_zero=True)``'s mask, and the ops a merge layer combines masks
    with, when a later layer's call takes that mask as an argument. Each takes an ``_operations/<i>``
    index, so the layers after it shift. ``parents`` are layer Nodes or other HiddenOps."""

    def __init__(self, producer: Any, parents: list[Any] | None = None):
        self.producer = producer  # the Node whose compute_mask made the mask
        self.parents = parents if parents is not None else [t.node for t in producer.inputs]


def _merge_mask_ops(node: Any, input_masks: list[Any], made: dict[Any, HiddenOp]) -> HiddenOp:
    """The ops Keras 3's merge layers build their output mask with, as HiddenOps: elementwise merges
    ``logical_or`` the masks left to right; Concatenate takes ``ones_like`` of an unmasked input, or
    ``logical_or(expand_dims(mask), zeros_like(input))`` of a masked one, concatenates and reduces with
    ``any``."""
    from ..layers.merging import Concatenate
    if not isinstance(node.layer, Concatenate):
        ops = [made[m] for m in input_masks]
        result = ops[0]
        for op in ops[1:]:
            result = HiddenOp(node, [result, op])  # LogicalOr
        return result
    parts = []
    for tensor, mask in zip(node.inputs, input_masks):
        if mask is None:
            parts.append(HiddenOp(node, [tensor.node]))  # OnesLike
        else:
            expanded, zeros = HiddenOp(node, [made[mask]]), HiddenOp(node, [tensor.node])  # ExpandDims, ZerosLike
            parts.append(HiddenOp(node, [expanded, zeros]))  # LogicalOr
    return HiddenOp(node, [HiddenOp(node, parts)])  # Any(Concatenate(parts))


def _hidden_mask_ops(model: Any) -> dict[int, HiddenOp]:
    """Node id -> the HiddenOp whose mask that node's call receives. Found by replaying the model on
    placeholders in a scratch graph (only when some layer can create a mask: Embedding(mask_zero=True),
    Masking)."""
    from ..graph import Graph
    from ..graph.ops import constants
    from ..layers.base import flatten, get_keras_mask, map_structure
    from ..layers.core import Masking
    from ..layers.merging import _Merge
    if not any(getattr(layer, "mask_zero", False) or isinstance(layer, Masking) for layer in model.layers):
        return {}
    graph, made, consumed = Graph(), {}, {}

    def on_node(node: Any, args: Any, kwargs: dict[str, Any], outputs: list[Any]) -> None:
        first = args[0] if args else next(iter(kwargs.values()))
        incoming = [m for m in flatten(map_structure(get_keras_mask, first)) if m is not None]
        if incoming and node.layer._call_has_mask and kwargs.get("mask") is None and incoming[0] in made:
            consumed[node.id] = made[incoming[0]]
        for t in outputs:
            mask = get_keras_mask(t)
            if mask is None or mask in made or any(mask is m for m in incoming):
                continue
            if isinstance(node.layer, _Merge):
                made[mask] = _merge_mask_ops(node, [get_keras_mask(x) for x in first], made)
            elif isinstance(node.layer, Masking):  # Keras: any(not_equal(inputs, mask_value), -1)
                made[mask] = HiddenOp(node, [HiddenOp(node)])
            else:
                made[mask] = HiddenOp(node)

    with graph.as_default():
        model.run_graph([constants.placeholder(kt.dtype, kt.shape, graph=graph) for kt in model.inputs],
                        training=False, on_node=on_node)
    return consumed


def keras_operations(model: Any, hidden_ops: bool = True) -> list[Any]:
    """Keras 3's ``Functional._operations`` for our model (a Sequential's inner functional one): layers and
    HiddenOps sorted by depth from the outputs, deepest first, ties by first visit in a depth-first walk
    from the outputs (``keras.src.ops.function.map_graph``). Checkpoint paths index into this list."""
    from ..layers.base import InputLayer
    hidden = _hidden_mask_ops(model) if hidden_ops else {}

    def parents(item: Any) -> list[Any]:
        if isinstance(item, HiddenOp):
            return item.parents
        if isinstance(item.layer, InputLayer):
            return []
        extra = [hidden[item.id]] if item.id in hidden else []  # the mask argument comes after the inputs
        return [t.node for t in item.inputs] + extra

    def op(item: Any) -> Any:
        return item if isinstance(item, HiddenOp) else item.layer

    first_visit: dict[int, int] = {}
    ops: dict[int, Any] = {}
    finished: set[int] = set()
    post_order: list[Any] = []

    def visit(item: Any) -> None:
        if id(item) in finished:
            return
        ops.setdefault(id(op(item)), op(item))
        first_visit.setdefault(id(op(item)), len(first_visit))
        for parent in parents(item):
            visit(parent)
        finished.add(id(item))
        post_order.append(item)

    for output in model.outputs:
        visit(output.node)
    item_depth: dict[int, int] = {}
    op_depth: dict[int, int] = {}
    for item in reversed(post_order):
        depth = max(item_depth.setdefault(id(item), 0), op_depth.get(id(op(item)), 0))
        op_depth[id(op(item))] = item_depth[id(item)] = depth
        for parent in parents(item):
            item_depth[id(parent)] = max(depth + 1, item_depth.get(id(parent), 0))
    for tensor in model.inputs:  # inputs the outputs do not use are still layers
        layer = tensor.node.layer
        if id(layer) not in op_depth:
            ops[id(layer)], op_depth[id(layer)], first_visit[id(layer)] = layer, 0, -1
    return sorted(ops.values(), key=lambda o: (-op_depth[id(o)], first_visit[id(o)]))


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


def keras_weight_groups(layer: Any) -> list[tuple[str, list[Any]]]:
    """(sub-object path, weights) for each object Keras stores a layer's variables under: ``""`` for the
    layer itself, ``cell`` for a recurrent layer's cell, ``forward_layer/cell`` inside Bidirectional (from
    the layer's ``keras_weight_path``), each group in ``keras_weight_order``."""
    if not hasattr(layer, "keras_weight_path"):
        return [("", keras_weight_order(layer))]
    groups: dict[str, list[Any]] = {}
    for w in layer.weights:
        # a private sub-object (MultiHeadAttention's _query_dense) is filed under its public name
        sub = "/".join(part.lstrip("_") for part in layer.keras_weight_path(w).rpartition("/")[0].split("/"))
        groups.setdefault(sub, []).append(w)
    return [(sub, [w for w in ws if w._trainable] + [w for w in ws if not w._trainable])
            for sub, ws in groups.items()]


def _stored_weight_groups(model: Any) -> Iterator[tuple[str, Any, list[Any]]]:
    """(h5 group path without ``/vars``, layer, weights) for every object that holds variables in Keras."""
    for path, layer in keras_layout(model):
        for sub, weights in keras_weight_groups(layer):
            yield (f"{path}/{sub}" if sub else path), layer, weights


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
        for path, layer, own in _stored_weight_groups(model):
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
    layout = [(path, layer, keras_weight_groups(layer)) for path, layer in keras_layout(model)]
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


__all__ = ["HiddenOp", "KerasWeightsError", "import_keras_weights", "export_keras_weights", "keras_layout",
           "keras_layer_order", "keras_operations", "keras_weight_groups", "keras_weight_order", "is_keras_file"]
