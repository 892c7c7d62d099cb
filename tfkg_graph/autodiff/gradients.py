"""Reverse-mode differentiation over our own graph, written into the same graph.

The whole idea: walk the ops between ``xs`` and ``ys`` backwards (creation order is a topological
order), sum the gradients arriving at each op's outputs, and ask the op's registered rule for the
gradients of its inputs. Every backward op lives under the ``gradients/`` name scope.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..graph import Operation, Tensor
from ..graph.ops import array, math
from ..graph.ops.state import Variable
from ..runtime import dtypes

Rule = Callable[..., Sequence[Tensor | None]]
RULES: dict[str, Rule | None] = {}


class NoGradientError(LookupError):
    """The graph needs a gradient rule that the registry does not have."""


def register(*op_types: str) -> Callable[[Rule], Rule]:
    """``@register("MatMul")`` on ``rule(op, grad) -> [grad per input]``."""
    def add(rule: Rule) -> Rule:
        for op_type in op_types:
            RULES[op_type] = rule
        return rule
    return add


def not_differentiable(*op_types: str) -> None:
    """Ops through which no gradient flows (comparisons, shapes, random numbers...)."""
    for op_type in op_types:
        RULES[op_type] = None


def _differentiable(t: Tensor) -> bool:
    """Floats, variable handles, and TensorLists (variants) that carry per-step values out of loops."""
    return dtypes.is_floating(t.dtype) or t.dtype in (dtypes.RESOURCE, dtypes.VARIANT)


def _between(ys: list[Tensor], xs: list[Tensor]) -> set[Operation]:
    """Ops on some path from an x to a y."""
    consumers: dict[int, list[Operation]] = {}
    for op in ys[0].graph.operations:
        for t in op.inputs:
            consumers.setdefault(id(t), []).append(op)
    forward: set[Operation] = set()
    stack = [op for x in xs for op in consumers.get(id(x), [])]
    while stack:
        op = stack.pop()
        if op not in forward:
            forward.add(op)
            stack.extend(c for t in op.outputs for c in consumers.get(id(t), []))
    between: set[Operation] = set()
    stack = [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in forward and op not in between:
            between.add(op)
            stack.extend(t.op for t in op.inputs)
    return between


def gradients(ys: Tensor | Sequence[Tensor], xs: Any, grad_ys: Sequence[Tensor | None] | None = None,
              name: str = "gradients") -> list[Tensor | None]:
    """d(sum ys)/d(xs). ``xs`` may hold Tensors or Variables; unconnected xs give None."""
    ys = [ys] if isinstance(ys, Tensor) else list(ys)
    single = isinstance(xs, (Tensor, Variable))
    xs_list = [xs] if single else list(xs)
    x_tensors = [x.handle if isinstance(x, Variable) else x for x in xs_list]
    graph = ys[0].graph
    grads: dict[int, list[Tensor]] = {}
    with graph.name_scope(name):
        for i, y in enumerate(ys):
            g = grad_ys[i] if grad_ys is not None and grad_ys[i] is not None else array.ones_like(y)
            grads.setdefault(id(y), []).append(g)
        between = _between(ys, x_tensors)
        for op in reversed(graph.operations):
            if op not in between:
                continue
            out_grads = [_sum_into(grads, t) for t in op.outputs]
            if all(g is None for g in out_grads):
                continue
            if op.type not in RULES:
                raise NoGradientError(f"no gradient rule for op type {op.type!r} (node {op.name!r}); "
                                      "register one with tfkg_graph.autodiff.register")
            rule = RULES[op.type]
            if rule is None:
                continue
            if len(op.outputs) > 1:  # multi-output rules expect a gradient for every output
                out_grads = [g if g is not None or not _differentiable(t) or t.dtype == dtypes.VARIANT
                             else array.zeros_like(t)
                             for g, t in zip(out_grads, op.outputs)]
            with graph.name_scope(op.name + "_grad"):
                in_grads = rule(op, *out_grads)
            if len(in_grads) != len(op.inputs):
                raise ValueError(f"gradient rule for {op.type} returned {len(in_grads)} gradients for "
                                 f"{len(op.inputs)} inputs (node {op.name!r})")
            for t, g in zip(op.inputs, in_grads):
                if g is not None and _differentiable(t) and (t.op in between or t in x_tensors):
                    grads.setdefault(id(t), []).append(g)
        result = [_sum_into(grads, x) for x in x_tensors]
    return result[0] if single else result


def _sum_into(grads: dict[int, list[Tensor]], t: Tensor) -> Tensor | None:
    """The total gradient arriving at ``t``, summed once and kept: an x may also be an intermediate
    tensor whose op the walk passes, and it must still get its gradient at the end."""
    values = grads.get(id(t))
    if not values:
        return None
    if len(values) > 1:
        grads[id(t)] = values = [math.add_n(values)]
    return values[0]
