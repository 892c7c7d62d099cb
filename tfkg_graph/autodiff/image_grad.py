"""Gradient rules of the image kernels (graph/ops/image.py); each is TF's backprop kernel for the op.

ImageProjectiveTransformV3 has no backprop kernel: as TF does, the gradient is the transform by the inverse
matrix applied to the incoming gradient. That is the exact adjoint for nearest sampling of a bijective map
(integer shifts, flips, quarter turns), and TF's approximation otherwise (docs/differences.md).
"""
from __future__ import annotations

import numpy as np

from ..graph.ops import array, math
from ..graph.ops.constants import constant
from ..runtime import dtypes
from .gradients import not_differentiable, register

# ResizeArea: TF has no gradient for it either; the backprop kernels: gradients of gradients are not built;
# bucket and hash indices (Discretization, Hashing): integer results
not_differentiable("ResizeArea", "ResizeBilinearGrad", "ResizeBicubicGrad", "ResizeNearestNeighborGrad",
                   "ScaleAndTranslateGrad", "Bucketize", "AsString", "StringToHashBucketFast",
                   "StringToHashBucketStrong")


def _resize_attrs(op):
    return {"align_corners": op.get_attr("align_corners"), "half_pixel_centers": op.get_attr("half_pixel_centers")}


@register("ResizeBilinear", "ResizeBicubic")
def _resize_smooth(op, grad):
    """TF's backprop kernel; its output has the original image's dtype (bicubic's kernel: float32/64 only)."""
    x = op.inputs[0]
    kept = (dtypes.FLOAT, dtypes.DOUBLE) if op.type == "ResizeBicubic" else tuple(dtypes.FLOATING)
    original = x if x.dtype in kept else math.cast(x, "float32")
    dx = op.graph.create_op(op.type + "Grad", [grad, original], _resize_attrs(op)).outputs[0]
    return [dx if original is x else math.cast(dx, x.dtype), None]


@register("ResizeNearestNeighbor")
def _resize_nearest(op, grad):
    x = op.inputs[0]
    if x.shape is not None and x.shape[1] is not None and x.shape[2] is not None:
        size = constant(np.array(x.shape[1:3], np.int32), graph=x.graph)
    else:
        size = array.shape(x)[1:3]
    return [op.graph.create_op("ResizeNearestNeighborGrad", [grad, size], _resize_attrs(op)).outputs[0], None]


@register("ScaleAndTranslate")
def _scale_and_translate(op, grad):
    x, _, scale, translation = op.inputs
    attrs = {"kernel_type": op.get_attr("kernel_type"), "antialias": op.get_attr("antialias")}
    original = x if x.dtype == dtypes.FLOAT else math.cast(x, "float32")  # the backprop kernel is float32 only
    dx = op.graph.create_op("ScaleAndTranslateGrad", [grad, original, scale, translation], attrs).outputs[0]
    return [dx if x.dtype == dtypes.FLOAT else math.cast(dx, x.dtype), None, None, None]


def _inverse_transforms(transforms):
    """Rows of 8 projective coefficients -> the rows of the inverse 3x3 matrices, normalized to c2 = 1."""
    rows = array.shape(transforms)[0:1]
    full = array.concat([transforms, array.fill(array.concat([rows, constant([1], "int32")], 0),
                                                constant(1.0, "float32"))], 1)
    matrices = array.reshape(full, [-1, 3, 3])
    inverse = array.reshape(transforms.graph.create_op("MatrixInverse", [matrices]).outputs[0], [-1, 9])
    return (inverse / inverse[:, 8:9])[:, :8]


@register("ImageProjectiveTransformV3")
def _projective_transform(op, grad):
    x, transforms, _, _ = op.inputs
    spatial = (constant(np.array(x.shape[1:3], np.int32), graph=x.graph)
               if x.shape is not None and None not in x.shape[1:3] else array.shape(x)[1:3])
    attrs = {"interpolation": op.get_attr("interpolation"), "fill_mode": op.get_attr("fill_mode"),
             "dtype": op.get_attr("dtype")}
    dx = op.graph.create_op("ImageProjectiveTransformV3",
                            [grad, _inverse_transforms(transforms), spatial, constant(0.0, "float32")],
                            attrs).outputs[0]
    return [dx, None, None, None]
