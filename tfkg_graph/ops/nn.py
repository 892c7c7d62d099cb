"""``keras.ops.nn`` over our graph ops (Keras 3 signatures, defaults and dtypes).

Activations are the functions of ``tfkg_graph.activations``; convolutions and pooling live in
``_conv.py``. Names Keras has that are not here are listed in docs/differences.md.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import activations, backend
from ..graph import Tensor
from ..graph.ops import array, math, nn_spatial
from ..graph.ops.constants import convert
from ..losses import core as _losses
from ..runtime import dtypes
from ._conv import (adaptive_average_pool, adaptive_max_pool, average_pool, conv, conv_transpose,  # noqa: F401
                    depthwise_conv, max_pool, separable_conv)
from .core import gelu, one_hot  # noqa: F401

__all__ = ["relu", "relu6", "sigmoid", "sparse_sigmoid", "tanh", "tanh_shrink", "softplus", "softsign",
           "soft_shrink", "sparse_plus", "silu", "swish", "squareplus", "log_sigmoid", "leaky_relu", "hard_sigmoid",
           "hard_silu", "hard_swish", "elu", "selu", "gelu", "celu", "glu", "hard_tanh", "hard_shrink", "threshold",
           "softmax", "log_softmax", "sparsemax", "conv", "conv_transpose", "depthwise_conv", "separable_conv",
           "max_pool", "average_pool", "adaptive_average_pool", "adaptive_max_pool", "one_hot", "multi_hot",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "moments",
           "batch_normalization", "normalize", "layer_normalization", "rms_normalization", "psnr",
           "dot_product_attention", "depth_to_space", "space_to_depth"]

relu, relu6, sigmoid, tanh, softplus, softsign = (activations.relu, activations.relu6, activations.sigmoid,
                                                  activations.tanh, activations.softplus, activations.softsign)
sparse_sigmoid, tanh_shrink, soft_shrink, sparse_plus = (activations.sparse_sigmoid, activations.tanh_shrink,
                                                         activations.soft_shrink, activations.sparse_plus)
silu = swish = activations.silu
squareplus, log_sigmoid, hard_sigmoid = activations.squareplus, activations.log_sigmoid, activations.hard_sigmoid
hard_silu = hard_swish = activations.hard_silu
elu, selu, celu, glu, hard_tanh = activations.elu, activations.selu, activations.celu, activations.glu, activations.hard_tanh
hard_shrink, threshold, sparsemax = activations.hard_shrink, activations.threshold, activations.sparsemax
softmax, log_softmax = activations.softmax, activations.log_softmax


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    return activations.leaky_relu(x, negative_slope=negative_slope)


def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> Tensor:
    """One-hot of each index, then the max over the index axis (axis 1, or 0 for a vector)."""
    if sparse:
        raise ValueError("multi_hot(sparse=True) is not supported: tfkg_graph has no sparse tensors")
    num_classes = kwargs.pop("num_tokens", num_classes)
    x = convert(inputs)
    reduction_axis = 1 if x.shape is not None and len(x.shape) > 1 else 0
    dtype = dtype or "float32"
    hot = array.one_hot(math.cast(x, "int64"), num_classes, axis=axis, dtype=dtype)
    if dtypes.as_dtype(dtype) == dtypes.BOOL:
        return math.reduce_any(hot, reduction_axis)
    return math.reduce_max(hot, reduction_axis)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Elementwise (no reduction), as Keras' ops.nn version."""
    output = convert(output)
    target = math.cast(convert(target, graph=output.graph), output.dtype)
    output, from_logits = _losses._logits_of(output, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        positive = math.greater_equal(output, 0.0)
        relu_logits = math.select(positive, output, array.zeros_like(output))
        neg_abs = math.select(positive, math.negative(output), output)
        return relu_logits - output * target + math.log1p(math.exp(neg_abs))
    eps = backend.epsilon()
    output = math.clip_by_value(output, eps, 1.0 - eps)
    return math.negative(target * math.log(output) + (1.0 - target) * math.log(1.0 - output))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    return _losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    return _losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def moments(x: Any, axes: int | Sequence[int], keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance over ``axes``, as tf.nn.moments."""
    x = convert(x)
    axes = [axes] if isinstance(axes, int) else list(axes)
    mean = math.reduce_mean(x, axes, keepdims=True)
    variance = math.reduce_mean(math.squared_difference(x, array.stop_gradient(mean)), axes, keepdims=True)
    if not keepdims:
        mean, variance = array.squeeze(mean, axes), array.squeeze(variance, axes)
    return mean, variance


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                        epsilon: float = 1e-3) -> Tensor:
    x = convert(x)

    def along(v):
        v = convert(v, x.dtype, x.graph)
        if axis in (-1, len(x.shape) - 1):
            return v
        shape = [1] * len(x.shape)
        shape[axis] = -1
        return array.reshape(v, shape)
    inv = math.rsqrt(along(variance) + epsilon)
    if scale is not None:
        inv = inv * along(scale)
    shift = math.negative(along(mean)) * inv
    if offset is not None:
        shift = shift + along(offset)
    return x * inv + shift


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """x / max(norm, epsilon); the 2-norm as x * min(rsqrt(sum x²), 1 / epsilon), as Keras."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be an int >= 1, got {order!r}")
    x = convert(x)
    if x.shape == ():
        x = array.expand_dims(x, 0)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = math.rsqrt(math.reduce_sum(math.square(x), axis, keepdims=True))
        return x * math.minimum(inv, 1.0 / epsilon)
    if order == 1:
        norm = math.reduce_sum(math.abs(x), axis, keepdims=True)
    else:
        norm = math.pow(math.reduce_sum(math.pow(math.abs(x), float(order)), axis, keepdims=True), 1.0 / order)
    return x / math.maximum(norm, epsilon)


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: int | Sequence[int] = -1,
                        epsilon: float | None = None, **kwargs: Any) -> Tensor:
    rms_scaling = kwargs.pop("rms_scaling", False)
    x = convert(x)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    axes = sorted(a % len(x.shape) for a in ([axis] if isinstance(axis, int) else axis))
    shape = [x.shape[a] if a in axes else 1 for a in range(len(x.shape))]

    def shaped(v):
        v = convert(v, x.dtype, x.graph)
        return v if axes == [len(x.shape) - 1] else array.reshape(v, shape)
    mean, variance = moments(x, axes, keepdims=True)
    inv = math.rsqrt(variance + epsilon)
    if rms_scaling:
        out = x * inv
        return out * shaped(gamma) if gamma is not None else out
    if gamma is not None:
        inv = inv * shaped(gamma)
    shift = math.negative(mean) * inv
    if beta is not None:
        shift = shift + shaped(beta)
    return x * inv + shift


def rms_normalization(x: Any, scale: Any = None, axis: int | Sequence[int] = -1, epsilon: float | None = None) -> Tensor:
    x = convert(x)
    if x.shape == ():
        x = array.expand_dims(x, 0)
    epsilon = backend.epsilon() if epsilon is None else epsilon
    out = x * math.rsqrt(math.reduce_mean(math.square(x), axis, keepdims=True) + epsilon)
    return out * convert(scale, x.dtype, x.graph) if scale is not None else out


def psnr(x1: Any, x2: Any, max_val: float) -> Tensor:
    """20 log10(max_val) - 10 log10(mean squared error)."""
    x1 = convert(x1)
    x2 = convert(x2, x1.dtype, x1.graph)
    if x1.shape != x2.shape:
        raise ValueError(f"psnr: input shapes {x1.shape} and {x2.shape} must match")
    ln10 = 2.302585092994046
    mse = math.reduce_mean(math.square(x1 - x2))
    return 20.0 * math.log(convert(max_val, x1.dtype, x1.graph)) / ln10 - 10.0 * math.log(mse) / ln10


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False, flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Tensor:
    """softmax(q k^T * scale + bias, masked) v over (batch, steps, heads, head_dim) inputs."""
    if flash_attention:
        raise ValueError("Flash attention is not supported here (as Keras on TF)")
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU (as Keras says)")
    q = convert(query)
    k, v = convert(key, q.dtype, q.graph), convert(value, q.dtype, q.graph)
    if q.shape is None or len(q.shape) != 4:
        raise ValueError(f"dot_product_attention only supports 4-D inputs, got query shape {q.shape}")
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads is not None and kv_heads is not None and heads > kv_heads > 1:
        k, v = (_repeat_heads(t, heads // kv_heads) for t in (k, v))
    if scale is None:
        scale = math.rsqrt(math.cast(array.shape(k)[-1], q.dtype))
    logits = math.matmul(array.transpose(q, [0, 2, 1, 3]), array.transpose(k, [0, 2, 3, 1])) * scale
    if bias is not None:
        logits = logits + convert(bias, q.dtype, q.graph)
    if mask is not None or is_causal:
        keep = math.greater(array.ones_like(logits), 0.0)
        if mask is not None:
            keep = math.logical_and(keep, convert(mask, "bool", q.graph))
        if is_causal:
            t, s = array.shape(logits)[2], array.shape(logits)[3]
            rows = array.expand_dims(array.range_(0, t), 1)
            keep = math.logical_and(keep, math.greater_equal(rows, array.expand_dims(array.range_(0, s), 0)))
        logits = math.select(keep, logits, array.fill(array.shape(logits), convert(-0.7 * 3.38953e38, q.dtype)))
    probs = activations.softmax(logits)
    return array.transpose(math.matmul(probs, array.transpose(v, [0, 2, 1, 3])), [0, 2, 1, 3])


def _repeat_heads(t: Tensor, groups: int) -> Tensor:
    """Each kv head repeated ``groups`` times in place along axis 2 (tf.repeat)."""
    b, s, n, h = t.shape
    tiled = array.tile(array.expand_dims(t, 3), [1, 1, 1, groups, 1])
    dims = [d if d is not None else array.shape(t)[i] for i, d in enumerate((b, s))]
    return array.reshape(tiled, [*dims, n * groups, h])


def _blocks(fn, x: Any, block_size: int, data_format: str) -> Tensor:
    x = convert(x)
    if data_format == "channels_first":
        return array.transpose(fn(array.transpose(x, [0, 2, 3, 1]), block_size), [0, 3, 1, 2])
    return fn(x, block_size)


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    return _blocks(nn_spatial.depth_to_space, x, block_size, data_format)


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    return _blocks(nn_spatial.space_to_depth, x, block_size, data_format)


from ._ctc import ctc_decode, ctc_loss  # noqa: E402,F401 - over TF's CTC kernels (issue 19)
from ._nn_extra import fold, unfold  # noqa: E402,F401 - im2col / col2im (issue 19)

__all__ += ["fold", "unfold", "ctc_loss", "ctc_decode"]
