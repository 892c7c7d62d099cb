"""A GraphDef as the inspector sees it: node lookup, consumers, parts by name scope, values as JSON.

Node names split by ``parse_input``; protos decoded by ``tfkg_graph.runtime.codecs``, the same
decoding the graph builder uses.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Iterable, Sequence

from ..runtime import dtypes, protos
from ..runtime.codecs import attr_raw, shape_from_proto, tensor_proto_to_numpy

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


# ---- values as JSON ----------------------------------------------------------------------------
def dtype_name(dtype: int) -> str:
    if dtype > 100:
        return dtype_name(dtype - 100) + "_ref"
    if dtype in dtypes.NAMES:
        return dtypes.NAMES[dtype]
    enum = protos.DataType.values_by_number.get(dtype)
    return enum.name[3:].lower() if enum else f"DataType({dtype})"


def shape_list(proto: Any) -> list[int | None] | None:
    shape = shape_from_proto(proto)
    return None if shape is None else list(shape)


def shape_text(shape: Sequence[int | None] | None) -> str:
    if shape is None:
        return "<unknown>"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _tensor_value(t: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"dtype": dtype_name(t.dtype), "shape": shape_list(t.tensor_shape)}
    if math.prod(d.size for d in t.tensor_shape.dim) <= 10:
        try:
            value = tensor_proto_to_numpy(t)
            out["value"] = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                            for v in value.reshape(-1).tolist()]
        except (TypeError, ValueError, KeyError):
            pass  # dtypes without a numpy form (resource, variant, quantized): dtype and shape only
    return out


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return repr(raw)


# How each AttrValue field (scalar or list element) becomes JSON.
_ATTR_JSON = {"s": _text, "i": int, "f": float, "b": bool, "type": dtype_name, "shape": shape_list,
              "tensor": _tensor_value, "func": lambda f: f.name, "placeholder": lambda p: "$" + p}


def attr_value(attr: Any) -> Any:
    """An AttrValue as plain JSON-able data."""
    kind = attr.WhichOneof("value")
    raw = attr_raw(attr)
    if kind == "list":
        field = next((f for f in _ATTR_JSON if f != "placeholder" and len(getattr(attr.list, f))), None)
        return [_ATTR_JSON[field](v) for v in raw] if field else []
    return _ATTR_JSON.get(kind, lambda v: v)(raw)
