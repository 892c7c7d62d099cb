"""One vocabulary for numpy arrays and graph tensors, so each metric states its per-batch statistics once
and the numpy path (``update_state``) and the graph path (``graph_inputs``) cannot drift apart.

Elementwise work is float32 in both (as Keras computes it); the numpy accumulators are float64.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, constants, math


class NumpyOps:
    @staticmethod
    def f32(x: Any) -> np.ndarray: return np.asarray(x).astype(np.float32)
    @staticmethod
    def i64(x: Any) -> np.ndarray: return np.asarray(x).astype(np.int64)
    @staticmethod
    def const(value: Any, like: Any) -> np.ndarray: return np.asarray(value, dtype=np.float32)
    @staticmethod
    def gt(a: Any, b: Any) -> np.ndarray: return np.greater(a, b).astype(np.float32)
    @staticmethod
    def ge(a: Any, b: Any) -> np.ndarray: return np.greater_equal(a, b).astype(np.float32)
    @staticmethod
    def lt(a: Any, b: Any) -> np.ndarray: return np.less(a, b).astype(np.float32)
    @staticmethod
    def eq(a: Any, b: Any) -> np.ndarray: return np.equal(a, b).astype(np.float32)
    @staticmethod
    def ne(a: Any, b: Any) -> np.ndarray: return np.not_equal(a, b).astype(np.float32)
    @staticmethod
    def ones_like(x: Any) -> np.ndarray: return np.ones(np.shape(x), np.float32)
    @staticmethod
    def abs(x: Any) -> np.ndarray: return np.abs(x)
    @staticmethod
    def square(x: Any) -> np.ndarray: return np.square(x)
    @staticmethod
    def sum(x: Any, axis: Any = None) -> np.ndarray: return np.sum(x, axis=axis, dtype=np.float64)
    @staticmethod
    def mean(x: Any, axis: Any) -> np.ndarray: return np.mean(x, axis=axis, dtype=np.float32)
    @staticmethod
    def max(x: Any, axis: Any) -> np.ndarray: return np.max(x, axis=axis)
    @staticmethod
    def argmax(x: Any) -> np.ndarray: return np.argmax(x, axis=-1).astype(np.int64)
    @staticmethod
    def reshape(x: Any, shape: Any) -> np.ndarray: return np.reshape(x, shape)
    @staticmethod
    def expand(x: Any, axis: int) -> np.ndarray: return np.expand_dims(x, axis)
    @staticmethod
    def broadcast_like(x: Any, like: Any) -> np.ndarray: return np.broadcast_to(x, np.shape(like))
    @staticmethod
    def one_hot(labels: Any, depth: int) -> np.ndarray:
        return (np.asarray(labels)[..., None] == np.arange(depth)).astype(np.float32)
    @staticmethod
    def column(x: Any, index: int) -> np.ndarray: return np.asarray(x)[..., index]
    @staticmethod
    def matmul_t(a: Any, b: Any) -> np.ndarray: return np.asarray(a, np.float64).T @ np.asarray(b, np.float64)
    @staticmethod
    def sigmoid(x: Any) -> np.ndarray: return (1.0 / (1.0 + np.exp(-np.asarray(x, np.float32)))).astype(np.float32)


class GraphOps:
    @staticmethod
    def f32(x: Tensor) -> Tensor: return math.cast(x, "float32")
    @staticmethod
    def i64(x: Tensor) -> Tensor: return math.cast(x, "int64")
    @staticmethod
    def const(value: Any, like: Tensor) -> Tensor:
        return constants.constant(np.asarray(value, np.float32), graph=like.graph)
    @staticmethod
    def gt(a: Tensor, b: Any) -> Tensor: return math.cast(math.greater(a, b), "float32")
    @staticmethod
    def ge(a: Tensor, b: Any) -> Tensor: return math.cast(math.greater_equal(a, b), "float32")
    @staticmethod
    def lt(a: Tensor, b: Any) -> Tensor: return math.cast(math.less(a, b), "float32")
    @staticmethod
    def eq(a: Tensor, b: Any) -> Tensor: return math.cast(math.equal(a, b), "float32")
    @staticmethod
    def ne(a: Tensor, b: Any) -> Tensor: return math.cast(math.not_equal(a, b), "float32")
    @staticmethod
    def ones_like(x: Tensor) -> Tensor: return array.ones_like(math.cast(x, "float32"))
    @staticmethod
    def abs(x: Tensor) -> Tensor: return math.abs(x)
    @staticmethod
    def square(x: Tensor) -> Tensor: return math.square(x)
    @staticmethod
    def sum(x: Tensor, axis: Any = None) -> Tensor: return math.reduce_sum(x, axis)
    @staticmethod
    def mean(x: Tensor, axis: Any) -> Tensor: return math.reduce_mean(x, axis)
    @staticmethod
    def max(x: Tensor, axis: Any) -> Tensor: return math.reduce_max(x, axis)
    @staticmethod
    def argmax(x: Tensor) -> Tensor: return math.argmax(x, -1, "int64")
    @staticmethod
    def reshape(x: Tensor, shape: Any) -> Tensor: return array.reshape(x, list(shape))
    @staticmethod
    def expand(x: Tensor, axis: int) -> Tensor: return array.expand_dims(x, axis)
    @staticmethod
    def broadcast_like(x: Tensor, like: Tensor) -> Tensor: return array.broadcast_to(x, array.shape(like))
    @staticmethod
    def one_hot(labels: Tensor, depth: int) -> Tensor: return array.one_hot(math.cast(labels, "int64"), depth)
    @staticmethod
    def column(x: Tensor, index: int) -> Tensor: return array.getitem(x, (Ellipsis, index))
    @staticmethod
    def matmul_t(a: Tensor, b: Tensor) -> Tensor: return math.matmul(a, b, transpose_a=True)
    @staticmethod
    def sigmoid(x: Tensor) -> Tensor: return math.sigmoid(x)


def ops_for(x: Any) -> type:
    return GraphOps if isinstance(x, Tensor) else NumpyOps


def rank(x: Any) -> int:
    shape = x.shape if isinstance(x, Tensor) else np.shape(x)
    if shape is None:
        raise ValueError(f"metrics need a known rank; {getattr(x, 'name', x)!r} has none")
    return len(shape)


def last_dim(x: Any) -> int | None:
    shape = x.shape if isinstance(x, Tensor) else np.shape(x)
    return shape[-1] if shape else None


def squeeze_last(x: Any) -> Any:
    """Drops a trailing axis of size 1 (``(batch, 1)`` labels become ``(batch,)``)."""
    if isinstance(x, Tensor):
        return array.squeeze(x, -1)
    return np.asarray(x)[..., 0]
