"""The ``summary`` command: kind, versions, parts, inputs, likely outputs, variables, signatures,
functions, unknown and unsafe ops, and the Keras-style layer table of a model directory."""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Iterable

from ..graph import opdefs
from ..runtime import protos
from ..runtime.session import GraphHandle
from ..saving.bundle import CheckpointIndex
from ..saving.safety import SAFE_OPS, UnsafeGraphError, check_graph_def
from .load import Artifact
from .loops import loop_tree
from .views import (NO_OUTPUT_OPS, NOT_OUTPUTS, OUTPUT_PARTS, PLACEHOLDER_OPS, VARIABLE_OPS, GraphView,
                    dtype_name, parse_input, part_of, shape_list)


def op_registry() -> tuple[dict[str, Any] | None, str | None]:
    """The installed TF's OpDefs, or (None, why not) when the C library cannot be loaded."""
    try:
        return opdefs.registry(), None
    except (ImportError, OSError) as e:
        return None, f"op registry unavailable ({e}); unknown-op check skipped"


def safe_loading_verdict(art: Artifact) -> str:
    """What the loader's own check says: "passes" or its refusal. Unlike the bare allowlist it admits
    SaveV2/RestoreV2 that only touch the SaverDef's filename."""
    try:
        check_graph_def(art.graph_def, art.meta_graph.saver_def if art.meta_graph is not None else None)
    except UnsafeGraphError as e:
        return f"refuses: {e}"
    return "passes"


def _all_op_types(graph: GraphView) -> Counter:
    ops = Counter(n.op for n in graph.graph_def.node)
    for fn in graph.functions.values():
        ops.update(n.op for n in fn.node_def)
    return ops


def summarize(art: Artifact) -> dict[str, Any]:
    """Everything the ``summary`` command reports, as JSON-able data."""
    out: dict[str, Any] = {"path": art.path, "kind": art.kind, "notes": list(art.notes)}
    if art.checkpoint is not None:
        out["checkpoint"] = _checkpoint_summary(art.checkpoint)
    if art.graph_def is None:
        return out
    g = art.graph
    registry, why = op_registry()
    if why:
        out["notes"].append(why)
    versions = art.graph_def.versions
    out.update(producer=versions.producer, min_consumer=versions.min_consumer)
    if art.meta_graph is not None:
        info = art.meta_graph.meta_info_def
        out.update(tags=list(info.tags), tensorflow_version=info.tensorflow_version or None)
    out["nodes"] = len(g.nodes)
    out["op_types"] = dict(Counter(n.op for n in art.graph_def.node).most_common())
    out["parts"] = dict(Counter(part_of(n) for n in g.nodes).most_common())
    out["inputs"] = [{"name": n.name, "op": n.op, "dtype": dtype_name(n.attr["dtype"].type),
                      "shape": shape_list(n.attr["shape"].shape) if "shape" in n.attr else None}
                     for n in art.graph_def.node if n.op in PLACEHOLDER_OPS]
    out["outputs"] = [{"name": n.name, "op": n.op, "part": part_of(n.name)}
                      for n in art.graph_def.node if _likely_output(g, n, registry)]
    out["variables"] = _variables(art)
    out["parameters"] = sum(v["size"] or 0 for v in out["variables"])
    out["signatures"] = _signatures(art.meta_graph)
    out["functions"] = [_function_summary(f) for f in g.functions.values()]
    all_ops = _all_op_types(g)
    out["loops"] = loop_tree(g)
    out["function_op_types"] = dict((all_ops - Counter(n.op for n in art.graph_def.node)).most_common())
    real_ops = set(all_ops) - set(g.functions)  # a node may call a library function by name
    out["unknown_ops"] = None if registry is None else sorted(real_ops - set(registry))
    out["unsafe_ops"] = sorted(real_ops - SAFE_OPS)
    out["safe_loading"] = safe_loading_verdict(art)
    if art.model_config is not None:
        out["layers"] = _layer_summary(art)
    return out


def _likely_output(g: GraphView, node: Any, registry: dict | None) -> bool:
    """A forward, loss or metrics node that no node of its own part consumes: in a training graph the
    logits (read by loss/ and gradients/) and the loss count; dangling gradient ops do not."""
    part = part_of(node.name)
    if node.op in NOT_OUTPUTS or part not in OUTPUT_PARTS:
        return False
    if any(part_of(c) == part for c in g.consumers.get(node.name, [])):
        return False
    if registry is not None and node.op in registry:
        return bool(registry[node.op].output_arg)
    return node.op not in NO_OUTPUT_OPS


def _trainable_names(meta: Any) -> set[str] | None:
    if meta is None or "trainable_variables" not in meta.collection_def:
        return None
    names = set()
    for raw in meta.collection_def["trainable_variables"].bytes_list.value:
        names.add(parse_input(protos.VariableDef.FromString(raw).variable_name)[0])
    return names


def _variables(art: Artifact) -> list[dict[str, Any]]:
    trainable = _trainable_names(art.meta_graph)
    in_checkpoint = {t.name: t for t in art.checkpoint.tensors} if art.checkpoint else {}
    out = []
    for node in art.graph_def.node:
        if node.op not in VARIABLE_OPS:
            continue
        shape = shape_list(node.attr["shape"].shape)
        var = {"name": node.name, "dtype": dtype_name(node.attr["dtype"].type), "shape": shape,
               "size": None if shape is None or None in shape else math.prod(shape), "part": part_of(node.name),
               "trainable": None if trainable is None else node.name in trainable}
        saved = in_checkpoint.get(node.name) or in_checkpoint.get(node.name + "/.ATTRIBUTES/VARIABLE_VALUE")
        if saved is not None:
            var["checkpoint"] = {"key": saved.name, "dtype": dtype_name(saved.dtype), "shape": list(saved.shape)}
            if var["size"] is None:
                var["size"] = math.prod(saved.shape)
        out.append(var)
    return out


def _checkpoint_summary(ckpt: CheckpointIndex) -> dict[str, Any]:
    return {"index": ckpt.path, "num_shards": ckpt.num_shards, "producer": ckpt.producer,
            "tensors": [{"name": t.name, "dtype": dtype_name(t.dtype), "shape": list(t.shape),
                         "size": math.prod(t.shape)} for t in ckpt.tensors]}


def _tensor_info(info: Any) -> dict[str, Any]:
    return {"name": info.name, "dtype": dtype_name(info.dtype), "shape": shape_list(info.tensor_shape)}


def _signatures(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    return {key: {"method_name": sig.method_name,
                  "inputs": {k: _tensor_info(v) for k, v in sorted(sig.inputs.items())},
                  "outputs": {k: _tensor_info(v) for k, v in sorted(sig.outputs.items())}}
            for key, sig in sorted(meta.signature_def.items())}


def _function_summary(fn: Any) -> dict[str, Any]:
    def args(arg_defs: Any) -> list[str]:
        return [f"{a.name}:{dtype_name(a.type) if a.type else a.type_attr or a.type_list_attr}" for a in arg_defs]
    return {"name": fn.signature.name, "nodes": len(fn.node_def), "inputs": args(fn.signature.input_arg),
            "outputs": args(fn.signature.output_arg), "op_types": dict(Counter(n.op for n in fn.node_def))}


def _config_layers(config: Any) -> list[dict]:
    """The first list of Keras-style layer configs found in a model config, depth first."""
    if isinstance(config, dict):
        layers = config.get("layers")
        if isinstance(layers, list) and all(isinstance(x, dict) and "class_name" in x for x in layers):
            return layers
        children: Iterable = config.values()
    elif isinstance(config, list):
        children = config
    else:
        return []
    for child in children:
        if found := _config_layers(child):
            return found
    return []


def _layer_summary(art: Artifact) -> list[dict[str, Any]]:
    """Keras' model.summary() table: layers from the config, parameters from the graph's variables."""
    variables = [v for v in _variables(art) if v["part"] == "forward"]
    rows = []
    for layer in _config_layers(art.model_config):
        if layer["class_name"] == "InputLayer":
            continue
        name = layer.get("config", {}).get("name") or layer.get("name")
        own = [v for v in variables if v["name"].startswith(f"{name}/")]
        known = [v for v in own if v["trainable"] is not None]
        rows.append({"name": name, "type": layer["class_name"], "output": _layer_output(art.graph, name),
                     "params": sum(v["size"] or 0 for v in own),
                     "trainable_params": sum(v["size"] or 0 for v in known if v["trainable"]) if known else None})
    shapes = _inferred_shapes(art, [r["output"] for r in rows if r["output"]])
    for row in rows:
        row["output_shape"] = shapes.get(row["output"])
    return rows


def _layer_output(g: GraphView, scope: str) -> str | None:
    """The last node of the layer scope whose value leaves the layer in the forward/loss/metrics parts."""
    variables = tuple(n.name + "/" for n in g.nodes.values() if n.op in VARIABLE_OPS)
    inside = [n for n in g.nodes.values() if n.name.startswith(scope + "/") and not n.name.startswith(variables)
              and n.op not in NOT_OUTPUTS | NO_OUTPUT_OPS]  # initializers live under the variable's name
    leaving = [n for n in inside if any(not c.startswith(scope + "/") and part_of(c) in OUTPUT_PARTS
                                        for c in g.consumers.get(n.name, []))]
    chosen = (leaving or inside)[-1:] if inside else []
    return chosen[0].name + ":0" if chosen else None


def _inferred_shapes(art: Artifact, names: list[str]) -> dict[str, Any]:
    """Static shapes from ``_output_shapes`` attrs or, failing that, TF's shape inference on import
    (the C library builds the graph; nothing runs)."""
    out = {}
    for name in names:
        node = art.graph.nodes[parse_input(name)[0]]
        if "_output_shapes" in node.attr:
            out[name] = shape_list(node.attr["_output_shapes"].list.shape[parse_input(name)[1]])
    missing = [n for n in names if n not in out]
    if missing:
        try:
            handle = GraphHandle(art.graph_def)
            for name in missing:
                shape = handle.spec(name).shape
                out[name] = None if shape is None else list(shape)
        except Exception as e:  # no C library, or TF rejects the graph: shapes stay unknown
            art.notes.append(f"layer output shapes unknown: {str(e).splitlines()[0]}")
    return out
