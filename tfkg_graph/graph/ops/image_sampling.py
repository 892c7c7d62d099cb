"""Sampling images at arbitrary coordinates (Keras' ``map_coordinates``) and the elastic warp built on it,
below ``ops`` and ``layers`` so ``ops.image`` and the RandomElasticTransform layer share them."""
from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ...runtime import dtypes
from ..graph import Tensor
from . import array, math, nn_spatial
from .constants import constant, convert


MAP_COORDINATES_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _mirror(index: Tensor, size: int) -> Tensor:
    """|(i + s) mod 2s - s| with s = size - 1: a triangle wave through 0..size-1."""
    s = max(size - 1, 1)
    return math.abs(math.floor_mod(index + s, 2 * s) - s) if size > 1 else array.zeros_like(index)


def _fix_index(index: Tensor, size: int, fill_mode: str) -> tuple[Tensor, Tensor | None]:
    """An index into [0, size) by the documented fill rule, and where it was valid (constant mode only).
    mirror is (c d c b | a b c d | c b a b), reflect (d c b a | a b c d | d c b a), as Keras documents and
    JAX computes them (Keras' TF backend folds negative indices differently; docs/differences.md)."""
    if fill_mode == "constant":
        valid = math.logical_and(math.greater_equal(index, 0), math.less(index, size))
        return math.clip_by_value(index, 0, size - 1), valid
    if fill_mode == "nearest":
        return math.clip_by_value(index, 0, size - 1), None
    if fill_mode == "wrap":
        return math.floor_mod(index, size), None
    if fill_mode == "mirror":
        return _mirror(index, size), None
    return math.floor_div(_mirror(2 * index + 1, 2 * size + 1) - 1, 2), None


def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0.0) -> Tensor:
    """``inputs`` sampled at ``coordinates`` (one row of positions per input axis), nearest (order 0) or
    multilinear (order 1), with Keras' TF-backend fill rules; a gather from the flattened input."""
    x, coords = convert(inputs), convert(coordinates)
    if x.shape is None or None in x.shape:
        raise ValueError(f"map_coordinates needs an input of known shape here, got {x.shape}")
    if coords.shape is None or len(coords.shape) < 2:
        raise ValueError(f"Invalid coordinates rank: expected at least rank 2. Received input with shape: "
                         f"{coords.shape}")
    if coords.shape[0] != len(x.shape):
        raise ValueError(f"First dim of `coordinates` must be the same as the rank of `inputs`. Received inputs "
                         f"with shape: {x.shape} and coordinate leading dim of {coords.shape[0]}")
    if fill_mode not in MAP_COORDINATES_FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected one of {MAP_COORDINATES_FILL_MODES}. "
                         f"Received: fill_mode={fill_mode}")
    if order not in (0, 1):
        raise NotImplementedError("map_coordinates currently requires order<=1")
    if not dtypes.is_floating(coords.dtype):
        coords = math.cast(coords, "float32")
    nodes = []  # per axis: [(index, weight)], Keras' nearest/linear interpolation nodes
    for axis, coordinate in enumerate(array.unstack(coords, coords.shape[0], axis=0)):
        if order == 0:
            axis_nodes = [(math.cast(math.round(coordinate), "int32"), None)]
        else:
            lower = math.floor(coordinate)
            upper_weight = coordinate - lower
            index = math.cast(lower, "int32")
            axis_nodes = [(index, 1.0 - upper_weight), (index + 1, upper_weight)]
        nodes.append([(*_fix_index(i, x.shape[axis], fill_mode), w) for i, w in axis_nodes])
    flat = array.reshape(x, [-1])
    strides = np.cumprod([1, *x.shape[::-1]])[:-1][::-1]
    total = None
    for combo in itertools.product(*nodes):
        flat_index = math.add_n([i * int(s) for (i, _, _), s in zip(combo, strides)])
        value = math.cast(array.gather(flat, flat_index), coords.dtype)
        valids = [v for _, v, _ in combo if v is not None]
        if valids:
            valid = valids[0]
            for v in valids[1:]:
                valid = math.logical_and(valid, v)
            fill = array.fill(array.shape(value), convert(fill_value, coords.dtype, x.graph))
            value = math.select(valid, value, fill)
        for _, _, w in combo:
            value = value if w is None else value * w
        total = value if total is None else total + value
    if not dtypes.is_floating(x.dtype):
        total = math.round(total)
    return math.cast(total, x.dtype)


def gaussian_kernel(sigma: Any, graph: Any, dtype: Any) -> Tensor:
    """(k, k, 1, 1) normalized Gaussian, k = 6 * int(sigma) + 1, as Keras' elastic_transform sizes it; a
    tensor ``sigma`` gives a kernel whose size is known only when the graph runs."""
    if isinstance(sigma, Tensor):
        s = math.cast(sigma, dtype)
        size = math.cast(s, "int32") * 6 + 1
        t = math.cast(array.range_(0, size), dtype)
        t = t - math.cast(size - 1, dtype) / 2.0
    else:
        s = convert(float(sigma), dtype, graph)
        size = 6 * int(sigma) + 1
        t = constant(np.arange(size) - (size - 1) / 2, dtype, graph=graph)
    k = math.exp(-0.5 * math.square(t / s))
    k = k / math.reduce_sum(k)
    return array.expand_dims(array.expand_dims(array.expand_dims(k, 1) * array.expand_dims(k, 0), -1), -1)


def elastic_displace(x: Tensor, alpha: Any, sigma: Any, interpolation: str, fill_mode: str, fill_value: float,
                     seed: int | None) -> Tensor:
    """An NHWC batch of known shape sampled at (row + alpha dy, column + alpha dx), dx and dy independent
    normal fields times sigma, blurred by the Gaussian of sigma (``alpha``/``sigma`` numbers or tensors)."""
    if x.shape is None or None in x.shape:
        raise ValueError(f"elastic_transform needs images of known shape here, got {x.shape}")
    n, height, width, channels = x.shape
    dtype = x.dtype if dtypes.is_floating(x.dtype) else dtypes.FLOAT
    graph = x.graph
    kernel = gaussian_kernel(sigma, graph, dtype)
    sigma_t = math.cast(sigma, dtype) if isinstance(sigma, Tensor) else float(sigma)
    alpha_t = math.cast(alpha, dtype) if isinstance(alpha, Tensor) else float(alpha)

    def field() -> Tensor:
        op_seed, seed2 = graph.next_seed()
        draw = graph.create_op("RandomStandardNormal", [constant(np.array([n, height, width, 1], np.int32), graph=graph)],
                               {"dtype": dtype, "seed": op_seed if seed is None else int(seed), "seed2": seed2},
                               name="RandomStandardNormal").outputs[0]
        smooth = nn_spatial.depthwise_conv2d(draw * sigma_t, kernel, 1, "SAME")
        return array.broadcast_to(smooth, [n, height, width, channels])
    dx, dy = field(), field()
    grids = np.meshgrid(np.arange(n), np.arange(height), np.arange(width), np.arange(channels), indexing="ij")
    b, y, xs, c = (constant(g.astype(dtypes.to_numpy(dtype)), graph=graph) for g in grids)
    coords = array.stack([b, y + alpha_t * dy, xs + alpha_t * dx, c])
    return map_coordinates(x, coords, ("nearest", "bilinear").index(interpolation), fill_mode, fill_value)
