"""graphdefs/*.pbtxt must be what the builder makes today: regenerate with ``make graphdefs``."""
from __future__ import annotations

import difflib
import os

import pytest

from tools import examples_graphdefs


@pytest.mark.parametrize("name", sorted(examples_graphdefs.EXAMPLES))
def test_reference_graphdef_is_current(name):
    path = os.path.join(examples_graphdefs.REPO, "graphdefs", f"{name}.pbtxt")
    with open(path) as f:
        stored = f.read()
    built = examples_graphdefs.graph_text(name)
    if built != stored:
        diff = "".join(list(difflib.unified_diff(stored.splitlines(True), built.splitlines(True), "stored", "built"))[:60])
        pytest.fail(f"graphdefs/{name}.pbtxt is stale; run `make graphdefs`. First differences:\n{diff}")


@pytest.mark.parametrize("name", sorted(examples_graphdefs.EXAMPLES))
def test_reference_graphdef_is_a_training_graph_tf_can_import(name):
    tf = pytest.importorskip("tensorflow")
    from google.protobuf import text_format
    text = examples_graphdefs.graph_text(name)
    graph_def = text_format.Parse(text, tf.compat.v1.GraphDef())
    nodes = {n.name: n for n in graph_def.node}
    for name_or_prefix in ("init", "train"):
        assert name_or_prefix in nodes
    for scope in ("loss/", "gradients/", "optimizer/", "metrics/"):
        assert any(n.startswith(scope) for n in nodes), f"no nodes under {scope}"
    placeholders = [n for n in graph_def.node if n.op == "Placeholder" and not n.name.endswith("feed_value")]
    assert placeholders and all(n.attr["shape"].shape.dim[0].size == -1 for n in placeholders)
    with tf.Graph().as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
