"""``keras.ops.numpy.vectorize``: a Python function of tensors mapped over the broadcast batch dims of its
arguments (all dims, or those left of the core dims of a gufunc ``signature``), as one ``scan`` (a
While loop, differentiated by its own rules) over the flattened batch."""
from __future__ import annotations

import functools
import re
from typing import Any, Callable

import numpy as np

from .. import _tree
from ..graph import Tensor
from ..graph.ops import array, control_flow
from ..graph.ops.constants import constant
from ._dtype_rules import to_tensor

__all__ = ["vectorize"]

_ARGUMENT = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
_SIGNATURE = rf"^\s*{_ARGUMENT}(?:\s*,\s*{_ARGUMENT})*\s*->\s*{_ARGUMENT}(?:\s*,\s*{_ARGUMENT})*\s*$"


def _parse_signature(signature: str) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """``"(m,n),(n)->(m)"`` as the core dim names of each input and output."""
    if not re.match(_SIGNATURE, signature):
        raise ValueError(f"not a valid gufunc signature: {signature!r}")
    inputs, outputs = signature.split("->")

    def terms(side: str) -> list[tuple[str, ...]]:
        return [tuple(re.findall(r"\w+", t)) for t in re.findall(_ARGUMENT, side)]
    return terms(inputs), terms(outputs)


def _static_dims(t: Tensor, what: str) -> tuple[int, ...]:
    if t.shape is None or None in t.shape:
        raise ValueError(f"vectorize needs static shapes here; {what} has shape {t.shape}")
    return tuple(t.shape)


def vectorize(pyfunc: Callable, *, excluded: Any = None, signature: str | None = None) -> Callable:
    excluded = set(excluded or ())
    core_in, _ = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        positions = [i for i, a in enumerate(args) if i not in excluded and a is not None]
        tensors = [to_tensor(args[i]) for i in positions]
        cores = core_in if core_in is not None else [()] * len(tensors)
        if len(cores) != len(tensors):
            raise ValueError(f"signature {signature!r} has {len(cores)} inputs, got {len(tensors)} arguments")
        shapes = [_static_dims(t, f"argument {i}") for i, t in zip(positions, tensors)]
        core_shapes = [s[len(s) - len(c):] if c else () for s, c in zip(shapes, cores)]
        sizes: dict[str, int] = {}
        for core, dims_ in zip(cores, core_shapes):
            for name, size in zip(core, dims_):
                if sizes.setdefault(name, size) != size:
                    raise ValueError(f"core dim {name!r} is {sizes[name]} and {size} in {signature!r}")
        batch = tuple(np.broadcast_shapes(*[s[:len(s) - len(c)] for s, c in zip(shapes, cores)]))
        count = int(np.prod(batch, dtype=np.int64))
        flat = tuple(array.reshape(array.broadcast_to(t, list(batch + c)), [count, *c])
                     for t, c in zip(tensors, core_shapes))

        def step(carry: Tensor, xs: tuple[Tensor, ...]) -> tuple[Tensor, Any]:
            full = list(args)
            for i, x in zip(positions, xs):
                full[i] = x
            return carry, pyfunc(*full, **kwargs)

        _, ys = control_flow.scan(step, constant(np.int32(0)), flat)
        def unflatten(y: Tensor) -> Tensor:
            if y.shape is None or None in y.shape[1:]:
                raise ValueError(f"vectorize needs results of static shape, got {y.shape}")
            return array.reshape(y, list(batch) + list(y.shape[1:]))
        return _tree.map_structure(unflatten, ys)

    return wrapped
