"""``keras.ops.linalg.jvp``: forward-mode products from two reverse passes.

The reverse pass ``g(u) = J^T u`` is linear in the cotangent ``u``; differentiating ``g(u) . t`` with
respect to ``u`` gives ``J t``. So jvp needs the gradient ops of ``fun`` to have gradient rules
themselves (true for matmuls, elementwise arithmetic, exp/log, reductions, reshapes...); an op whose
backward kernel has no rule raises NoGradientError naming it.
"""
from __future__ import annotations

from typing import Any, Callable

from .._tree import flatten, pack_as
from ..autodiff import gradients
from ..graph.ops import array, math
from ..graph.ops.constants import convert
from ..runtime import dtypes

__all__ = ["jvp"]


def jvp(fun: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """(``fun(*primals)``, its Jacobian times ``tangents``) [+ aux], in ``fun``'s output structure."""
    if not isinstance(primals, (list, tuple)):
        raise TypeError(f"primals must be a tuple or list of the arguments of fun, got {type(primals).__name__}")
    primal_leaves = [convert(p) for p in flatten(primals)]
    tangent_leaves = flatten(tangents)
    if len(tangent_leaves) != len(primal_leaves):
        raise ValueError(f"jvp got {len(tangent_leaves)} tangents for {len(primal_leaves)} primals")
    tangent_leaves = [math.cast(convert(t), p.dtype) for t, p in zip(tangent_leaves, primal_leaves)]
    result = fun(*pack_as(primals, primal_leaves))
    out, aux = result if has_aux else (result, None)
    out_leaves = [convert(o) for o in flatten(out)]
    floats = [o for o in out_leaves if dtypes.is_floating(o.dtype)]
    cotangents = [array.zeros_like(o) for o in floats]  # any value: J^T u is linear in u
    pulled = gradients(floats, primal_leaves, grad_ys=cotangents)
    terms = [math.reduce_sum(g * t) for g, t in zip(pulled, tangent_leaves) if g is not None]
    pushed = gradients(math.add_n(terms), cotangents) if terms else [None] * len(floats)
    by_output = {id(o): p for o, p in zip(floats, pushed)}
    tangents_out = [by_output.get(id(o)) for o in out_leaves]
    tangents_out = [array.zeros_like(o) if t is None else t for o, t in zip(out_leaves, tangents_out)]
    packed = (pack_as(out, out_leaves), pack_as(out, tangents_out))
    return packed + (aux,) if has_aux else packed
