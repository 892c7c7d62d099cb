"""Keras 3 activations as graph functions: ``fn(x: Tensor, ...) -> Tensor``.

Each is built from ops that have gradient rules in our registry, with Keras' formulas and defaults
(``leaky_relu`` slope 0.2, ``gelu`` exact by default, ``hard_sigmoid = relu6(x + 3) / 6``).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .graph import Tensor
from .graph.ops import array, math, nn
from .graph.ops.constants import constant, convert
from .runtime import dtypes

Activation = Callable[..., Tensor]


def linear(x: Any) -> Tensor:
    return convert(x)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Tensor:
    """Keras' ReLU with its three options; the plain and relu6 cases stay one fused op."""
    x = convert(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return nn.leaky_relu(x, alpha=negative_slope)
    negative_part = nn.relu(threshold - x if threshold else -x) if negative_slope != 0.0 else None
    if threshold != 0:
        y = math.select(math.greater(x, threshold), x, array.zeros_like(x))
    elif max_value == 6:
        y, max_value = nn.relu6(x), None
    else:
        y = nn.relu(x)
    if max_value is not None:
        y = math.clip_by_value(y, 0.0, max_value)
    if negative_part is not None:
        y = y - negative_part * negative_slope
    return y


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    return nn.leaky_relu(x, alpha=negative_slope)


def relu6(x: Any) -> Tensor:
    return nn.relu6(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    x = convert(x)
    y = nn.elu(x)
    return y if alpha == 1 else math.select(math.greater(x, 0.0), y, y * alpha)


def selu(x: Any) -> Tensor:
    return nn.selu(x)


def sigmoid(x: Any) -> Tensor:
    return nn.sigmoid(x)


def hard_sigmoid(x: Any) -> Tensor:
    return nn.relu6(convert(x) + 3.0) / 6.0


def tanh(x: Any) -> Tensor:
    return nn.tanh(x)


def _on_last_axis(fn: Callable[[Tensor], Tensor], x: Any, axis: int) -> Tensor:
    """Applies a last-axis op along ``axis`` by swapping that axis to the end and back, like tf.nn."""
    x = convert(x)
    if x.rank is None:
        raise ValueError(f"softmax of {x.name!r} needs a known rank")
    axis = axis % x.rank if x.rank else 0
    if axis == x.rank - 1 or x.rank <= 1:
        return fn(x)
    perm = list(range(x.rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return array.transpose(fn(array.transpose(x, perm)), perm)


def softmax(x: Any, axis: int = -1) -> Tensor:
    return _on_last_axis(nn.softmax, x, axis)


def masked_softmax(x: Any, keep: Tensor, axis: int = -1, zero_masked: bool = True) -> Tensor:
    """Softmax over the entries where ``keep`` (bool, broadcastable) is True, as Keras' Softmax layer and
    attention do: the others get a large negative logit, and with ``zero_masked`` probability 0 (so a
    fully masked axis gives zeros instead of a uniform distribution)."""
    x = convert(x)
    keep = array.broadcast_to(keep, array.shape(x))
    large_negative = constant(np.asarray(-3e4 if x.dtype == dtypes.HALF else -1e9, dtypes.to_numpy(x.dtype)),
                              graph=x.graph)
    probabilities = softmax(math.select(keep, x, array.fill(array.shape(x), large_negative)), axis)
    return math.select(keep, probabilities, array.zeros_like(probabilities)) if zero_masked else probabilities


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    return _on_last_axis(nn.log_softmax, x, axis)


def silu(x: Any) -> Tensor:
    x = convert(x)
    return x * nn.sigmoid(x)


swish = silu


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Exact: ``0.5 x erfc(-x / sqrt 2)`` (TF's form, accurate for very negative x); else tanh form."""
    x = convert(x)
    if approximate:
        inner = (x + x * x * x * 0.044715) * 0.7978845608028654
        return x * 0.5 * (math.tanh(inner) + 1.0)
    return x * 0.5 * math.erfc(x * -0.7071067811865476)


def softplus(x: Any) -> Tensor:
    return nn.softplus(x)


def softsign(x: Any) -> Tensor:
    return nn.softsign(x)


def exponential(x: Any) -> Tensor:
    return math.exp(x)


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    x = convert(x)
    return math.maximum(x, 0.0) + (math.exp(math.minimum(x, 0.0) / alpha) - 1.0) * alpha


def glu(x: Any, axis: int = -1) -> Tensor:
    """First half times the sigmoid of the second half along ``axis``."""
    x = convert(x)
    if x.rank is None or x.shape[axis] is None or x.shape[axis] % 2:
        raise ValueError(f"glu: axis {axis} of {x.name!r} must have a known even size, got shape {x.shape}")
    first, second = array.split(x, 2, axis)
    return first * nn.sigmoid(second)


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    x = convert(x)
    return math.select(math.greater(math.abs(x), threshold), x, array.zeros_like(x))


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    x = convert(x)
    zeros = array.zeros_like(x)
    return math.select(math.greater(x, threshold), x - threshold,
                       math.select(math.less(x, -threshold), x + threshold, zeros))


def hard_silu(x: Any) -> Tensor:
    x = convert(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x: Any) -> Tensor:
    return math.clip_by_value(convert(x), -1.0, 1.0)


def log_sigmoid(x: Any) -> Tensor:
    return math.negative(nn.softplus(math.negative(convert(x))))


def mish(x: Any) -> Tensor:
    x = convert(x)
    return x * math.tanh(nn.softplus(x))


def sparse_plus(x: Any) -> Tensor:
    """0 below -1, ``(x + 1)^2 / 4`` on (-1, 1), x above."""
    x = convert(x)
    return math.select(math.less_equal(x, -1.0), array.zeros_like(x),
                       math.select(math.less(x, 1.0), math.square(x + 1.0) * 0.25, x))


def sparse_sigmoid(x: Any) -> Tensor:
    x = convert(x)
    return math.select(math.less_equal(x, -1.0), array.zeros_like(x),
                       math.select(math.greater_equal(x, 1.0), array.ones_like(x), (x + 1.0) * 0.5))


def squareplus(x: Any, b: float = 4) -> Tensor:
    x = convert(x)
    return (x + math.sqrt(math.square(x) + float(b))) / 2.0


def tanh_shrink(x: Any) -> Tensor:
    x = convert(x)
    return x - math.tanh(x)


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    x = convert(x)
    return math.select(math.greater(x, threshold), x, array.fill(array.shape(x), math.scalar_like(x, default_value)))


def _sparsemax_last_axis(z: Tensor) -> Tensor:
    """Sparsemax without a sort: z_i is in the support when ``1 + k_i z_i > sum of z_j >= z_i`` with
    ``k_i`` their count (pairwise comparisons over the last axis), then ``max(z - tau, 0)``."""
    pairwise = math.cast(math.greater_equal(array.expand_dims(z, -2), array.expand_dims(z, -1)), z.dtype)
    rank_at_least = math.reduce_sum(pairwise, -1)
    sum_at_least = math.reduce_sum(pairwise * array.expand_dims(z, -2), -1)
    support = math.cast(math.greater(rank_at_least * z + 1.0, sum_at_least), z.dtype)
    tau = (math.reduce_sum(support * z, -1, keepdims=True) - 1.0) / math.reduce_sum(support, -1, keepdims=True)
    return math.maximum(z - tau, 0.0)


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    return _on_last_axis(_sparsemax_last_axis, x, axis)


ACTIVATIONS: dict[str, Activation] = {fn.__name__: fn for fn in (
    linear, relu, leaky_relu, relu6, elu, selu, sigmoid, hard_sigmoid, tanh, softmax, log_softmax, silu,
    gelu, softplus, softsign, exponential, celu, glu, hard_shrink, soft_shrink, hard_silu, hard_tanh, log_sigmoid,
    mish, sparse_plus, sparse_sigmoid, squareplus, tanh_shrink, threshold, sparsemax)}
ALIASES = {"swish": silu, "hard_swish": hard_silu}


def serialize(activation: Activation) -> str:
    """Keras writes built-in activations as their name."""
    for name, fn in ACTIVATIONS.items():
        if fn is activation:
            return name
    raise ValueError(f"{activation!r} is not a built-in activation and cannot be serialized by name")


def deserialize(config: str | dict[str, Any]) -> Activation:
    """A name, or Keras' ``{"class_name": "function", "config": "relu", ...}`` form."""
    name = config.get("config") if isinstance(config, dict) else config
    if not isinstance(name, str):
        raise ValueError(f"cannot interpret {config!r} as an activation")
    fn = ACTIVATIONS.get(name) or ALIASES.get(name)
    if fn is None:
        raise ValueError(f"unknown activation {name!r}; known: {sorted(ACTIVATIONS) + sorted(ALIASES)}")
    return fn


def get(identifier: Any) -> Activation:
    """None (-> linear), a name, a config dict or a callable, as keras.activations.get."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an activation")
