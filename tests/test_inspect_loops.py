"""tfkg-inspect shows loop bodies: the While/If functions of an LSTM(unroll=False) GraphDef (forward and
gradient loops) listed under their loop node, in the summary, node, text and dot outputs. The oracle is
the builder's own While operations and the FuncGraphs they were traced into, and Graphviz for the DOT."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tfkg_graph import inspect as ig
from tfkg_graph import layers
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, math as tmath, placeholder
from tfkg_graph.graph.ops import control_flow


def _body_nodes(fn) -> list[str]:
    """The FunctionDef's nodes: the FuncGraph's operations without its args (FuncGraph.to_function_def)."""
    args = {t.op for t in fn.args}
    return [op.name for op in fn.operations if op not in args]


@pytest.fixture(scope="module")
def lstm_graph(tmp_path_factory):
    g = Graph(seed=1)
    with g.as_default():
        x = placeholder("float32", (None, None, 3), name="x")
        layer = layers.LSTM(4, name="lstm")
        loss = tmath.reduce_sum(layer(x))
        gradients(loss, [w.variable.handle for w in layer.weights])
    path = tmp_path_factory.mktemp("lstm") / "lstm.pb"
    path.write_bytes(g.to_bytes())
    loops = [op for op in g.operations if op.type == "While"]
    assert len(loops) == 2  # the forward loop and its gradient
    return {"graph": g, "path": path, "loops": loops}


def test_summary_lists_each_loop_with_its_bodies_nodes(lstm_graph):
    s = ig.summarize(ig.load(lstm_graph["path"]))
    by_name = {loop["name"]: loop for loop in s["loops"]}
    assert set(by_name) == {op.name for op in lstm_graph["loops"]}
    for op in lstm_graph["loops"]:
        cond, body = op.functions
        shown = {fn["attr"]: fn for fn in by_name[op.name]["functions"]}
        assert shown["cond"]["function"] == cond.name and shown["body"]["function"] == body.name
        assert [n["name"] for n in shown["body"]["nodes"]] == _body_nodes(body)
        assert [n["op"] for n in shown["body"]["nodes"]] == [o.type for o in body.operations
                                                             if o not in {t.op for t in body.args}]
        assert shown["body"]["inputs"] == len(body.args) and shown["body"]["outputs"] == len(body.outputs)
    forward = next(op for op in lstm_graph["loops"] if op.name.startswith("lstm/"))
    assert by_name[forward.name]["part"] == "forward"
    assert any("MatMul" == n["op"] for n in {fn["attr"]: fn for fn in by_name[forward.name]["functions"]}
               ["body"]["nodes"])
    text = ig.format_summary(s)
    section = text.split("loops and conditionals")[1]
    body_name = forward.functions[1].name
    loop_line = section.index(forward.name)
    assert section.index(f"body: {body_name}") > loop_line
    for name in _body_nodes(forward.functions[1]):
        assert f"  {name}  " in section


def test_node_command_lists_the_loop_bodies(lstm_graph, capsys):
    forward = next(op for op in lstm_graph["loops"] if op.name.startswith("lstm/"))
    info = ig.node_info(ig.load(lstm_graph["path"]), forward.name)
    cond, body = forward.functions
    assert [(fn["attr"], fn["function"]) for fn in info["bodies"]] == [("body", body.name), ("cond", cond.name)]
    assert ig.main(["node", str(lstm_graph["path"]), forward.name]) == 0
    out = capsys.readouterr().out
    assert "bodies:" in out and f"body: {forward.functions[1].name}" in out


def test_nested_loops_nest_in_the_listing():
    g = Graph(seed=1)
    with g.as_default():
        x = placeholder("float32", (), name="x")

        def outer(i, acc):
            inner = control_flow.while_loop(lambda j, a: tmath.less(j, 3), lambda j, a: (j + 1, a + x),
                                            (i * 0, acc), name="inner")[1]
            return i + 1, inner
        control_flow.while_loop(lambda i, a: tmath.less(i, 2), outer, (0, x), name="outer")
    outer_op = next(op for op in g.operations if op.type == "While")
    inner_op = next(op for op in outer_op.functions[1].operations if op.type == "While")
    loops = ig.summarize(ig.Artifact("mem", "GraphDef", g.as_graph_def()))["loops"]
    assert [loop["name"] for loop in loops] == [outer_op.name]
    body = next(fn for fn in loops[0]["functions"] if fn["attr"] == "body")
    nested = next(n for n in body["nodes"] if n["name"] == inner_op.name)
    assert {fn["function"] for fn in nested["functions"]} == {f.name for f in inner_op.functions}


@pytest.mark.parametrize("expand", [False, True])
def test_dot_hangs_bodies_under_the_loop_node(lstm_graph, expand):
    forward = next(op for op in lstm_graph["loops"] if op.name.startswith("lstm/"))
    body = forward.functions[1]
    dot = ig.to_dot(ig.load(lstm_graph["path"]), expand=expand)
    caller = forward.name if expand else "lstm"
    assert f'"{caller}" -> "' in dot and 'label="body"' in dot
    if expand:
        assert f'subgraph "cluster_{forward.name}>body:{body.name}"' in dot
        for name in _body_nodes(body):
            assert f'"{forward.name}>body:{body.name}/{name}"' in dot
    else:
        assert f'"{caller}>body:{body.name}"' in dot
    if shutil.which("dot"):
        done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert body.name in done.stdout
