"""tfkg-inspect: look inside GraphDefs, SavedModels, checkpoints and tfkg_graph model directories.

Nothing is executed and TensorFlow's Python package is never imported: files are parsed with our own
protos (``tfkg_graph.runtime.protos``) and checkpoint indexes with ``tfkg_graph.saving.bundle``. The
installed TF's op registry (through the C library) is used only to flag unknown ops; without the
library the tool still works and says so.

Commands: ``summary`` (default), ``node``, ``find``, ``subgraph``, ``dot``, ``svg``, ``diff``; ``--json``
on each. Exit codes: 0 fine, 1 ``diff`` found differences, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import math
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Sequence

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from tfkg_graph.runtime import dtypes, protos
from tfkg_graph.saving.safety import SAFE_OPS, UnsafeGraphError, check_graph_def
from tfkg_graph.saving.bundle import CheckpointError as CheckpointIndexError
from tfkg_graph.saving.bundle import CheckpointIndex, index_path, parse_index as read_index

PROG = "tfkg-inspect"
MODEL_CONFIG = "tfkg_model.json"
VARIABLE_OPS = {"VarHandleOp", "VariableV2", "Variable"}
PLACEHOLDER_OPS = {"Placeholder", "PlaceholderWithDefault"}
NOT_OUTPUTS = VARIABLE_OPS | PLACEHOLDER_OPS | {"Const"}
# Output-less ops, for when the op registry is unavailable (with it, OpDefs decide).
NO_OUTPUT_OPS = {"NoOp", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp", "SaveV2",
                 "MergeV2Checkpoints", "DestroyResourceOp", "ResourceApplyGradientDescent"}
# Top-level name scopes our builder gives meaning to (docs/design.md); everything else is forward.
SCOPE_PARTS = {"gradients": "gradient", "optimizer": "optimizer", "loss": "loss", "metrics": "metrics",
               "save": "save", "init": "init"}
OUTPUT_PARTS = ("forward", "loss", "metrics")
PART_COLORS = {"forward": "#cfe2f3", "gradient": "#f4cccc", "optimizer": "#fce5cd", "loss": "#fff2cc",
               "metrics": "#d9ead3", "save": "#eeeeee", "init": "#eeeeee"}


class InspectError(ValueError):
    """Input the tool cannot read: reported as one line and exit code 2."""


# ---- loading ------------------------------------------------------------------------------------
@dataclass
class Artifact:
    """What a path holds: a graph (maybe inside a MetaGraphDef), a checkpoint index, a model config."""

    path: str
    kind: str  # "GraphDef", "MetaGraphDef", "SavedModel", "tfkg_graph model", "checkpoint"
    graph_def: Any = None
    meta_graph: Any = None
    checkpoint: CheckpointIndex | None = None
    model_config: dict | None = None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def graph(self) -> "GraphView":
        if self.graph_def is None:
            raise InspectError(f"{self.path} is a {self.kind} and holds no graph")
        return GraphView(self.graph_def)


def load(path: str | Path, tag: str | None = None) -> Artifact:
    """Reads any supported artifact; ``tag`` picks a MetaGraphDef (comma-separated tags)."""
    p = Path(path)
    if p.is_dir():
        return _load_dir(p, tag)
    if p.name.endswith(".index") or (not p.exists() and Path(index_path(p)).exists()):
        return Artifact(str(p), "checkpoint", checkpoint=_read_checkpoint(p))
    if not p.exists():
        raise InspectError(f"{p}: no such file or directory")
    if p.name in ("saved_model.pb", "saved_model.pbtxt"):
        return _load_dir(p.parent, tag)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InspectError(f"{p}: cannot read: {e.strerror}") from None
    if p.suffix == ".meta":
        meta = _parse(data, protos.MetaGraphDef, p)
        return Artifact(str(p), "MetaGraphDef", _checked_graph(meta.graph_def, p), meta)
    return Artifact(str(p), "GraphDef", _checked_graph(_parse(data, protos.GraphDef, p), p))


def _read_checkpoint(prefix: Path) -> CheckpointIndex:
    try:
        return read_index(prefix)
    except CheckpointIndexError as e:
        raise InspectError(str(e)) from None


def _parse(data: bytes, cls: type, path: Path) -> Any:
    """Binary first, then text format (TF's .pbtxt); fields newer than our schema are tolerated."""
    try:
        return cls.FromString(data)
    except (DecodeError, RuntimeError, ValueError):
        pass
    try:
        return text_format.Parse(data.decode("utf-8"), cls(), allow_unknown_field=True)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        detail = "" if isinstance(e, UnicodeDecodeError) else f" (text parse: {str(e).splitlines()[0]})"
        raise InspectError(f"{path}: not a {cls.DESCRIPTOR.name}, binary or text{detail}") from None


_NODE_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")


def _checked_graph(graph_def: Any, path: Path) -> Any:
    """A parse can 'succeed' on bytes that were never a graph; real graphs have named, typed nodes."""
    if not graph_def.node and not graph_def.library.function:
        raise InspectError(f"{path}: not a GraphDef (no nodes and no functions)")
    for node in graph_def.node:
        if not node.op or not _NODE_NAME.match(node.name):
            raise InspectError(f"{path}: not a GraphDef (node {node.name!r} has no valid name or op)")
    return graph_def


def _load_dir(d: Path, tag: str | None) -> Artifact:
    for name in ("saved_model.pb", "saved_model.pbtxt"):
        if (d / name).exists():
            return _load_saved_model(d, d / name, tag)
    state = d / "checkpoint"
    if state.exists():
        ckpt = _parse(state.read_bytes(), protos.CheckpointState, state)
        prefix = Path(ckpt.model_checkpoint_path)
        return Artifact(str(d), "checkpoint", checkpoint=_read_checkpoint(prefix if prefix.is_absolute()
                                                                           else d / prefix))
    indexes = sorted(d.glob("*.index"))
    if len(indexes) == 1:
        return Artifact(str(d), "checkpoint", checkpoint=_read_checkpoint(indexes[0]))
    raise InspectError(f"{d}: not a SavedModel, model or checkpoint directory (no saved_model.pb, "
                       "no 'checkpoint' file, no single *.index)")


def _load_saved_model(d: Path, file: Path, tag: str | None) -> Artifact:
    saved = _parse(file.read_bytes(), protos.SavedModel, file)
    if not saved.meta_graphs:
        raise InspectError(f"{file}: a SavedModel without MetaGraphDefs")
    meta = _pick_meta_graph(saved.meta_graphs, tag, file)
    art = Artifact(str(d), "SavedModel", _checked_graph(meta.graph_def, file), meta)
    if len(saved.meta_graphs) > 1:
        art.notes.append("meta graphs (tags): " + "; ".join(",".join(m.meta_info_def.tags) or "-"
                                                            for m in saved.meta_graphs))
    variables = d / "variables" / "variables.index"
    if variables.exists():
        art.checkpoint = _read_checkpoint(variables)
    config = d / MODEL_CONFIG
    if config.exists():
        art.kind = "tfkg_graph model"
        try:
            art.model_config = json.loads(config.read_text())
        except (OSError, ValueError) as e:
            raise InspectError(f"{config}: not readable JSON ({e})") from None
    return art


def _pick_meta_graph(metas: Sequence[Any], tag: str | None, file: Path) -> Any:
    if tag:
        wanted = set(tag.split(","))
        for meta in metas:
            if wanted <= set(meta.meta_info_def.tags):
                return meta
        raise InspectError(f"{file}: no MetaGraphDef with tags {sorted(wanted)}")
    return next((m for m in metas if "serve" in m.meta_info_def.tags), metas[0])


# ---- graph structure ----------------------------------------------------------------------------
def parse_input(spec: str) -> tuple[str, int, bool]:
    """'^init' -> ('init', -1, True); 'dense/MatMul:1' -> ('dense/MatMul', 1, False); function-body
    inputs 'node:out_arg:2' -> ('node', 2, False)."""
    if spec.startswith("^"):
        return spec[1:], -1, True
    parts = spec.split(":")
    index = int(parts[-1]) if len(parts) > 1 and parts[-1].isdigit() else 0
    return parts[0], index, False


def part_of(name: str) -> str:
    """forward / gradient / optimizer / loss / metrics / save / init, by top-level name scope."""
    top = re.sub(r"_\d+$", "", name.split("/", 1)[0])
    return SCOPE_PARTS.get(top, "forward")


class GraphView:
    """A GraphDef with name lookup and consumer lists (data and control edges)."""

    def __init__(self, graph_def: Any):
        self.graph_def = graph_def
        self.nodes = {n.name: n for n in graph_def.node}
        self.order = {n.name: i for i, n in enumerate(graph_def.node)}
        self.consumers: dict[str, list[str]] = defaultdict(list)
        for node in graph_def.node:
            for spec in node.input:
                self.consumers[parse_input(spec)[0]].append(node.name)
        self.functions = {f.signature.name: f for f in graph_def.library.function}

    def node(self, name: str) -> Any:
        try:
            return self.nodes[parse_input(name)[0]]
        except KeyError:
            raise InspectError(f"no node named {name!r} in the graph") from None

    def closure(self, fetches: Iterable[str]) -> list[str]:
        """Every node a fetch depends on (data and control inputs), in graph order."""
        stack = [self.node(f).name for f in fetches]
        seen = set(stack)
        while stack:
            for spec in self.nodes[stack.pop()].input:
                src = parse_input(spec)[0]
                if src in self.nodes and src not in seen:
                    seen.add(src)
                    stack.append(src)
        return sorted(seen, key=self.order.__getitem__)


# ---- rendering values ---------------------------------------------------------------------------
def dtype_name(dtype: int) -> str:
    if dtype > 100:
        return dtype_name(dtype - 100) + "_ref"
    if dtype in dtypes.NAMES:
        return dtypes.NAMES[dtype]
    enum = protos.DataType.values_by_number.get(dtype)
    return enum.name[3:].lower() if enum else f"DataType({dtype})"


def shape_list(proto: Any) -> list[int | None] | None:
    if proto.unknown_rank:
        return None
    return [None if d.size < 0 else d.size for d in proto.dim]


def shape_text(shape: Sequence[int | None] | None) -> str:
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _tensor_value(t: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"dtype": dtype_name(t.dtype), "shape": shape_list(t.tensor_shape)}
    if math.prod(d.size for d in t.tensor_shape.dim) <= 10:
        try:
            from tfkg_graph.graph.ops.constants import tensor_proto_to_numpy
            value = tensor_proto_to_numpy(t)
            out["value"] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                            for v in value.reshape(-1).tolist()]
        except (TypeError, ValueError, KeyError):
            pass  # dtypes without a numpy form (resource, variant, quantized): dtype and shape only
    return out


def attr_value(attr: Any) -> Any:
    """An AttrValue as plain JSON-able data."""
    kind = attr.WhichOneof("value")
    if kind == "list":
        lst = attr.list
        for name, conv in (("s", _text), ("i", int), ("f", float), ("b", bool), ("type", dtype_name),
                           ("shape", shape_list), ("tensor", _tensor_value), ("func", lambda f: f.name)):
            if len(getattr(lst, name)):
                return [conv(v) for v in getattr(lst, name)]
        return []
    value = getattr(attr, kind) if kind else None
    return {"s": _text, "type": dtype_name, "shape": shape_list, "tensor": _tensor_value,
            "func": lambda f: f.name, "placeholder": lambda p: "$" + p}.get(kind, lambda v: v)(value)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return repr(raw)


def _fmt_attr(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


# ---- op registry and safe loading ------------------------------------------------------------------
def op_registry() -> tuple[dict[str, Any] | None, str | None]:
    """The installed TF's OpDefs, or (None, why not) when the C library cannot be loaded."""
    try:
        from tfkg_graph.graph import opdefs
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


# ---- summary ------------------------------------------------------------------------------------
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
            from tfkg_graph.runtime.session import GraphHandle
            handle = GraphHandle(art.graph_def)
            for name in missing:
                shape = handle.spec(name).shape
                out[name] = None if shape is None else list(shape)
        except Exception as e:  # no C library, or TF rejects the graph: shapes stay unknown
            art.notes.append(f"layer output shapes unknown: {str(e).splitlines()[0]}")
    return out


# ---- node / find / subgraph ---------------------------------------------------------------------
def _node_dict(node: Any, consumers: list[str] | None, function: str | None = None) -> dict[str, Any]:
    inputs = []
    for spec in node.input:
        src, index, control = parse_input(spec)
        inputs.append({"name": src, "index": index, "control": control})
    out = {"name": node.name, "op": node.op, "device": node.device, "function": function,
           "part": part_of(node.name) if function is None else None, "inputs": inputs,
           "attrs": {k: attr_value(v) for k, v in sorted(node.attr.items())}}
    if consumers is not None:
        out["consumers"] = sorted(set(consumers))
    return out


def node_info(art: Artifact, name: str, function: str | None = None) -> dict[str, Any]:
    """One node's op, device, inputs, consumers and attrs; looks in function bodies when not in the graph."""
    g = art.graph
    if function is None and parse_input(name)[0] in g.nodes:
        node = g.node(name)
        return _node_dict(node, g.consumers.get(node.name, []))
    for fn_name, fn in g.functions.items():
        if function not in (None, fn_name):
            continue
        body = {n.name: n for n in fn.node_def}
        if name in body:
            users = [n.name for n in fn.node_def if any(parse_input(s)[0] == name for s in n.input)]
            return _node_dict(body[name], users, fn_name)
    where = f"function {function!r}" if function else "the graph or its functions"
    raise InspectError(f"no node named {name!r} in {where}")


def find_nodes(art: Artifact, op: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    """Nodes (graph and function bodies) whose op type equals ``op`` and whose name matches ``name``."""
    try:
        pattern = re.compile(name) if name else None
    except re.error as e:
        raise InspectError(f"bad --name regular expression {name!r}: {e}") from None
    g = art.graph
    bodies = [(None, art.graph_def.node)] + [(f, fn.node_def) for f, fn in g.functions.items()]
    return [{"name": n.name, "op": n.op, "function": fn, "device": n.device}
            for fn, nodes in bodies for n in nodes
            if (op is None or n.op == op) and (pattern is None or pattern.search(n.name))]


def subgraph(art: Artifact, fetches: Sequence[str]) -> dict[str, Any]:
    """What the fetches depend on, split by part (forward / gradient / optimizer / ...)."""
    g = art.graph
    names = g.closure(fetches)
    parts: dict[str, list[str]] = defaultdict(list)
    for n in names:
        parts[part_of(n)].append(n)
    nodes = [g.nodes[n] for n in names]
    return {"fetches": list(fetches), "nodes": len(names),
            "parts": {p: parts[p] for p in PART_COLORS if p in parts},
            "feeds": [n.name for n in nodes if n.op in PLACEHOLDER_OPS],
            "variables": [n.name for n in nodes if n.op in VARIABLE_OPS]}


# ---- DOT / SVG ----------------------------------------------------------------------------------
def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*lines: str) -> str:
    """A multi-line DOT label (DOT's own \\n escape between lines)."""
    return '"' + "\\n".join(_q(line)[1:-1] for line in lines) + '"'


def to_dot(art: Artifact, expand: bool = False, fetches: Sequence[str] | None = None) -> str:
    """Graphviz DOT. Collapsed (default): one box per top-level name scope, so a model reads as
    inputs -> layers -> loss -> gradients -> optimizer. ``expand``: every node, nested scope clusters."""
    g = art.graph
    names = g.closure(fetches) if fetches else [n.name for n in art.graph_def.node]
    keep = set(names)
    group = (lambda n: n) if expand else (lambda n: n.split("/", 1)[0])
    members: dict[str, list[str]] = defaultdict(list)
    for n in names:
        members[group(n)].append(n)
    lines = ["digraph G {", '  rankdir=TB; fontname="Helvetica";', '  node [shape=box, style="rounded,filled", fontname="Helvetica", '
             'fontsize=10];', '  edge [color="#555555"];']
    if expand:
        _dot_clusters(lines, g, names)
    else:
        for key, nodes in members.items():
            first = g.nodes[nodes[0]]
            label = _label(key, first.op if len(nodes) == 1 else f"{len(nodes)} ops")
            lines.append(f"  {_q(key)} [{_node_style(first, key, label)}];")
    edges: dict[tuple[str, str], bool] = {}
    for n in names:
        for spec in g.nodes[n].input:
            src, _, control = parse_input(spec)
            if src not in keep or group(src) == group(n):
                continue
            key = (group(src), group(n))
            edges[key] = edges.get(key, True) and control  # data wins over control
    for (a, b), control in edges.items():
        lines.append(f"  {_q(a)} -> {_q(b)}" + (" [style=dashed];" if control else ";"))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_style(node: Any, name: str, label: str) -> str:
    shape = ', shape=invhouse' if node.op in PLACEHOLDER_OPS else (', shape=cylinder' if node.op in VARIABLE_OPS
                                                                   else "")
    return f'label={label}, fillcolor="{PART_COLORS[part_of(name)]}"{shape}'


def _dot_clusters(lines: list[str], g: GraphView, names: list[str]) -> None:
    """Nodes nested in one cluster per name scope."""
    tree: dict = {}
    for n in names:
        branch = tree
        for scope in n.split("/")[:-1]:
            branch = branch.setdefault(scope + "/", {})
        branch.setdefault("", []).append(n)

    def emit(branch: dict, prefix: str, depth: int) -> None:
        pad = "  " * depth
        for n in branch.get("", []):
            node = g.nodes[n]
            short = n.rsplit("/", 1)[-1]
            label = _label(short) if short == node.op else _label(short, node.op)
            lines.append(f"{pad}{_q(n)} [{_node_style(node, n, label)}];")
        for scope, sub in branch.items():
            if scope:
                full = prefix + scope
                lines.append(f"{pad}subgraph {_q('cluster_' + full)} {{ label={_q(full[:-1])}; style=rounded;")
                emit(sub, full, depth + 1)
                lines.append(pad + "}")
    emit(tree, "", 1)


def dot_available() -> str | None:
    return shutil.which("dot")


def to_svg(dot_text: str) -> str:
    """Renders DOT with Graphviz's ``dot`` (the `graphviz` Debian package)."""
    exe = dot_available()
    if exe is None:
        raise InspectError("Graphviz `dot` is not on PATH: install it (apt-get install graphviz) or use the "
                           "`dot` command and render the DOT elsewhere")
    done = subprocess.run([exe, "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise InspectError(f"dot failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return done.stdout


# ---- diff ---------------------------------------------------------------------------------------
def _diff_nodes(a_nodes: Iterable[Any], b_nodes: Iterable[Any]) -> dict[str, Any]:
    a = {n.name: n for n in a_nodes}
    b = {n.name: n for n in b_nodes}
    changed = {}
    for name in sorted(a.keys() & b.keys()):
        na, nb = a[name], b[name]
        if protos.to_bytes(na) == protos.to_bytes(nb):
            continue
        change: dict[str, Any] = {}
        for fld in ("op", "device"):
            if getattr(na, fld) != getattr(nb, fld):
                change[fld] = [getattr(na, fld), getattr(nb, fld)]
        if list(na.input) != list(nb.input):
            change["inputs"] = [list(na.input), list(nb.input)]
        attrs = {"added": {k: attr_value(nb.attr[k]) for k in sorted(nb.attr.keys() - na.attr.keys())},
                 "removed": {k: attr_value(na.attr[k]) for k in sorted(na.attr.keys() - nb.attr.keys())},
                 "changed": {k: [attr_value(na.attr[k]), attr_value(nb.attr[k])]
                             for k in sorted(na.attr.keys() & nb.attr.keys())
                             if protos.to_bytes(na.attr[k]) != protos.to_bytes(nb.attr[k])}}
        if any(attrs.values()):
            change["attrs"] = {k: v for k, v in attrs.items() if v}
        changed[name] = change or {"other": "fields outside name/op/inputs/device/attrs differ"}
    return {"added": sorted(b.keys() - a.keys()), "removed": sorted(a.keys() - b.keys()), "changed": changed}


def diff(a: Artifact, b: Artifact) -> dict[str, Any]:
    """Nodes and functions added, removed and changed from ``a`` to ``b``. The producer version is
    reported but does not count as a difference (it changes with every TF release)."""
    ga, gb = a.graph, b.graph
    nodes = _diff_nodes(a.graph_def.node, b.graph_def.node)
    fns_changed = {}
    for name in sorted(ga.functions.keys() & gb.functions.keys()):
        fa, fb = ga.functions[name], gb.functions[name]
        if protos.to_bytes(fa) != protos.to_bytes(fb):
            body = _diff_nodes(fa.node_def, fb.node_def)
            if protos.to_bytes(fa.signature) != protos.to_bytes(fb.signature) or dict(fa.ret) != dict(fb.ret):
                body["signature_or_returns"] = True
            fns_changed[name] = body
    functions = {"added": sorted(gb.functions.keys() - ga.functions.keys()),
                 "removed": sorted(ga.functions.keys() - gb.functions.keys()), "changed": fns_changed}
    same = not any(nodes.values()) and not any(functions.values())
    return {"a": a.path, "b": b.path, "same": same, "nodes": nodes, "functions": functions,
            "producer": [a.graph_def.versions.producer, b.graph_def.versions.producer]}


# ---- text output --------------------------------------------------------------------------------
def _table(rows: list[Sequence[Any]], indent: str = "  ") -> list[str]:
    if not rows:
        return []
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]


def format_summary(s: dict[str, Any]) -> str:
    lines = [f"{s['path']}  ({s['kind']})"]
    if "nodes" in s:
        made_by = f", written by TensorFlow {s['tensorflow_version']}" if s.get("tensorflow_version") else ""
        tags = f", tags {','.join(s['tags'])}" if s.get("tags") else ""
        lines.append(f"producer {s['producer']} (min consumer {s['min_consumer']}){made_by}{tags}")
        fn_nodes = sum(f["nodes"] for f in s["functions"])
        lines.append(f"{s['nodes']} nodes; {len(s['functions'])} functions with {fn_nodes} nodes")
        lines.append("parts: " + ", ".join(f"{p} {c}" for p, c in s["parts"].items()))
        lines += ["", "op types:"] + _table(list(s["op_types"].items()))
        lines += ["", "inputs:"] + (_table([(i["name"], i["op"], i["dtype"], shape_text(i["shape"]))
                                            for i in s["inputs"]]) or ["  none"])
        lines += ["", "likely outputs:"] + (_table([(o["name"], o["op"], o["part"]) for o in s["outputs"]])
                                            or ["  none"])
        lines += ["", f"variables: {len(s['variables'])}, {s['parameters']:,} parameters"]
        lines += _table([(v["name"], v["dtype"], shape_text(v["shape"]), v["part"],
                          "" if v["trainable"] is None else ("trainable" if v["trainable"] else "non-trainable"),
                          f"checkpoint {v['checkpoint']['dtype']} {shape_text(v['checkpoint']['shape'])}"
                          if "checkpoint" in v else "") for v in s["variables"]])
        lines += ["", "signatures:" if s["signatures"] else "signatures: none"]
        for key, sig in s["signatures"].items():
            lines.append(f"  {key}  [{sig['method_name']}]")
            for io in ("inputs", "outputs"):
                lines += _table([(io[:-1] if io == "inputs" else "output", k, t["name"], t["dtype"],
                                  shape_text(t["shape"])) for k, t in sig[io].items()], "    ")
        if s["functions"]:
            lines += ["", "op types in functions:"] + _table(list(s["function_op_types"].items()))
            lines += ["", "functions:"] + _table([(f["name"], f"{f['nodes']} nodes",
                                                   f"({', '.join(f['inputs'])}) -> ({', '.join(f['outputs'])})")
                                                  for f in s["functions"]])
        unknown = s["unknown_ops"]
        lines += ["", "ops unknown to the installed TensorFlow: " +
                  ("not checked" if unknown is None else ", ".join(unknown) or "none"),
                  "ops outside the safe-loading allowlist: " + (", ".join(s["unsafe_ops"]) or "none")]
        lines.append(f"safe loading check: {s['safe_loading']}")
        if s.get("layers") is not None:
            lines += ["", "layers:"] + _table([("Layer (type)", "Output Shape", "Param #")] + [
                (f"{r['name']} ({r['type']})", shape_text(r["output_shape"]) if r["output_shape"] is not None
                 or r["output"] is None else "?", f"{r['params']:,}") for r in s["layers"]])
            total = sum(r["params"] for r in s["layers"])
            trainable = [r["trainable_params"] for r in s["layers"]]
            lines.append(f"  Total params: {total:,}" + ("" if None in trainable else
                         f"  Trainable: {sum(trainable):,}  Non-trainable: {total - sum(trainable):,}"))
    if "checkpoint" in s:
        c = s["checkpoint"]
        lines += ["", f"checkpoint {c['index']}: {len(c['tensors'])} tensors, {c['num_shards']} shard(s), "
                      f"{sum(t['size'] for t in c['tensors']):,} values"]
        lines += _table([(t["name"], t["dtype"], shape_text(t["shape"])) for t in c["tensors"]])
    if s["notes"]:
        lines += ["", "notes:"] + [f"  {n}" for n in s["notes"]]
    return "\n".join(lines)


def format_node(n: dict[str, Any]) -> str:
    where = f"  (in function {n['function']})" if n["function"] else f"  ({n['part']})"
    lines = [f"{n['name']}: {n['op']}{where}", f"  device: {n['device'] or '(unassigned)'}", "  inputs:"]
    lines += [f"    {'^' if i['control'] else ''}{i['name']}" + (f":{i['index']}" if i["index"] > 0 else "")
              for i in n["inputs"]] or ["    none"]
    lines += ["  consumers:"] + ([f"    {c}" for c in n.get("consumers", [])] or ["    none"])
    lines += ["  attrs:"] + ([f"    {k} = {_fmt_attr(v)}" for k, v in n["attrs"].items()] or ["    none"])
    return "\n".join(lines)


def format_subgraph(s: dict[str, Any]) -> str:
    lines = [f"{', '.join(s['fetches'])} depends on {s['nodes']} nodes",
             "feeds: " + (", ".join(s["feeds"]) or "none"), "variables: " + (", ".join(s["variables"]) or "none")]
    for part, names in s["parts"].items():
        lines += [f"{part} ({len(names)}):"] + [f"  {n}" for n in names]
    return "\n".join(lines)


def format_diff(d: dict[str, Any]) -> str:
    if d["same"]:
        return f"no differences between {d['a']} and {d['b']}"
    lines = [f"--- {d['a']}", f"+++ {d['b']}"]
    for what in ("nodes", "functions"):
        part = d[what]
        lines += [f"+ {what[:-1]} {n}" for n in part["added"]] + [f"- {what[:-1]} {n}" for n in part["removed"]]
        for name, change in part["changed"].items():
            lines.append(f"~ {what[:-1]} {name}")
            if what == "functions":
                lines += [f"    + node {n}" for n in change["added"]] + [f"    - node {n}" for n in change["removed"]]
                lines += [f"    ~ node {n}" for n in change["changed"]]
                continue
            for fld in ("op", "device", "inputs"):
                if fld in change:
                    lines.append(f"    {fld}: {change[fld][0]} -> {change[fld][1]}")
            for kind, attrs in change.get("attrs", {}).items():
                for k, v in attrs.items():
                    shown = f"{_fmt_attr(v[0])} -> {_fmt_attr(v[1])}" if kind == "changed" else _fmt_attr(v)
                    lines.append(f"    attr {k} {kind}: {shown}")
    if d["producer"][0] != d["producer"][1]:
        lines.append(f"(producer {d['producer'][0]} -> {d['producer'][1]}, not counted as a difference)")
    return "\n".join(lines)


# ---- command line -------------------------------------------------------------------------------
COMMANDS = ("summary", "node", "find", "subgraph", "dot", "svg", "diff")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    common.add_argument("--tag", help="SavedModel MetaGraphDef tags (comma-separated; default serve)")
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     epilog="PATH: GraphDef (.pb/.pbtxt), SavedModel or model directory, "
                                            "checkpoint prefix. `summary` is the default command.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", parents=[common], help="what is inside (default)").add_argument("path")
    p = sub.add_parser("node", parents=[common], help="one node: op, attrs, inputs, consumers, device")
    p.add_argument("path")
    p.add_argument("name")
    p.add_argument("--function", help="look in this library function's body")
    p = sub.add_parser("find", parents=[common], help="nodes by op type and/or name regex")
    p.add_argument("path")
    p.add_argument("--op")
    p.add_argument("--name", help="regular expression searched in node names")
    p = sub.add_parser("subgraph", parents=[common], help="what fetches depend on, by part")
    p.add_argument("path")
    p.add_argument("fetches", nargs="+", metavar="FETCH")
    for cmd in ("dot", "svg"):
        p = sub.add_parser(cmd, parents=[common], help=f"render as {cmd.upper()} (scopes collapsed)")
        p.add_argument("path")
        p.add_argument("--expand", action="store_true", help="every node, in name-scope clusters")
        p.add_argument("--fetch", nargs="+", help="only what these nodes depend on")
        p.add_argument("-o", "--output", help="write here instead of stdout")
    p = sub.add_parser("diff", parents=[common], help="exit 1 when the graphs differ")
    p.add_argument("path")
    p.add_argument("other")
    return parser


def _run(args: argparse.Namespace) -> tuple[Any, str, int]:
    """(JSON-able result, text form, exit code) for one command."""
    art = load(args.path, args.tag)
    if args.command == "summary":
        s = summarize(art)
        return s, format_summary(s), 0
    if args.command == "node":
        n = node_info(art, args.name, args.function)
        return n, format_node(n), 0
    if args.command == "find":
        if not (args.op or args.name):
            raise InspectError("find needs --op TYPE and/or --name REGEX")
        found = find_nodes(art, args.op, args.name)
        text = "\n".join(_table([(f["name"], f["op"], f"in {f['function']}" if f["function"] else "")
                                 for f in found], "")) or "no matching nodes"
        return found, text, 0
    if args.command == "subgraph":
        s = subgraph(art, args.fetches)
        return s, format_subgraph(s), 0
    if args.command in ("dot", "svg"):
        text = to_dot(art, args.expand, args.fetch)
        if args.command == "svg":
            text = to_svg(text)
        if args.output:
            _write_atomic(Path(args.output), text)
            return {"format": args.command, "output": args.output}, f"wrote {args.output}", 0
        return {"format": args.command, "text": text}, text.rstrip("\n"), 0
    d = diff(art, load(args.other, args.tag))
    return d, format_diff(d), 0 if d["same"] else 1


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, "summary")
    args = build_parser().parse_args(argv)
    try:
        result, text, code = _run(args)
    except Exception as e:  # one line, no traceback: the input is at fault, not the user
        if args.debug:
            raise
        kind = "" if isinstance(e, InspectError) else f"{type(e).__name__}: "
        print(f"{PROG}: error: {kind}{e}", file=sys.stderr)
        return 2
    try:
        print(json.dumps(result, indent=1) if args.json else text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `tfkg-inspect dot model | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return code


if __name__ == "__main__":
    sys.exit(main())
