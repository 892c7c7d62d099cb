"""Gradient rules for activations, softmax and fused losses."""
from __future__ import annotations

import numpy as np

from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ._util import shape_of
from .gradients import register


def _grad_op(op_type, *inputs, **attrs):
    return inputs[0].graph.create_op(op_type, list(inputs), attrs).outputs[0]


@register("BiasAdd")
def _bias_add(op, grad):
    fmt = op.get_attr("data_format")
    return [grad, _grad_op("BiasAddGrad", grad, data_format=fmt)]


@register("Softmax")
def _softmax(op, grad):
    y = op.outputs[0]
    return [(grad - math.reduce_sum(grad * y, -1, keepdims=True)) * y]


@register("LogSoftmax")
def _log_softmax(op, grad):
    return [grad - math.reduce_sum(grad, -1, keepdims=True) * math.exp(op.outputs[0])]


@register("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_xent(op, grad_loss, grad_backprop):
    # the op's second output is d(loss)/d(logits); a gradient arriving there (second order) is ignored
    backprop = op.outputs[1]
    return [array.expand_dims(grad_loss, -1) * backprop, None]


@register("SoftmaxCrossEntropyWithLogits")
def _xent(op, grad_loss, grad_backprop):
    logits, labels = op.inputs
    g = array.expand_dims(grad_loss, -1)
    return [g * op.outputs[1], g * math.negative(_log_softmax_of(logits))]


def _log_softmax_of(logits):
    return logits.graph.create_op("LogSoftmax", [logits]).outputs[0]


@register("L2Loss")
def _l2_loss(op, grad):
    return [op.inputs[0] * grad]


def _shape_i32(x):
    """``shape_of`` as an op input: an int32 constant when static, else the Shape op."""
    shape = shape_of(x)
    return constant(np.array(shape, np.int32), graph=x.graph) if isinstance(shape, list) else shape


def _attrs(op, *names):
    return {n: op.get_attr(n) for n in names if n in op.attrs}


def _nhwc_pads(before, after):
    """Pad paddings for the two spatial dims of NHWC (Python ints, or int32 (2,) tensors)."""
    if isinstance(before, list):
        return [[0, 0], [before[0], after[0]], [before[1], after[1]], [0, 0]]
    return array.pad(array.stack([before, after], axis=1), [[1, 1], [0, 0]])


_CONV_ATTRS = ("strides", "padding", "dilations", "data_format", "explicit_paddings", "use_cudnn_on_gpu")
_POOL_ATTRS = ("ksize", "strides", "padding", "data_format", "explicit_paddings")


@register("Conv2D")
def _conv2d(op, grad):
    x, w = op.inputs
    attrs = _attrs(op, *_CONV_ATTRS)
    if max(attrs["dilations"]) > 1:
        return _dilated_conv2d_grads(op, grad)
    return [_grad_op("Conv2DBackpropInput", _shape_i32(x), w, grad, **attrs),
            _grad_op("Conv2DBackpropFilter", x, _shape_i32(w), grad, **attrs)]


@register("Conv2DBackpropInput")
def _conv2d_backprop_input(op, grad):
    """A transposed convolution ``y = conv2d_transpose(x, w)`` is linear in x with adjoint conv2d(., w):
    dx = conv2d(dy, w); and <dy, y> = <conv2d(dy, w), x> gives dw = Conv2DBackpropFilter(dy, w, x)."""
    _, w, x = op.inputs
    attrs = _attrs(op, *_CONV_ATTRS)
    if max(attrs.get("dilations", [1])) > 1:
        raise ValueError(f"no gradient rule for a dilated Conv2DBackpropInput (node {op.name!r})")
    return [None, _grad_op("Conv2DBackpropFilter", grad, _shape_i32(w), x, **attrs),
            _grad_op("Conv2D", grad, w, **attrs)]


def _dilated_conv2d_grads(op, grad):
    """Both gradients of a dilated, stride-1 NHWC Conv2D as forward Conv2Ds (whose CPU kernel takes
    dilations, unlike the backprop kernels): the input gradient convolves the padded upstream gradient
    with the flipped kernel at the same dilation; the filter gradient convolves the padded input (batch
    and channels swapped) with the upstream gradient at stride = dilation."""
    x, w = op.inputs
    d = op.get_attr("dilations")
    if op.get_attr("data_format") != "NHWC" or max(op.get_attr("strides")) > 1 or op.get_attr("padding") == "EXPLICIT":
        raise ValueError(f"Conv2D gradient with dilations {d} needs NHWC, strides 1 and SAME/VALID padding "
                         f"(node {op.name!r})")
    same = op.get_attr("padding") == "SAME"
    if w.shape is not None and None not in w.shape[:2]:
        spans = [(w.shape[0] - 1) * d[1], (w.shape[1] - 1) * d[2]]  # extra extent of the dilated kernel
        before = [span // 2 if same else 0 for span in spans]
        after = [span - b for span, b in zip(spans, before)] if same else [0, 0]
        grad_pads = _nhwc_pads([s - b for s, b in zip(spans, before)], [s - a for s, a in zip(spans, after)])
        x_pads = _nhwc_pads(before, after)
    else:  # kernel size known only at run time
        spans = (array.shape(w)[:2] - 1) * constant(np.array(d[1:3], np.int32), graph=w.graph)
        before = math.floor_div(spans, 2) if same else array.zeros_like(spans)
        after = spans - before if same else before
        grad_pads, x_pads = _nhwc_pads(spans - before, spans - after), _nhwc_pads(before, after)
    padded_grad = array.pad(grad, grad_pads)
    dx = _grad_op("Conv2D", padded_grad, array.transpose(w[::-1, ::-1], [0, 1, 3, 2]),
                  strides=[1, 1, 1, 1], padding="VALID", dilations=d)
    padded_x = array.pad(array.transpose(x, [3, 1, 2, 0]), x_pads)
    dw = _grad_op("Conv2D", padded_x, array.transpose(grad, [1, 2, 0, 3]), strides=[1, d[1], d[2], 1],
                  padding="VALID")
    return [dx, array.transpose(dw, [1, 2, 0, 3])]


@register("MaxPool")
def _max_pool(op, grad):
    return [_grad_op("MaxPoolGrad", op.inputs[0], op.outputs[0], grad, **_attrs(op, *_POOL_ATTRS))]


@register("AvgPool")
def _avg_pool(op, grad):
    return [_grad_op("AvgPoolGrad", _shape_i32(op.inputs[0]), grad, **_attrs(op, *_POOL_ATTRS))]
