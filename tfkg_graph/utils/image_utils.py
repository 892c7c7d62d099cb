"""``keras.utils`` image helpers: PIL images to arrays and back, loading and saving one image file.

They work on PIL images, as Keras' do, so Pillow is imported on first use (it is not needed anywhere
else; a clear ImportError says so). ``save_img`` writes to a temporary name and renames it into place.
"""
from __future__ import annotations

import io
import os
import pathlib
import tempfile
import warnings
from typing import Any

import numpy as np

RESAMPLING = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil(what: str) -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{what} needs Pillow (pip install pillow)") from None
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A PIL image (or anything array-like) -> a rank-3 array; grayscale gets a channel axis."""
    channels_first = _data_format(data_format) == "channels_first"
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        return x[None] if channels_first else x[..., None]
    if x.ndim != 3:
        raise ValueError(f"an image has rank 2 or 3, got shape {x.shape}")
    return x.transpose(2, 0, 1) if channels_first else x


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None) -> Any:
    """A rank-3 array -> a PIL image (RGBA, RGB, or L / I for one channel); ``scale`` stretches the
    values to 0..255 first."""
    image = _pil("array_to_img")
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img expects one image of rank 3, got shape {x.shape}")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        if x.max() != 0:
            x = x / x.max()
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if x.max() > 255:
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"an image has 1, 3 or 4 channels, got {channels}")


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Writes ``x`` as an image file; the format comes from the extension unless ``file_format`` says."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG has no alpha channel: the RGBA image is saved as RGB", stacklevel=2)
        img = img.convert("RGB")
    if not isinstance(path, (str, pathlib.Path)):
        img.save(path, format=file_format, **kwargs)  # a file object: the caller owns it
        return
    directory = os.path.dirname(os.path.abspath(path))
    fd, partial = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as f:
            img.save(f, format=file_format, **kwargs)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


def load_img(path: Any, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False) -> Any:
    """One image file (or ``io.BytesIO``) -> a PIL image in ``color_mode``, resized to ``target_size``
    = (height, width) if given; ``keep_aspect_ratio`` crops the centre to the target's ratio first."""
    modes = {"grayscale": ("L", ("L", "I;16", "I")), "rgb": ("RGB", ("RGB",)), "rgba": ("RGBA", ("RGBA",))}
    if color_mode not in modes:
        raise ValueError(f"color_mode must be 'grayscale', 'rgb' or 'rgba', got {color_mode!r}")
    image = _pil("load_img")
    if isinstance(path, io.BytesIO):
        img = image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        with open(path, "rb") as f:
            img = image.open(io.BytesIO(f.read()))
    else:
        raise TypeError(f"path must be a path or io.BytesIO, got {type(path).__name__}")
    mode, kept = modes[color_mode]
    if img.mode not in kept:
        img = img.convert(mode)
    if target_size is None or img.size == (target_size[1], target_size[0]):
        return img
    if interpolation not in RESAMPLING:
        raise ValueError(f"interpolation must be one of {RESAMPLING}, got {interpolation!r}")
    resample = getattr(image.Resampling, interpolation.upper())
    box = None
    if keep_aspect_ratio:  # the centre region of the target's ratio is what gets resized
        width, height = img.size
        crop_height = min(height, width * target_size[0] // target_size[1])
        crop_width = min(width, height * target_size[1] // target_size[0])
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        box = (left, top, left + crop_width, top + crop_height)
    return img.resize((target_size[1], target_size[0]), resample=resample, box=box)


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
