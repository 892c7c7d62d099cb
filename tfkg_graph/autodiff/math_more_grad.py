"""Gradient rules for graph/ops/math_more.py: erfinv, segment max/min/prod, N-d gather/scatter and
einsum (whose gradient is again an einsum)."""
from __future__ import annotations

import math as pymath

from ..graph.ops import array, math, math_more
from ._util import unbroadcast
from .gradients import not_differentiable, register

not_differentiable("InTopKV2", "CTCGreedyDecoder", "CTCBeamSearchDecoder")


@register("Erfinv")
def _erfinv(op, grad):
    """d erfinv(x) = sqrt(pi) / 2 * exp(erfinv(x)^2)."""
    y = op.outputs[0]
    return [grad * math.scalar_like(y, pymath.sqrt(pymath.pi) / 2) * math.exp(math.square(y))]


@register("CheckNumerics")
def _check_numerics(op, grad):
    """TF's rule: the gradient passes, checked the same way."""
    message = "Not a number (NaN) or infinity (Inf) values detected in gradient. " + op.get_attr("message")
    return [math_more.check_numerics(grad, message)]


@register("UnsortedSegmentMax", "UnsortedSegmentMin")
def _segment_extreme(op, grad):
    """The segment's gradient goes to the rows that hold its extreme, shared evenly between ties."""
    data, ids, n = op.inputs
    selected = math.equal(data, array.gather(op.outputs[0], ids))
    counts = array.unsorted_segment_sum(math.cast(selected, data.dtype), ids, n)
    shared = array.gather(math.div_no_nan(grad, counts), ids)
    return [math.select(selected, shared, array.zeros_like(shared)), None, None]


@register("UnsortedSegmentProd")
def _segment_prod(op, grad):
    """TF's rule: the product of the other rows of the segment, counting zeros so a single zero in a
    segment still gets the product of the rest (and two zeros give zero everywhere)."""
    data, ids, n = op.inputs
    is_zero = math.equal(data, math.scalar_like(data, 0.0))
    zeros = array.unsorted_segment_sum(math.cast(is_zero, "int32"), ids, n)
    grad = math.select(math.greater(zeros, 1), array.zeros_like(grad), grad)
    non_zero = math.select(is_zero, array.ones_like(data), data)
    non_zero_prod = math_more.unsorted_segment("UnsortedSegmentProd", non_zero, ids, n)
    others = math.select(is_zero, array.gather(non_zero_prod, ids), array.gather(op.outputs[0], ids) / non_zero)
    return [array.gather(grad, ids) * others, None, None]


@register("GatherNd")
def _gather_nd(op, grad):
    params, indices = op.inputs
    return [math_more.scatter_nd(indices, grad, array.shape(params, out_type=indices.dtype)), None]


@register("ScatterNd")
def _scatter_nd(op, grad):
    return [None, math_more.gather_nd(grad, op.inputs[0]), None]


@register("TensorScatterUpdate")
def _scatter_update(op, grad):
    _, indices, updates = op.inputs
    kept = math_more.tensor_scatter("TensorScatterUpdate", grad, indices, array.zeros_like(updates))
    return [kept, None, math_more.gather_nd(grad, indices)]


@register("TensorScatterAdd")
def _scatter_add(op, grad):
    return [grad, None, math_more.gather_nd(grad, op.inputs[1])]


@register("TensorScatterMax", "TensorScatterMin")
def _scatter_extreme(op, grad):
    """TF's rule: the gradient goes to whichever of the old value and the updates won, split evenly
    between ties."""
    tensor, indices, updates = op.inputs
    result = op.outputs[0]
    kept = math.cast(math.equal(tensor, result), grad.dtype)
    won = math.cast(math.equal(updates, math_more.gather_nd(result, indices)), grad.dtype)
    winners = kept + math_more.scatter_nd(indices, won, array.shape(tensor, out_type=indices.dtype))
    return [grad * kept / winners, None, math_more.gather_nd(grad / winners, indices) * won]


@register("CTCLoss")
def _ctc_loss(op, grad, _gradient_grad):
    """The kernel's second output is d loss / d logits; scale it per batch entry."""
    return [array.expand_dims(grad, -1) * array.stop_gradient(op.outputs[1]), None, None, None]


@register("Einsum")
def _einsum(op, grad):
    """For each operand: an einsum of the output gradient with the other operands back to the operand's
    labels; labels only that operand has (summed away in the forward pass) are broadcast back."""
    lhs, output = op.get_attr("equation").split("->")
    subs = lhs.split(",")
    grads = []
    for i, (x, x_subs) in enumerate(zip(op.inputs, subs)):
        letters = x_subs.replace("...", "")
        if len(set(letters)) != len(letters):
            raise NotImplementedError(f"no einsum gradient for a repeated label in {x_subs!r} (node {op.name!r})")
        others = [(t, s) for j, (t, s) in enumerate(zip(op.inputs, subs)) if j != i]
        available = output + "".join(s for _, s in others)
        reduced = [c for c in letters if c not in available]
        if reduced and "..." in x_subs:
            raise NotImplementedError(f"no einsum gradient for {x_subs!r}: labels summed next to '...' "
                                      f"(node {op.name!r})")
        if "..." in x_subs and "..." not in output:
            raise NotImplementedError(f"no einsum gradient when '...' is summed away (node {op.name!r})")
        target = "".join(c for c in x_subs.replace("...", ".") if c not in reduced).replace(".", "...")
        sources = [output] + [s for _, s in others]
        # TF wants '...' in the output when an input has it: keep it, then sum those axes away
        summed_dots = "..." not in target and any("..." in s for s in sources)
        equation = ",".join(sources) + "->" + ("..." if summed_dots else "") + target
        g = math_more.einsum(equation, grad, *[t for t, _ in others])
        if summed_dots:
            kept = len(target)
            lead = list(range(g.rank - kept)) if g.rank is not None else \
                array.range_(0, array.rank(g) - kept)
            g = math.reduce_sum(g, axis=lead)
        if reduced:
            for axis, c in enumerate(letters):
                if c in reduced:
                    g = array.expand_dims(g, axis)
            g = array.broadcast_to(g, array.shape(x))
        elif "..." in x_subs:
            g = unbroadcast(g, x)
        grads.append(g)
    return grads
