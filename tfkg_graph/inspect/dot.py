"""Graphviz output: DOT text (scopes collapsed or every node in scope clusters) and SVG via ``dot``."""
from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from typing import Any, Sequence

from .load import Artifact
from .loops import loop_tree
from .views import PART_COLORS, PLACEHOLDER_OPS, VARIABLE_OPS, GraphView, InspectError, parse_input, part_of


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
    lines = ["digraph G {", '  rankdir=TB; fontname="Helvetica"; compound=true;', '  node [shape=box, style="rounded,filled", fontname="Helvetica", '
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
    for loop in loop_tree(g, names):
        _dot_bodies(lines, group(loop["name"]), loop["functions"], part_of(loop["name"]), expand)
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


def _dot_bodies(lines: list[str], caller: str, functions: list[dict], part: str, expand: bool) -> None:
    """A loop's (or conditional's) bodies hung under the node that runs them by a dotted edge labelled
    with the attr (body, cond, then_branch...): collapsed, one box per function; ``expand``, a cluster of
    the function's nodes with their data edges. Nested loops' bodies hang under their node in turn."""
    color = PART_COLORS[part]
    for fn in functions:
        key = f"{caller}>{fn['attr']}:{fn['function']}"
        if not expand or not fn["nodes"]:
            label = _label(f"{fn['attr']}: {fn['function']}", f"{len(fn['nodes'])} ops")
            lines.append(f'  {_q(key)} [label={label}, shape=component, fillcolor="{color}"];')
            lines.append(f"  {_q(caller)} -> {_q(key)} [style=dotted, label={_q(fn['attr'])}];")
            inner = {node["name"]: key for node in fn["nodes"]}
        else:
            inner = {node["name"]: f"{key}/{node['name']}" for node in fn["nodes"]}
            lines.append(f"  subgraph {_q('cluster_' + key)} {{ label={_q(fn['attr'] + ': ' + fn['function'])}; "
                         'style="rounded,dashed";')
            for node in fn["nodes"]:
                lines.append(f"    {_q(inner[node['name']])} [label={_label(node['name'], node['op'])}, "
                             f'fillcolor="{color}"];')
            lines.append("  }")
            for node in fn["nodes"]:
                for src in node["inputs"]:
                    if src in inner:
                        lines.append(f"  {_q(inner[src])} -> {_q(inner[node['name']])};")
            first = inner[fn["nodes"][0]["name"]]
            lines.append(f"  {_q(caller)} -> {_q(first)} [style=dotted, label={_q(fn['attr'])}, "
                         f"lhead={_q('cluster_' + key)}];")
        for node in fn["nodes"]:
            if node.get("functions"):
                _dot_bodies(lines, inner[node["name"]], node["functions"], part, expand)


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
