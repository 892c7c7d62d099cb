"""``keras.ops.nn.unfold`` / ``fold`` (im2col / col2im, channels first) as one gather / one segment sum
over flat pixel positions computed while building (so height, width and channels must be known)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array
from ..graph.ops.constants import constant, convert

__all__ = ["unfold", "fold"]


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, (int, np.integer)) else (int(value[0]), int(value[1]))


def _positions(size: tuple[int, int], kernel: tuple[int, int], dilation: tuple[int, int],
               stride: tuple[int, int]) -> np.ndarray:
    """Flat positions in a padded (height, width) image: one row per kernel offset (kh, kw), one
    column per block (row-major over block rows and columns)."""
    blocks = [(size[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in (0, 1)]
    if min(blocks) < 1:
        raise ValueError(f"kernel {kernel} with dilation {dilation} does not fit the padded size {size}")
    rows = (np.arange(kernel[0])[:, None, None, None] * dilation[0]
            + np.arange(blocks[0])[None, None, :, None] * stride[0])
    cols = (np.arange(kernel[1])[None, :, None, None] * dilation[1]
            + np.arange(blocks[1])[None, None, None, :] * stride[1])
    return (rows * size[1] + cols).reshape(kernel[0] * kernel[1], blocks[0] * blocks[1]).astype(np.int32)


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding blocks of an (N, C, H, W) image as (N, C * kH * kW, L) columns."""
    x = convert(x)
    if x.shape is None or len(x.shape) != 4 or None in x.shape[1:]:
        raise ValueError(f"unfold needs an (N, C, H, W) input with C, H and W known, got shape {x.shape}")
    k, d, p, s = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    _, channels, height, width = x.shape
    if p != (0, 0):
        x = array.pad(x, [[0, 0], [0, 0], [p[0], p[0]], [p[1], p[1]]])
    size = (height + 2 * p[0], width + 2 * p[1])
    index = _positions(size, k, d, s)
    flat = array.reshape(x, [-1, channels, size[0] * size[1]])
    blocks = array.gather(flat, constant(index, graph=x.graph), axis=2)  # (N, C, kH*kW, L)
    return array.reshape(blocks, [-1, channels * index.shape[0], index.shape[1]])


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """The inverse arrangement of ``unfold``: (N, C * kH * kW, L) columns summed into an (N, C, oH, oW)
    image where blocks overlap."""
    x = convert(x)
    if x.shape is None or len(x.shape) != 3 or x.shape[1] is None:
        raise ValueError(f"fold needs an (N, C * kH * kW, L) input with its second dim known, got {x.shape}")
    o, k, d, p, s = _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    size = (o[0] + 2 * p[0], o[1] + 2 * p[1])
    index = _positions(size, k, d, s)
    kernel_count, block_count = index.shape
    if x.shape[1] % kernel_count or (x.shape[2] is not None and x.shape[2] != block_count):
        raise ValueError(f"fold input of shape {x.shape} does not match kernel {k} and {block_count} blocks")
    channels = x.shape[1] // kernel_count
    columns = array.transpose(array.reshape(x, [-1, channels, kernel_count * block_count]), [2, 0, 1])
    summed = array.unsorted_segment_sum(columns, constant(index.reshape(-1), graph=x.graph), size[0] * size[1])
    image = array.reshape(array.transpose(summed, [1, 2, 0]), [-1, channels, size[0], size[1]])
    if p == (0, 0):
        return image
    return image[:, :, p[0]:p[0] + o[0], p[1]:p[1] + o[1]]
