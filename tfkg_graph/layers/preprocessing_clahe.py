"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE) as Keras 3 computes it: per tile and channel a 256-bin
histogram, clipped at ``clip_limit`` times the mean bin with the excess spread evenly, its normalized CDF as a
lookup table, and each pixel's value bilinearly interpolated between the tables of the four nearest tiles."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math, numpy_ops
from ..graph.ops.constants import constant
from ..graph.ops.control_flow import reverse_
from .preprocessing_image import ImagePreprocessingLayer, transform_value_range


def _pad_symmetric_end(x: Tensor, pad: int, axis: int) -> Tensor:
    """numpy's ``pad(mode="symmetric")`` after the end of ``axis`` (the last ``pad`` entries mirrored)."""
    if pad == 0:
        return x
    key = [slice(None)] * len(x.shape)
    key[axis] = slice(-pad, None)
    return array.concat([x, reverse_(x[tuple(key)], axis)], axis)


class ContrastLimitedAdaptiveHistogramEqualization(ImagePreprocessingLayer):
    """CLAHE over a ``tile_grid_size`` grid of tiles, at training and inference (as Keras)."""

    def __init__(self, value_range: Sequence[float] = (0, 255), clip_limit: float = 4.0,
                 tile_grid_size: Sequence[int] = (8, 8), data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range, self.clip_limit, self.tile_grid_size = value_range, clip_limit, tile_grid_size

    def transform(self, images, training):
        x = images if self.data_format == "channels_last" else array.transpose(images, [0, 2, 3, 1])
        if None in x.shape:
            raise ValueError(f"{self.name}: needs images of known shape, got {images.shape}")
        y = transform_value_range(x, self.value_range, (0, 255), "float32")
        y = transform_value_range(self._clahe(math.cast(y, "float32")), (0, 255), self.value_range, "float32")
        y = math.cast(y, images.dtype)
        return y if self.data_format == "channels_last" else array.transpose(y, [0, 3, 1, 2])

    def _clahe(self, images: Tensor) -> Tensor:
        n, height, width, channels = images.shape
        grid_h, grid_w = (int(v) for v in self.tile_grid_size)
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        padded = _pad_symmetric_end(_pad_symmetric_end(images, tile_h * grid_h - height, 1), tile_w * grid_w - width, 2)
        tiles = array.reshape(padded, [n, grid_h, tile_h, grid_w, tile_w, channels])
        tiles = array.reshape(array.transpose(tiles, [0, 1, 3, 5, 2, 4]), [n, grid_h, grid_w, channels, tile_h * tile_w])
        values = math.clip_by_value(math.cast(tiles, "int32"), 0, 255)
        hists = math.reduce_sum(array.one_hot(values, 256), -2)
        if self.clip_limit > 0:
            limit = float(self.clip_limit * (tile_h * tile_w) / 256.0)
            clipped = math.clip_by_value(hists, 0.0, limit)
            hists = clipped + math.reduce_sum(hists - clipped, -1, keepdims=True) / 256.0
        cdf = numpy_ops.cumsum(hists, axis=-1)
        cdf_min = math.reduce_min(cdf, -1, keepdims=True)
        denominator = float(tile_h * tile_w) - cdf_min
        denominator = math.select(math.equal(denominator, 0.0), array.ones_like(denominator), denominator)
        table = math.clip_by_value((cdf - cdf_min) * 255.0 / denominator, 0.0, 255.0)
        table = array.concat([table[:, :1], table, table[:, -1:]], 1)       # edge tiles repeated around the grid
        table = array.concat([table[:, :, :1], table, table[:, :, -1:]], 2)
        flat = array.reshape(table, [-1])

        def axis_nodes(size: int, tile: int, grid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            pos = (np.arange(size, dtype=np.float32) - tile / 2.0) / tile + 1.0
            low = np.floor(pos)
            return (np.clip(low, 0, grid + 1).astype(np.int32), np.clip(low + 1, 0, grid + 1).astype(np.int32),
                    (pos - low).astype(np.float32))
        y0, y1, wy = axis_nodes(tile_h * grid_h, tile_h, grid_h)
        x0, x1, wx = axis_nodes(tile_w * grid_w, tile_w, grid_w)
        stride_x = 256 * channels
        stride_y = stride_x * (grid_w + 2)
        stride_b = stride_y * (grid_h + 2)
        pixels = math.cast(math.clip_by_value(padded, 0.0, 255.0), "int32")
        base = pixels + constant((np.arange(n) * stride_b)[:, None, None, None] + (np.arange(channels) * 256)[None, None,
                                                                                                           None, :],
                                 "int32", graph=images.graph)

        def at(ys: np.ndarray, xs: np.ndarray) -> Tensor:
            offset = ys[None, :, None, None] * stride_y + xs[None, None, :, None] * stride_x
            return array.gather(flat, base + constant(offset.astype(np.int32), graph=images.graph))
        wx_c, wy_c = (constant(w, graph=images.graph) for w in (wx[None, None, :, None], wy[None, :, None, None]))
        top = at(y0, x0) * (1.0 - wx_c) + at(y0, x1) * wx_c
        bottom = at(y1, x0) * (1.0 - wx_c) + at(y1, x1) * wx_c
        result = top * (1.0 - wy_c) + bottom * wy_c
        return result[:, :height, :width, :]

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size}
