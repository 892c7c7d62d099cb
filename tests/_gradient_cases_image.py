"""Gradient cases for the image kernels (graph/ops/image.py, autodiff/image_grad.py)."""
from __future__ import annotations

import numpy as np
from test_gradients import C, away

from tfkg_graph.graph.ops import array, math
from tfkg_graph.graph.ops import image as im

# ResizeBilinear/ResizeBicubic/ScaleAndTranslate compute and return float32: finite differences at that precision
_F32 = {"eps": 1e-2, "fd_tol": 1e-3}


def _f64(y):
    return math.cast(y, "float64")


def _in_float32(fn):
    return lambda x: _f64(fn(math.cast(x, "float32")))


def _warp(rows, interpolation, fill_mode="CONSTANT"):
    transforms = np.asarray(rows, np.float32)
    return lambda x: im.projective_transform(x, transforms, array.shape(x)[1:3], interpolation, fill_mode)


_ANGLE = 0.3
_ROTATE = [[np.cos(_ANGLE), -np.sin(_ANGLE), 1.0, np.sin(_ANGLE), np.cos(_ANGLE), -0.5, 0.0, 0.0]]

CASES = {
    "ResizeBilinear": [C(lambda x: _f64(im.resize(x, [5, 7], "bilinear")), away(2, 3, 4, 2), **_F32, label="up"),
                       C(lambda x: _f64(im.resize(x, [2, 3], "bilinear")), away(1, 5, 6, 3), **_F32, label="down")],
    "ResizeNearestNeighbor": [C(lambda x: im.resize(x, [5, 7], "nearest"), away(2, 3, 4, 2), label="up"),
                              C(lambda x: im.resize(x, [2, 3], "nearest"), away(1, 5, 6, 1), label="down")],
    "ResizeBicubic": [C(lambda x: _f64(im.resize(x, [6, 5], "bicubic")), away(2, 4, 3, 2), **_F32, label="up"),
                      C(lambda x: _f64(im.resize(x, [3, 2], "bicubic")), away(1, 5, 6, 1), **_F32, label="down")],
    "ScaleAndTranslate": [
        C(_in_float32(lambda x: im.scale_and_translate(x, [3, 4], np.float32([0.6, 0.5]), np.zeros(2, np.float32),
                                                       "lanczos3")), away(2, 5, 8, 2), **_F32, label="lanczos3"),
        C(_in_float32(lambda x: im.scale_and_translate(x, [6, 4], np.float32([2.0, 1.0]), np.zeros(2, np.float32),
                                                       "triangle")), away(1, 3, 4, 1), **_F32, label="triangle")],
    # nearest sampling of an integer shift: the inverse warp is the exact adjoint (finite differences agree);
    # a bilinear rotation gets TF's inverse-warp approximation, compared with the tape only
    "ImageProjectiveTransformV3": [
        C(_warp([[1, 0, -1, 0, 1, 2, 0, 0]], "NEAREST"), away(2, 5, 6, 2), label="shift_nearest"),
        C(_warp([[1, 0, 2, 0, 1, -1, 0, 0]], "NEAREST", "WRAP"), away(1, 4, 5, 1), label="shift_wrap"),
        C(_warp(_ROTATE, "BILINEAR"), away(1, 5, 5, 2), fd=False, label="rotate_bilinear")],
}
