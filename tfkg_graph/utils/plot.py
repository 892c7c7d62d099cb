"""``keras.utils.plot_model`` / ``model_to_dot``: the model's layer graph as Graphviz DOT, drawn by the ``dot``
program when it is installed (as Keras draws through pydot + Graphviz)."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

GRAPHVIZ_MISSING = ("You must install graphviz (the `dot` program: `apt-get install graphviz`, `brew install "
                    "graphviz`, or see https://graphviz.gitlab.io/download/) for `plot_model` to work.")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shape_text(tensors: Any) -> str:
    from ..layers.base import flatten
    shapes = ["(" + ", ".join("None" if d is None else str(d) for d in t.shape) + ")" for t in flatten(tensors)]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _label(node: Any, show_shapes: bool, show_dtype: bool, show_layer_names: bool, show_layer_activations: bool,
           show_trainable: bool) -> str:
    layer = node.layer
    lines = [f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {getattr(activation, '__name__', str(activation))}")
    if show_dtype:
        from ..layers.base import flatten
        lines.append("Output dtype: " + ", ".join(sorted({str(t.dtype) for t in flatten(node.outputs)})))
    if show_shapes:
        inputs = node.inputs or node.outputs
        lines.append(f"Input shape: {_shape_text(inputs)}")
        lines.append(f"Output shape: {_shape_text(node.outputs)}")
    if show_trainable:
        lines.append(f"Trainable: {'T' if layer.trainable else 'F'}")
    return "\\n".join(line.replace('"', "'") for line in lines)


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
                 show_layer_activations: bool = False, show_trainable: bool = False, **kwargs: Any) -> str:
    """DOT source: one box per layer call (in the model's node order), one edge per connection."""
    nodes = list(getattr(model, "_node_order", []))
    if not nodes:
        raise ValueError("the model has no layers to plot yet: build it first (give it an Input)")
    lines = ["digraph G {", f"  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true];",
             "  node [shape=record, fontname=Helvetica];"]
    ids = {id(node): f"n{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        label = _label(node, show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
        lines.append(f"  {ids[id(node)]} [label={_quote(label)}];")
    for node in nodes:
        for tensor in node.inputs:
            source = ids.get(id(tensor.node))
            if source is not None:
                lines.append(f"  {source} -> {ids[id(node)]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False, **kwargs: Any) -> None:
    """Draws the model into ``to_file`` (format from its extension, png by default) with Graphviz' ``dot``;
    ImportError naming what to install when ``dot`` is missing."""
    dot = shutil.which("dot")
    if dot is None:
        raise ImportError(GRAPHVIZ_MISSING)
    source = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
                          show_layer_activations, show_trainable)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    directory = os.path.dirname(os.path.abspath(to_file))
    handle, temp = tempfile.mkstemp(prefix=".plot_model-", suffix="." + extension, dir=directory)
    os.close(handle)
    try:
        done = subprocess.run([dot, f"-T{extension}", "-o", temp], input=source.encode(), capture_output=True)
        if done.returncode != 0:
            raise ValueError(f"Graphviz could not draw {to_file!r}: {done.stderr.decode(errors='replace').strip()}")
        os.replace(temp, to_file)
    finally:
        if os.path.exists(temp):
            os.remove(temp)
