"""Keras 3's deterministic image preprocessing layers (Resizing, CenterCrop, AutoContrast, Equalization) and the base
class the random ones share: images are 3-D (one image) or 4-D (a batch) in either layout, in the graph."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import convert
from ..graph.ops import image
from .base import Layer


def check_value_range(value_range: Any) -> list:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. Received: "
                         f"value_range={value_range}")
    return sorted(value_range)


def transform_value_range(x: Tensor, original: Sequence[float], target: Sequence[float],
                          dtype: Any = "float32") -> Tensor:
    """Linear map of ``original`` onto ``target`` (unchanged, and not cast, when they are equal)."""
    if original[0] == target[0] and original[1] == target[1]:
        return x
    x = math.cast(x, dtype)
    lo, hi = (convert(float(v), x.dtype, x.graph) for v in original)
    t_lo, t_hi = (convert(float(v), x.dtype, x.graph) for v in target)
    return (x - lo) / (hi - lo) * (t_hi - t_lo) + t_lo


class ImagePreprocessingLayer(Layer):
    """Keras' BaseImagePreprocessingLayer over graph tensors: ``call`` checks the rank and hands the images
    to ``transform(images, training)``."""

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = image.standardize_format(data_format)

    @property
    def compute_dtype(self) -> str:
        return self.dtype or "float32"

    def spatial_axes(self, rank: int) -> tuple[int, int]:
        return (rank - 3, rank - 2) if self.data_format == "channels_last" else (rank - 2, rank - 1)

    def call(self, inputs, training=False):
        """A single image goes through as a batch of one (as Keras' transform_single_image does)."""
        x = convert(inputs)
        if x.shape is None or len(x.shape) not in (3, 4):
            raise ValueError(f"{self.name}: expected image tensor of rank 3 (single image) or 4 (batch of images). "
                             f"Received: data.shape={x.shape}")
        if len(x.shape) == 3:
            return array.squeeze(self.transform(array.expand_dims(x, 0), bool(training)), [0])
        y = self.transform(x, bool(training))
        return array.identity(y) if y is x else y  # a model may fetch the output while feeding the input

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}

    def transform(self, images: Tensor, training: bool) -> Tensor:
        raise NotImplementedError


class Resizing(ImagePreprocessingLayer):
    """Resizes to (height, width) with ``ops.image.resize`` (integer images come back rounded and clipped
    to their dtype)."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width, self.interpolation = height, width, interpolation
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, bool(antialias)

    def transform(self, images, training):
        resized = image.resize_images(images, (self.height, self.width), self.interpolation, self.antialias,
                               self.crop_to_aspect_ratio, self.pad_to_aspect_ratio, self.fill_mode, self.fill_value,
                               self.data_format)
        return resized  # ops.image.resize already rounds and clips back to the input dtype

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


def smart_resize(x: Tensor, size: Sequence[int], data_format: str) -> Tensor:
    """Keras' ``smart_resize``: the largest centred window of the target aspect ratio, resized bilinearly."""
    rank = len(x.shape)
    h_axis, w_axis = (rank - 3, rank - 2) if data_format == "channels_last" else (rank - 2, rank - 1)
    height, width = x.shape[h_axis], x.shape[w_axis]
    if height is None or width is None:
        raise ValueError(f"smart_resize needs images of known height and width here, got {x.shape}")
    crop_h = max(min(height, int(float(width * size[0]) / size[1])), 1)
    crop_w = max(min(width, int(float(height * size[1]) / size[0])), 1)
    begin, sizes = [0] * rank, [-1] * rank
    begin[h_axis], begin[w_axis] = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
    sizes[h_axis], sizes[w_axis] = crop_h, crop_w
    return image.resize_images(array.slice(x, begin, sizes), size, "bilinear", data_format=data_format)


class CenterCrop(ImagePreprocessingLayer):
    """The centred (height, width) window, at training and inference; smaller images are first cropped to
    the target aspect ratio and resized up (Keras' smart_resize)."""

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = height, width

    def transform(self, images, training):
        x = math.cast(images, self.compute_dtype)
        rank = 4
        h_axis, w_axis = self.spatial_axes(rank)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if (height is not None and height < self.height) or (width is not None and width < self.width):
            return smart_resize(x, (self.height, self.width), self.data_format)
        shape = array.shape(x)
        begin: list[Any] = [0] * rank
        sizes = [-1] * rank
        for axis, have, want in ((h_axis, height, self.height), (w_axis, width, self.width)):
            begin[axis] = (have - want) // 2 if have is not None else math.floor_div(shape[axis] - want, 2)
            sizes[axis] = want
        if any(isinstance(b, Tensor) for b in begin):
            begin = array.stack([b if isinstance(b, Tensor) else convert(b, "int32", x.graph) for b in begin])
        return array.slice(x, begin, sizes)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width, "data_format": self.data_format}


class AutoContrast(ImagePreprocessingLayer):
    """Stretches each image's values to the full ``value_range`` (min to the low end, max to the high end),
    at training and inference; a constant image (0/0) is left as it was."""

    def __init__(self, value_range: Sequence[float] = (0, 255), **kwargs: Any):
        super().__init__(**kwargs)
        self.value_range = check_value_range(value_range)

    def transform(self, images, training):
        dtype = self.compute_dtype
        x = math.cast(transform_value_range(images, self.value_range, (0, 255), dtype), dtype)
        # Keras reduces over axes (1, 2) whatever the layout and rank
        low, high = math.reduce_min(x, [1, 2], keepdims=True), math.reduce_max(x, [1, 2], keepdims=True)
        scale = 255.0 / (high - low)
        stretched = math.clip_by_value(x * scale + math.negative(low) * scale, 0.0, 255.0)
        result = transform_value_range(stretched, (0, 255), self.value_range, dtype)
        return math.select(math.is_nan(result), math.cast(images, dtype), result)

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range}


class Equalization(ImagePreprocessingLayer):
    """Histogram equalization of each channel when training (one histogram per channel over the whole batch,
    ``bins`` bins on the 0..255 scale, Keras' lookup table); at inference the images pass through."""

    def __init__(self, value_range: Sequence[float] = (0, 255), bins: int = 256, data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = int(bins)
        self.value_range = check_value_range(value_range)

    def _equalize(self, channel: Tensor) -> Tensor:
        lo, hi = (float(v) for v in self.value_range)
        scale = 255.0 / (hi - lo)
        channel = channel * scale - lo * scale  # Keras rescales to 0..255 (also when the range is already that)
        bins = self.bins
        index = math.clip_by_value(math.cast(channel * float(bins - 1) / 255.0, "int32"), 0, bins - 1)
        flat = array.reshape(index, [-1])
        hist = array.unsorted_segment_sum(array.ones_like(flat), flat, bins)
        cdf = math.cast(numpy_ops.cumsum(hist), "float64")
        cdf_min = math.reduce_min(math.select(math.greater(cdf, 0.0), cdf, array.fill([bins], convert(np.inf, "float64", cdf.graph))))
        denominator = cdf[-1] - cdf_min
        denominator = math.select(math.equal(denominator, 0.0), array.ones_like(denominator), denominator)
        table = math.cast(math.clip_by_value(math.round((cdf - cdf_min) * 255.0 / denominator), 0.0, 255.0), "float32")
        lookup = math.cast(math.clip_by_value(channel / 255.0 * float(bins - 1), 0.0, float(bins - 1)), "int32")
        equalized = array.gather(table, lookup)
        used_bins = math.reduce_sum(math.cast(math.greater(hist, 0), "int32"))
        out = math.select(math.less_equal(used_bins, 1), channel, equalized)
        return out / scale + lo

    def transform(self, images, training):
        if not training:
            return images
        x = math.cast(images, self.compute_dtype)
        axis = -1 if self.data_format == "channels_last" else 1
        channels = x.shape[axis]
        if channels is None:
            raise ValueError(f"{self.name}: needs a known number of channels, got images of shape {x.shape}")
        return array.stack([self._equalize(c) for c in array.unstack(x, channels, axis=axis)], axis=axis)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
