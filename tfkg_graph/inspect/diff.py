"""The ``diff`` command: nodes and library functions added, removed and changed between two graphs."""
from __future__ import annotations

from typing import Any, Iterable

from ..runtime import protos
from .load import Artifact
from .views import attr_value


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
