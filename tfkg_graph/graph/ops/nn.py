"""Activations, softmax and fused losses (TF's nn_ops)."""
from __future__ import annotations

from typing import Any, Sequence

from ..graph import Tensor
from . import array
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


# ---- convolution and pooling (NHWC) ---------------------------------------------------------------
def _spatial(value: int | Sequence[int], n: int, what: str) -> list[int]:
    """An int or n ints -> the NHWC 4-vector TF's attrs want (batch and channels 1)."""
    values = [int(value)] * n if isinstance(value, int) else [int(v) for v in value]
    if len(values) != n or min(values) < 1:
        raise ValueError(f"{what} must be a positive int or {n} positive ints, got {value!r}")
    return [1, *values, 1] if n == 2 else values


def _padding(padding: str) -> str:
    upper = padding.upper()
    if upper not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    return upper


def conv2d(x: Any, filters: Any, strides: int | Sequence[int] = 1, padding: str = "VALID",
           dilations: int | Sequence[int] = 1, name: str | None = None) -> Tensor:
    """NHWC Conv2D; ``filters`` is (height, width, in_channels, out_channels)."""
    x = convert(x)
    return out("Conv2D", [x, convert(filters, x.dtype, x.graph)],
               {"strides": _spatial(strides, 2, "strides"), "padding": _padding(padding),
                "dilations": _spatial(dilations, 2, "dilations"), "data_format": "NHWC"}, name=name)


def conv2d_transpose(x: Any, filters: Any, output_shape: Any, strides: int | Sequence[int] = 1,
                     padding: str = "VALID", name: str | None = None) -> Tensor:
    """NHWC transposed convolution (the input gradient of a Conv2D, as TF builds it); ``filters`` is
    (height, width, out_channels, in_channels) and ``output_shape`` the (batch, rows, cols, out_channels)."""
    x = convert(x)
    sizes = convert(output_shape, "int32", x.graph)
    return out("Conv2DBackpropInput", [sizes, convert(filters, x.dtype, x.graph), x],
               {"strides": _spatial(strides, 2, "strides"), "padding": _padding(padding), "data_format": "NHWC"},
               name=name)


def conv1d(x: Any, filters: Any, stride: int = 1, padding: str = "VALID", dilation: int = 1,
           name: str | None = None) -> Tensor:
    """(batch, steps, channels) convolution as TF does it: ExpandDims + Conv2D over a height of 1 + Squeeze."""
    x = convert(x)
    filters = convert(filters, x.dtype, x.graph)
    y = conv2d(array.expand_dims(x, 1), array.expand_dims(filters, 0), [1, int(stride)], padding,
               [1, int(dilation)])
    return array.squeeze(y, [1], name=name)


def _pool(op_type: str, x: Any, ksize: Sequence[int], strides: Sequence[int], padding: str,
          name: str | None) -> Tensor:
    return out(op_type, [convert(x)], {"ksize": _spatial(ksize, 2, "pool size"),
                                       "strides": _spatial(strides, 2, "strides"),
                                       "padding": _padding(padding), "data_format": "NHWC"}, name=name)


def max_pool(x: Any, ksize: int | Sequence[int], strides: int | Sequence[int], padding: str = "VALID",
             name: str | None = None) -> Tensor:
    """NHWC MaxPool over (height, width) windows."""
    return _pool("MaxPool", x, ksize, strides, padding, name)


def avg_pool(x: Any, ksize: int | Sequence[int], strides: int | Sequence[int], padding: str = "VALID",
             name: str | None = None) -> Tensor:
    """NHWC AvgPool; with SAME padding the padded cells are not counted (TF's and Keras' convention)."""
    return _pool("AvgPool", x, ksize, strides, padding, name)
