"""Loop and conditional bodies: the library functions a While / If (or any function-calling) node runs.

A ``While`` node names its ``cond`` and ``body``, an ``If`` its ``then_branch`` and ``else_branch``, as
func attrs; their nodes live in the GraphDef's FunctionDefLibrary, not in the graph. ``loop_tree`` lists
each such node with its functions' nodes, nested loops inside bodies included, for the text and dot views.
"""
from __future__ import annotations

from typing import Any

from .views import GraphView, parse_input, part_of


def called_functions(node: Any, functions: dict[str, Any]) -> list[tuple[str, str]]:
    """(attr name, function name) for every func attr (or list of funcs) naming a library function."""
    found = []
    for key, attr in sorted(node.attr.items()):
        kind = attr.WhichOneof("value")
        if kind == "func":
            names = [attr.func.name]
        elif kind == "list":
            names = [f.name for f in attr.list.func]
        else:
            continue
        found += [(key, name) for name in names if name in functions]
    return found


def _body(g: GraphView, attr: str, name: str, inside: tuple[str, ...]) -> dict[str, Any]:
    fn = g.functions[name]
    nodes = []
    for node in fn.node_def:
        entry: dict[str, Any] = {"name": node.name, "op": node.op,
                                 "inputs": sorted({parse_input(spec)[0] for spec in node.input})}
        calls = [(a, f) for a, f in called_functions(node, g.functions) if f not in inside]  # no recursion
        if calls:
            entry["functions"] = [_body(g, a, f, inside + (f,)) for a, f in calls]
        nodes.append(entry)
    return {"attr": attr, "function": name, "inputs": len(fn.signature.input_arg),
            "outputs": len(fn.signature.output_arg), "nodes": nodes}


def loop_tree(g: GraphView, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Every graph node (of ``names``, default all) that calls library functions, with their bodies."""
    out = []
    for name in names if names is not None else [n.name for n in g.graph_def.node]:
        node = g.nodes[name]
        calls = called_functions(node, g.functions)
        if calls:
            out.append({"name": node.name, "op": node.op, "part": part_of(node.name),
                        "functions": [_body(g, attr, fn, (fn,)) for attr, fn in calls]})
    return out
