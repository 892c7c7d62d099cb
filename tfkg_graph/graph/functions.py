"""Function bodies for control flow: a FuncGraph is built like any graph, then written as a FunctionDef.

Loop bodies and conditional branches are traced from Python callables into a ``FuncGraph`` whose
inputs are Placeholder nodes (the FunctionDef's input args). An outer tensor used inside becomes an
extra input ("capture"), through every enclosing function, so the calling op passes it in explicitly.
The GraphDef's FunctionDefLibrary holds every function reachable from the graph's nodes; this is the
layout TF Python's while_v2/cond_v2 write, so TF Python, the C API, the TFLite converter read it.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from ..runtime import protos
from . import opdefs
from .graph import Graph, Operation, Tensor, as_shape
from .opdefs import GraphBuildError


def root_of(graph: Graph) -> Graph:
    while isinstance(graph, FuncGraph):
        graph = graph.outer
    return graph


def depth_of(graph: Graph) -> int:
    return graph.depth if isinstance(graph, FuncGraph) else 0


class FuncGraph(Graph):
    """A function body: ``args`` are its inputs, ``outputs`` its results, ``captures`` the outer tensors
    that ``args[-len(captures):]`` stand for."""

    def __init__(self, name: str, outer: Graph):
        super().__init__(seed=outer.seed)
        self.outer = outer
        self.depth = depth_of(outer) + 1
        root = root_of(outer)
        count = root.collections.setdefault("_function_count", [0])
        count[0] += 1
        self.name = f"{re.sub(r'[^A-Za-z0-9_]', '_', name)}_{count[0]}"
        self.args: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: list[tuple[Tensor, Tensor]] = []  # (outer tensor, arg standing for it)

    def next_seed(self) -> tuple[int, int]:
        return root_of(self).next_seed()

    def add_arg(self, dtype: int, shape: Any) -> Tensor:
        op = self.create_op("Placeholder", [], {"dtype": dtype, "shape": as_shape(shape)},
                            name=f"arg_{len(self.args)}", exact_name=True)
        self.args.append(op.outputs[0])
        return op.outputs[0]

    def capture(self, outer: Tensor) -> Tensor:
        """The arg standing for ``outer`` (a tensor of an enclosing graph), made on first use."""
        if outer.graph is self:
            return outer
        for value, arg in self.captures:
            if value is outer:
                return arg
        if depth_of(outer.graph) >= self.depth:
            raise GraphBuildError(f"{outer.name!r} belongs to a function that does not enclose {self.name!r} "
                                  "(a tensor made inside a loop body or branch cannot be used outside it)")
        value = self.outer.capture(outer) if isinstance(self.outer, FuncGraph) else outer
        if value.graph is not self.outer:
            raise GraphBuildError(f"{outer.name!r} belongs to another graph")
        arg = self.add_arg(outer.dtype, outer.shape)
        self.captures.append((outer, arg))
        return arg

    def _own_input(self, node: str, arg: str, t: Any) -> Tensor:
        if isinstance(t, Tensor) and t.graph is not self:
            return self.capture(t)
        return super()._own_input(node, arg, t)

    def set_outputs(self, outputs: Iterable[Tensor]) -> None:
        """Outputs that are args (or outer tensors, captured) pass through an Identity: a FunctionDef
        returns node outputs."""
        with self.as_default():
            outputs = [self.capture(t) for t in outputs]
            self.outputs = [self.create_op("Identity", [t]).outputs[0] if t.op.type == "Placeholder" else t
                            for t in outputs]

    # -- export ----------------------------------------------------------------------------------------------
    def to_function_def(self) -> Any:
        fdef = protos.FunctionDef()
        fdef.signature.name = self.name
        arg_ops = {t.op for t in self.args}
        for t in self.args:
            fdef.signature.input_arg.add(name=t.op.name, type=t.dtype)
        for i, t in enumerate(self.outputs):
            fdef.signature.output_arg.add(name=f"output_{i}", type=t.dtype)
            fdef.ret[f"output_{i}"] = _ref(t, arg_ops)
        if any(opdefs.op_def(op.type).is_stateful for op in self.operations if op not in arg_ops):
            fdef.signature.is_stateful = True
        for op in self.operations:
            if op in arg_ops:
                continue
            node = fdef.node_def.add(name=op.name, op=op.type, device=op.device)
            node.input.extend(_ref(t, arg_ops) for t in op.inputs)
            node.input.extend("^" + c.name for c in op.control_inputs)
            for key, value in op.attrs.items():
                node.attr[key].CopyFrom(value)
        return fdef


def _ref(t: Tensor, arg_ops: set[Operation]) -> str:
    """How a FunctionDef names a tensor: ``arg`` or ``node:output_arg_name:index``."""
    if t.op in arg_ops:
        return t.op.name
    start = 0
    for out_arg in opdefs.op_def(t.op.type).output_arg:
        if out_arg.number_attr:
            size = t.op.get_attr(out_arg.number_attr)
        elif out_arg.type_list_attr:
            size = len(t.op.get_attr(out_arg.type_list_attr))
        else:
            size = 1
        if t.index < start + size:
            return f"{t.op.name}:{out_arg.name}:{t.index - start}"
        start += size
    raise GraphBuildError(f"{t.name!r} is not an output of its op")


def copy_ops(source: FuncGraph, target: Graph, mapping: dict[Tensor, Tensor]) -> dict[Tensor, Tensor]:
    """Re-creates ``source``'s ops in ``target`` with ``mapping`` (source args -> target tensors) as
    their inputs, so a body can be recomputed and differentiated inside another function."""
    mapping = dict(mapping)
    for op in source.operations:
        if all(t in mapping for t in op.outputs) and op.outputs:
            continue
        groups = [[mapping[t] for t in group] for group in op.input_groups]
        arg_defs = opdefs.op_def(op.type).input_arg
        inputs = [g if (a.number_attr or a.type_list_attr) else g[0] for a, g in zip(arg_defs, groups)]
        attrs = {k: (v.type if v.WhichOneof("value") == "type" else v) for k, v in op.attrs.items()}
        with target.control_dependencies([mapping[c.outputs[0]].op for c in op.control_inputs
                                          if c.outputs and c.outputs[0] in mapping]):
            new = target.create_op(op.type, inputs, attrs, name=op.name.rsplit("/", 1)[-1])
        for attr in ("functions", "loop"):
            if hasattr(op, attr):
                setattr(new, attr, getattr(op, attr))
        for old_t, new_t in zip(op.outputs, new.outputs):
            if new_t.shape is None:
                new_t.shape = old_t.shape
            mapping[old_t] = new_t
    return mapping
