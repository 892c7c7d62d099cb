"""``keras.random`` as graph ops, for a custom layer's ``call``: each function adds a seeded random op to the
graph being built and returns its Tensor (a fresh draw on every run of the graph, as Keras' ops draw per call).

``seed`` is an int, a ``SeedGenerator`` or None. With an int the op's seed is fixed; the per-graph op counter
still separates two ops given the same int, as TensorFlow's graph-level/op-level seed pair does. The numbers
come from TensorFlow's kernels, so they differ from Keras' stateless draws; the distributions are the same.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

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


__all__ = ["SeedGenerator", "dropout", "normal", "randint", "truncated_normal", "uniform", "gamma", "beta", "binomial",
           "categorical", "shuffle"]


def _seed_attrs(seed: Any) -> dict[str, int]:
    op_seed, seed2 = get_default_graph().next_seed()
    fixed = _seed(seed)
    return {"seed": op_seed if fixed is None else fixed, "seed2": seed2}


def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Gamma(alpha, 1) draws (TF's RandomGamma with a scalar alpha)."""
    dt = dtypes.as_dtype(dtype or "float32")
    alpha_t = constant(np.asarray(alpha, dtypes.to_numpy(dt)))
    return get_default_graph().create_op("RandomGamma", [_shape(shape), alpha_t], _seed_attrs(seed),
                                         name="RandomGamma").outputs[0]


def beta(shape: Any, alpha: float, beta: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Beta(alpha, beta) as g1 / (g1 + g2) of two gamma draws."""
    g1 = gamma(shape, alpha, dtype, seed)
    g2 = gamma(shape, beta, dtype, None if seed is None else _seed(seed) + 1)
    return g1 / (g1 + g2)


def binomial(shape: Any, counts: int, probabilities: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Binomial(counts, p) as the number of ``counts`` uniform draws below p (counts a Python int)."""
    if int(counts) != counts or counts < 0:
        raise ValueError(f"binomial counts must be a non-negative int here, got {counts!r}")
    if isinstance(shape, Tensor) or any(isinstance(d, Tensor) for d in shape):
        raise ValueError("binomial needs a static shape")
    draws = uniform([int(counts), *[int(d) for d in shape]], dtype="float32", seed=seed)
    hits = math.cast(math.less(draws, float(probabilities)), dtype or "float32")
    return math.reduce_sum(hits, 0)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """``num_samples`` class indices per row of 2-D ``logits`` (TF's Multinomial)."""
    logits = convert(logits)
    if logits.shape is not None and len(logits.shape) != 2:
        raise ValueError(f"categorical needs 2-D logits (batch, classes), got shape {logits.shape}")
    attrs = {**_seed_attrs(seed), "output_dtype": dtypes.as_dtype(dtype)}
    return logits.graph.create_op("Multinomial", [logits, constant(np.int32(num_samples), graph=logits.graph)],
                                  attrs, name="Multinomial").outputs[0]


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """A random permutation of ``x`` along ``axis`` (TF's RandomShuffle shuffles the first axis)."""
    x = convert(x)
    if axis == 0:
        return x.graph.create_op("RandomShuffle", [x], _seed_attrs(seed), name="RandomShuffle").outputs[0]
    if x.shape is None:
        raise ValueError("shuffle along an axis other than 0 needs a known rank")
    perm = list(range(len(x.shape)))
    perm[0], perm[axis] = perm[axis], perm[0]
    moved = x.graph.create_op("RandomShuffle", [array.transpose(x, perm)], _seed_attrs(seed),
                              name="RandomShuffle").outputs[0]
    return array.transpose(moved, perm)
