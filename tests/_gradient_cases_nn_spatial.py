"""Gradient cases for 3-D convolution/pooling and depthwise convolution (graph/ops/nn_spatial.py)."""
from __future__ import annotations

from test_gradients import C, away, distinct

from tfkg_graph.graph.ops import math
from tfkg_graph.graph.ops import nn_spatial as sp

_F32 = {"eps": 1e-2, "fd_tol": 1e-4}


def _in_float32(fn, x, *args):
    return math.cast(fn(math.cast(x, "float32"), *args), "float64")


CASES = {
    "Conv3D": [C(lambda x, w: sp.conv3d(x, w, 1, "SAME"), away(1, 4, 3, 3, 2), away(2, 3, 2, 2, 2), label="same"),
               C(lambda x, w: sp.conv3d(x, w, 2, "VALID"), away(2, 5, 4, 5, 1), away(3, 2, 2, 1, 2),
                 label="valid_s2"),
               C(lambda x, w: sp.conv3d(x, w, 1, "VALID", dilations=2), away(1, 5, 4, 4, 1), away(2, 2, 1, 1, 2),
                 label="valid_d2")],
    "Conv3DBackpropInputV2": [
        C(lambda x, w: sp.conv3d_transpose(x, w, [1, 4, 4, 6, 2], 2, "SAME"), away(1, 2, 2, 3, 3),
          away(2, 3, 2, 2, 3), label="same_s2"),
        C(lambda x, w: sp.conv3d_transpose(x, w, [2, 4, 3, 3, 2], 1, "VALID"), away(2, 3, 2, 2, 1),
          away(2, 2, 2, 2, 1), label="valid_s1")],
    "DepthwiseConv2dNative": [
        C(lambda x, w: sp.depthwise_conv2d(x, w, 1, "SAME"), away(2, 4, 5, 3), away(3, 2, 3, 2), label="same"),
        C(lambda x, w: sp.depthwise_conv2d(x, w, 2, "VALID"), away(1, 6, 5, 2), away(2, 3, 2, 1), label="valid_s2"),
        C(lambda x, w: sp.depthwise_conv2d(x, w, 1, "SAME", dilations=[2, 1]), away(1, 5, 4, 2),
          away(2, 2, 2, 2), label="same_d2")],
    # TF's CPU MaxPool3D/AvgPool3D take no float64: the case runs it in float32 between two casts
    "MaxPool3D": [C(lambda x: _in_float32(sp.max_pool3d, x, 2, 2, "VALID"), distinct(1, 4, 4, 5, 2), **_F32,
                    label="valid_s2"),
                  C(lambda x: _in_float32(sp.max_pool3d, x, [2, 3, 2], 1, "SAME"), distinct(1, 3, 4, 3, 1), **_F32,
                    label="same_s1")],
    "AvgPool3D": [C(lambda x: _in_float32(sp.avg_pool3d, x, 2, 2, "VALID"), away(1, 4, 4, 5, 2), **_F32,
                    label="valid_s2"),
                  C(lambda x: _in_float32(sp.avg_pool3d, x, [2, 3, 2], 1, "SAME"), away(2, 3, 4, 3, 1), **_F32,
                    label="same_s1")],
    "DepthToSpace": [C(lambda x: sp.depth_to_space(x, 2), away(2, 2, 3, 8))],
    "SpaceToDepth": [C(lambda x: sp.space_to_depth(x, 2), away(1, 4, 6, 3))],
}
