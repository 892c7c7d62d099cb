"""Keras-named public face of the initializers: the random ones live in ``graph/ops/state.py``; the
deterministic Identity and STFT kernels are computed here with numpy (no RNG, so Keras' values exactly).

Keras exports every class also under its snake_case name (``glorot_uniform is GlorotUniform``)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import _keras_objects
from .graph import Graph, Tensor, get_default_graph
from .graph.ops.constants import constant as constant_tensor
from .graph.ops.state import (INITIALIZERS, Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
                              Initializer, LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal,
                              RandomUniform, TruncatedNormal, VarianceScaling, Zeros)
from .runtime import dtypes


def _constant(values: np.ndarray, dtype: Any, graph: Graph | None, name: str) -> Tensor:
    return constant_tensor(values.astype(dtypes.to_numpy(dtypes.as_dtype(dtype))), graph=graph or get_default_graph(),
                    name=name)


class Identity(Initializer):
    """``gain * eye(rows, cols)``; 2-D shapes only. Keras 3 leaves ``gain`` out of the config."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Sequence[int], dtype: Any = "float32", graph: Graph | None = None) -> Tensor:
        if len(shape) != 2:
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices, got shape {tuple(shape)}")
        return _constant(self.gain * np.eye(*shape), dtype, graph, "identity")

    def get_config(self) -> dict[str, Any]:
        return {}


def _window(name: str, length: int, periodic: bool) -> np.ndarray:
    """scipy.signal.get_window's generalized cosine windows (the package does not depend on scipy)."""
    coefficients = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46), "boxcar": (1.0, 0.0)}
    if name not in coefficients:
        raise ValueError(f"STFT window {name!r} is not available; use one of {sorted(coefficients)} or an array")
    if length == 1:
        return np.ones(1)
    a0, a1 = coefficients[name]
    span = length if periodic else length - 1
    return a0 - a1 * np.cos(2 * np.pi * np.arange(length) / span)


class STFT(Initializer):
    """Real or imaginary DFT kernel of shape ``(frame_length, 1, fft_bins)``, windowed and scaled."""

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False):
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _window(window, 1, periodic)
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum', got {scaling!r}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape: Sequence[int], dtype: Any = "float32", graph: Graph | None = None) -> Tensor:
        frame_length, _, bins = shape
        time = np.arange(frame_length, dtype=np.float64).reshape(frame_length, 1, 1)
        frequency = np.arange(bins, dtype=np.float64).reshape(1, 1, bins) / ((bins - 1) * 2)
        angle = -2 * time * frequency * np.pi
        kernel = np.cos(angle) if self.side == "real" else np.sin(angle)
        if self.window is not None:
            window = (_window(self.window, frame_length, self.periodic) if isinstance(self.window, str)
                      else np.asarray(self.window, np.float64))
            if window.shape != (frame_length,):
                raise ValueError(f"The shape of `window` must be equal to [frame_length], got {window.shape}")
            scale = {"density": np.sqrt(np.sum(window ** 2)), "spectrum": np.sum(np.abs(window)), None: 1.0}
            kernel = kernel * window.reshape(frame_length, 1, 1) / scale[self.scaling]
        return _constant(kernel, dtype, graph, "stft")

    def get_config(self) -> dict[str, Any]:
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
constant, glorot_normal, glorot_uniform, he_normal, he_uniform = Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform
identity, lecun_normal, lecun_uniform, ones, orthogonal = Identity, LecunNormal, LecunUniform, Ones, Orthogonal
random_normal, random_uniform, stft, truncated_normal = RandomNormal, RandomUniform, STFT, TruncatedNormal
variance_scaling, zeros = VarianceScaling, Zeros

_KNOWN: dict[str, type] = {**INITIALIZERS, **{cls.__name__: cls for cls in INITIALIZERS.values()},
                           "identity": Identity, "Identity": Identity, "IdentityInitializer": Identity,
                           "OrthogonalInitializer": Orthogonal, "stft": STFT, "STFT": STFT, "STFTInitializer": STFT}

__all__ = sorted({*_KNOWN, "Initializer", "get", "serialize", "deserialize"})


def serialize(initializer: Initializer) -> dict[str, Any]:
    return _keras_objects.serialize(initializer, "keras.initializers")


def deserialize(config: dict[str, Any] | str) -> Initializer:
    return _keras_objects.lookup(config, _KNOWN, "initializer", Initializer)


def get(identifier: Any) -> Initializer | None:
    """None, a name ('glorot_uniform' or 'GlorotUniform'), a class, an instance or a config dict."""
    return None if identifier is None else deserialize(identifier)
