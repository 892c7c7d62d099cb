"""Gradient cases for the rules in tfkg_graph/autodiff/numpy_grad.py (picked up by test_gradients.py)."""
from __future__ import annotations

from test_gradients import C, away, distinct, pos

from tfkg_graph.graph.ops import numpy_ops


def _inside(*shape):
    """Values in (-0.8, 0.8), where arcsin/arccos/arctanh are smooth."""
    return away(*shape, lo=0.1, hi=0.8)


CASES = {
    "Sin": [C(numpy_ops.sin, away(2, 3))],
    "Cos": [C(numpy_ops.cos, away(2, 3))],
    "Tan": [C(numpy_ops.tan, _inside(2, 3))],
    "Asin": [C(numpy_ops.asin, _inside(2, 3))],
    "Acos": [C(numpy_ops.acos, _inside(2, 3))],
    "Atan": [C(numpy_ops.atan, away(2, 3))],
    "Sinh": [C(numpy_ops.sinh, away(2, 3))],
    "Cosh": [C(numpy_ops.cosh, away(2, 3))],
    "Asinh": [C(numpy_ops.asinh, away(2, 3))],
    "Acosh": [C(numpy_ops.acosh, pos(2, 3, lo=1.2, hi=3.0))],
    "Atanh": [C(numpy_ops.atanh, _inside(2, 3))],
    "Expm1": [C(numpy_ops.expm1, away(2, 3))],
    "Atan2": [C(numpy_ops.atan2, away(3, 1, 4), away(2, 4)), C(numpy_ops.atan2, away(2, 3), away(2, 3))],
    "Cumsum": [C(lambda x: numpy_ops.cumsum(x, axis=1), away(2, 4)),
               C(lambda x: numpy_ops.cumsum(x, axis=0, exclusive=True, reverse=True), away(3, 2),
                 label="exclusive_reverse")],
    "Cumprod": [C(lambda x: numpy_ops.cumprod(x, axis=1), away(2, 4, lo=0.5, hi=1.5)),
                C(lambda x: numpy_ops.cumprod(x, axis=0, reverse=True), away(3, 2, lo=0.5, hi=1.5),
                  label="reverse")],
    "TopKV2": [C(lambda x: numpy_ops.top_k(x, 2)[0], distinct(3, 5)),
               C(lambda x: numpy_ops.top_k(x, 3)[0], distinct(2, 2, 4))],
}
