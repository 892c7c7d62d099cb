"""Loops and conditionals as TF's functional ops: ``While`` and ``If`` calling FunctionDefs.

``while_loop`` traces ``cond`` and ``body`` into function graphs whose args are an iteration counter,
the iteration limit, the flattened loop variables and the captured outer tensors. The counter makes
``maximum_iterations`` and the reverse loop of the gradient possible. A loop variable whose shape
changes between iterations gets an unknown dim there (the body is traced again with it).
TensorList helpers at the end let a loop collect per-step values (``scan``, recurrent layers).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ...runtime import dtypes
from ..functions import FuncGraph, depth_of
from ..graph import Graph, Tensor, get_default_graph
from ..opdefs import GraphBuildError
from . import array, math
from ..._tree import flatten, pack_as
from .constants import constant, convert

INT32_MAX = 2 ** 31 - 1




def _innermost(tensors: list[Tensor]) -> Graph:
    graphs = [get_default_graph()] + [t.graph for t in tensors]
    return max(graphs, key=depth_of)


def _relax(a: tuple | None, b: tuple | None) -> tuple | None:
    """The most specific shape both ``a`` and ``b`` have."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _unify_captures(functions: list[FuncGraph]) -> list[Tensor]:
    """Makes every function take the same captured tensors, in one order; returns that order."""
    order: list[Tensor] = []
    for fn in functions:
        for value, _ in fn.captures:
            if all(value is not seen for seen in order):
                order.append(value)
    for fn in functions:
        for value in order:
            fn.capture(value)
        by_id = {id(value): arg for value, arg in fn.captures}
        fn.captures = [(value, by_id[id(value)]) for value in order]
        n = len(order)
        if n:
            fn.args = fn.args[:-n] + [arg for _, arg in fn.captures]
    return order


# -- while ---------------------------------------------------------------------------------------------------
@dataclass
class LoopInfo:
    """What the gradient rule needs to know about a While op we built."""
    cond: FuncGraph
    body: FuncGraph
    n_vars: int                 # flattened loop variables after the counter and the limit
    bounded: bool               # maximum_iterations was given
    accumulators: list[int] = field(default_factory=list)  # output indices of the saved-inputs lists


def while_loop(cond: Callable, body: Callable, loop_vars: Any, maximum_iterations: Any = None,
               name: str = "while") -> Any:
    """``keras.ops.while_loop``: a tuple/list of loop variables is passed positionally to ``cond`` and
    ``body``; ``body`` returns the same structure; each element may itself be nested."""
    is_sequence = isinstance(loop_vars, (tuple, list))
    structure = tuple(loop_vars) if is_sequence else (loop_vars,)
    leaves = [convert(v) for v in flatten(structure)]
    outer = _innermost(leaves)
    with outer.as_default(), outer.name_scope(name):
        limit = (constant(INT32_MAX, "int32") if maximum_iterations is None
                 else math.cast(convert(maximum_iterations), "int32"))
        shapes = [t.shape for t in leaves]
        for _ in range(8):
            body_fn, out_shapes = _trace_body(body, structure, is_sequence, leaves, shapes, outer, name)
            relaxed = [_relax(s, o) for s, o in zip(shapes, out_shapes)]
            if relaxed == shapes:
                break
            shapes = relaxed
        cond_fn = _trace_cond(cond, structure, leaves, shapes, outer, name)
        captured = _unify_captures([cond_fn, body_fn])
        body_fn.set_outputs(body_fn.outputs + [arg for _, arg in body_fn.captures])
        counter = constant(0, "int32")
        inputs = [counter, limit, *leaves, *captured]
        all_shapes = [(), (), *shapes, *[t.shape for t in captured]]
        op = outer.create_op("While", [inputs], {
            "T": [t.dtype for t in inputs], "cond": cond_fn.name, "body": body_fn.name,
            "output_shapes": all_shapes, "parallel_iterations": 10}, name="While")
    for t, shape in zip(op.outputs, all_shapes):
        t.shape = shape
    op.functions = [cond_fn, body_fn]
    op.loop = LoopInfo(cond_fn, body_fn, len(leaves), maximum_iterations is not None)
    results = pack_as(structure, op.outputs[2:2 + len(leaves)])
    return results if is_sequence else results[0]


def _loop_args(fn: FuncGraph, leaves: list[Tensor], shapes: list) -> tuple[Tensor, Tensor, list[Tensor]]:
    counter = fn.add_arg(dtypes.INT32, ())
    limit = fn.add_arg(dtypes.INT32, ())
    return counter, limit, [fn.add_arg(t.dtype, s) for t, s in zip(leaves, shapes)]


def _trace_body(body: Callable, structure: tuple, is_sequence: bool, leaves: list[Tensor], shapes: list,
                outer: Graph, name: str) -> tuple[FuncGraph, list]:
    fn = FuncGraph(f"{name}_body", outer)
    with fn.as_default():
        counter, limit, args = _loop_args(fn, leaves, shapes)
        result = body(*pack_as(structure, args))
        outs = flatten(tuple(result) if is_sequence else (result,))
        if len(outs) != len(args):
            raise ValueError(f"while_loop body returned {len(outs)} values for {len(args)} loop variables")
        outs = [convert(o, dtype=a.dtype) if not isinstance(o, Tensor) else o for o, a in zip(outs, args)]
        for i, (o, a) in enumerate(zip(outs, args)):
            if o.dtype != a.dtype:
                raise TypeError(f"while_loop body changes loop variable {i} from {dtypes.name(a.dtype)} "
                                f"to {dtypes.name(o.dtype)}")
        fn.set_outputs([counter + 1, limit, *outs])
    return fn, [o.shape for o in outs]


def _trace_cond(cond: Callable, structure: tuple, leaves: list[Tensor], shapes: list, outer: Graph,
                name: str) -> FuncGraph:
    fn = FuncGraph(f"{name}_cond", outer)
    with fn.as_default():
        counter, limit, args = _loop_args(fn, leaves, shapes)
        keep_going = convert(cond(*pack_as(structure, args)))
        if keep_going.dtype != dtypes.BOOL:
            raise TypeError(f"while_loop cond must return a bool tensor, got {dtypes.name(keep_going.dtype)}")
        if keep_going.shape not in ((), None):
            keep_going = array.reshape(keep_going, [])
        fn.set_outputs([math.logical_and(math.less(counter, limit), keep_going)])
    return fn


def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any) -> Any:
    """``keras.ops.fori_loop``: ``val = body_fun(i, val)`` for ``i`` in ``[lower, upper)``."""
    upper = convert(upper, "int32") if not isinstance(upper, Tensor) else upper
    return while_loop(lambda i, val: math.less(i, upper), lambda i, val: (i + 1, body_fun(i, val)),
                      (convert(lower, "int32") if not isinstance(lower, Tensor) else lower, init_val),
                      name="fori_loop")[1]


def scan(f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False) -> Any:
    """``keras.ops.scan``: ``carry, y = f(carry, x)`` over the leading axis of ``xs``; returns the last
    carry and the stacked ``y``s in the order of ``xs`` (also when ``reverse`` runs from the end).
    The steps read ``xs`` from a TensorList by index and push the ``y``s onto another, so the gradient
    moves one step's values per iteration (and the TFLite converter lowers both)."""
    if xs is None and length is None:
        raise ValueError("scan needs xs to scan over or a length")
    xs_leaves = [] if xs is None else [convert(x) for x in flatten(xs)]
    init_leaves = [convert(c) for c in flatten(init)]
    outer = _innermost(xs_leaves + init_leaves)
    with outer.as_default():
        steps = constant(int(length), "int32") if length is not None else array.shape(xs_leaves[0])[0]
        x_specs = [(x.dtype, None if x.shape is None else x.shape[1:]) for x in xs_leaves]
        inputs = [from_tensor(x) for x in xs_leaves]
        y_structure, y_specs = _probe_outputs(f, init, init_leaves, xs, x_specs, outer)
        outputs = [empty_list(dtype, steps, outer, shape) for dtype, shape in y_specs]

        def step(t, carry, collected):
            index = steps - 1 - t if reverse else t
            taken = [get_item(h, index, dtype, shape) for h, (dtype, shape) in zip(inputs, x_specs)]
            carry, y = f(carry, pack_as(xs, taken) if xs is not None else None)
            collected = [push_back(h, v) for h, v in zip(collected, flatten(y) if y is not None else [])]
            return t + 1, carry, collected

        _, carry, collected = while_loop(lambda *_: constant(True), step, (constant(0, "int32"), init, outputs),
                                         maximum_iterations=steps, name="scan")
        ys = [stack(h, dtype, shape) for h, (dtype, shape) in zip(collected, y_specs)]
        ys = [reverse_(y, 0) for y in ys] if reverse else ys
    return carry, (pack_as(y_structure, ys) if y_structure is not None else None)


def _probe_outputs(f: Callable, init: Any, init_leaves: list[Tensor], xs: Any, x_specs: list,
                   outer: Graph) -> tuple[Any, list]:
    """Traces ``f`` once to learn the structure, dtypes and shapes of its per-step outputs."""
    probe = FuncGraph("scan_probe", outer)
    with probe.as_default():
        carry = pack_as(init, [probe.add_arg(t.dtype, t.shape) for t in init_leaves])
        x = pack_as(xs, [probe.add_arg(dt, shape) for dt, shape in x_specs]) if xs is not None else None
        _, y = f(carry, x)
        leaves = [convert(v) for v in flatten(y)] if y is not None else []
    return y, [(t.dtype, t.shape) for t in leaves]


# -- cond ----------------------------------------------------------------------------------------------------
def cond(pred: Any, true_fn: Callable, false_fn: Callable, name: str = "cond") -> Any:
    """``keras.ops.cond``: both branches return the same structure; a Python bool picks one now."""
    if isinstance(pred, (bool, int)) or (hasattr(pred, "dtype") and not isinstance(pred, Tensor)):
        return true_fn() if bool(pred) else false_fn()
    pred = convert(pred)
    if pred.dtype != dtypes.BOOL:
        raise TypeError(f"cond predicate must be bool, got {dtypes.name(pred.dtype)}")
    outer = _innermost([pred])
    with outer.as_default(), outer.name_scope(name):
        branches, structures = [], []
        for label, fn in (("true", true_fn), ("false", false_fn)):
            graph = FuncGraph(f"{name}_{label}", outer)
            with graph.as_default():
                result = fn()
                graph.set_outputs([convert(t) for t in flatten(result)])
            branches.append(graph)
            structures.append(result)
        then_fn, else_fn = branches
        if len(then_fn.outputs) != len(else_fn.outputs):
            raise ValueError(f"cond branches return {len(then_fn.outputs)} and {len(else_fn.outputs)} values")
        for i, (a, b) in enumerate(zip(then_fn.outputs, else_fn.outputs)):
            if a.dtype != b.dtype:
                raise TypeError(f"cond branches return {dtypes.name(a.dtype)} and {dtypes.name(b.dtype)} "
                                f"for output {i}")
        captured = _unify_captures(branches)
        if pred.shape not in ((), None):
            pred = array.reshape(pred, [])
        out_shapes = [_relax(a.shape, b.shape) for a, b in zip(then_fn.outputs, else_fn.outputs)]
        op = make_if(outer, pred, captured, then_fn, else_fn, out_shapes)
    return pack_as(structures[0], op.outputs)


def make_if(graph: Graph, pred: Tensor, inputs: list[Tensor], then_fn: FuncGraph, else_fn: FuncGraph,
            out_shapes: list) -> Any:
    op = graph.create_op("If", [pred, inputs], {
        "Tin": [t.dtype for t in inputs], "Tout": [t.dtype for t in then_fn.outputs],
        "then_branch": then_fn.name, "else_branch": else_fn.name, "output_shapes": out_shapes}, name="If")
    for t, shape in zip(op.outputs, out_shapes):
        t.shape = shape
    op.functions = [then_fn, else_fn]
    return op


# -- tensor lists --------------------------------------------------------------------------------------------
def empty_list(element_dtype: Any, max_elements: Any = -1, graph: Graph | None = None,
               element_shape: tuple | None = None) -> Tensor:
    """A TensorList; a known element rank is written as a 1-D shape (the TFLite converter needs it)."""
    graph = graph or get_default_graph()
    with graph.as_default():
        shape = constant(-1 if element_shape is None else [-1 if d is None else d for d in element_shape],
                         "int32")
        limit = convert(max_elements, "int32") if isinstance(max_elements, Tensor) else constant(
            int(max_elements), "int32")
        t = graph.create_op("EmptyTensorList", [shape, limit], {
            "element_dtype": dtypes.as_dtype(element_dtype), "shape_type": dtypes.INT32}).outputs[0]
    t.shape = ()
    return t


def push_back(handle: Tensor, value: Tensor) -> Tensor:
    t = _graph_for(handle, value).create_op("TensorListPushBack", [handle, value],
                                            {"element_dtype": value.dtype}).outputs[0]
    t.shape = ()
    return t


def pop_back(handle: Tensor, element_dtype: int, element_shape: tuple | None) -> tuple[Tensor, Tensor]:
    graph = _graph_for(handle)
    with graph.as_default():
        op = graph.create_op("TensorListPopBack", [handle, constant(-1, "int32")],
                             {"element_dtype": element_dtype})
    op.outputs[0].shape, op.outputs[1].shape = (), element_shape
    return op.outputs[0], op.outputs[1]


def stack(handle: Tensor, element_dtype: int, element_shape: tuple | None,
          shape_tensor: Tensor | None = None) -> Tensor:
    """The list as one tensor; ``shape_tensor`` gives the element shape at run time (an empty list)."""
    graph = _graph_for(handle)
    with graph.as_default():
        shape = shape_tensor if shape_tensor is not None else constant(-1, "int32")
        t = graph.create_op("TensorListStack", [handle, shape],
                            {"element_dtype": element_dtype}).outputs[0]
    t.shape = None if element_shape is None else (None, *element_shape)
    return t


def get_item(handle: Tensor, index: Tensor, element_dtype: int, element_shape: tuple | None) -> Tensor:
    graph = _graph_for(handle, index)
    with graph.as_default():
        t = graph.create_op("TensorListGetItem", [handle, index, constant(-1, "int32")],
                            {"element_dtype": element_dtype}).outputs[0]
    t.shape = element_shape
    return t


def set_item(handle: Tensor, index: Tensor, value: Tensor) -> Tensor:
    graph = _graph_for(handle, index, value)
    t = graph.create_op("TensorListSetItem", [handle, index, value], {"element_dtype": value.dtype}).outputs[0]
    t.shape = ()
    return t


def from_tensor(value: Tensor) -> Tensor:
    graph = _graph_for(value)
    with graph.as_default():
        t = graph.create_op("TensorListFromTensor", [value, constant(-1, "int32")], {}).outputs[0]
    t.shape = ()
    return t


def reverse_(x: Tensor, axis: int) -> Tensor:
    """``x`` with ``axis`` in reverse order (ReverseV2), e.g. a time axis for ``go_backwards``."""
    graph = _graph_for(x)
    with graph.as_default():
        t = graph.create_op("ReverseV2", [x, constant([axis], "int32")], {}).outputs[0]
    t.shape = x.shape
    return t


def _graph_for(*tensors: Tensor) -> Graph:
    return max((t.graph for t in tensors), key=depth_of)


def check_no_random(fn: FuncGraph, what: str) -> None:
    random = [op.name for op in fn.operations if op.type.startswith(("Random", "TruncatedNormal"))]
    if random:
        raise GraphBuildError(f"{what}: random ops inside a loop body ({random}) cannot be differentiated "
                              "(the backward pass recomputes each step); draw them before the loop")
