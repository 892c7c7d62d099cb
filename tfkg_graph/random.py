"""``keras.random`` as graph ops, for a custom layer's ``call``: each function adds a seeded random op to the
graph being built and returns its Tensor (a fresh draw on every run of the graph, as Keras' ops draw per call).

``seed`` is an int, a ``SeedGenerator`` or None. With an int the op's seed is fixed; the per-graph op counter
still separates two ops given the same int, as TensorFlow's graph-level/op-level seed pair does. The numbers
come from TensorFlow's kernels, so they differ from Keras' stateless draws; the distributions are the same.
"""
from __future__ import annotations

from typing import Any, Sequence

from .graph import Tensor, get_default_graph
from .graph.ops import array, math
from .graph.ops.constants import constant, convert
from .runtime import dtypes


class SeedGenerator:
    """A seed shared by several draws (Keras' ``SeedGenerator``): every op built with it gets this seed."""

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.seed, self.name = seed, name


def _seed(seed: int | SeedGenerator | None) -> int | None:
    if isinstance(seed, SeedGenerator):
        return seed.seed
    if seed is not None and not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a keras.random.SeedGenerator or None, got {type(seed).__name__}")
    return seed


def _shape(shape: Sequence[int | Tensor] | Tensor) -> Tensor:
    """Static ints or ``ops.shape`` entries (unknown dims are scalar tensors) -> an int32 shape tensor."""
    if isinstance(shape, Tensor):
        return shape
    if any(isinstance(d, Tensor) for d in shape):
        return array.stack([d if isinstance(d, Tensor) else constant(int(d), "int32") for d in shape])
    return constant([int(d) for d in shape], "int32", name="shape")


def _draw(op_type: str, shape: Any, dtype: Any, seed: Any) -> Tensor:
    graph = get_default_graph()
    op_seed, seed2 = graph.next_seed()
    fixed = _seed(seed)
    attrs = {"dtype": dtypes.as_dtype(dtype or "float32"), "seed": op_seed if fixed is None else fixed,
             "seed2": seed2}
    return graph.create_op(op_type, [_shape(shape)], attrs, name=op_type).outputs[0]


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    return _draw("RandomStandardNormal", shape, dtype, seed) * stddev + mean


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Uniform on [minval, maxval)."""
    return _draw("RandomUniform", shape, dtype, seed) * (maxval - minval) + minval


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Normal draws re-drawn beyond two standard deviations."""
    return _draw("TruncatedNormal", shape, dtype, seed) * stddev + mean


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Integers uniform on [minval, maxval): the floor of a float draw scaled to the range."""
    draws = math.floor(_draw("RandomUniform", shape, "float32", seed) * float(maxval - minval)) + float(minval)
    return math.cast(math.minimum(draws, float(maxval - 1)), dtype)


def dropout(inputs: Any, rate: float, noise_shape: Sequence[int | None] | None = None, seed: Any = None) -> Tensor:
    """Zeroes each entry with probability ``rate`` and scales the rest by 1 / (1 - rate), always (not only in
    training: like ``keras.random.dropout``, the layer decides when to call it)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout rate must be in [0, 1), got {rate!r}")
    inputs = convert(inputs)
    dynamic = array.shape(inputs)
    if noise_shape is None:
        shape: Any = dynamic
    else:
        shape = [dynamic[i] if d is None else int(d) for i, d in enumerate(noise_shape)]
    keep = math.cast(math.greater_equal(_draw("RandomUniform", shape, inputs.dtype, seed), rate), inputs.dtype)
    return inputs * keep * (1.0 / (1.0 - rate))


__all__ = ["SeedGenerator", "dropout", "normal", "randint", "truncated_normal", "uniform"]
