"""Keras 3's random image augmentation layers that change values or pick windows: RandomFlip, RandomCrop,
RandomBrightness, RandomContrast, Solarization, RandomGrayscale, RandomInvert, RandomPosterization,
RandomErasing.

They draw only when training (seeded RandomUniform ops, a fresh draw per run); at inference each returns its
input as Keras does (some cast to the compute dtype first, as Keras' do). Draws come from TF's kernels, so
the numbers differ from Keras' stateless draws; the ranges, shapes and formulas are Keras'.
"""
from __future__ import annotations

import random as _py_random
from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, control_flow, math, numpy_ops
from ..graph.ops.constants import constant, convert
from ..graph.ops import image
from ..runtime import dtypes
from .preprocessing_image import ImagePreprocessingLayer, check_value_range, transform_value_range


def uniform(like: Tensor, shape: Sequence[Any], low: float, high: float, seed: int | None) -> Tensor:
    """float32 draws on [low, high) of ``shape`` (ints, or scalar int32 tensors for unknown dims)."""
    graph = like.graph
    op_seed, seed2 = graph.next_seed()
    if any(isinstance(d, Tensor) for d in shape):
        shape_t = array.stack([d if isinstance(d, Tensor) else constant(int(d), "int32", graph=graph) for d in shape])
    else:
        shape_t = constant([int(d) for d in shape], "int32", graph=graph)
    draw = graph.create_op("RandomUniform", [shape_t], {"dtype": dtypes.FLOAT, "seed": op_seed if seed is None
                                                        else int(seed), "seed2": seed2}, name="RandomUniform").outputs[0]
    return draw * float(high - low) + float(low)


def batch_size(x: Tensor) -> Any:
    return x.shape[0] if x.shape[0] is not None else array.shape(x)[0]


def per_image(x: Tensor, low: float, high: float, seed: int | None) -> Tensor:
    """One draw per image of a 4-D batch, shaped (batch, 1, 1, 1) to broadcast over it."""
    return uniform(x, [batch_size(x), 1, 1, 1], low, high, seed)


def base_factor(factor: Any, bounds: tuple[float, float], layer: str) -> tuple[float, float]:
    """Keras' BaseImagePreprocessingLayer._set_factor: a pair sorted, or a number f as (max(-f, low), f)."""
    message = (f"{layer}: the `factor` argument should be a number (or a list of two numbers) in the range "
               f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(message)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(message)
        factor = abs(factor)
        return max(-factor, bounds[0]), factor
    raise ValueError(message)


class RandomImageLayer(ImagePreprocessingLayer):
    """Random layers: ``seed`` in the config; the batch draw happens in ``augment`` when training."""

    cast_at_inference = True  # Keras casts the images to the compute dtype before checking `training`

    def __init__(self, seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed

    def transform(self, images, training):
        if training:
            return self.augment(images)
        return math.cast(images, self.compute_dtype) if self.cast_at_inference else images

    def augment(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


class RandomFlip(RandomImageLayer):
    """Flips each image left-right and/or up-down with probability 1/2 (one coin per image for both)."""

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any):
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {kwargs.get('name')} received an unknown mode argument {mode}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = mode

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        flips = math.less_equal(per_image(x, 0.0, 1.0, self.seed), 0.5)
        h_axis, w_axis = self.spatial_axes(4)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            x = math.select(flips, control_flow.reverse_(x, w_axis), x)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            x = math.select(flips, control_flow.reverse_(x, h_axis), x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode, "data_format": self.data_format}


class RandomCrop(RandomImageLayer):
    """When training, one random (height, width) window for the batch. At inference, and when training on
    images not larger than the window in both dims, the largest centred window of the target aspect ratio,
    resized to (height, width): what Keras documents (Keras 3's code passes the input through at inference;
    docs/differences.md)."""

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(seed=seed if seed is not None else _py_random.randint(1, int(1e9)), data_format=data_format,
                         **kwargs)
        self.height, self.width = height, width

    def transform(self, images, training):
        x = math.cast(images, self.compute_dtype)
        h_axis, w_axis = self.spatial_axes(4)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"RandomCrop requires the input to have a fully defined height and width. Received: "
                             f"images.shape={x.shape}")
        if training and height > self.height and width > self.width:
            starts = [math.cast(uniform(x, [], 0.0, float(size - want + 1), self.seed), "int32")
                      for size, want in ((height, self.height), (width, self.width))]
            zero = constant(0, "int32", graph=x.graph)
            begin = [zero] * 4
            begin[h_axis], begin[w_axis] = starts
            sizes = [-1 if d is None else d for d in x.shape]
            sizes[h_axis], sizes[w_axis] = self.height, self.width
            return array.slice(x, array.stack(begin), sizes)
        crop_h = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_w = max(min(width, int(float(height * self.width) / self.height)), 1)
        begin, sizes = [0] * 4, [-1] * 4
        begin[h_axis], begin[w_axis] = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
        sizes[h_axis], sizes[w_axis] = crop_h, crop_w
        x = array.slice(x, begin, sizes)
        if (crop_h, crop_w) != (self.height, self.width):
            x = math.cast(image.resize_images(x, (self.height, self.width), data_format=self.data_format),
                          self.compute_dtype)
        return x

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class RandomBrightness(RandomImageLayer):
    """Adds ``uniform(factor) * (value_range width)`` per image, clipped to ``value_range``."""

    cast_at_inference = False

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = base_factor(factor, (-1, 1), "RandomBrightness")
        self.value_range = check_value_range(value_range)

    def augment(self, images):
        low, high = self.value_range
        delta = per_image(images, self.factor[0], self.factor[1], self.seed) * float(high - low)
        out = images + math.cast(delta, images.dtype)
        return math.clip_by_value(out, convert(low, out.dtype, out.graph), convert(high, out.dtype, out.graph))

    def get_config(self):
        config = super().get_config()
        return {**config, "factor": self.factor, "value_range": self.value_range}


class RandomContrast(RandomImageLayer):
    """``(x - mean) * f + mean`` per image and channel (mean over height and width), f uniform on
    [1 - factor[0], 1 + factor[1]], clipped to ``value_range``."""

    cast_at_inference = False

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomContrast")
        self.value_range = value_range

    def augment(self, images):
        f = math.cast(per_image(images, 1.0 - self.factor[0], 1.0 + self.factor[1], self.seed), self.compute_dtype)
        h_axis, w_axis = self.spatial_axes(4)
        mean = math.reduce_mean(math.reduce_mean(images, h_axis, keepdims=True), w_axis, keepdims=True)
        out = (images - mean) * math.cast(f, images.dtype) + mean
        low, high = self.value_range
        return math.clip_by_value(out, convert(low, out.dtype, out.graph), convert(high, out.dtype, out.graph))

    def get_config(self):
        config = super().get_config()
        return {**config, "factor": self.factor, "value_range": self.value_range}


def _unit_factor(factor: Any, what: str) -> tuple[float, float]:
    """Solarization's factors: a pair in [0, 1] sorted, or a number f as (0, f)."""
    message = (f"The `addition_factor` and `threshold_factor` arguments should be a number (or a list of two "
               f"numbers) in the range [0, 1]. Received: {what}={factor}")
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(0 <= v <= 1 for v in factor):
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and 0 <= factor <= 1:
        return 0, factor
    raise ValueError(message)


class Solarization(RandomImageLayer):
    """Adds a random amount per image (on the 0..255 scale) and inverts (255 - x) every value at or above a
    random threshold; draws are uniform on [factor[0], factor[1] * 255] as in Keras."""

    def __init__(self, addition_factor: Any = 0.0, threshold_factor: Any = 0.0, value_range: Sequence[float] = (0, 255),
                 seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _unit_factor(addition_factor, "addition_factor")
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor")
        self.value_range = check_value_range(value_range)

    def augment(self, images):
        dtype = self.compute_dtype
        x = transform_value_range(math.cast(images, dtype), self.value_range, (0, 255), dtype)
        additions = per_image(x, self.addition_factor[0], self.addition_factor[1] * 255, self.seed)
        thresholds = per_image(x, self.threshold_factor[0], self.threshold_factor[1] * 255, self.seed)
        shifted = math.clip_by_value(x + math.cast(additions, x.dtype), 0.0, 255.0)
        flipped = math.select(math.less(shifted, math.cast(thresholds, x.dtype)), shifted, 255.0 - shifted)
        return transform_value_range(flipped, (0, 255), self.value_range, dtype)

    def get_config(self):
        config = super().get_config()
        return {**config, "value_range": self.value_range, "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor}


class RandomGrayscale(RandomImageLayer):
    """Turns each image to grayscale (kept with its channel count) with probability ``factor``."""

    cast_at_inference = False

    def __init__(self, factor: float = 0.5, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor

    def augment(self, images):
        apply = math.less(per_image(images, 0.0, 1.0, self.seed), float(self.factor))
        gray = image.rgb_to_grayscale(images, data_format=self.data_format)
        return math.select(apply, array.broadcast_to(gray, array.shape(images)), images)

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "seed"}  # Keras' config has no seed
        return {**config, "factor": self.factor}


class RandomInvert(RandomImageLayer):
    """Replaces an image by ``value_range[1] - x`` when a uniform draw falls below a probability drawn from
    ``factor``."""

    cast_at_inference = False

    def __init__(self, factor: Any = 1.0, value_range: Sequence[float] = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomInvert")
        self.value_range = value_range

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        probability = per_image(x, self.factor[0], self.factor[1], self.seed)
        apply = math.less(per_image(x, 0.0, 1.0, self.seed), probability)
        return math.select(apply, float(self.value_range[1]) - x, x)

    def get_config(self):
        config = super().get_config()
        return {**config, "factor": self.factor, "value_range": self.value_range}


class RandomPosterization(RandomImageLayer):
    """Keeps the top ``bits`` bits of each 0..255 value, ``bits`` drawn per image from [factor[0], factor[1])
    (or fixed when they are equal)."""

    cast_at_inference = False
    _MAX_FACTOR = 8

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (1, 8), "RandomPosterization")
        self.value_range = check_value_range(value_range)

    def augment(self, images):
        dtype = self.compute_dtype
        low, high = self.factor
        if low != high:
            bits = math.floor(per_image(images, 0.0, 1.0, self.seed) * float(high - low)) + float(low)
            bits = math.cast(math.minimum(bits, float(high - 1)), "uint8")
        else:
            bits = constant(np.full((1, 1, 1, 1), low), "uint8", graph=images.graph)
        shift = constant(self._MAX_FACTOR, "uint8", graph=images.graph) - bits
        x = math.cast(transform_value_range(images, self.value_range, (0, 255), dtype), "uint8")
        x = numpy_ops.left_shift(numpy_ops.right_shift(x, shift), shift)
        return transform_value_range(math.cast(x, dtype), (0, 255), self.value_range, dtype)

    def get_config(self):
        config = super().get_config()
        return {**config, "factor": self.factor, "value_range": self.value_range}


class RandomErasing(RandomImageLayer):
    """With probability drawn from ``factor``, fills one random rectangle of each image (sides sqrt(s) of the
    image's, s drawn from ``scale``) with ``fill_value`` (a number, three channel values, or None: normal noise
    times value_range[1]), clipped to ``value_range``."""

    def __init__(self, factor: Any = 1.0, scale: Any = (0.02, 0.33), fill_value: Any = None,
                 value_range: Sequence[float] = (0, 255), seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomErasing")
        self.scale = base_factor(scale, (0, 1), "RandomErasing")
        if fill_value is not None and not isinstance(fill_value, (int, float)) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(f"The `fill_value` argument should be a number (or a list of three numbers). "
                             f"Received: fill_value={fill_value}")
        self.fill_value, self.value_range = fill_value, value_range

    def _bounds(self, x: Tensor, length: int, ratio: Tensor) -> tuple[Tensor, Tensor]:
        crop = ratio * float(length)
        start = uniform(x, [batch_size(x)], 0.0, 1.0, self.seed) * (float(length) - crop)
        return start, start + crop

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        h_axis, w_axis = self.spatial_axes(4)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"{self.name}: needs images of known height and width, got shape {x.shape}")
        ratios = math.sqrt(uniform(x, [batch_size(x), 2], self.scale[0], self.scale[1], self.seed))
        x0, x1 = self._bounds(x, width, ratios[:, 0])
        y0, y1 = self._bounds(x, height, ratios[:, 1])
        grid = [1, 1, 1, 1]
        grid_y, grid_x = list(grid), list(grid)
        grid_y[h_axis], grid_x[w_axis] = height, width
        ys = constant(np.arange(height, dtype=np.float32).reshape(grid_y), graph=x.graph)
        xs = constant(np.arange(width, dtype=np.float32).reshape(grid_x), graph=x.graph)

        def per(t):
            return array.reshape(t, [-1, 1, 1, 1])
        inside = math.logical_and(math.logical_and(math.greater_equal(xs, per(x0)), math.less(xs, per(x1))),
                                  math.logical_and(math.greater_equal(ys, per(y0)), math.less(ys, per(y1))))
        low, high = float(self.value_range[0]), float(self.value_range[1])
        if self.fill_value is None:
            fill = math.multiply(self._normal(x), high)
        else:
            fill = array.zeros_like(x) + constant(np.asarray(self.fill_value, np.float32), graph=x.graph)
        erased = math.select(inside, math.clip_by_value(fill, low, high), x)
        probability = per_image(x, self.factor[0], self.factor[1], self.seed)
        return math.select(math.less(per_image(x, 0.0, 1.0, self.seed), probability), erased, x)

    def _normal(self, like: Tensor) -> Tensor:
        graph = like.graph
        op_seed, seed2 = graph.next_seed()
        return graph.create_op("RandomStandardNormal", [array.shape(like)],
                               {"dtype": like.dtype, "seed": op_seed if self.seed is None else int(self.seed),
                                "seed2": seed2}, name="RandomStandardNormal").outputs[0]

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range}
