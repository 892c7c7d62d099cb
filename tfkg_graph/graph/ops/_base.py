"""The one helper every op constructor uses."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Graph, Operation, Tensor, get_default_graph


def graph_of(values: Sequence[Any]) -> Graph:
    for v in values:
        if isinstance(v, Tensor):
            return v.graph
        if isinstance(v, (list, tuple)):
            for t in v:
                if isinstance(t, Tensor):
                    return t.graph
    return get_default_graph()


def make(op_type: str, inputs: Sequence[Any] = (), attrs: dict[str, Any] | None = None,
         name: str | None = None, graph: Graph | None = None) -> Operation:
    return (graph or graph_of(inputs)).create_op(op_type, inputs, attrs, name)


def out(op_type: str, inputs: Sequence[Any] = (), attrs: dict[str, Any] | None = None,
        name: str | None = None) -> Tensor:
    return make(op_type, inputs, attrs, name).outputs[0]
