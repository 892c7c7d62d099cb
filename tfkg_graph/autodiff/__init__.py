"""Reverse-mode autodiff with our own gradient rules (not TF's C++ gradient registry; no tracing)."""
from . import array_grad, control_flow_grad, math_grad, nn_grad, unary_grad  # noqa: F401 - registers the rules
from . import linalg_grad, nn_spatial_grad, random_grad  # noqa: F401
from . import numpy_grad  # noqa: F401 - rules of the keras.ops.numpy ops
from . import linalg_more_grad, math_more_grad  # noqa: F401 - rules of keras.ops.math/core/linalg extras
from .gradients import RULES, NoGradientError, gradients, not_differentiable, register

__all__ = ["RULES", "NoGradientError", "gradients", "not_differentiable", "register"]
