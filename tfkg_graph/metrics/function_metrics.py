"""Mean metrics of per-sample graph functions: Keras' loss-based metrics (they call the losses' own
formulas, so metric and loss cannot disagree) and the batch correlations.

The graph path builds the function into the training graph; the numpy path (``update_state``) runs the
same function in a small graph built once per input signature and cached (one lock serializes those
numpy-path runs; the training graph path takes no lock)."""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from .. import losses
from ..graph import Graph, Tensor
from ..graph.ops import math
from ..graph.ops.constants import placeholder
from ..runtime.session import Session
from ._backend import GraphOps
from .base import MeanMetricWrapper

_NUMPY_GRAPHS: dict[tuple, tuple[Session, str, str, str]] = {}
_NUMPY_LOCK = threading.Lock()


def run_on_numpy(fn: Callable[..., Tensor], y_true: np.ndarray, y_pred: np.ndarray, kwargs: dict[str, Any]) -> np.ndarray:
    """``fn(y_true, y_pred, **kwargs)`` evaluated on arrays by our Session."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred, np.float32)
    key = (fn, repr(sorted(kwargs.items())), y_true.shape, y_true.dtype.str, y_pred.shape)
    with _NUMPY_LOCK:
        if key not in _NUMPY_GRAPHS:
            g = Graph()
            with g.as_default():
                t = placeholder(y_true.dtype, y_true.shape, name="y_true")
                p = placeholder("float32", y_pred.shape, name="y_pred")
                out = math.cast(fn(t, p, **kwargs), "float32")
            _NUMPY_GRAPHS[key] = (Session(g), t.name, p.name, out.name)
        session, t_name, p_name, out_name = _NUMPY_GRAPHS[key]
        return session.run(out_name, {t_name: y_true, p_name: y_pred})


def _mean(x: Tensor, axis: int) -> Tensor:
    return math.reduce_mean(x, axis, keepdims=True)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Per-sample Pearson correlation along ``axis`` (population standard deviations)."""
    y_true, y_pred = losses.core._pair(y_true, y_pred)
    true_centered, pred_centered = y_true - _mean(y_true, axis), y_pred - _mean(y_pred, axis)
    true_norm = true_centered / math.sqrt(_mean(math.square(true_centered - _mean(true_centered, axis)), axis))
    pred_norm = pred_centered / math.sqrt(_mean(math.square(pred_centered - _mean(pred_centered, axis)), axis))
    return math.reduce_mean(true_norm * pred_norm, axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Keras' per-sample concordance correlation (its covariance term centres y_true on y_pred's mean)."""
    y_true, y_pred = losses.core._pair(y_true, y_pred)
    true_mean, pred_mean = _mean(y_true, axis), _mean(y_pred, axis)

    def variance(x: Tensor) -> Tensor:
        centered = x - _mean(x, axis)
        return _mean(math.square(centered - _mean(centered, axis)), axis)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = variance(y_true - true_mean) + variance(y_pred - pred_mean) + math.square(true_mean - pred_mean)
    return math.reduce_mean(covariance * 2.0 / (norm + losses.EPSILON), axis)


class GraphFunctionMean(MeanMetricWrapper):
    """Weighted mean over samples of the graph function ``fn`` (a class attribute)."""
    fn: Any = None

    def __init__(self, name: str, dtype: Any = None, fn: Callable[..., Tensor] | None = None, **kwargs: Any):
        graph_fn = fn or type(self).fn

        def values(B: type, y_true: Any, y_pred: Any, **fn_kwargs: Any) -> Any:
            if B is GraphOps:
                return graph_fn(y_true, y_pred, **fn_kwargs)
            return run_on_numpy(graph_fn, y_true, y_pred, fn_kwargs)
        super().__init__(values, name=name, dtype=dtype, backend_fn=True, **kwargs)


def _metric(class_name: str, fn: Callable[..., Tensor], default_name: str, **defaults: Any) -> type:
    """A Keras metric class ``ClassName(name=default_name, dtype=None, **defaults)`` over ``fn``."""
    def __init__(self: GraphFunctionMean, name: str = default_name, dtype: Any = None, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}() got unexpected keyword arguments {sorted(unknown)}")
        GraphFunctionMean.__init__(self, name=name, dtype=dtype, **{**defaults, **kwargs})
    params = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
    __init__.__signature__ = _signature(default_name, defaults)  # type: ignore[attr-defined]
    return type(class_name, (GraphFunctionMean,), {"fn": staticmethod(fn), "__init__": __init__,
                                                    "__doc__": f"Mean of ``{fn.__name__}({params})``."})


def _signature(default_name: str, defaults: dict[str, Any]) -> Any:
    import inspect
    P = inspect.Parameter
    return inspect.Signature([P("self", P.POSITIONAL_OR_KEYWORD), P("name", P.POSITIONAL_OR_KEYWORD, default=default_name),
                              P("dtype", P.POSITIONAL_OR_KEYWORD, default=None)]
                             + [P(k, P.POSITIONAL_OR_KEYWORD, default=v) for k, v in defaults.items()])


BinaryCrossentropy = _metric("BinaryCrossentropy", losses.binary_crossentropy, "binary_crossentropy",
                             from_logits=False, label_smoothing=0)
CategoricalCrossentropy = _metric("CategoricalCrossentropy", losses.categorical_crossentropy,
                                  "categorical_crossentropy", from_logits=False, label_smoothing=0, axis=-1)
SparseCategoricalCrossentropy = _metric("SparseCategoricalCrossentropy", losses.sparse_categorical_crossentropy,
                                        "sparse_categorical_crossentropy", from_logits=False, ignore_class=None,
                                        axis=-1)
Hinge = _metric("Hinge", losses.hinge, "hinge")
SquaredHinge = _metric("SquaredHinge", losses.squared_hinge, "squared_hinge")
CategoricalHinge = _metric("CategoricalHinge", losses.categorical_hinge, "categorical_hinge")
KLDivergence = _metric("KLDivergence", losses.kl_divergence, "kl_divergence")
Poisson = _metric("Poisson", losses.poisson, "poisson")
LogCoshError = _metric("LogCoshError", losses.log_cosh, "logcosh")
MeanAbsolutePercentageError = _metric("MeanAbsolutePercentageError", losses.mean_absolute_percentage_error,
                                      "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _metric("MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error,
                                      "mean_squared_logarithmic_error")
PearsonCorrelation = _metric("PearsonCorrelation", pearson_correlation, "pearson_correlation", axis=-1)
ConcordanceCorrelation = _metric("ConcordanceCorrelation", concordance_correlation, "concordance_correlation", axis=-1)
_CosineSimilarity = _metric("CosineSimilarity", losses.cosine_similarity, "cosine_similarity", axis=-1)


class CosineSimilarity(_CosineSimilarity):  # type: ignore[misc, valid-type]
    """Mean cosine similarity (Keras' metric is the positive one; its config leaves ``axis`` out)."""
    fn = staticmethod(lambda y_true, y_pred, axis=-1: math.negative(losses.cosine_similarity(y_true, y_pred, axis)))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


CLASSES: list[type] = [BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
                       CategoricalHinge, KLDivergence, Poisson, LogCoshError, MeanAbsolutePercentageError,
                       MeanSquaredLogarithmicError, PearsonCorrelation, ConcordanceCorrelation, CosineSimilarity]
