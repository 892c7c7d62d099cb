"""The ``node``, ``find`` and ``subgraph`` commands: one node, nodes by op/name, what fetches depend on."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Sequence

from .load import Artifact
from .loops import loop_tree
from .views import PART_COLORS, PLACEHOLDER_OPS, VARIABLE_OPS, InspectError, attr_value, parse_input, part_of


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
        out = _node_dict(node, g.consumers.get(node.name, []))
        loops = loop_tree(g, [node.name])
        if loops:
            out["bodies"] = loops[0]["functions"]
        return out
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
