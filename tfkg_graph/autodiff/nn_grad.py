"""Gradient rules for activations, softmax and fused losses."""
from __future__ import annotations

from ..graph.ops import array, math
from .gradients import register


def _grad_op(op_type, *inputs, **attrs):
    return inputs[0].graph.create_op(op_type, list(inputs), attrs).outputs[0]


@register("Relu")
def _relu(op, grad):
    return [_grad_op("ReluGrad", grad, op.outputs[0])]


@register("Relu6")
def _relu6(op, grad):
    return [_grad_op("Relu6Grad", grad, op.inputs[0])]


@register("Elu")
def _elu(op, grad):
    return [_grad_op("EluGrad", grad, op.outputs[0])]


@register("Selu")
def _selu(op, grad):
    return [_grad_op("SeluGrad", grad, op.outputs[0])]


@register("LeakyRelu")
def _leaky_relu(op, grad):
    return [_grad_op("LeakyReluGrad", grad, op.inputs[0], alpha=op.get_attr("alpha"))]


@register("Softplus")
def _softplus(op, grad):
    return [_grad_op("SoftplusGrad", grad, op.inputs[0])]


@register("Softsign")
def _softsign(op, grad):
    return [_grad_op("SoftsignGrad", grad, op.inputs[0])]


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
