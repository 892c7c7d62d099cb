"""``keras.ops.numpy.einsum``: Einstein summation lowered to Transpose, ExpandDims, Mul and Sum.

Each operand's repeated letters become a diagonal first; then every operand is laid out over the
output letters followed by the summed ones (size-1 axes where it lacks a letter), the operands are
multiplied with broadcasting and the summed letters reduced. Every step has a gradient rule.
"""
from __future__ import annotations

import string
from typing import Any

from ..graph import Tensor
from ..graph.ops import array, math
from ._dtype_rules import FLOATX, result_type, to_tensor
from ._np_linalg_like import diagonal
from ._np_shape import rank_of

__all__ = ["einsum"]


def _parse(subscripts: str, ranks: list[int]) -> tuple[list[str], str]:
    """Input terms and the output term, with ``...`` spelled out as upper-case letters."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ranks):
        raise ValueError(f"einsum: {len(terms)} terms in {subscripts!r} for {len(ranks)} operands")
    spare = [c for c in string.ascii_uppercase if c not in subscripts]
    widths = [rank - (len(term) - 3) if "..." in term else 0 for term, rank in zip(terms, ranks)]
    ellipsis = spare[:max(widths, default=0)]
    terms = [term.replace("...", "".join(ellipsis[len(ellipsis) - w:])) for term, w in zip(terms, widths)]
    for term, rank in zip(terms, ranks):
        if len(term) != rank or not term.isalpha():
            raise ValueError(f"einsum: term {term!r} does not match an operand of rank {rank}")
    if not arrow:
        letters = "".join(terms)
        output = "".join(ellipsis) + "".join(sorted(c for c in set(letters) - set(ellipsis) if letters.count(c) == 1))
    else:
        output = output.replace("...", "".join(ellipsis))
    if len(set(output)) != len(output) or any(c not in "".join(terms) for c in output):
        raise ValueError(f"einsum: invalid output subscripts in {subscripts!r}")
    return terms, output


def _distinct_letters(x: Tensor, term: str) -> tuple[Tensor, str]:
    """Diagonals taken until every letter of ``term`` appears once (the diagonal axis goes last)."""
    while len(set(term)) != len(term):
        letter = next(c for c in term if term.count(c) > 1)
        first = term.index(letter)
        second = term.index(letter, first + 1)
        x = diagonal(x, 0, first, second)
        term = "".join(c for i, c in enumerate(term) if i not in (first, second)) + letter
    return x, term


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    if kwargs:
        raise ValueError(f"einsum takes no keyword arguments here, got {sorted(kwargs)}")
    tensors = [to_tensor(x) for x in operands]
    names = sorted({result_type(t) for t in tensors})
    dtype = "int32" if names == ["int8"] else result_type(*tensors)
    compute = FLOATX if "int" in dtype or dtype == "bool" else dtype
    terms, output = _parse(subscripts, [rank_of(t, "einsum") for t in tensors])
    summed = sorted({c for term in terms for c in term} - set(output))
    order = list(output) + summed
    product = None
    for x, term in zip(tensors, terms):
        x, term = _distinct_letters(math.cast(x, compute), term)
        present = [c for c in order if c in term]
        if present != list(term):
            x = array.transpose(x, [term.index(c) for c in present])
        for axis, c in enumerate(order):
            if c not in term:
                x = array.expand_dims(x, axis)
        product = x if product is None else product * x
    if summed:
        product = math.reduce_sum(product, axis=list(range(len(output), len(order))))
    return math.cast(product, dtype)
