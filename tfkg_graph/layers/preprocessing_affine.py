"""Keras 3's random geometric augmentation layers: RandomTranslation, RandomRotation, RandomZoom, RandomShear,
RandomPerspective, RandomElasticTransform. Each draws
a per-image affine map when training and warps with ``ops.image.affine_transform`` (TF's projective
transform kernel); at inference the images pass through, cast to the compute dtype, as in Keras."""
from __future__ import annotations

import math as pymath
from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops import image, image_sampling
from .preprocessing_random import RandomImageLayer, base_factor, batch_size, uniform

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _signed_factor(factor: Any, what: str, lowest_open: bool = False) -> tuple[float, float]:
    """A pair in [-1, 1] sorted, or a number f as (-|f|, |f|); RandomZoom excludes -1 (a zero-size view)."""
    def check(v):
        if v > 1.0 or v < -1.0 or (lowest_open and v <= -1.0):
            raise ValueError(f"The `factor` argument should be a number (or a list of two numbers) in the range "
                             f"[-1.0, 1.0]. Received: {what}={factor}")
    if isinstance(factor, (tuple, list)) and len(factor) == 2:
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(f"The `factor` argument should be a number (or a list of two numbers) in the range "
                     f"[-1.0, 1.0]. Received: {what}={factor}")


class AffineLayer(RandomImageLayer):
    """Warp options shared by the three layers; ``matrices`` gives one row of 8 coefficients per image."""

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any):
        if fill_mode not in _FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}.")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}.")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def size(self, x: Tensor) -> tuple[Any, Any]:
        """Height and width as float32 (constants when known)."""
        h_axis, w_axis = self.spatial_axes(4)
        dims = [x.shape[a] if x.shape[a] is not None else math.cast(array.shape(x)[a], "float32")
                for a in (h_axis, w_axis)]
        return tuple(float(d) if isinstance(d, int) else d for d in dims)

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        return image.affine_transform(x, self.matrices(x), self.interpolation, self.fill_mode, self.fill_value,
                                      self.data_format)

    def matrices(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value, "data_format": self.data_format}


def _rows(columns: list[Any], like: Tensor) -> Tensor:
    """(batch, 8) from columns that are (batch, 1) tensors or Python numbers."""
    ref = next(c for c in columns if isinstance(c, Tensor))
    zeros = array.zeros_like(ref)
    return array.concat([c if isinstance(c, Tensor) else zeros + float(c) for c in columns], 1)


class RandomTranslation(AffineLayer):
    """Shifts each image by a fraction of its height and width drawn from the factors."""

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _signed_factor(height_factor, "height_factor")
        self.width_lower, self.width_upper = _signed_factor(width_factor, "width_factor")

    def matrices(self, x):
        height, width = self.size(x)
        n = batch_size(x)
        dy = uniform(x, [n, 1], self.height_lower, self.height_upper, self.seed) * height
        dx = uniform(x, [n, 1], self.width_lower, self.width_upper, self.seed) * width
        return _rows([1.0, 0.0, math.negative(dx), 0.0, 1.0, math.negative(dy), 0.0, 0.0], x)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomRotation(AffineLayer):
    """Rotates each image about its centre by ``factor * 360`` degrees, drawn per image."""

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = base_factor(factor, (-1, 1), "RandomRotation")

    def matrices(self, x):
        height, width = self.size(x)
        degrees = uniform(x, [batch_size(x), 1], self.factor[0] * 360.0, self.factor[1] * 360.0, self.seed)
        angle = degrees * (pymath.pi / 180.0)
        cos, sin = math.cos(angle), x.graph.create_op("Sin", [angle]).outputs[0]
        cx, cy = 0.5 * (width - 1.0), 0.5 * (height - 1.0)
        return _rows([cos, math.negative(sin), cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos, 0.0, 0.0],
                     x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(AffineLayer):
    """Zooms each image about its centre: a factor f > 0 zooms out (scale 1 + f), f < 0 zooms in; the width
    uses the height's draw unless ``width_factor`` is given."""

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _signed_factor(height_factor, "height_factor", lowest_open=True)
        if width_factor is not None:
            self.width_lower, self.width_upper = _signed_factor(width_factor, "width_factor", lowest_open=True)

    def matrices(self, x):
        height, width = self.size(x)
        n = batch_size(x)
        zoom_h = uniform(x, [n, 1], 1.0 + self.height_lower, 1.0 + self.height_upper, self.seed)
        zoom_w = (zoom_h if self.width_factor is None
                  else uniform(x, [n, 1], 1.0 + self.width_lower, 1.0 + self.width_upper, self.seed))
        return _rows([zoom_w, 0.0, (width - 1.0) / 2.0 * (1.0 - zoom_w), 0.0, zoom_h,
                      (height - 1.0) / 2.0 * (1.0 - zoom_h), 0.0, 0.0], x)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


def _unsigned_factor(factor: Any, what: str) -> tuple[float, float]:
    """RandomShear's factors: a number f in [0, 1] as (-f, f), or a pair sorted (Keras wants the pair in
    [0, 1] too, so its own config of RandomShear(f) does not load back; a pair in [-1, 1] does here)."""
    if isinstance(factor, (tuple, list)) and len(factor) == 2 and all(-1.0 <= v <= 1.0 for v in factor):
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, (int, float)) and 0.0 <= factor <= 1.0:
        return -abs(factor), abs(factor)
    raise ValueError(f"The `factor` argument should be a number (or a list of two numbers) in the range [0, 1.0]. "
                     f"Received: {what}={factor}")


class RandomShear(AffineLayer):
    """Shears each image by x and y amounts drawn from the factors, both negated together on a coin flip."""

    def __init__(self, x_factor: Any = 0.0, y_factor: Any = 0.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor = _unsigned_factor(x_factor, "x_factor")
        self.y_factor = _unsigned_factor(y_factor, "y_factor")

    def matrices(self, x):
        n = batch_size(x)
        sign = math.select(math.greater(uniform(x, [n, 1], 0.0, 1.0, self.seed), 0.5), -1.0, 1.0)
        shear_y = uniform(x, [n, 1], self.y_factor[0], self.y_factor[1], self.seed) * sign
        shear_x = uniform(x, [n, 1], self.x_factor[0], self.x_factor[1], self.seed) * sign
        return _rows([1.0, shear_x, 0.0, shear_y, 1.0, 0.0, 0.0, 0.0], x)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


class RandomPerspective(RandomImageLayer):
    """With probability drawn from ``factor``, moves each image's four corners by up to ``scale / 2`` of their
    coordinates and warps the image so the corners land there (constant fill)."""

    def __init__(self, factor: Any = 1.0, scale: float = 1.0, interpolation: str = "bilinear", fill_value: float = 0.0,
                 seed: int | None = None, data_format: str | None = None, **kwargs: Any):
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}.")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomPerspective")
        self.scale, self.interpolation, self.fill_value = scale, interpolation, fill_value

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        h_axis, w_axis = self.spatial_axes(4)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"{self.name}: needs images of known height and width, got shape {x.shape}")
        n = batch_size(x)
        probability = uniform(x, [n, 1, 1, 1], self.factor[0], self.factor[1], self.seed)
        apply = math.less(uniform(x, [n, 1, 1, 1], 0.0, 1.0, self.seed), probability)
        moves = uniform(x, [n, 4, 2], -0.5 * self.scale, 0.5 * self.scale, self.seed)
        corners = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]], np.float32)
        start = array.zeros_like(moves) + corners
        nhwc, back = image.to_nhwc(x, self.data_format)
        warped = image.projective_transform(nhwc, image.homography(start, start + start * moves), image.spatial_size(nhwc),
                                            self.interpolation, "constant", self.fill_value)
        return math.select(apply, back(warped), x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomElasticTransform(RandomImageLayer):
    """With probability drawn from ``factor``, warps each image elastically: a distortion d drawn per batch
    from ``scale`` gives alpha = 0.1 d max(height, width) and sigma = 0.05 d min(height, width) for
    ``ops.image.elastic_transform`` (independent x and y fields, docs/differences.md); clipped to
    ``value_range``."""

    _FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(self, factor: Any = 1.0, scale: Any = 1.0, interpolation: str = "bilinear", fill_mode: str = "reflect",
                 fill_value: float = 0.0, value_range: Sequence[float] = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any):
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}.")
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {self._FILL_MODES}.")
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = base_factor(factor, (0, 1), "RandomElasticTransform")
        self.scale = base_factor(scale, (0, 1), "RandomElasticTransform")
        self.interpolation, self.fill_mode, self.fill_value, self.value_range = (interpolation, fill_mode, fill_value,
                                                                                 value_range)

    def augment(self, images):
        x = math.cast(images, self.compute_dtype)
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x
        h_axis, w_axis = self.spatial_axes(4)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"{self.name}: needs images of known height and width, got shape {x.shape}")
        n = batch_size(x)
        probability = uniform(x, [n, 1, 1, 1], self.factor[0], self.factor[1], self.seed)
        apply = math.less(uniform(x, [n, 1, 1, 1], 0.0, 1.0, self.seed), probability)
        distortion = uniform(x, [], self.scale[0], self.scale[1], self.seed)
        alpha, sigma = distortion * (0.1 * max(height, width)), distortion * (0.05 * min(height, width))
        nhwc, back = image.to_nhwc(x, self.data_format)
        warped = back(image_sampling.elastic_displace(nhwc, alpha, sigma, self.interpolation, self.fill_mode,
                                                      self.fill_value, self.seed))
        return math.clip_by_value(math.select(apply, warped, x), float(self.value_range[0]),
                                  float(self.value_range[1]))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range}
