"""TF's image kernels as graph ops (NHWC): resizing, scale-and-translate, projective transforms, bucketizing;
and the Keras ``ops.image`` functions the preprocessing layers need too (grayscale, resize, affine warp), here
below both ``ops`` and ``layers`` so neither imports the other.

Resizing follows ``tf.image.resize`` (half-pixel centers, no corner alignment). The gradient rules live in
``autodiff/image_grad.py``.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .. import shapes_image  # noqa: F401 - registers these ops' static shapes
from ...runtime import dtypes
from ..graph import Tensor
from . import array, linalg, math
from ._base import out
from .constants import constant, convert

RESIZE_KERNELS = {"bilinear": "ResizeBilinear", "nearest": "ResizeNearestNeighbor", "bicubic": "ResizeBicubic",
                  "area": "ResizeArea"}
# tf.image.resize's ScaleAndTranslate kernels for the methods without a fixed-footprint kernel (or antialiased)
SCALE_KERNELS = {"bilinear": "triangle", "bicubic": "keyscubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _size(size: Any, like: Tensor) -> Tensor:
    return convert(size, "int32", like.graph)


def resize(images: Any, size: Sequence[int] | Tensor, method: str = "bilinear") -> Tensor:
    """A 4-D NHWC batch resized to ``size`` with the named TF kernel (float32 out, nearest keeps the dtype)."""
    x = convert(images)
    if method not in RESIZE_KERNELS:
        raise ValueError(f"resize method must be one of {sorted(RESIZE_KERNELS)}, got {method!r}")
    attrs = {} if method == "area" else {"align_corners": False, "half_pixel_centers": True}
    return out(RESIZE_KERNELS[method], [x, _size(size, x)], attrs)


def scale_and_translate(images: Any, size: Sequence[int] | Tensor, scale: Any, translation: Any,
                        kernel_type: str, antialias: bool = True) -> Tensor:
    """TF's ScaleAndTranslate (float32 out): each output pixel samples the input with the named kernel."""
    x = convert(images)
    return out("ScaleAndTranslate", [x, _size(size, x), convert(scale, "float32", x.graph),
                                     convert(translation, "float32", x.graph)],
               {"kernel_type": kernel_type, "antialias": bool(antialias)})


def projective_transform(images: Any, transforms: Any, output_shape: Any, interpolation: str = "BILINEAR",
                         fill_mode: str = "CONSTANT", fill_value: float = 0.0) -> Tensor:
    """Each output pixel (x, y) samples the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),
    k = c0 x + c1 y + 1, from one row of 8 ``transforms`` per image (or one row for all)."""
    x = convert(images)
    return out("ImageProjectiveTransformV3",
               [x, convert(transforms, "float32", x.graph), _size(output_shape, x),
                convert(float(fill_value), "float32", x.graph)],
               {"interpolation": interpolation.upper(), "fill_mode": fill_mode.upper(), "dtype": x.dtype})


RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def standardize_format(data_format: str | None) -> str:
    """``None`` is channels_last (the only image_data_format tfkg_graph's backend has)."""
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def saturate_cast(x: Tensor, dtype: Any, round_ints: bool = False) -> Tensor:
    """Cast with the values clipped to the target's range first (Keras' _saturate_cast); integer targets
    are rounded first when ``round_ints``."""
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype != dtypes.BOOL and not dtypes.is_floating(dtype):
        if round_ints:
            x = math.round(x)
        info = np.iinfo(dtypes.to_numpy(dtype))
        in_type = dtypes.to_numpy(x.dtype)
        lo, hi = np.asarray(info.min).astype(in_type), np.asarray(info.max).astype(in_type)
        if lo < info.min:
            lo = np.nextafter(lo, 0, dtype=in_type)
        if hi > info.max:
            hi = np.nextafter(hi, 0, dtype=in_type)
        x = math.clip_by_value(x, convert(lo, x.dtype, x.graph), convert(hi, x.dtype, x.graph))
    return math.cast(x, dtype)


def check_images(x: Tensor, what: str = "images") -> None:
    if x.shape is None or len(x.shape) not in (3, 4):
        raise ValueError(f"Invalid {what} rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: {what}.shape={x.shape}")


def to_nhwc(images: Any, data_format: str | None) -> tuple[Tensor, Callable[[Tensor], Tensor]]:
    """A 4-D channels-last batch, and the function that puts a result back into the input's layout."""
    x = convert(images)
    check_images(x)
    data_format = standardize_format(data_format)
    unbatched = len(x.shape) == 3
    if unbatched:
        x = array.expand_dims(x, 0)
    if data_format == "channels_first":
        x = array.transpose(x, [0, 2, 3, 1])

    def back(y: Tensor) -> Tensor:
        if data_format == "channels_first":
            y = array.transpose(y, [0, 3, 1, 2])
        return array.squeeze(y, [0]) if unbatched else y
    return x, back


def spatial_size(x: Tensor) -> Tensor:
    """(height, width) of an NHWC batch as int32: a constant when known."""
    if x.shape is not None and None not in x.shape[1:3]:
        return constant(np.array(x.shape[1:3], np.int32), graph=x.graph)
    return array.shape(x)[1:3]


# ---- Keras' ops.image functions that the preprocessing layers share too ----------------------------
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Tensor:
    """0.2989 R + 0.5870 G + 0.1140 B as one channel, computed in float and cast back to the input dtype."""
    x = convert(images)
    check_images(x)
    axis = -1 if standardize_format(data_format) == "channels_last" else -3
    if x.shape[axis] not in (1, 3):
        raise ValueError("Invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
                         f"Received input with shape: images.shape={x.shape}")
    if x.shape[axis] == 1:
        return array.identity(x)
    compute = x.dtype if dtypes.is_floating(x.dtype) else dtypes.FLOAT
    weights = np.array([0.2989, 0.5870, 0.1140]).reshape((3,) if axis == -1 else (3, 1, 1))
    gray = math.reduce_sum(math.cast(x, compute) * constant(weights, compute, graph=x.graph), axis, keepdims=True)
    return math.cast(gray, x.dtype)


def _float_rgb(images: Any, data_format: str | None) -> tuple[list[Tensor], Callable[[Tensor], Tensor]]:
    x, back = to_nhwc(images, data_format)
    if not dtypes.is_floating(x.dtype):
        raise ValueError(f"Invalid images dtype: expected float dtype. Received: images.dtype={dtypes.name(x.dtype)}")
    if x.shape[-1] != 3:
        raise ValueError(f"expected 3 channels, got images of shape {x.shape}")
    return array.unstack(x, 3, axis=-1), back


def rgb_to_hsv(images: Any, data_format: str | None = None) -> Tensor:
    """TF's RGBToHSV formula (hue in [0, 1)), written with elementwise ops so it has a gradient."""
    (r, g, b), back = _float_rgb(images, data_format)
    value = math.maximum(math.maximum(r, g), b)
    spread = value - math.minimum(math.minimum(r, g), b)
    positive = math.greater(spread, 0.0)
    safe_spread = math.select(positive, spread, array.ones_like(spread))  # no 0/0 on either select branch
    safe_value = math.select(math.greater(value, 0.0), value, array.ones_like(value))
    saturation = math.select(math.greater(value, 0.0), spread / safe_value, array.zeros_like(value))
    norm = 1.0 / (6.0 * safe_spread)
    hue = math.select(math.equal(r, value), norm * (g - b),
                      math.select(math.equal(g, value), norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0))
    hue = math.select(positive, hue, array.zeros_like(hue))
    hue = math.select(math.less(hue, 0.0), hue + 1.0, hue)
    return back(array.stack([hue, saturation, value], axis=-1))


def hsv_to_rgb(images: Any, data_format: str | None = None) -> Tensor:
    """TF's HSVToRGB formula, written with elementwise ops so it has a gradient."""
    (h, s, v), back = _float_rgb(images, data_format)
    dh = h * 6.0

    def clamp(t):
        return math.clip_by_value(t, 0.0, 1.0)
    channels = [clamp(math.abs(dh - 3.0) - 1.0), clamp(2.0 - math.abs(dh - 2.0)), clamp(2.0 - math.abs(dh - 4.0))]
    return back(array.stack([((1.0 - s) + s * c) * v for c in channels], axis=-1))


# ---- resizing -----------------------------------------------------------------------------------
def _aspect_side(a: int, target_b: int, target_a: int) -> int:
    """int(float32(a * target_b) / target_a): Keras' crop/pad side in the same float32 arithmetic."""
    return int(np.float32(a * target_b) / np.float32(target_a))


def _known_spatial(x: Tensor, what: str) -> tuple[int, int]:
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None:
        raise ValueError(f"resize({what}=True) needs images of known height and width here, got {x.shape}")
    return height, width


def _crop_to_aspect(x: Tensor, size: Sequence[int]) -> Tensor:
    height, width = _known_spatial(x, "crop_to_aspect_ratio")
    crop_h = max(min(height, _aspect_side(width, size[0], size[1])), 1)
    crop_w = max(min(width, _aspect_side(height, size[1], size[0])), 1)
    top, left = int(np.float32(height - crop_h) / 2), int(np.float32(width - crop_w) / 2)
    return array.slice(x, [0, top, left, 0], [-1, crop_h, crop_w, -1])


def _pad_to_aspect(x: Tensor, size: Sequence[int], fill_value: float) -> Tensor:
    height, width = _known_spatial(x, "pad_to_aspect_ratio")
    pad_h = max(height, _aspect_side(width, size[0], size[1]))
    pad_w = max(width, _aspect_side(height, size[1], size[0]))
    top, left = int(np.float32(pad_h - height) / 2), int(np.float32(pad_w - width) / 2)
    # Keras puts `top` rows above and below (and `left` columns each side), whatever the parity
    return array.pad(x, [[0, 0], [top, top], [left, left], [0, 0]], constant_values=fill_value)


def resize_images(images: Any, size: Sequence[int], interpolation: str = "bilinear", antialias: bool = False,
                  crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
                  fill_value: float = 0.0, data_format: str | None = None) -> Tensor:
    """``tf.image.resize``: float32 out (nearest keeps the dtype); lanczos and antialiased bilinear/bicubic
    go through ScaleAndTranslate as TF's resize does."""
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {RESIZE_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if len(size) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}")
    size = [int(s) for s in size]
    if min(size) <= 0:
        raise ValueError(f"`size` must have positive height and width. Received: size={size}")
    x, back = to_nhwc(images, data_format)
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, size)
    elif pad_to_aspect_ratio:
        x = _pad_to_aspect(x, size, fill_value)
    scaled = interpolation.startswith("lanczos") or (antialias and interpolation in ("bilinear", "bicubic"))
    if scaled:
        scale = math.cast(constant(np.array(size, np.int32), graph=x.graph), "float32") / math.cast(
            spatial_size(x), "float32")
        y = scale_and_translate(x, size, scale, np.zeros(2, np.float32), SCALE_KERNELS[interpolation], antialias)
    else:
        y = resize(x, size, interpolation)
    return saturate_cast(back(y), x.dtype, round_ints=True)  # Keras casts back to the input dtype


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0, data_format: str | None = None) -> Tensor:
    """Output pixel (x, y) samples the input at (a0 x + a1 y + a2, b0 x + b1 y + b2) / (c0 x + c1 y + 1),
    one row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image (or one row for all)."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one ('nearest', 'bilinear'). "
                         f"Received: interpolation={interpolation}")
    if fill_mode not in ("constant", "nearest", "wrap", "reflect"):
        raise ValueError("Invalid value for argument `fill_mode`. Expected of one ('constant', 'nearest', 'wrap', "
                         f"'reflect'). Received: fill_mode={fill_mode}")
    x, back = to_nhwc(images, data_format)
    t = convert(transform, graph=x.graph)
    if t.shape is None or len(t.shape) not in (1, 2):
        raise ValueError("Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
                         f"transforms). Received input with shape: transform.shape={t.shape}")
    t = math.cast(array.expand_dims(t, 0) if len(t.shape) == 1 else t, "float32")
    return back(projective_transform(x, t, spatial_size(x), interpolation, fill_mode, fill_value))


def homography(start: Tensor, end: Tensor) -> Tensor:
    """Rows of 8 coefficients mapping ``end`` corners to ``start`` corners (Keras' linear system)."""
    sx, sy = ([start[:, i, j] for i in range(4)] for j in (0, 1))
    ex, ey = ([end[:, i, j] for i in range(4)] for j in (0, 1))
    one, zero = array.ones_like(ex[0]), array.zeros_like(ex[0])
    rows = []
    for i in range(4):
        rows.append(array.stack([ex[i], ey[i], one, zero, zero, zero, -sx[i] * ex[i], -sx[i] * ey[i]], axis=-1))
        rows.append(array.stack([zero, zero, zero, ex[i], ey[i], one, -sy[i] * ex[i], -sy[i] * ey[i]], axis=-1))
    target = array.stack([v for i in range(4) for v in (sx[i], sy[i])], axis=-1)
    return array.reshape(linalg.matrix_solve(array.stack(rows, axis=1), array.expand_dims(target, -1)), [-1, 8])


def bucketize(x: Any, boundaries: Sequence[float]) -> Tensor:
    """int32 index of the bucket of each value: the number of boundaries <= value."""
    return out("Bucketize", [convert(x)], {"boundaries": [float(b) for b in boundaries]})
