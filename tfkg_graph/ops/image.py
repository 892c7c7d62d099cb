"""``keras.ops.image`` over our graph ops (Keras 3 signatures and defaults, TF backend numbers).

Images are 3-D (one image) or 4-D (a batch), channels last or first; everything runs NHWC (TF's kernels)
with transposes around it. Resizing and the affine/perspective warps are TF's kernels with our gradient
rules (``autodiff/image_grad.py``); colour conversions, crops, pads and filters are built from ordinary
ops. Filters, patches and SSIM are in ``_image_filters.py``.
"""
from __future__ import annotations

from typing import Any, Sequence

from .. import backend
from ..graph import Tensor
from ..graph.ops import array
from ..graph.ops import image as image_ops
from ..graph.ops.constants import convert
from ..graph.ops.image import check_images, spatial_size, to_nhwc
from ._image_filters import (elastic_transform, extract_patches, extract_patches_3d, gaussian_blur, map_coordinates,
                             scale_and_translate, sobel_edges, ssim)

__all__ = ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "resize", "affine_transform", "perspective_transform",
           "extract_patches", "extract_patches_3d", "pad_images", "crop_images", "gaussian_blur", "sobel_edges",
           "ssim", "map_coordinates", "scale_and_translate", "elastic_transform"]


def standardize_format(data_format: str | None) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


# ---- colour -------------------------------------------------------------------------------------
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Tensor:
    """0.2989 R + 0.5870 G + 0.1140 B as one channel, computed in float and cast back to the input dtype."""
    return image_ops.rgb_to_grayscale(images, standardize_format(data_format))


def rgb_to_hsv(images: Any, data_format: str | None = None) -> Tensor:
    """TF's RGBToHSV formula (hue in [0, 1)), written with elementwise ops so it has a gradient."""
    return image_ops.rgb_to_hsv(images, standardize_format(data_format))


def hsv_to_rgb(images: Any, data_format: str | None = None) -> Tensor:
    """TF's HSVToRGB formula, written with elementwise ops so it has a gradient."""
    return image_ops.hsv_to_rgb(images, standardize_format(data_format))


def resize(images: Any, size: Sequence[int], interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: str | None = None) -> Tensor:
    """``tf.image.resize``: float32 out (nearest keeps the dtype); lanczos and antialiased bilinear/bicubic
    go through ScaleAndTranslate as TF's resize does."""
    return image_ops.resize_images(images, size, interpolation, antialias, crop_to_aspect_ratio, pad_to_aspect_ratio,
                                   fill_mode, fill_value, standardize_format(data_format))


# ---- warps --------------------------------------------------------------------------------------
def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0, data_format: str | None = None) -> Tensor:
    """Output pixel (x, y) samples the input at (a0 x + a1 y + a2, b0 x + b1 y + b2) / (c0 x + c1 y + 1),
    one row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image (or one row for all)."""
    return image_ops.affine_transform(images, transform, interpolation, fill_mode, fill_value,
                                      standardize_format(data_format))


def perspective_transform(images: Any, start_points: Any, end_points: Any, interpolation: str = "bilinear",
                          fill_value: float = 0, data_format: str | None = None) -> Tensor:
    """Warps so that the 4 ``start_points`` (x, y) land on the 4 ``end_points``."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one ('nearest', 'bilinear'). "
                         f"Received: interpolation={interpolation}")
    x, back = to_nhwc(images, standardize_format(data_format))
    start, end = convert(start_points, "float32", x.graph), convert(end_points, "float32", x.graph)
    for name, p in (("start_points", start), ("end_points", end)):
        if p.shape is None or len(p.shape) not in (2, 3) or tuple(p.shape[-2:]) != (4, 2):
            raise ValueError(f"Invalid {name} shape: expected (4,2) for a single image or (N,4,2) for a batch. "
                             f"Received shape: {p.shape}")
    if start.shape != end.shape:
        raise ValueError(f"start_points and end_points must have the same shape. Received "
                         f"start_points.shape={start.shape}, end_points.shape={end.shape}")
    if len(start.shape) == 2:
        start, end = array.expand_dims(start, 0), array.expand_dims(end, 0)
    transform = image_ops.homography(start, end)
    return back(image_ops.projective_transform(x, transform, spatial_size(x), interpolation, "constant", fill_value))


# ---- crops and pads -----------------------------------------------------------------------------
def _height_width(x: Tensor, data_format: str | None) -> tuple[int | None, int | None]:
    check_images(x)
    if standardize_format(data_format) == "channels_last":
        return x.shape[-3], x.shape[-2]
    return x.shape[-2], x.shape[-1]


def _margins(first: int | None, second: int | None, target: int | None, size: int | None, grow: bool,
             names: str) -> tuple[int, int]:
    """Completes the (first, second) margins from the target and the image size, as Keras infers them:
    padding adds them to the size, cropping takes them off."""
    if first is None or second is None:
        if size is None:
            raise ValueError(f"{names}: give both margins for images of unknown size ({size}), or a known size")
        extra = target - size if grow else size - target
        first = extra - second if first is None else first
        second = extra - first if second is None else second
    return first, second


def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None, target_height: int | None = None,
               target_width: int | None = None, data_format: str | None = None) -> Tensor:
    """Zeros around the images: two of (top, bottom, target_height) and two of (left, right, target_width)."""
    x = convert(images)
    height, width = _height_width(x, data_format)
    for a, b, t, what in ((top_padding, bottom_padding, target_height, "height"),
                          (left_padding, right_padding, target_width, "width")):
        if [a, b, t].count(None) != 1:
            raise ValueError(f"pad_images: give exactly two of the two paddings and target_{what}, got "
                             f"{a!r}, {b!r}, target_{what}={t!r}")
    top, bottom = _margins(top_padding, bottom_padding, target_height, height, True, "pad_images (height)")
    left, right = _margins(left_padding, right_padding, target_width, width, True, "pad_images (width)")
    for name, value in (("top_padding", top), ("left_padding", left), ("right_padding", right),
                        ("bottom_padding", bottom)):
        if value < 0:
            raise ValueError(f"{name} must be >= 0. Received: {name}={value}")
    pads = [[top, bottom], [left, right]]
    pads = pads + [[0, 0]] if standardize_format(data_format) == "channels_last" else [[0, 0]] + pads
    return array.pad(x, [[0, 0]] * (len(x.shape) - 3) + pads)


def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None,
                data_format: str | None = None) -> Tensor:
    """A window of the images: two of (top, bottom, target_height) and two of (left, right, target_width)."""
    x = convert(images)
    height, width = _height_width(x, data_format)
    spans = []
    for a, b, t, size, what in ((top_cropping, bottom_cropping, target_height, height, "height"),
                                (left_cropping, right_cropping, target_width, width, "width")):
        if [a, b, t].count(None) != 1:
            raise ValueError(f"crop_images: give exactly two of the two croppings and target_{what}, got "
                             f"{a!r}, {b!r}, target_{what}={t!r}")
        if a is None:
            a = _margins(None, b, t, size, False, f"crop_images ({what})")[0]
        if t is None:
            if size is None:
                raise ValueError(f"When the {what} of the images is unknown, `target_{what}` must be specified. "
                                 f"Received images.shape={x.shape}")
            t = size - a - b
        if a < 0 or t < 0:
            raise ValueError(f"crop_images: the start ({a}) and target_{what} ({t}) must be >= 0")
        spans.append((a, t))
    (top, h), (left, w) = spans
    if standardize_format(data_format) == "channels_last":
        begin, sizes = [top, left, 0], [h, w, -1]
    else:
        begin, sizes = [0, top, left], [-1, h, w]
    lead = len(x.shape) - 3
    return array.slice(x, [0] * lead + begin, [-1] * lead + sizes)
