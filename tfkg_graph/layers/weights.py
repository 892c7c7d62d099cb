"""Weight: a layer weight's spec and where its value lives (graph Variable, model session, or pending)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from ..graph import Graph, Tensor
from ..graph.ops import math, state

if TYPE_CHECKING:
    from .base import Layer


class Weight:
    """A layer weight: its spec (shape, initializer, regularizer, constraint) and where its value lives.

    Inside a graph it stands for the bound resource Variable: ``weight.value()`` reads it, and the
    usual operators (``x @ self.kernel``) work. Outside, ``numpy()``/``assign()`` go through the
    session of the model that last built it (or keep a pending value until a model exists).
    """

    def __init__(self, layer: "Layer", name: str, shape: Sequence[int], dtype: str, initializer: Any,
                 trainable: bool, regularizer: Any, constraint: Any, aggregation: str = "none",
                 autocast: bool = True):
        self.layer, self.name = layer, name
        self.aggregation, self.autocast = aggregation, autocast  # as keras.Variable records them
        self.shape, self.dtype = tuple(int(d) for d in shape), dtype
        self.initializer, self.regularizer, self.constraint = initializer, regularizer, constraint
        self._trainable = trainable
        self.variable: state.Variable | None = None    # bound in the graph being built or run
        self.runtime: Any = None                        # the model runtime whose session holds the value
        self.pending: np.ndarray | None = None

    @property
    def path(self) -> str:
        """``<layer>/<weight>``; a recurrent cell's weights sit under its RNN (``rnn/lstm_cell/kernel``)."""
        return f"{getattr(self.layer, 'weight_scope', None) or self.layer.name}/{self.name}"

    @property
    def trainable(self) -> bool:
        return self._trainable and self.layer.trainable

    def bind(self, graph: Graph) -> state.Variable:
        """Creates this weight's Variable in ``graph`` (once per graph)."""
        if self.variable is None or self.variable.graph is not graph:
            init = self.initializer
            with graph.as_default():
                self.variable = state.Variable(lambda: init(self.shape, self.dtype), self.shape, self.dtype,
                                               name=self.path, trainable=self._trainable, graph=graph)
        return self.variable

    def value(self) -> Tensor:
        if self.variable is None:
            raise RuntimeError(f"weight {self.path!r} is not part of a graph yet")
        return self.variable.value()

    @property
    def handle(self) -> Tensor:
        return self.variable.handle

    def numpy(self) -> np.ndarray:
        owner = self.layer._owner() if self.layer._owner is not None else None
        if self.runtime is None and self.pending is None and owner is not None:
            owner._ensure_runtime()  # a layer of a model that has not run yet: initialize now
        if self.runtime is not None:
            return self.runtime.read_weights([self])[0]
        if self.pending is not None:
            return self.pending.copy()
        raise RuntimeError(f"weight {self.path!r} has no value yet: use the layer in a model first")

    def assign(self, value: Any) -> None:
        value = np.asarray(value, dtype=self.dtype)
        if value.shape != self.shape:
            raise ValueError(f"weight {self.path!r} has shape {self.shape}, got a value of shape {value.shape}")
        if self.runtime is not None:
            self.runtime.write_weights([self], [value])
        else:
            self.pending = value.copy()

    def __repr__(self) -> str:
        return f"<Weight path={self.path}, shape={self.shape}, dtype={self.dtype}>"


def checked_weight_values(owner: str, own: Sequence[Weight], arrays: Sequence[Any]) -> list[np.ndarray]:
    """``set_weights``' input: one array per weight, of its shape, cast to its dtype; ``owner`` names the
    layer or model in the error."""
    if len(arrays) != len(own):
        raise ValueError(f"{owner} has {len(own)} weight(s), got {len(arrays)} array(s)")
    values = []
    for w, value in zip(own, arrays):
        value = np.asarray(value, dtype=w.dtype)
        if value.shape != w.shape:
            raise ValueError(f"weight {w.path!r} has shape {w.shape}, got an array of shape {value.shape}")
        values.append(value)
    return values


def _delegate(op_name: str) -> Callable:
    def method(self: Weight, *args: Any) -> Any:
        return getattr(self.value(), op_name)(*args)
    return method


for _op in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
            "__rtruediv__", "__matmul__", "__neg__", "__pow__", "__getitem__"):
    setattr(Weight, _op, _delegate(_op))


def _rmatmul(self: Weight, other: Any) -> Any:
    return math.matmul(other, self.value())


Weight.__rmatmul__ = _rmatmul
Weight.__iter__ = lambda self: iter(self.value())  # its rows: finite, unlike indexing until an error
