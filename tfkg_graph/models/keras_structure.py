"""What Keras 3 keys a model's weights by: its operation order (``Functional._operations``, hidden mask ops
included), layer paths in weight files (``layers/dense_1/vars/0``) and checkpoint object paths
(``_operations/3/_kernel``). The model walks itself here; tfkg_graph.saving reads and writes the files
with what these functions give (through ``Functional._keras_weight_layout``/``_keras_object_paths``).
"""
from __future__ import annotations

from typing import Any, Iterator

from ..graph import Graph
from ..graph.ops import constants
from ..layers.base import InputLayer, flatten, get_keras_mask, map_structure, to_snake_case
from ..layers.core import Masking
from ..layers.merging import Concatenate, _Merge
from ..saving.model_classes import is_model, is_sequential, model_class

_KERAS_PRIVATE = {"kernel": "_kernel", "embeddings": "_embeddings"}  # Keras 3 stores these as _attr


def keras_layer_order(model: Any) -> list[Any]:
    """``model.layers`` in Keras' order: Sequential keeps its stack; a functional model sorts its layers
    (InputLayers included) as ``keras_operations`` does."""
    if is_sequential(model):
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
    return "functional" if type(layer) is model_class("Functional") else to_snake_case(type(layer).__name__)


def keras_layout(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(group path, layer) for every layer, nested models' layers included, as Keras names them."""
    used: dict[str, int] = {}
    for layer in keras_layer_order(model):
        key = _class_key(layer)
        used[key] = used.get(key, -1) + 1
        path = f"{prefix}layers/{key}" + (f"_{used[key]}" if used[key] else "")
        yield path, layer
        if is_model(layer):
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


def weight_layout(model: Any) -> list[tuple[str, Any, list[tuple[str, list[Any]]]]]:
    """(layer path, layer, [(sub-object path, weights)]) for every layer as Keras' weight files hold them:
    what saving's ``.weights.h5`` reader and writer walk."""
    return [(path, layer, keras_weight_groups(layer)) for path, layer in keras_layout(model)]


def keras_object_paths(model: Any) -> dict[str, list[str]]:
    """Variable name -> the path Keras 3 tracks the same weight under in an equivalent model."""
    prefix = "_functional/_operations" if is_sequential(model) else "_operations"
    out: dict[str, list[str]] = {}
    for i, layer in enumerate(keras_operations(model)):  # Keras' order, hidden mask ops included
        for w in getattr(layer, "weights", ()):
            attr = (layer.keras_weight_path(w) if hasattr(layer, "keras_weight_path")  # nested: rnn cells
                    else w.name)
            if not hasattr(w.layer, "keras_weight_path") and not getattr(layer, "keras_weight_paths_exact", False):
                # a plain layer's attribute (also inside a wrapper; an RNN's cell paths are already exact)
                head, _, leaf = attr.rpartition("/")
                attr = (head + "/" if head else "") + _KERAS_PRIVATE.get(leaf, leaf)
            out[w.path] = [f"{prefix}/{i}/{attr}"]
    return out
