"""Static shapes of the matrix ops (graph/ops/linalg.py)."""
from __future__ import annotations

from typing import Any

from .shapes import Shape, broadcast, rule

rule("MatrixInverse", "MatrixBandPart")(lambda op: [op.inputs[0].shape])


@rule("MatrixDeterminant")
def _det(op: Any) -> list[Shape]:
    s = op.inputs[0].shape
    return [None if s is None else tuple(s[:-2])]


@rule("MatrixSolve", "MatrixTriangularSolve")
def _solve(op: Any) -> list[Shape]:
    a, b = op.inputs[0].shape, op.inputs[1].shape
    if a is None or b is None:
        return [None]
    if op.type == "MatrixSolve":
        return [tuple(b)]
    return [broadcast(tuple(a[:-2]), tuple(b[:-2]), f"node {op.name!r}") + tuple(b[-2:])]
