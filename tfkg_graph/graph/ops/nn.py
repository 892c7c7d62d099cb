"""Activations, softmax and fused losses (TF's nn_ops)."""
from __future__ import annotations

from typing import Any

from ..graph import Tensor
from ._base import make, out
from .constants import convert


def relu(x, name=None): return out("Relu", [convert(x)], name=name)
def relu6(x, name=None): return out("Relu6", [convert(x)], name=name)
def elu(x, name=None): return out("Elu", [convert(x)], name=name)
def selu(x, name=None): return out("Selu", [convert(x)], name=name)
def softplus(x, name=None): return out("Softplus", [convert(x)], name=name)
def softsign(x, name=None): return out("Softsign", [convert(x)], name=name)
def softmax(x, name=None): return out("Softmax", [convert(x)], name=name)
def log_softmax(x, name=None): return out("LogSoftmax", [convert(x)], name=name)
def sigmoid(x, name=None): return out("Sigmoid", [convert(x)], name=name)
def tanh(x, name=None): return out("Tanh", [convert(x)], name=name)


def leaky_relu(x: Any, alpha: float = 0.2, name: str | None = None) -> Tensor:
    return out("LeakyRelu", [convert(x)], {"alpha": alpha}, name=name)


def bias_add(x: Any, bias: Any, name: str | None = None) -> Tensor:
    x = convert(x)
    return out("BiasAdd", [x, convert(bias, x.dtype, x.graph)], name=name)


def sparse_softmax_cross_entropy_with_logits(labels: Any, logits: Any, name: str | None = None) -> Tensor:
    """Per-example loss; labels are class indices. The op's second output is the backprop."""
    logits = convert(logits)
    return make("SparseSoftmaxCrossEntropyWithLogits", [logits, convert(labels, graph=logits.graph)],
                name=name).outputs[0]


def softmax_cross_entropy_with_logits(labels: Any, logits: Any, name: str | None = None) -> Tensor:
    logits = convert(logits)
    return make("SoftmaxCrossEntropyWithLogits", [logits, convert(labels, logits.dtype, logits.graph)],
                name=name).outputs[0]


def l2_loss(x: Any, name: str | None = None) -> Tensor:
    return out("L2Loss", [convert(x)], name=name)
