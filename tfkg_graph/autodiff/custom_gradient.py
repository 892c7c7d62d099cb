"""``keras.ops.custom_gradient``: a Python function that returns its value and its own gradient function.

The value's tensors and the function's tensor arguments go through one IdentityN op. Its rule passes
gradients through unchanged, except for IdentityN ops made here: those send nothing back into the ops
that computed the value and give the arguments what the user's gradient function returns.
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

from .._tree import flatten, pack_as
from ..graph import Tensor
from ..graph.ops._base import make
from ..graph.ops.constants import convert
from .gradients import register

# IdentityN op -> (number of value tensors, number of tensor arguments, the user's gradient function)
_CUSTOM: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def custom_gradient(f: Callable) -> Callable:
    """Decorator: ``f(*args)`` returns ``(value, grad_fn)``; ``grad_fn(*upstream)`` returns one gradient
    per tensor argument (a single tensor when there is one argument)."""
    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        value, grad_fn = f(*args)
        leaves = [convert(v) for v in flatten(value)]
        arg_tensors = [a for a in args if isinstance(a, Tensor)]
        op = make("IdentityN", [leaves + arg_tensors])
        _CUSTOM[op] = (len(leaves), len(arg_tensors), grad_fn)
        return pack_as(value, op.outputs[:len(leaves)])
    return wrapped


@register("IdentityN")
def _identity_n(op, *grads):
    custom = _CUSTOM.get(op)
    if custom is None:
        return list(grads)
    n_values, n_args, grad_fn = custom
    result = grad_fn(*grads[:n_values])
    arg_grads = list(result) if isinstance(result, (list, tuple)) else [result]
    if len(arg_grads) != n_args:
        raise ValueError(f"custom gradient function returned {len(arg_grads)} gradients for {n_args} tensor "
                         f"arguments (node {op.name!r})")
    return [None] * n_values + [None if g is None else convert(g) for g in arg_grads]
