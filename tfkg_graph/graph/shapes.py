"""Static shape inference, one small rule per op type (unknown ops get unknown shapes).

Shapes are tuples with None for unknown dimensions, or None for unknown rank. ``constant_value``
folds what is known at build time (Const, Shape of a known shape, Pack of constants...) so
Reshape/Fill/reductions can get exact shapes.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..runtime import dtypes
from ..runtime.codecs import shape_from_proto, tensor_proto_to_numpy
from .opdefs import GraphBuildError

RULES: dict[str, Callable[[Any], list]] = {}
Shape = Any


def rule(*op_types: str) -> Callable:
    def register(fn: Callable) -> Callable:
        for t in op_types:
            RULES[t] = fn
        return fn
    return register


def infer(op: Any, n_outputs: int) -> list[Shape]:
    fn = RULES.get(op.type)
    shapes = fn(op) if fn else [None] * n_outputs
    if len(shapes) != n_outputs:
        shapes = list(shapes) + [None] * (n_outputs - len(shapes))
    return shapes


def constant_value(t: Any) -> np.ndarray | None:
    """The tensor's value if the builder can know it without running the graph."""
    op = t.op
    if op.type == "Const":
        return tensor_proto_to_numpy(op.attrs["value"].tensor)
    if op.type == "Shape" and op.inputs[0].shape is not None and None not in op.inputs[0].shape:
        return np.array(op.inputs[0].shape, dtype=dtypes.to_numpy(t.dtype))
    if op.type == "Size" and op.inputs[0].shape is not None and None not in op.inputs[0].shape:
        return np.array(int(np.prod(op.inputs[0].shape)), dtype=dtypes.to_numpy(t.dtype))
    if op.type == "Rank" and op.inputs[0].shape is not None:
        return np.array(len(op.inputs[0].shape), dtype=np.int32)
    if op.type in ("Identity", "Cast", "StopGradient"):
        v = constant_value(op.inputs[0])
        return None if v is None else v.astype(dtypes.to_numpy(t.dtype))
    if op.type == "Pack":
        values = [constant_value(i) for i in op.inputs]
        if any(v is None for v in values):
            return None
        return np.stack(values, axis=op.get_attr("axis"))
    return None


def partial_shape_value(t: Any) -> Shape:
    """A 1-D shape tensor's value with None where an element is unknown (e.g. Pack of a batch dim)."""
    value = constant_value(t)
    if value is not None:
        return tuple(None if v < 0 else int(v) for v in value.reshape(-1))
    op = t.op
    if op.type == "Pack" and op.get_attr("axis") == 0:
        out = []
        for i in op.inputs:
            v = constant_value(i)
            out.append(None if v is None or int(v) < 0 else int(v))
        return tuple(out)
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "ConcatV2":
        axis_parts = [partial_shape_value(i) for i in op.inputs[:-1]]
        if any(p is None for p in axis_parts):
            return None
        return tuple(d for p in axis_parts for d in p)
    if t.shape is not None and len(t.shape) == 1 and t.shape[0] is not None:
        return (None,) * t.shape[0]
    return None


def broadcast(a: Shape, b: Shape, where: str = "") -> Shape:
    """NumPy broadcasting of two static shapes; an unknown dim broadcasts to the known one unless 1."""
    if a is None or b is None:
        return None
    n = max(len(a), len(b))
    out = []
    for x, y in zip((1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)):
        if x == 1:
            out.append(y)
        elif y == 1 or x == y:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        else:
            raise GraphBuildError(f"{where}: shapes {tuple(a)} and {tuple(b)} cannot be broadcast")
    return tuple(out)


def _same(op: Any) -> list[Shape]:
    return [op.inputs[0].shape]


def _scalar(op: Any) -> list[Shape]:
    return [()]


rule("Identity", "Neg", "Square", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Abs", "Relu", "Relu6", "Elu",
     "Selu", "LeakyRelu", "Sigmoid", "Tanh", "Softplus", "Softsign", "Erf", "Softmax", "LogSoftmax", "Cast",
     "StopGradient", "Sign", "Floor", "Ceil", "Round", "Reciprocal", "ZerosLike", "OnesLike", "IsNan",
     "IsFinite", "Expm1", "Sin", "Cos", "LogicalNot", "ReluGrad", "Relu6Grad", "EluGrad", "SeluGrad",
     "LeakyReluGrad", "SigmoidGrad", "TanhGrad", "SoftplusGrad", "SoftsignGrad", "RsqrtGrad", "SqrtGrad",
     "ReciprocalGrad", "CheckNumerics", "PreventGradient", "Snapshot", "ClipByValue", "Erfc",
     "Inv", "Atan", "Asin", "Acos", "Tan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Digamma",
     "Lgamma")(_same)
rule("L2Loss")(_scalar)


@rule("AddV2", "Add", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "Maximum", "Minimum", "Pow",
      "SquaredDifference", "FloorDiv", "FloorMod", "Greater", "GreaterEqual", "Less", "LessEqual",
      "Equal", "NotEqual", "LogicalAnd", "LogicalOr", "Atan2", "Xlogy", "Xdivy", "MulNoNan",
      "TruncateDiv")
def _binary(op: Any) -> list[Shape]:
    return [broadcast(op.inputs[0].shape, op.inputs[1].shape, f"node {op.name!r} ({op.type})")]


@rule("SelectV2")
def _select(op: Any) -> list[Shape]:
    where = f"node {op.name!r} ({op.type})"
    return [broadcast(broadcast(op.inputs[0].shape, op.inputs[1].shape, where), op.inputs[2].shape, where)]


@rule("AddN")
def _add_n(op: Any) -> list[Shape]:
    shape = op.inputs[0].shape
    for t in op.inputs[1:]:
        shape = broadcast(shape, t.shape, f"node {op.name!r}") if shape is not None else t.shape
    return [shape]


@rule("Placeholder", "PlaceholderWithDefault")
def _placeholder(op: Any) -> list[Shape]:
    return [op.get_attr("shape")]


@rule("Const")
def _const(op: Any) -> list[Shape]:
    return [shape_from_proto(op.attrs["value"].tensor.tensor_shape)]


@rule("VarHandleOp")
def _var_handle(op: Any) -> list[Shape]:
    return [()]


@rule("ReadVariableOp")
def _read_var(op: Any) -> list[Shape]:
    return [_handle_shape(op.inputs[0])]


def _handle_shape(handle: Any) -> Shape:
    op = handle.op
    while op.type in ("Identity",):
        op = op.inputs[0].op
    return op.get_attr("shape") if op.type == "VarHandleOp" else None


@rule("ResourceGather")
def _resource_gather(op: Any) -> list[Shape]:
    params, indices = _handle_shape(op.inputs[0]), op.inputs[1].shape
    if params is None or indices is None:
        return [None]
    return [tuple(indices) + tuple(params[1:])]


@rule("MatMul")
def _matmul(op: Any) -> list[Shape]:
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a is None or b is None:
        return [None]
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    m, k = (a[1], a[0]) if ta else (a[0], a[1])
    k2, n = (b[1], b[0]) if tb else (b[0], b[1])
    if k is not None and k2 is not None and k != k2:
        raise GraphBuildError(f"node {op.name!r} (MatMul): inner dimensions differ: {a} x {b}"
                              f"{' (transposed)' if ta or tb else ''}")
    return [(m, n)]


@rule("BatchMatMulV2", "BatchMatMulV3")
def _batch_matmul(op: Any) -> list[Shape]:
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a is None or b is None:
        return [None]
    ta, tb = op.get_attr("adj_x"), op.get_attr("adj_y")
    m = a[-1] if ta else a[-2]
    n = b[-2] if tb else b[-1]
    batch = broadcast(a[:-2], b[:-2], f"node {op.name!r}")
    return [tuple(batch) + (m, n)]


@rule("BiasAdd", "BiasAddV1")
def _bias_add(op: Any) -> list[Shape]:
    return [op.inputs[0].shape]


@rule("BiasAddGrad")
def _bias_add_grad(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    if s is None:
        return [None]
    return [(s[1],) if op.get_attr("data_format") == "NCHW" else (s[-1],)]


def _reduced(shape: Shape, axes: np.ndarray | None, keep_dims: bool) -> Shape:
    if shape is None:
        return None
    if axes is None:
        return tuple(None for _ in shape) if keep_dims else None
    rank = len(shape)
    axes_set = {int(a) % rank for a in np.reshape(axes, -1)} if rank else set()
    if keep_dims:
        return tuple(1 if i in axes_set else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes_set)


@rule("Sum", "Mean", "Max", "Min", "Prod", "All", "Any", "EuclideanNorm")
def _reduce(op: Any) -> list[Shape]:
    return [_reduced(op.inputs[0].shape, constant_value(op.inputs[1]), op.get_attr("keep_dims"))]


@rule("ArgMax", "ArgMin")
def _argmax(op: Any) -> list[Shape]:
    return [_reduced(op.inputs[0].shape, constant_value(op.inputs[1]), False)]


@rule("Shape")
def _shape(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    return [(None if s is None else len(s),)]


@rule("Size", "Rank")
def _size(op: Any) -> list[Shape]:
    return [()]


@rule("Reshape")
def _reshape(op: Any) -> list[Shape]:
    target = partial_shape_value(op.inputs[1])
    if target is None:
        return [None]
    src = op.inputs[0].shape
    out = list(target)
    value = constant_value(op.inputs[1])
    if value is not None and -1 in value.reshape(-1).tolist():
        idx = value.reshape(-1).tolist().index(-1)
        known = [d for i, d in enumerate(out) if i != idx]
        if src is not None and None not in src and None not in known:
            total, rest = int(np.prod(src)), int(np.prod(known)) if known else 1
            if rest == 0 or total % rest:
                raise GraphBuildError(f"node {op.name!r} (Reshape): cannot reshape {src} to "
                                      f"{tuple(value.tolist())}")
            out[idx] = total // rest
        else:
            out[idx] = None
    elif src is not None and None not in src and None not in out and int(np.prod(src)) != int(np.prod(out)):
        raise GraphBuildError(f"node {op.name!r} (Reshape): cannot reshape {src} "
                              f"({int(np.prod(src))} elements) to {tuple(out)}")
    return [tuple(out)]


@rule("ExpandDims")
def _expand_dims(op: Any) -> list[Shape]:
    s, axis = op.inputs[0].shape, constant_value(op.inputs[1])
    if s is None or axis is None:
        return [None]
    a = int(axis.reshape(-1)[0])
    a = a if a >= 0 else len(s) + 1 + a
    return [tuple(s[:a]) + (1,) + tuple(s[a:])]


@rule("Squeeze")
def _squeeze(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    if s is None:
        return [None]
    dims = op.get_attr("squeeze_dims")
    if not dims:
        return [tuple(d for d in s if d != 1)] if None not in s else [None]
    drop = {d % len(s) for d in dims}
    return [tuple(d for i, d in enumerate(s) if i not in drop)]


@rule("Transpose")
def _transpose(op: Any) -> list[Shape]:
    s, perm = op.inputs[0].shape, constant_value(op.inputs[1])
    if s is None or perm is None:
        return [None if s is None else (None,) * len(s)]
    return [tuple(s[int(p)] for p in perm)]


@rule("ConcatV2")
def _concat(op: Any) -> list[Shape]:
    values, axis = op.inputs[:-1], constant_value(op.inputs[-1])
    shapes = [v.shape for v in values]
    if axis is None or any(s is None for s in shapes):
        return [None]
    rank = len(shapes[0])
    a = int(axis) % rank
    out = list(shapes[0])
    for s in shapes[1:]:
        if len(s) != rank:
            raise GraphBuildError(f"node {op.name!r} (ConcatV2): ranks differ: {shapes}")
        for i in range(rank):
            if i == a:
                out[i] = None if out[i] is None or s[i] is None else out[i] + s[i]
            elif out[i] is None:
                out[i] = s[i]
            elif s[i] is not None and s[i] != out[i]:
                raise GraphBuildError(f"node {op.name!r} (ConcatV2): shapes {shapes} differ off axis {a}")
    return [tuple(out)]


@rule("Pack")
def _pack(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    if s is None:
        return [None]
    axis = op.get_attr("axis")
    axis = axis if axis >= 0 else len(s) + 1 + axis
    return [tuple(s[:axis]) + (len(op.inputs),) + tuple(s[axis:])]


@rule("Unpack")
def _unpack(op: Any) -> list[Shape]:
    s, num = op.inputs[0].shape, op.get_attr("num")
    if s is None:
        return [None] * num
    axis = op.get_attr("axis") % len(s)
    return [tuple(d for i, d in enumerate(s) if i != axis)] * num


@rule("Split")
def _split(op: Any) -> list[Shape]:
    axis, s, num = constant_value(op.inputs[0]), op.inputs[1].shape, op.get_attr("num_split")
    if s is None or axis is None:
        return [None] * num
    a = int(axis) % len(s)
    out = list(s)
    out[a] = None if s[a] is None else s[a] // num
    return [tuple(out)] * num


@rule("SplitV")
def _split_v(op: Any) -> list[Shape]:
    s, sizes, axis = op.inputs[0].shape, constant_value(op.inputs[1]), constant_value(op.inputs[2])
    num = op.get_attr("num_split")
    if s is None or sizes is None or axis is None:
        return [None] * num
    a = int(axis) % len(s)
    sizes = [int(v) for v in sizes]
    if -1 in sizes and s[a] is not None:
        sizes[sizes.index(-1)] = s[a] - (sum(sizes) + 1)
    return [tuple(s[:a]) + (None if v < 0 else v,) + tuple(s[a + 1:]) for v in sizes]


@rule("Slice")
def _slice(op: Any) -> list[Shape]:
    s, begin, size = op.inputs[0].shape, constant_value(op.inputs[1]), constant_value(op.inputs[2])
    if s is None or size is None:
        return [None if s is None else (None,) * len(s)]
    out = []
    for i, n in enumerate(size):
        if n >= 0:
            out.append(int(n))
        elif s[i] is not None and begin is not None:
            out.append(s[i] - int(begin[i]))
        else:
            out.append(None)
    return [tuple(out)]


@rule("StridedSlice")
def _strided_slice(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    begin, end, strides = (constant_value(t) for t in op.inputs[1:4])
    if s is None or begin is None or end is None or strides is None:
        return [None]
    masks = {k: op.get_attr(k) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                         "shrink_axis_mask")}
    out: list = []
    dim = 0
    for i in range(len(begin)):
        bit = 1 << i
        if masks["ellipsis_mask"] & bit:
            remaining = len(begin) - i - 1 - sum(1 for j in range(i + 1, len(begin))
                                                 if masks["new_axis_mask"] & (1 << j))
            n = len(s) - dim - remaining
            out.extend(s[dim:dim + n])
            dim += n
            continue
        if masks["new_axis_mask"] & bit:
            out.append(1)
            continue
        size = s[dim]
        if masks["shrink_axis_mask"] & bit:
            dim += 1
            continue
        if size is None:
            out.append(None)
        else:
            b = None if masks["begin_mask"] & bit else int(begin[i])
            e = None if masks["end_mask"] & bit else int(end[i])
            out.append(len(range(*slice(b, e, int(strides[i])).indices(size))))
        dim += 1
    out.extend(s[dim:])
    return [tuple(out)]


@rule("Tile")
def _tile(op: Any) -> list[Shape]:
    s, mult = op.inputs[0].shape, constant_value(op.inputs[1])
    if s is None or mult is None:
        return [None if s is None else (None,) * len(s)]
    return [tuple(None if d is None else d * int(m) for d, m in zip(s, mult))]


@rule("Pad", "PadV2", "MirrorPad")
def _pad(op: Any) -> list[Shape]:
    s, pads = op.inputs[0].shape, constant_value(op.inputs[1])
    if s is None or pads is None:
        return [None if s is None else (None,) * len(s)]
    return [tuple(None if d is None else d + int(p[0]) + int(p[1]) for d, p in zip(s, pads))]


@rule("GatherV2")
def _gather(op: Any) -> list[Shape]:
    params, indices, axis = op.inputs[0].shape, op.inputs[1].shape, constant_value(op.inputs[2])
    if params is None or indices is None or axis is None:
        return [None]
    a = int(axis) % len(params)
    batch_dims = op.get_attr("batch_dims")
    return [tuple(params[:a]) + tuple(indices[batch_dims:]) + tuple(params[a + 1:])]


@rule("Fill")
def _fill(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[0])]


@rule("RandomUniform", "RandomStandardNormal", "TruncatedNormal")
def _random(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[0])]


@rule("Range")
def _range(op: Any) -> list[Shape]:
    start, limit, delta = (constant_value(t) for t in op.inputs)
    if start is None or limit is None or delta is None:
        return [(None,)]
    return [(len(range(int(start), int(limit), int(delta))) if np.issubdtype(start.dtype, np.integer)
             else int(np.ceil((float(limit) - float(start)) / float(delta))),)]


@rule("OneHot")
def _one_hot(op: Any) -> list[Shape]:
    s, depth = op.inputs[0].shape, constant_value(op.inputs[1])
    if s is None:
        return [None]
    axis = op.get_attr("axis")
    d = None if depth is None else int(depth)
    return [tuple(s) + (d,) if axis == -1 else tuple(s[:axis]) + (d,) + tuple(s[axis:])]


@rule("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    return [None if s is None else (s[0],), s]


@rule("SoftmaxCrossEntropyWithLogits")
def _xent(op: Any) -> list[Shape]:
    s = broadcast(op.inputs[0].shape, op.inputs[1].shape, f"node {op.name!r}")
    return [None if s is None else (s[0],), s]


@rule("UnsortedSegmentSum")
def _segment_sum(op: Any) -> list[Shape]:
    data, ids, n = op.inputs[0].shape, op.inputs[1].shape, constant_value(op.inputs[2])
    if data is None or ids is None:
        return [None]
    return [(None if n is None else int(n),) + tuple(data[len(ids):])]


@rule("BroadcastTo")
def _broadcast_to(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[1])]


@rule("InvertPermutation")
def _invert_perm(op: Any) -> list[Shape]:
    return [op.inputs[0].shape]


@rule("BroadcastGradientArgs")
def _bga(op: Any) -> list[Shape]:
    return [(None,), (None,)]


# ---- convolution and pooling ------------------------------------------------------------------
def _windowed(op: Any, x: Shape, window: Shape) -> Shape:
    """Output shape of a Conv2D/MaxPool/AvgPool over ``x`` with ``window`` = (height, width) of the
    (dilated) kernel; the channel dim is filled in by the caller."""
    if x is None:
        return None
    if len(x) != 4:
        raise GraphBuildError(f"node {op.name!r} ({op.type}): expects a rank-4 input, got {tuple(x)}")
    nchw = op.get_attr("data_format") == "NCHW"
    spatial = (2, 3) if nchw else (1, 2)
    strides, padding = op.get_attr("strides"), op.get_attr("padding")
    explicit = op.get_attr("explicit_paddings") if padding == "EXPLICIT" else []
    out = list(x)
    for j, axis in enumerate(spatial):
        size, k, s = x[axis], window[j], strides[axis]
        if size is None or k is None:
            out[axis] = None
        elif padding == "SAME":
            out[axis] = -(-size // s)
        else:
            padded = size + (explicit[2 * axis] + explicit[2 * axis + 1] if explicit else 0)
            if padded < k:
                raise GraphBuildError(f"node {op.name!r} ({op.type}): window {k} is larger than the "
                                      f"{'padded ' if explicit else ''}input size {padded} (input {tuple(x)})")
            out[axis] = (padded - k) // s + 1
    return tuple(out)


@rule("Conv2D")
def _conv2d(op: Any) -> list[Shape]:
    x, f = op.inputs[0].shape, op.inputs[1].shape
    if x is None:
        return [None]
    nchw = op.get_attr("data_format") == "NCHW"
    dilations = op.get_attr("dilations")
    spatial = (2, 3) if nchw else (1, 2)
    window = (None, None) if f is None else tuple(
        None if f[j] is None else (f[j] - 1) * dilations[axis] + 1 for j, axis in enumerate(spatial))
    out = list(_windowed(op, x, window))
    out[1 if nchw else 3] = None if f is None else f[3]
    return [tuple(out)]


@rule("MaxPool", "AvgPool")
def _pool(op: Any) -> list[Shape]:
    ksize = op.get_attr("ksize")
    spatial = (2, 3) if op.get_attr("data_format") == "NCHW" else (1, 2)
    return [_windowed(op, op.inputs[0].shape, tuple(ksize[a] for a in spatial))]


@rule("Conv2DBackpropInput", "AvgPoolGrad")
def _from_input_sizes(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[0])]


@rule("Conv2DBackpropFilter")
def _conv2d_backprop_filter(op: Any) -> list[Shape]:
    return [partial_shape_value(op.inputs[1])]


@rule("MaxPoolGrad")
def _max_pool_grad(op: Any) -> list[Shape]:
    return [op.inputs[0].shape]
