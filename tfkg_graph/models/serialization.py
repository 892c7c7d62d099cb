"""get_config/from_config for functional models: layers with their inbound nodes (model-relative)."""
from __future__ import annotations

from typing import Any

from ..layers.base import InputLayer, KerasTensor, flatten, map_structure
from ..layers.registry import serialize
from ..saving.model_classes import deserialize as deserialize_layer
from ..saving.model_classes import is_model, is_sequential


def _serialize_layer(layer: Any) -> dict[str, Any]:
    if is_model(layer):
        name = "Sequential" if is_sequential(layer) else "Functional"
        return {"module": "tfkg_graph.models", "class_name": name, "config": layer.get_config()}
    return serialize(layer)


def functional_config(model: Any) -> dict[str, Any]:
    node_index = {}  # node id -> index among this model's calls of the layer
    per_layer: dict[str, list] = {}
    for node in model._node_order:
        calls = per_layer.setdefault(node.layer.name, [])
        node_index[node.id] = len(calls)
        calls.append(node)

    def ref(t: KerasTensor) -> list:
        return ["__keras_tensor__", t.node.layer.name, node_index[t.node.id], t.index]

    layers = []
    for layer in model.layers:
        entry = _serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": map_structure(lambda v: ref(v) if isinstance(v, KerasTensor) else v, list(node.args)),
             "kwargs": map_structure(lambda v: ref(v) if isinstance(v, KerasTensor) else v, node.kwargs)}
            for node in per_layer[layer.name] if node.args or node.kwargs]
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": map_structure(lambda t: ref(t)[1:], model._inputs_struct),
            "output_layers": map_structure(lambda t: ref(t)[1:], model._outputs_struct)}


def functional_from_config(cls: type, config: dict[str, Any], custom_objects: dict[str, Any] | None) -> Any:
    created = {entry["name"]: deserialize_layer(entry, custom_objects) for entry in config["layers"]}
    outputs: dict[tuple[str, int], Any] = {}
    for name, layer in created.items():
        if isinstance(layer, InputLayer):
            outputs[name, 0] = layer.output_tensor
    pending = [(entry["name"], i, call) for entry in config["layers"]
               for i, call in enumerate(entry.get("inbound_nodes", []))]

    def is_ref(v: Any) -> bool:
        return isinstance(v, list) and len(v) == 4 and v[0] == "__keras_tensor__"

    def ready(call: dict) -> bool:
        return all((r[1], r[2]) in outputs for r in _refs(call, is_ref))

    while pending:
        progress = [p for p in pending if ready(p[2])]
        if not progress:
            raise ValueError(f"model config has unresolved connections: {[p[0] for p in pending]}")
        for name, i, call in progress:
            resolve = (lambda v: _pick(outputs[v[1], v[2]], v[3]) if is_ref(v) else v)
            args = _map_refs(call["args"], is_ref, resolve)
            kwargs = _map_refs(call["kwargs"], is_ref, resolve)
            outputs[name, i] = created[name](*args, **kwargs)
            pending.remove((name, i, call))

    def tensor(r: list) -> Any:
        return _pick(outputs[r[0], r[1]], r[2])
    inputs = _map_refs(config["input_layers"], lambda v: isinstance(v, list) and len(v) == 3 and isinstance(v[0], str), tensor)
    outs = _map_refs(config["output_layers"], lambda v: isinstance(v, list) and len(v) == 3 and isinstance(v[0], str), tensor)
    return cls(inputs=inputs, outputs=outs, name=config["name"], trainable=config.get("trainable", True))


def _pick(outputs: Any, index: int) -> Any:
    return flatten(outputs)[index]


def _refs(structure: Any, is_ref: Any) -> list:
    if is_ref(structure):
        return [structure]
    if isinstance(structure, (list, tuple)):
        return [r for item in structure for r in _refs(item, is_ref)]
    if isinstance(structure, dict):
        return [r for value in structure.values() for r in _refs(value, is_ref)]
    return []


def _map_refs(structure: Any, is_ref: Any, fn: Any) -> Any:
    if is_ref(structure):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return [_map_refs(item, is_ref, fn) for item in structure]
    if isinstance(structure, dict):
        return {k: _map_refs(v, is_ref, fn) for k, v in structure.items()}
    return structure
