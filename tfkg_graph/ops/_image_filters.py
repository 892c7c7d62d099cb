"""``keras.ops.image`` filters: Gaussian blur, Sobel edges, SSIM, patch extraction (a convolution with an
identity kernel, as Keras builds it) and map_coordinates (gathers). Everything here is ordinary conv/arithmetic ops, so gradients come
from the existing rules."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import backend
from ..graph import Tensor
from ..graph.ops import array, math, nn_spatial
from ..graph.ops.constants import constant, convert
from ..graph.ops import image_sampling as sampling
from ..graph.ops.image_sampling import map_coordinates  # noqa: F401 - ops.image.map_coordinates
from ..runtime import dtypes
from ._conv import conv


def _format(data_format: str | None) -> str:
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def _batched_nhwc(images: Any, data_format: str | None, ranks: tuple[int, ...] = (3, 4)) -> tuple[Tensor, Any]:
    x = convert(images)
    if x.shape is None or len(x.shape) not in ranks:
        raise ValueError(f"Invalid images rank: expected rank {' or '.join(map(str, ranks))}. Received input "
                         f"with shape: images.shape={x.shape}")
    first = _format(data_format) == "channels_first"
    unbatched = len(x.shape) == 3
    if unbatched:
        x = array.expand_dims(x, 0)
    if first:
        x = array.transpose(x, [0, 2, 3, 1])

    def back(y: Tensor, perm: Sequence[int] = (0, 3, 1, 2)) -> Tensor:
        if first:
            y = array.transpose(y, list(perm))
        return array.squeeze(y, [0]) if unbatched else y
    return x, back


def _per_channel(kernel: np.ndarray, x: Tensor) -> Tensor:
    """(kh, kw, 1, m) tiled over the channels of NHWC ``x`` for a depthwise convolution."""
    channels = x.shape[-1]
    if channels is not None:
        return constant(np.tile(kernel, (1, 1, channels, 1)), x.dtype, graph=x.graph)
    return array.tile(constant(kernel, x.dtype, graph=x.graph), array.concat([constant([1, 1], "int32"), array.shape(x)[-1:], constant([1], "int32")], 0))


def gaussian_blur(images: Any, kernel_size: Sequence[int] = (3, 3), sigma: Sequence[float] = (1.0, 1.0),
                  data_format: str | None = None) -> Tensor:
    """Depthwise convolution (SAME) with a normalized Gaussian kernel built as Keras' TF backend builds it."""
    x, back = _batched_nhwc(images, data_format)

    def kernel1d(size, s):
        t = np.arange(size) - (size - 1) / 2
        k = np.exp(-0.5 * (t / s) ** 2)
        return k / k.sum()
    size, sigma = [int(v) for v in kernel_size], [float(v) for v in sigma]
    # Keras: tensordot(k_y, k_x) is (size[1], size[0]) and is then reshaped (not transposed) to size
    kernel = np.tensordot(kernel1d(size[1], sigma[1]), kernel1d(size[0], sigma[0]), axes=0)
    kernel = kernel.reshape(size[0], size[1], 1, 1)
    return back(nn_spatial.depthwise_conv2d(x, _per_channel(kernel, x), 1, "SAME"))


def _reflect_pad_1(x: Tensor, axis: int) -> Tensor:
    """Pad by one reflected row/column on each side of ``axis`` (TF's REFLECT mode, width 1)."""
    def take(begin, end):
        key = [slice(None)] * 4
        key[axis] = slice(begin, end)
        return x[tuple(key)]
    return array.concat([take(1, 2), x, take(-2, -1)], axis)


def sobel_edges(images: Any, data_format: str | None = None) -> Tensor:
    """(batch, height, width, channels, 2) with [dy, dx] from 3x3 Sobel filters over a reflected border
    (channels-first: (batch, channels, height, width, 2))."""
    x, back = _batched_nhwc(images, data_format, ranks=(4,))
    kernels = np.array([[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], np.float64)
    kernels = np.expand_dims(np.transpose(kernels, (1, 2, 0)), -2)  # (3, 3, 1, 2)
    padded = _reflect_pad_1(_reflect_pad_1(x, 1), 2)
    y = nn_spatial.depthwise_conv2d(padded, _per_channel(kernels, x), 1, "VALID")
    dims = [d if d is not None else array.shape(x)[i] for i, d in enumerate(x.shape)]
    return back(array.reshape(y, [*dims, 2]), perm=(0, 3, 1, 2, 4))


def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11, filter_sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03, data_format: str | None = None) -> Tensor:
    """Mean structural similarity per image (Gaussian window, VALID), averaged over channels, as Keras."""
    a, b = convert(image1), convert(image2)
    for name, t in (("image1", a), ("image2", b)):
        if t.shape is None or len(t.shape) not in (3, 4):
            raise ValueError(f"Invalid {name} rank: expected rank 3 (single image) or rank 4 (batch of images). "
                             f"Received input with shape: {name}.shape={t.shape}")
    original, unbatched = a.dtype, len(a.shape) == 3
    compute = original if dtypes.is_floating(original) else dtypes.FLOAT
    a, back = _batched_nhwc(math.cast(a, compute), data_format)
    b, _ = _batched_nhwc(math.cast(b, compute), data_format)
    t = np.arange(filter_size) - (filter_size - 1) / 2.0
    g = np.exp(-(t ** 2) / (2.0 * filter_sigma ** 2))
    g = g / g.sum()
    kernel = constant(np.outer(g, g).reshape(filter_size, filter_size, 1, 1), compute, graph=a.graph)
    shape = array.shape(a)
    height, width = shape[1], shape[2]

    def per_channel(t):
        return array.reshape(array.transpose(t, [0, 3, 1, 2]), array.stack([-1, height, width, 1]))

    def blur(t):
        return conv(t, kernel, 1, "valid", "channels_last")
    a_ch, b_ch = per_channel(a), per_channel(b)
    mu1, mu2 = blur(a_ch), blur(b_ch)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    sigma1 = blur(a_ch * a_ch) - mu1 * mu1
    sigma2 = blur(b_ch * b_ch) - mu2 * mu2
    sigma12 = blur(a_ch * b_ch) - mu1 * mu2
    ssim_map = ((2.0 * mu1 * mu2 + c1) * (2.0 * sigma12 + c2)) / ((mu1 * mu1 + mu2 * mu2 + c1) * (sigma1 + sigma2 + c2))
    batch_channels = [a.shape[0] if a.shape[0] is not None else shape[0],
                      a.shape[3] if a.shape[3] is not None else shape[3]]
    per_image = math.reduce_mean(array.reshape(math.reduce_mean(ssim_map, [1, 2, 3]), batch_channels), -1)
    if unbatched:
        per_image = array.squeeze(per_image, [0])
    return math.cast(per_image, original)


def _patch_size(size: int | Sequence[int], n: int) -> list[int]:
    sizes = [int(size)] * n if isinstance(size, int) else [int(s) for s in size]
    if len(sizes) != n:
        raise ValueError(f"Invalid `size` argument. Expected an int or a tuple of length {n}. Received: size={size}")
    return sizes


def _patches(x: Any, sizes: list[int], strides: Any, dilation_rate: Any, padding: str,
             data_format: str | None) -> Tensor:
    """Each output position holds its window flattened (spatial-major, channels last), as Keras' conv with
    an identity kernel gives."""
    x = convert(x)
    n = len(sizes)
    data_format = _format(data_format)
    channels = x.shape[-1] if data_format == "channels_last" else x.shape[-n - 1]
    if channels is None:
        raise ValueError(f"extract_patches needs a known number of channels, got images of shape {x.shape}")
    out_dim = int(np.prod(sizes)) * channels
    kernel = np.eye(out_dim).reshape(*sizes, channels, out_dim)
    unbatched = len(x.shape) == n + 1
    if unbatched:
        x = array.expand_dims(x, 0)
    y = conv(x, constant(kernel, x.dtype, graph=x.graph), strides if strides else sizes, padding, data_format,
             dilation_rate)
    return array.squeeze(y, [0]) if unbatched else y


def extract_patches(images: Any, size: int | Sequence[int], strides: Any = None, dilation_rate: Any = 1,
                    padding: str = "valid", data_format: str | None = None) -> Tensor:
    """2-D patches (``size`` an int or a pair), or 3-D patches when ``size`` has three entries."""
    if not isinstance(size, int) and not isinstance(size, (tuple, list)):
        raise TypeError(f"Invalid `size` argument. Expected an int or a tuple. Received: size={size} of type "
                        f"{type(size).__name__}")
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    x = convert(images)
    if x.shape is None or len(x.shape) not in (3, 4):
        raise ValueError(f"extract_patches: expected 3-D or 4-D images, got shape {x.shape}")
    return _patches(x, _patch_size(size, 2), strides, dilation_rate, padding, data_format)


def extract_patches_3d(volumes: Any, size: int | Sequence[int], strides: Any = None, dilation_rate: Any = 1,
                       padding: str = "valid", data_format: str | None = None) -> Tensor:
    """3-D patches of a volume (4-D) or a batch of volumes (5-D)."""
    x = convert(volumes)
    if x.shape is None or len(x.shape) not in (4, 5):
        raise ValueError(f"extract_patches_3d: expected 4-D or 5-D volumes, got shape {x.shape}")
    sizes = _patch_size(size, 3)
    if isinstance(strides, int):
        strides = (strides,) * 3
    return _patches(x, sizes, strides, dilation_rate, padding, data_format)


SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic", "lanczos3",
                               "lanczos5")


def _sampling_kernel(method: str, x: np.ndarray) -> np.ndarray:
    """Keras' (jax.image's) kernels, evaluated in numpy on |distance| >= 0."""
    if method == "linear":
        return np.maximum(0.0, 1 - x)
    if method == "cubic":
        out = ((1.5 * x - 2.5) * x) * x + 1.0
        out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
        return np.where(x >= 2.0, 0.0, out)
    radius = 3.0 if method == "lanczos3" else 5.0
    y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1), 1)
    return np.where(x > radius, 0.0, out)


def _weight_matrix(m: int, n: int, scale: float, translation: float, method: str, antialias: bool,
                   dtype: np.dtype) -> np.ndarray:
    """(m, n): how much input position i contributes to output position j (Keras' _compute_weight_mat)."""
    scale, translation = dtype.type(scale), dtype.type(translation)
    inv_scale = dtype.type(1.0) / scale
    kernel_scale = max(inv_scale, dtype.type(1.0)) if antialias else dtype.type(1.0)
    sample = (np.arange(n, dtype=dtype) + dtype.type(0.5)) * inv_scale - translation * inv_scale - dtype.type(0.5)
    x = np.abs(sample[None, :] - np.arange(m, dtype=dtype)[:, None]) / kernel_scale
    weights = _sampling_kernel(method, x).astype(dtype)
    total = weights.sum(axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                       weights / np.where(total != 0, total, 1), 0)
    return np.where(((sample >= -0.5) & (sample <= m - 0.5))[None, :], weights, 0).astype(dtype)


def scale_and_translate(images: Any, output_shape: Sequence[int], scale: Any, translation: Any,
                        spatial_dims: Sequence[int], method: str, antialias: bool = True) -> Tensor:
    """jax.image.scale_and_translate as Keras computes it: each spatial dim is a matmul with a fixed weight
    matrix (``scale`` and ``translation`` are numbers here, so the matrices are constants)."""
    if method not in SCALE_AND_TRANSLATE_METHODS:
        raise ValueError(f"Invalid value for argument `method`. Expected of one {SCALE_AND_TRANSLATE_METHODS}. "
                         f"Received: method={method}")
    method = "linear" if method in ("linear", "bilinear", "trilinear") else "cubic" if "cubic" in method else method
    if isinstance(scale, Tensor) or isinstance(translation, Tensor):
        raise ValueError("scale_and_translate: `scale` and `translation` must be numbers or arrays here")
    # as Keras converts them: Python numbers to float32, float arrays keep their dtype
    scale, translation = (np.asarray(v) if isinstance(v, np.ndarray) and np.asarray(v).dtype.kind == "f"
                          else np.asarray(v, np.float32) for v in (scale, translation))
    dtype = np.result_type(scale.dtype, translation.dtype)
    x = convert(images)
    if x.shape is None or any(x.shape[d] is None for d in spatial_dims):
        raise ValueError(f"scale_and_translate needs the spatial sizes of the input, got shape {x.shape}")
    rank = len(x.shape)
    integer = not dtypes.is_floating(x.dtype)
    out = math.cast(x, "float32") if integer else x
    for i, d in enumerate(spatial_dims):
        d = d % rank
        weights = _weight_matrix(x.shape[d], int(output_shape[d]), float(scale.reshape(-1)[i]),
                                 float(translation.reshape(-1)[i]), method, antialias, np.dtype(dtype))
        perm = [a for a in range(rank) if a != d] + [d]
        moved = array.expand_dims(array.transpose(out, perm), -2)                     # (..., 1, m)
        product = array.squeeze(math.matmul(moved, constant(weights, out.dtype, graph=x.graph)), [-2])
        out = array.transpose(product, [perm.index(a) for a in range(rank)])
    if integer:
        out = math.clip_by_value(math.round(out), math.cast(math.reduce_min(x), "float32"),
                                 math.cast(math.reduce_max(x), "float32"))
        out = math.cast(out, x.dtype)
    return out


def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0, interpolation: str = "bilinear",
                      fill_mode: str = "reflect", fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> Tensor:
    """Each pixel sampled at its position plus ``alpha`` times a smoothed normal displacement field (Gaussian
    blur of ``sigma``, kernel 6*int(sigma)+1), one field for x and an independent one for y; a fresh draw per
    run. Needs known image sizes (Keras' TF backend loops over the batch in Python too)."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one ('nearest', 'bilinear'). "
                         f"Received: interpolation={interpolation}")
    if fill_mode not in ("constant", "nearest", "wrap", "reflect"):
        raise ValueError("Invalid value for argument `fill_mode`. Expected of one ('constant', 'nearest', 'wrap', "
                         f"'reflect'). Received: fill_mode={fill_mode}")
    x, back = _batched_nhwc(images, data_format)
    return back(sampling.elastic_displace(x, alpha, sigma, interpolation, fill_mode, fill_value,
                                          getattr(seed, "seed", seed)))
