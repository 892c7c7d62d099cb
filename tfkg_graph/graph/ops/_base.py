"""The one helper every op constructor uses."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Graph, Operation, Tensor, get_default_graph
from ..opdefs import GraphBuildError


def graph_of(values: Sequence[Any], op_type: str = "") -> Graph:
    """Where an op goes: the graph of its inputs, or the function body being built (loop body or
    branch, the default graph then), which captures outer inputs. Variable reads stay beside the
    variable, so a body captures the value and its gradient is summed like any captured tensor."""
    graphs = [t.graph for v in values for t in (v if isinstance(v, (list, tuple)) else [v])
              if isinstance(t, Tensor)]
    default = get_default_graph()
    if op_type != "ReadVariableOp" and getattr(default, "depth", 0) > 0:
        graphs.append(default)
    if not graphs:
        return default
    chosen = max(graphs, key=lambda g: getattr(g, "depth", 0))
    if getattr(chosen, "depth", 0) > max(getattr(default, "depth", 0), 0) and op_type != "ReadVariableOp":
        raise GraphBuildError(f"a tensor made inside a loop body or branch ({getattr(chosen, 'name', '')}) "
                              f"cannot be used outside it (building {op_type or 'an op'})")
    return chosen


def make(op_type: str, inputs: Sequence[Any] = (), attrs: dict[str, Any] | None = None,
         name: str | None = None, graph: Graph | None = None) -> Operation:
    return (graph or graph_of(inputs, op_type)).create_op(op_type, inputs, attrs, name)


def out(op_type: str, inputs: Sequence[Any] = (), attrs: dict[str, Any] | None = None,
        name: str | None = None) -> Tensor:
    return make(op_type, inputs, attrs, name).outputs[0]
