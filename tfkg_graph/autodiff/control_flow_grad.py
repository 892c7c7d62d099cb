"""Gradient rules for While, If and the TensorList ops that loops collect per-step values with.

While: when a gradient is asked for, the forward loop is rewritten once to push each iteration's
loop-variable values onto TensorLists (bounded by ``maximum_iterations`` when given). The backward
pass is a While running as many iterations in reverse: its body pops one iteration's inputs, recomputes
that iteration of the forward body (a copy of its ops) and applies ``gradients()`` to the copy, so any
op with a rule works inside, nested loops included (an inner loop's copy gets its own rule). Gradients
of captured tensors (weights read before the loop) are summed over the iterations as loop variables.
If: a conditional whose branches are the gradients of the forward branches (recomputed), on the same
predicate. Recomputing keeps the forward graph unchanged for inference and stores only loop inputs.
"""
from __future__ import annotations

from ..graph import Graph, Operation, Tensor
from ..graph.functions import FuncGraph, copy_ops
from ..graph.ops import array, control_flow, math
from ..graph.ops.constants import constant
from ..runtime import dtypes
from .gradients import gradients, not_differentiable, register

not_differentiable("EmptyTensorList")


def _floating(t: Tensor) -> bool:
    return dtypes.is_floating(t.dtype)


@register("While")
def _while(op: Operation, *grads: Tensor | None) -> list[Tensor | None]:
    info = getattr(op, "loop", None)
    if info is None:
        raise NotImplementedError(f"While node {op.name!r} was not built by tfkg_graph (no body to differentiate)")
    body = info.body
    control_flow.check_no_random(body, f"gradient of {op.name!r}")
    n_in, nv = len(body.args), info.n_vars
    lists = {i: _list_use(body, i) for i in range(2, 2 + nv) if body.args[i].dtype == dtypes.VARIANT}
    # what each iteration starts from (counter, loop variables) and the values it pops off input lists
    saved = ([body.args[0]] + [body.args[i] for i in range(2, 2 + nv) if i not in lists]
             + [use.outputs[1] for use in lists.values() if use.type == "TensorListPopBack"])
    accumulators = _accumulate(op, saved)
    var_idx = [i for i in range(2, 2 + nv) if _floating(op.outputs[i]) or (
        i in lists and (grads[i] is not None if lists[i].type == "TensorListPushBack"
                        else dtypes.is_floating(_element(lists[i]))))]
    reads = _captured_reads(body, range(2 + nv, n_in))
    cap_idx = [i for i in range(2 + nv, n_in) if _floating(op.inputs[i]) or i in reads]
    graph = op.graph
    init_grads = [grads[i] if grads[i] is not None else
                  control_flow.empty_list(_element(lists[i]), graph=graph) if i in lists else
                  array.zeros_like(op.outputs[i]) for i in var_idx]
    zero_sums = [_zero_list(op.inputs[i], _element(reads[i][0])) if i in reads else array.zeros_like(op.inputs[i])
                 for i in cap_idx]
    invariants = [op.inputs[1], *op.inputs[2 + nv:n_in]]
    specs = ([(dtypes.INT32, ()), (dtypes.INT32, ())] + [_spec(body.args[i]) for i in var_idx]
             + [(dtypes.VARIANT, ())] * len(saved) + [_spec(body.args[i]) for i in cap_idx]
             + [_spec(t) for t in invariants])
    grad_body = _backward_body(op, lists, reads, saved, var_idx, cap_idx, specs)
    grad_cond = FuncGraph(f"{body.name}_grad_cond", graph)
    with grad_cond.as_default():
        args = [grad_cond.add_arg(dt, shape) for dt, shape in specs]
        grad_cond.set_outputs([math.less(args[0], args[1])])
    inputs = [constant(0, "int32"), op.outputs[0], *init_grads, *accumulators, *zero_sums, *invariants]
    out_shapes = [shape for _, shape in specs]
    backward = graph.create_op("While", [inputs], {
        "T": [t.dtype for t in inputs], "cond": grad_cond.name, "body": grad_body.name,
        "output_shapes": out_shapes, "parallel_iterations": 10}, name="While")
    for t, shape in zip(backward.outputs, out_shapes):
        t.shape = shape
    backward.functions = [grad_cond, grad_body]
    backward.loop = control_flow.LoopInfo(grad_cond, grad_body, len(var_idx) + len(saved) + len(cap_idx), False)
    result: list[Tensor | None] = [None] * len(op.inputs)
    for k, i in enumerate(var_idx):
        result[i] = backward.outputs[2 + k]
    for k, i in enumerate(cap_idx):
        result[i] = backward.outputs[2 + len(var_idx) + len(saved) + k]
    return result


def _list_use(body: FuncGraph, i: int) -> Operation:
    """The one PopBack (an input sequence) or PushBack (per-step outputs) that a TensorList loop
    variable goes through in the body."""
    use = body.outputs[i].op
    users = [op for op in body.operations if body.args[i] in op.inputs]
    if use.type not in ("TensorListPopBack", "TensorListPushBack") or use.inputs[0] is not body.args[i] \
            or users != [use]:
        raise NotImplementedError(f"{body.name}: a TensorList loop variable must go through one "
                                  "TensorListPopBack or TensorListPushBack per iteration to be differentiated")
    return use


def _captured_reads(body: FuncGraph, indices: range) -> dict[int, list[Operation]]:
    """Captured TensorLists of floats that the body only reads with TensorListGetItem (input
    sequences): their gradient is a list that each iteration sets its items' gradients in."""
    reads = {}
    for i in indices:
        arg = body.args[i]
        if arg.dtype != dtypes.VARIANT:
            continue
        passed_on = {t.op for t in body.outputs}  # captures also pass through to the next iteration
        users = [op for op in body.operations if arg in op.inputs and op not in passed_on]
        if users and all(u.type == "TensorListGetItem" and u.inputs[0] is arg and dtypes.is_floating(_element(u))
                         for u in users):
            reads[i] = users
    return reads


def _zero_list(handle: Tensor, element_dtype: int) -> Tensor:
    return control_flow.from_tensor(array.zeros_like(control_flow.stack(handle, element_dtype, None)))


def _spec(t: Tensor) -> tuple[int, tuple | None]:
    return t.dtype, t.shape


def _backward_body(op: Operation, lists: dict[int, Operation], reads: dict[int, list[Operation]],
                   saved: list[Tensor], var_idx: list[int], cap_idx: list[int], specs: list) -> FuncGraph:
    """One reverse iteration: pop the iteration's saved values, recompute the body, differentiate the
    copy. TensorList loop variables are handled here: an input list gets each step's gradient pushed,
    an output list gives each step's output gradient popped."""
    body = op.loop.body
    n_in, nv, nvar, nsaved = len(body.args), op.loop.n_vars, len(var_idx), len(saved)
    fn = FuncGraph(f"{body.name}_grad", op.graph)
    with fn.as_default():
        args = [fn.add_arg(dt, shape) for dt, shape in specs]
        step, count, upstream = args[0], args[1], dict(zip(var_idx, args[2:2 + nvar]))
        handles = args[2 + nvar:2 + nvar + nsaved]
        end = 2 + nvar + nsaved + len(cap_idx)
        sums, limit, captured = args[2 + nvar + nsaved:end], args[end], args[end + 1:]
        mapping = {body.args[1]: limit}
        mapping.update(zip(body.args[2 + nv:n_in], captured))
        rest = []
        for handle, t in zip(handles, saved):
            handle, value = control_flow.pop_back(handle, t.dtype, t.shape)
            mapping[t] = value
            rest.append(handle)
        for i, use in lists.items():
            stand_in = upstream.get(i) or control_flow.empty_list(_element(use))
            mapping[body.args[i]] = mapping[use.outputs[0]] = stand_in
        copied = copy_ops(body, fn, mapping)
        ys, grad_ys, xs, after = [], [], [], {}
        for i in var_idx:
            use = lists.get(i)
            if use is None:
                ys.append(copied[body.outputs[i]])
                grad_ys.append(upstream[i])
                xs.append(copied[body.args[i]])
            elif use.type == "TensorListPushBack":
                after[i], step_grad = control_flow.pop_back(upstream[i], _element(use), use.inputs[1].shape)
                ys.append(copied[use.inputs[1]])
                grad_ys.append(step_grad)
            else:
                xs.append(copied[use.outputs[1]])
        xs += [copied[body.args[i]] for i in cap_idx if i not in reads]
        xs += [copied[r.outputs[0]] for i in cap_idx if i in reads for r in reads[i]]
        found = dict(zip(map(id, xs), gradients(ys, xs, grad_ys=grad_ys))) if xs and ys else {}
        new_upstream = []
        for i in var_idx:
            use = lists.get(i)
            if use is None:
                x = copied[body.args[i]]
                new_upstream.append(found.get(id(x)) or array.zeros_like(x))
            elif use.type == "TensorListPushBack":
                new_upstream.append(after[i])
            else:
                x = copied[use.outputs[1]]
                new_upstream.append(control_flow.push_back(upstream[i], found.get(id(x)) or array.zeros_like(x)))
        new_sums = []
        for total, i in zip(sums, cap_idx):
            if i in reads:  # each read item's gradient goes to its index
                for r in reads[i]:
                    item = copied[r.outputs[0]]
                    total = control_flow.set_item(total, copied[r.inputs[1]],
                                                  found.get(id(item)) or array.zeros_like(item))
            else:
                g = found.get(id(copied[body.args[i]]))
                total = total if g is None else total + g
            new_sums.append(total)
        fn.set_outputs([step + 1, count, *new_upstream, *rest, *new_sums, limit, *captured])
    return fn


def _accumulate(op: Operation, saved: list[Tensor]) -> list[Tensor]:
    """Rewrites the forward While (once) so each iteration pushes the body tensors ``saved`` onto
    lists; returns the final lists. The original body stays the one that is recomputed."""
    info = op.loop
    if info.accumulators:
        return [op.outputs[i] for i in info.accumulators]
    graph, body, cond = op.graph, info.body, info.cond
    acc_body = FuncGraph(f"{body.name}_acc", graph)
    with acc_body.as_default():
        args = [acc_body.add_arg(t.dtype, t.shape) for t in body.args]
        handles = [acc_body.add_arg(dtypes.VARIANT, ()) for _ in saved]
        copied = copy_ops(body, acc_body, dict(zip(body.args, args)))
        pushed = [control_flow.push_back(h, copied[t]) for h, t in zip(handles, saved)]
        acc_body.set_outputs([copied[t] for t in body.outputs] + pushed)
    acc_cond = FuncGraph(f"{cond.name}_acc", graph)
    with acc_cond.as_default():
        args = [acc_cond.add_arg(t.dtype, t.shape) for t in cond.args]
        for _ in saved:
            acc_cond.add_arg(dtypes.VARIANT, ())
        copied = copy_ops(cond, acc_cond, dict(zip(cond.args, args)))
        acc_cond.set_outputs([copied[t] for t in cond.outputs])
    start = len(graph.operations)
    limit = op.inputs[1] if info.bounded else -1
    empties = [control_flow.empty_list(t.dtype, limit, graph, t.shape) for t in saved]
    new_ops = graph.operations[start:]  # keep creation order topological: the lists come before the loop
    del graph.operations[start:]
    at = graph.operations.index(op)
    graph.operations[at:at] = new_ops
    op.inputs.extend(empties)
    op.input_groups[0].extend(empties)
    op.attrs["T"].list.type.extend([dtypes.VARIANT] * len(saved))
    for _ in saved:
        op.attrs["output_shapes"].list.shape.add().SetInParent()
    op.attrs["body"].func.name = acc_body.name
    op.attrs["cond"].func.name = acc_cond.name
    first = len(op.outputs)
    op.outputs.extend(Tensor(op, first + k, dtypes.VARIANT, ()) for k in range(len(saved)))
    op.functions = [acc_cond, acc_body]
    info.accumulators = list(range(first, first + len(saved)))
    return op.outputs[first:]


@register("If")
def _if(op: Operation, *grads: Tensor | None) -> list[Tensor | None]:
    then_fn, else_fn = op.functions
    inputs = op.inputs[1:]
    out_idx = [i for i, t in enumerate(op.outputs) if _floating(t)]
    in_idx = [j for j, t in enumerate(inputs) if _floating(t)]
    if not in_idx or not out_idx:
        return [None] * len(op.inputs)
    upstream = [grads[i] if grads[i] is not None else array.zeros_like(op.outputs[i]) for i in out_idx]
    branches = [_branch_grad(fn, out_idx, in_idx, [op.outputs[i] for i in out_idx], op.graph)
                for fn in (then_fn, else_fn)]
    grad_if = control_flow.make_if(op.graph, op.inputs[0], [*inputs, *upstream], *branches,
                                   [inputs[j].shape for j in in_idx])
    result: list[Tensor | None] = [None] * len(op.inputs)
    for k, j in enumerate(in_idx):
        result[1 + j] = grad_if.outputs[k]
    return result


def _branch_grad(fn: FuncGraph, out_idx: list[int], in_idx: list[int], outs: list[Tensor],
                 graph: Graph) -> FuncGraph:
    grad_fn = FuncGraph(f"{fn.name}_grad", graph)
    with grad_fn.as_default():
        args = [grad_fn.add_arg(t.dtype, t.shape) for t in fn.args]
        upstream = [grad_fn.add_arg(t.dtype, t.shape) for t in outs]
        copied = copy_ops(fn, grad_fn, dict(zip(fn.args, args)))
        xs = [args[j] for j in in_idx]
        found = gradients([copied[fn.outputs[i]] for i in out_idx], xs, grad_ys=upstream)
        grad_fn.set_outputs([g if g is not None else array.zeros_like(x) for g, x in zip(found, xs)])
    return grad_fn


# -- TensorLists -----------------------------------------------------------------------------------------------
def _element(op: Operation) -> int:
    return op.get_attr("element_dtype")


@register("TensorListPushBack")
def _push_back(op: Operation, grad: Tensor) -> list[Tensor | None]:
    handle, value = control_flow.pop_back(grad, _element(op), op.inputs[1].shape)
    return [handle, value]


@register("TensorListPopBack")
def _pop_back(op: Operation, grad_handle: Tensor | None, grad_value: Tensor) -> list[Tensor | None]:
    if grad_handle is None:  # the elements left in the list get zero gradients
        left = control_flow.stack(op.outputs[0], _element(op), op.outputs[1].shape, array.shape(grad_value))
        grad_handle = control_flow.from_tensor(array.zeros_like(left))
    return [control_flow.push_back(grad_handle, grad_value), None]


@register("TensorListStack")
def _stack(op: Operation, grad: Tensor) -> list[Tensor | None]:
    return [control_flow.from_tensor(grad), None]


@register("TensorListFromTensor")
def _from_tensor(op: Operation, grad: Tensor) -> list[Tensor | None]:
    shape = op.inputs[0].shape
    return [control_flow.stack(grad, op.inputs[0].dtype, None if shape is None else shape[1:]), None]


@register("ReverseV2")
def _reverse(op: Operation, grad: Tensor) -> list[Tensor | None]:
    return [grad.graph.create_op("ReverseV2", [grad, op.inputs[1]], {}).outputs[0], None]
