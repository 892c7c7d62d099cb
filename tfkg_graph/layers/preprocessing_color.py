"""Keras 3's random colour augmentation layers: RandomColorDegeneration (blend towards grayscale),
RandomSaturation and RandomHue (in HSV), RandomSharpness (blend with a smoothed image), RandomGaussianBlur and
RandomColorJitter (brightness, contrast, saturation and hue in turn). Draws as in preprocessing_random.py: seeded RandomUniform ops when
training; at inference the images pass through as in Keras."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, nn_spatial
from ..graph.ops import image
from ..graph.ops.constants import convert
from ..runtime import dtypes
from .preprocessing_image import check_value_range, transform_value_range
from .preprocessing_random import (RandomBrightness, RandomContrast, RandomImageLayer, base_factor, batch_size,
                                   per_image, uniform)

_EPSILON = 1e-7  # Keras' backend.epsilon()


class ColorLayer(RandomImageLayer):
    """``factor`` drawn per image, a ``value_range``, and Keras' config keys for both."""

    cast_at_inference = False
    factor_bounds: tuple[float, float] = (-1, 1)

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, self.factor_bounds, type(self).__name__)
        self.value_range = check_value_range(value_range)

    def channel(self, hsv: Tensor, index: int) -> Tensor:
        return hsv[..., index] if self.data_format == "channels_last" else hsv[:, index]

    def restack(self, channels: list[Tensor]) -> Tensor:
        return array.stack(channels, axis=-1 if self.data_format == "channels_last" else 1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomColorDegeneration(ColorLayer):
    """``x + f (gray(x) - x)`` per image, f uniform on ``factor``, clipped to ``value_range``."""

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        f = per_image(x, self.factor[0], self.factor[1], self.seed)
        gray = image.rgb_to_grayscale(x, self.data_format)
        return math.clip_by_value(x + f * (gray - x), float(self.value_range[0]), float(self.value_range[1]))


class RandomSaturation(ColorLayer):
    """Scales the HSV saturation by ``f / (1 - f + eps)`` per image, f uniform on ``factor`` (Keras computes the
    HSV of the raw values and clips the saturation to ``value_range``, as here)."""

    def augment(self, images):
        f = uniform(images, [batch_size(images), 1, 1], self.factor[0], self.factor[1], self.seed)
        scale = math.cast(f / (1.0 - f + _EPSILON), images.dtype)
        hsv = image.rgb_to_hsv(images, self.data_format)
        saturation = math.clip_by_value(self.channel(hsv, 1) * scale, float(self.value_range[0]),
                                        float(self.value_range[1]))
        return image.hsv_to_rgb(self.restack([self.channel(hsv, 0), saturation, self.channel(hsv, 2)]), self.data_format)


class RandomHue(ColorLayer):
    """Shifts the hue (on [0, 1), wrapped) by ``±f / 2`` per image: f uniform on ``factor``, the sign a coin."""

    factor_bounds = (0, 1)

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(factor, value_range, data_format, seed, **kwargs)
        self.value_range = value_range  # Keras keeps RandomHue's value_range as given (unsorted)

    def augment(self, images):
        dtype = self.compute_dtype
        n = batch_size(images)
        sign = math.select(math.greater(uniform(images, [n, 1, 1], 0.0, 1.0, self.seed), 0.5), -1.0, 1.0)
        shift = math.cast(sign * uniform(images, [n, 1, 1], self.factor[0], self.factor[1], self.seed) * 0.5, dtype)
        x = transform_value_range(math.cast(images, dtype), self.value_range, (0, 1), dtype)
        hsv = image.rgb_to_hsv(x, self.data_format)
        hue = self.channel(hsv, 0) + shift
        hue = math.select(math.greater(hue, 1.0), hue - 1.0, hue)
        hue = math.select(math.less(hue, 0.0), hue + 1.0, hue)
        rgb = math.clip_by_value(image.hsv_to_rgb(self.restack([hue, self.channel(hsv, 1), self.channel(hsv, 2)]),
                                            self.data_format), 0.0, 1.0)
        return transform_value_range(rgb, (0, 1), self.value_range, dtype)


class RandomSharpness(ColorLayer):
    """Blends each image with its 3x3-smoothed version: ``x + (1 - 2f)(smooth(x) - x)``, f uniform on
    ``factor`` per image, clipped to ``value_range`` (f = 0.5 keeps the image; larger sharpens)."""

    cast_at_inference = True
    factor_bounds = (0, 1)

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        if self.data_format == "channels_first":
            x = array.transpose(x, [0, 3, 2, 1])  # Keras swaps axes -3 and -1
        f = per_image(x, self.factor[0], self.factor[1], self.seed) * 2.0
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = np.array([[a, a, a], [a, b, a], [a, a, a]], np.float32).reshape(3, 3, 1, 1)
        channels = x.shape[-1]
        if channels is None:
            raise ValueError(f"{self.name}: needs a known number of channels, got images of shape {images.shape}")
        smooth = nn_spatial.depthwise_conv2d(x, np.tile(kernel, (1, 1, channels, 1)).astype(
            dtypes.to_numpy(x.dtype)), 1, "SAME")
        out = math.clip_by_value(x + (1.0 - f) * (smooth - x), float(self.value_range[0]), float(self.value_range[1]))
        return array.transpose(out, [0, 3, 2, 1]) if self.data_format == "channels_first" else out


def _odd_pair(value: Any, what: str) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(int(v) % 2 == 0 for v in pair):
        raise ValueError(f"`{what}` must be an odd integer or a pair of odd integers. Received: {what}={value}")
    return int(pair[0]), int(pair[1])


class RandomGaussianBlur(RandomImageLayer):
    """Blurs each image with probability drawn from ``factor``; the Gaussian's two sigmas are drawn per batch
    from ``sigma`` (Keras' ``ops.image.gaussian_blur`` kernel, built in the graph from the drawn sigmas)."""

    def __init__(self, factor: Any = 1.0, kernel_size: Any = 3, sigma: Any = 1.0, value_range: Sequence[float] = (0, 255),
                 data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomGaussianBlur")
        self.kernel_size = _odd_pair(kernel_size, "kernel_size")
        self.sigma = base_factor(sigma, (0, 1), "RandomGaussianBlur")
        self.value_range = value_range

    def _kernel(self, sigmas: Tensor, channels: int) -> Tensor:
        def kernel1d(size: int, s: Tensor) -> Tensor:
            t = np.arange(size, dtype=np.float32) - (size - 1) / 2
            k = math.exp(-0.5 * math.square(convert(t, graph=s.graph) / s))
            return k / math.reduce_sum(k)
        rows, cols = self.kernel_size
        outer = array.reshape(kernel1d(cols, sigmas[1]), [-1, 1]) * array.reshape(kernel1d(rows, sigmas[0]), [1, -1])
        return array.tile(array.reshape(outer, [rows, cols, 1, 1]), [1, 1, channels, 1])  # Keras reshapes, no transpose

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        probability = per_image(x, self.factor[0], self.factor[1], self.seed)
        apply = math.less(per_image(x, 0.0, 1.0, self.seed), probability)
        sigmas = uniform(x, [2], self.sigma[0], self.sigma[1], self.seed) + 1e-6
        nhwc = x if self.data_format == "channels_last" else array.transpose(x, [0, 2, 3, 1])
        if nhwc.shape[-1] is None:
            raise ValueError(f"{self.name}: needs a known number of channels, got images of shape {images.shape}")
        blurred = nn_spatial.depthwise_conv2d(nhwc, self._kernel(sigmas, nhwc.shape[-1]), 1, "SAME")
        if self.data_format == "channels_first":
            blurred = array.transpose(blurred, [0, 3, 1, 2])
        return math.clip_by_value(math.select(apply, blurred, x), float(self.value_range[0]),
                                  float(self.value_range[1]))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": self.value_range}


class RandomColorJitter(RandomImageLayer):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue in that order, each when its factor is
    given (the parts work channels-last, as Keras builds them)."""

    cast_at_inference = False

    def __init__(self, value_range: Sequence[float] = (0, 255), brightness_factor: Any = None,
                 contrast_factor: Any = None, saturation_factor: Any = None, hue_factor: Any = None,
                 seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        parts = ((RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor))
        self.parts = [cls(factor=factor, value_range=value_range, seed=seed) for cls, factor in parts
                      if factor is not None]

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        for part in self.parts:
            x = part.augment(x)
        return math.cast(x, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor}
