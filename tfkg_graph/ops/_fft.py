"""Keras' Fourier transforms over (real, imaginary) pairs as products with cos/sin DFT matrices.

TF's FFT kernels take complex tensors, which our graphs, feeds and gradient rules do not carry; Keras'
API only passes real pairs in and out, so the transforms are real matmuls here (differentiable by the
MatMul rules; O(n^2) per transform, fine for the frame and sequence lengths models use). Lengths along
the transformed axes must be known while building.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes

__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft"]


def _pair(x: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}")
    real = convert(x[0])
    imag = convert(x[1], real.dtype, real.graph)
    if not dtypes.is_floating(real.dtype):
        raise ValueError(f"At least one tensor in input `x` is not of type float. Received: x={x}.")
    if real.shape is not None and imag.shape is not None and tuple(real.shape) != tuple(imag.shape):
        raise ValueError("Both the real and imaginary parts should have the same shape. Received: "
                         f"x[0].shape = {real.shape}, x[1].shape = {imag.shape}")
    return real, imag


def _length(x: Tensor, axis: int = -1) -> int:
    if x.shape is None or x.shape[axis] is None:
        raise ValueError(f"the Fourier transforms here need the length of axis {axis} known, got shape {x.shape}")
    return int(x.shape[axis])


def _const(value: np.ndarray, like: Tensor) -> Tensor:
    return constant(value.astype(dtypes.to_numpy(like.dtype)), graph=like.graph)


def _angles(n_in: int, n_out: int, n: int) -> np.ndarray:
    """2 pi j k / n for input index j (rows) and frequency k (columns), reduced mod n for accuracy."""
    return 2.0 * np.pi * (np.outer(np.arange(n_in), np.arange(n_out)) % n) / n


def _times(x: Tensor, matrix: Tensor) -> Tensor:
    """``x @ matrix`` over the last axis, also for a 1-D ``x``."""
    if x.rank == 1:
        return array.squeeze(math.matmul(array.expand_dims(x, 0), matrix), [0])
    return math.matmul(x, matrix)


def _dft(real: Tensor, imag: Tensor, sign: float) -> tuple[Tensor, Tensor]:
    """sum_j x_j exp(sign * i * 2 pi j k / n) along the last axis."""
    n = _length(real)
    angles = _angles(n, n, n)
    c, s = _const(np.cos(angles), real), _const(sign * np.sin(angles), real)
    return _times(real, c) - _times(imag, s), _times(real, s) + _times(imag, c)


def _swap_last(x: Tensor) -> Tensor:
    rank = x.rank
    return array.transpose(x, list(range(rank - 2)) + [rank - 1, rank - 2])


def fft(x: Any) -> tuple[Tensor, Tensor]:
    """The discrete Fourier transform along the last axis of ``(real, imag)``."""
    real, imag = _pair(x)
    return _dft(real, imag, -1.0)


def fft2(x: Any) -> tuple[Tensor, Tensor]:
    """The 2-D transform over the last two axes."""
    real, imag = _dft(*_pair(x), -1.0)
    real, imag = _dft(_swap_last(real), _swap_last(imag), -1.0)
    return _swap_last(real), _swap_last(imag)


def ifft2(x: Any) -> tuple[Tensor, Tensor]:
    """The inverse 2-D transform over the last two axes (scaled by 1 / (h w))."""
    real, imag = _pair(x)
    scale = 1.0 / (_length(real, -2) * _length(real, -1))
    real, imag = _dft(real, imag, 1.0)
    real, imag = _dft(_swap_last(real), _swap_last(imag), 1.0)
    return _swap_last(real) * math.scalar_like(real, scale), _swap_last(imag) * math.scalar_like(imag, scale)


def _fit(x: Tensor, n: int) -> Tensor:
    """The last axis cut or zero-padded to ``n``."""
    have = _length(x)
    if have > n:
        return x[..., :n]
    if have < n:
        return array.pad(x, [[0, 0]] * (x.rank - 1) + [[0, n - have]])
    return x


def rfft(x: Any, fft_length: int | None = None) -> tuple[Tensor, Tensor]:
    """The transform of a real signal along the last axis: the ``n // 2 + 1`` non-negative frequencies."""
    x = convert(x)
    n = _length(x) if fft_length is None else int(fft_length)
    x = _fit(x, n)
    angles = _angles(n, n // 2 + 1, n)
    return _times(x, _const(np.cos(angles), x)), _times(x, _const(-np.sin(angles), x))


def irfft(x: Any, fft_length: int | None = None) -> Tensor:
    """The real signal whose ``rfft`` is ``(real, imag)``; imaginary parts of the zero and Nyquist
    frequencies are ignored, as in TF."""
    real, imag = _pair(x)
    n = 2 * (_length(real) - 1) if fft_length is None else int(fft_length)
    bins = n // 2 + 1
    real, imag = _fit(real, bins), _fit(imag, bins)
    weights = np.full(bins, 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    angles = _angles(bins, n, n)
    c = _const(weights[:, None] * np.cos(angles) / n, real)
    s = _const(-weights[:, None] * np.sin(angles) / n, real)
    return _times(real, c) + _times(imag, s)


def _window(window: Any, length: int) -> np.ndarray | None:
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f'If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
        a = 0.5 if window == "hann" else 0.54
        return a - (1.0 - a) * np.cos(2.0 * np.pi * np.arange(length) / length)  # periodic
    values = np.asarray(window, dtype=np.float64)
    if values.shape != (length,):
        raise ValueError(f"The shape of `window` must be equal to [sequence_length]. Received: window shape="
                         f"{values.shape}")
    return values


def _pads(sequence_length: int, fft_length: int) -> tuple[int, int]:
    left = (fft_length - sequence_length) // 2
    return left, fft_length - sequence_length - left


def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, window: Any = "hann",
         center: bool = True) -> tuple[Tensor, Tensor]:
    """Short-time Fourier transform along the last axis (Keras' TF backend: reflect padding by
    ``fft_length // 2`` when ``center``, periodic window zero-padded to ``fft_length``)."""
    x = convert(x)
    if x.dtype not in (dtypes.FLOAT, dtypes.DOUBLE):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type="
                        f"{dtypes.name(x.dtype)}")
    if fft_length < sequence_length:
        raise ValueError("`fft_length` must equal or larger than `sequence_length`. Received: sequence_length="
                         f"{sequence_length}, fft_length={fft_length}")
    win = _window(window, sequence_length)
    n = _length(x)
    if center:  # reflect: indices mirrored at both ends, without repeating the edge sample
        half = fft_length // 2
        index = np.abs(np.arange(-half, n + half))
        index = np.where(index >= n, 2 * (n - 1) - index, index)
        x = array.gather(x, constant(index.astype(np.int32), graph=x.graph), axis=x.rank - 1)
        n += 2 * half
    starts = np.arange(0, n - fft_length + 1, sequence_stride)
    frames = array.gather(x, constant((starts[:, None] + np.arange(fft_length)).astype(np.int32), graph=x.graph),
                          axis=x.rank - 1)
    if win is not None:
        left, right = _pads(sequence_length, fft_length)
        frames = frames * _const(np.pad(win, (left, right)), frames)
    return rfft(frames, fft_length)


def istft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, length: int | None = None,
          window: Any = "hann", center: bool = True) -> Tensor:
    """Inverse of ``stft``: inverse transforms of the frames, windowed for perfect reconstruction and
    overlap-added (tf.signal.inverse_stft with inverse_stft_window_fn), then trimmed as Keras."""
    real, _ = _pair(x)
    frames = irfft(x, fft_length)
    count = _length(real, -2)
    win = _window(window, sequence_length)
    if win is not None:
        left, right = _pads(sequence_length, fft_length)
        forward = np.pad(win, (left, right))
        overlaps = -(-fft_length // sequence_stride)
        denominator = np.pad(forward ** 2, (0, overlaps * sequence_stride - fft_length))
        denominator = np.tile(denominator.reshape(overlaps, sequence_stride).sum(0), overlaps)[:fft_length]
        frames = frames * _const(forward / denominator, frames)
    total = (count - 1) * sequence_stride + fft_length
    placement = np.zeros((count * fft_length, total))
    for f in range(count):
        placement[f * fft_length + np.arange(fft_length), f * sequence_stride + np.arange(fft_length)] = 1.0
    lead = list(frames.shape[:-2])
    if None in lead:
        flat = array.reshape(frames, array.concat([array.shape(frames)[:-2], [count * fft_length]], 0))
    else:
        flat = array.reshape(frames, lead + [count * fft_length])
    signal = _times(flat, _const(placement, frames))
    start = fft_length // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = total - fft_length // 2
    else:
        end = total
    return signal[..., start:end]
