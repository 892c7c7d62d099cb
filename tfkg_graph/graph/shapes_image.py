"""Static shapes of TF's image ops (resizing, projective transforms; NHWC) and of the elementwise ops the
numeric preprocessing layers use (bucketizing, hashing)."""
from __future__ import annotations

from typing import Any

from .shapes import Shape, partial_shape_value, rule


def _resized(x: Shape, size: Shape) -> Shape:
    if x is None:
        return (None, *(size or (None, None)), None)
    size = size or (None, None)
    return (x[0], size[0], size[1], x[3])


@rule("ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "ScaleAndTranslate",
      "ImageProjectiveTransformV3")
def _resize(op: Any) -> list[Shape]:
    """(batch, new height, new width, channels): the size input (or output_shape) names the new dims."""
    size_input = op.inputs[2] if op.type == "ImageProjectiveTransformV3" else op.inputs[1]
    return [_resized(op.inputs[0].shape, partial_shape_value(size_input))]


@rule("ResizeBilinearGrad", "ResizeBicubicGrad", "ScaleAndTranslateGrad")
def _like_original(op: Any) -> list[Shape]:
    return [op.inputs[1].shape]


@rule("ResizeNearestNeighborGrad")
def _nearest_grad(op: Any) -> list[Shape]:
    return [_resized(op.inputs[0].shape, partial_shape_value(op.inputs[1]))]


@rule("Bucketize", "AsString", "StringToHashBucketFast", "StringToHashBucketStrong")
def _same(op: Any) -> list[Shape]:
    return [op.inputs[0].shape]
