"""Ops behind ``keras.ops.math`` and ``keras.ops.core`` that the older modules lack: erfinv, segment
max/min/prod, in-top-k, N-d gather/scatter, and Einsum (with its equation parser and static shapes)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor
from ..opdefs import GraphBuildError
from ..shapes import RULES, broadcast, partial_shape_value, rule
from ._base import make, out
from .constants import constant, convert


def erfinv(x: Any, name: str | None = None) -> Tensor:
    return out("Erfinv", [convert(x)], name=name)


def check_numerics(x: Any, message: str, name: str | None = None) -> Tensor:
    """``x``, or a run-time InvalidArgumentError naming ``message`` when it holds NaN or Inf."""
    return out("CheckNumerics", [convert(x)], {"message": message}, name=name)


def assert_all(condition: Tensor, message: str, name: str | None = None) -> Any:
    """An Assert op: running it fails with ``message`` unless every element of ``condition`` is true."""
    everything = out("All", [condition, constant(np.arange(condition.rank, dtype=np.int32), graph=condition.graph)],
                     {"keep_dims": False}) if condition.rank else condition
    return make("Assert", [everything, [constant(message, graph=condition.graph)]], {"summarize": 3}, name=name)


def unsorted_segment(op_type: str, data: Any, segment_ids: Any, num_segments: Any,
                     name: str | None = None) -> Tensor:
    """``UnsortedSegment{Sum,Max,Min,Prod}``: rows of ``data`` combined per id; empty segments get the
    op's identity (0, lowest, highest, 1)."""
    data = convert(data)
    ids = convert(segment_ids, graph=data.graph)
    n = num_segments if isinstance(num_segments, Tensor) else constant(np.int32(num_segments), graph=data.graph)
    return out(op_type, [data, ids, n], name=name)


def in_top_k(predictions: Any, targets: Any, k: Any, name: str | None = None) -> Tensor:
    """Whether each row's target class is among the ``k`` largest predictions (ties count as in)."""
    predictions = convert(predictions)
    if predictions.dtype != dtypes.FLOAT:  # the kernel takes float32 only
        predictions = out("Cast", [predictions], {"DstT": dtypes.FLOAT})
    targets = convert(targets, graph=predictions.graph)
    k = k if isinstance(k, Tensor) else constant(np.asarray(k, dtypes.to_numpy(targets.dtype)),
                                                 graph=predictions.graph)
    return out("InTopKV2", [predictions, targets, k], name=name)


def gather_nd(params: Any, indices: Any, name: str | None = None) -> Tensor:
    params = convert(params)
    return out("GatherNd", [params, convert(indices, graph=params.graph)], name=name)


def scatter_nd(indices: Any, updates: Any, shape: Any, name: str | None = None) -> Tensor:
    updates = convert(updates)
    indices = convert(indices, graph=updates.graph)
    shape = shape if isinstance(shape, Tensor) else constant(
        np.asarray(shape, dtypes.to_numpy(indices.dtype)), graph=updates.graph)
    return out("ScatterNd", [indices, updates, shape], name=name)


def tensor_scatter(op_type: str, tensor: Any, indices: Any, updates: Any, name: str | None = None) -> Tensor:
    """``TensorScatter{Update,Add,Max,Min}``: a copy of ``tensor`` with slices replaced, added, or
    combined by maximum / minimum."""
    tensor = convert(tensor)
    return out(op_type, [tensor, convert(indices, graph=tensor.graph),
                         convert(updates, tensor.dtype, tensor.graph)], name=name)


# ---- einsum ------------------------------------------------------------------------------------------
def parse_equation(equation: str, n_inputs: int) -> tuple[list[str], str]:
    """Input and output subscripts of an einsum equation, made explicit as numpy does (implicit output:
    the labels used once, sorted, after the broadcast dims). ``...`` stays as written."""
    equation = equation.replace(" ", "")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != n_inputs:
        raise ValueError(f"einsum equation {equation!r} names {len(inputs)} operands, got {n_inputs}")
    for subs in inputs + ([rhs] if arrow else []):
        letters = subs.replace("...", "")
        if not letters.isalpha() and letters:
            raise ValueError(f"einsum equation {equation!r}: subscripts must be letters and '...'")
    if not arrow:
        labels = "".join(s.replace("...", "") for s in inputs)
        once = sorted(c for c in set(labels) if labels.count(c) == 1)
        rhs = ("..." if any("..." in s for s in inputs) else "") + "".join(once)
    return inputs, rhs


def _split_ellipsis(subs: str) -> tuple[str, str | None]:
    """(labels before ``...``, labels after) or (labels, None) without one."""
    if "..." not in subs:
        return subs, None
    before, after = subs.split("...")
    return before, after


def einsum_shape(inputs: list[str], output: str, shapes: Sequence[Any]) -> Any:
    """The output's static shape (None when an input's rank is unknown)."""
    if any(s is None for s in shapes):
        return None
    dims: dict[str, Any] = {}
    ellipsis: Any = ()
    for subs, shape in zip(inputs, shapes):
        before, after = _split_ellipsis(subs)
        labelled = len(before) + len(after or "")
        if (after is None and len(shape) != labelled) or len(shape) < labelled:
            raise GraphBuildError(f"einsum operand {subs!r} does not fit shape {tuple(shape)}")
        tail = tuple(shape[len(shape) - len(after):]) if after else ()
        for label, d in zip(before + (after or ""), tuple(shape[:len(before)]) + tail):
            if dims.get(label) is None or dims[label] == 1:
                dims[label] = d
            elif d is not None and d != 1 and d != dims[label]:
                raise GraphBuildError(f"einsum label {label!r} has sizes {dims[label]} and {d}")
        if after is not None:
            ellipsis = broadcast(ellipsis, tuple(shape[len(before):len(shape) - len(after)]), "einsum")
    before, after = _split_ellipsis(output)
    return tuple(dims[c] for c in before) + (tuple(ellipsis) if after is not None else ()) + \
        tuple(dims[c] for c in after or "")


def einsum(equation: str, *operands: Any, name: str | None = None) -> Tensor:
    """TF's Einsum op takes one or two operands; longer products contract left to right, keeping the
    labels later operands or the output still need."""
    values = [convert(v) for v in operands]
    if not values:
        raise ValueError("einsum needs at least one operand")
    values[1:] = [convert(v, values[0].dtype, values[0].graph) for v in values[1:]]
    inputs, output = parse_equation(equation, len(values))
    while len(inputs) > 2:
        rest = "".join(inputs[2:]) + output
        seen = inputs[0].replace("...", "") + inputs[1].replace("...", "")
        keep = "".join(dict.fromkeys(c for c in seen if c in rest))
        dots = "..." if "..." in inputs[0] + inputs[1] else ""
        values[:2] = [_einsum_op(f"{inputs[0]},{inputs[1]}->{dots}{keep}", values[:2], None)]
        inputs[:2] = [dots + keep]
    return _einsum_op(",".join(inputs) + "->" + output, values, name)


def _einsum_op(equation: str, values: list[Tensor], name: str | None) -> Tensor:
    return make("Einsum", [values], {"equation": equation}, name=name).outputs[0]


# ---- static shapes ---------------------------------------------------------------------------------
rule("Erfinv", "TensorScatterUpdate", "TensorScatterAdd", "TensorScatterMax", "TensorScatterMin")(lambda op: [op.inputs[0].shape])
rule("UnsortedSegmentMax", "UnsortedSegmentMin", "UnsortedSegmentProd")(RULES["UnsortedSegmentSum"])


rule("IdentityN")(lambda op: [t.shape for t in op.inputs])


@rule("InTopKV2")
def _in_top_k(op: Any) -> list:
    shape = op.inputs[1].shape
    return [shape]


@rule("GatherNd")
def _gather_nd(op: Any) -> list:
    params, indices = op.inputs[0].shape, op.inputs[1].shape
    if params is None or indices is None or indices[-1] is None:
        return [None]
    return [tuple(indices[:-1]) + tuple(params[indices[-1]:])]


@rule("ScatterNd")
def _scatter_nd(op: Any) -> list:
    return [partial_shape_value(op.inputs[2])]


@rule("Einsum")
def _einsum(op: Any) -> list:
    inputs, output = op.get_attr("equation").split("->")
    return [einsum_shape(inputs.split(","), output, [t.shape for t in op.inputs])]
