"""Keras 3's numeric lookup layers: Discretization (bucket indices of floats, boundaries given or adapted from
quantiles) and IntegerLookup (integer tokens <-> vocabulary indices, vocabulary given or adapted by frequency).
The vocabulary and boundaries are constants of the graph; ``adapt`` runs in numpy, as Keras' does."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, math
from ..graph.ops import image as image_ops
from ..graph.ops.constants import constant, convert
from ..runtime import dtypes
from .base import Layer

_MODES = ("int", "one_hot", "multi_hot", "count")


def encode(indices: Tensor, output_mode: str, depth: int, dtype: Any) -> Tensor:
    """Keras' encode_categorical_inputs: int casts; one_hot adds an axis (replacing a last axis of 1);
    multi_hot/count reduce over the ids of each sample (axis 0 of a vector); ids outside [0, depth) drop."""
    if output_mode == "int":
        return math.cast(indices, dtype)
    if indices.shape == ():
        indices = array.expand_dims(indices, -1)
    # one-hot rows in float32, cast at the end (array.one_hot builds int64 on/off values as int32 constants)
    if output_mode == "one_hot":
        if len(indices.shape) > 1 and indices.shape[-1] == 1:
            indices = array.squeeze(indices, [-1])
        return math.cast(array.one_hot(indices, depth, dtype="float32"), dtype)
    hot = array.one_hot(indices, depth, dtype="float32")
    axis = 1 if len(indices.shape) > 1 else 0
    return math.cast(math.reduce_max(hot, axis) if output_mode == "multi_hot" else math.reduce_sum(hot, axis), dtype)


def _batches(data: Any, whole: tuple[type, ...]) -> Iterable[np.ndarray]:
    """``data`` as one array when it is one of ``whole`` (or a scalar), else its items as batches: Keras'
    Discretization iterates lists, IntegerLookup takes a list as the data."""
    if isinstance(data, whole) or np.isscalar(data):
        return [np.asarray(data)]
    return (np.asarray(b) for b in data)


# ---- Discretization's quantile summaries (Keras' numpy algorithm) -----------------------------------
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_percents, summary[0])
    cum_weights = np.interp(percents, cum_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def _merge(previous: np.ndarray, new: np.ndarray, epsilon: float) -> np.ndarray:
    merged = np.concatenate((previous, new), axis=1)
    return _compress(np.take(merged, np.argsort(merged[0]), axis=1), epsilon)


class Discretization(Layer):
    """Bucket index of each value (``bin_boundaries`` ascending; index = number of boundaries <= value),
    encoded as ``output_mode``. ``adapt`` picks ``num_bins - 1`` boundaries at the data's quantiles."""

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, dtype: Any = None, name: str | None = None,
                 **kwargs: Any):
        super().__init__(dtype=dtype, name=name, **kwargs)
        if sparse:
            raise ValueError("Discretization: sparse outputs are not supported (tfkg_graph has no sparse tensors)")
        if output_mode not in _MODES:
            raise ValueError(f"Discretization: output_mode must be one of {_MODES}, got {output_mode!r}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, False
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Boundaries at the quantiles of the data (an array or an iterable of batches), as Keras finds them."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             "use `num_bins` instead.")
        self.summary = np.array([[], []], dtype="float32")
        for i, batch in enumerate(_batches(data, (np.ndarray,))):
            if steps is not None and i >= steps:
                break
            self.summary = _merge(_summarize(batch.astype("float32"), self.epsilon), self.summary, self.epsilon)
        self.bin_boundaries = _compress(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = convert(inputs)
        if not dtypes.is_floating(x.dtype) and x.dtype not in (dtypes.INT32, dtypes.INT64):
            x = math.cast(x, "float32")
        indices = image_ops.bucketize(x, self.bin_boundaries)
        dtype = "int32" if self.output_mode == "int" else (self.dtype or "float32")
        return encode(indices, self.output_mode, len(self.bin_boundaries) + 1, dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if boundaries is not None:
            layer.bin_boundaries = boundaries
        return layer


class IntegerLookup(Layer):
    """Integer token -> index: the mask token (if any) is 0 in ``int`` mode, then ``num_oov_indices`` OOV
    slots (several: ``token mod n``), then the vocabulary in order. ``invert=True`` maps indices back."""

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: int | None = None,
                 oov_token: int = -1, vocabulary: Any = None, vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False, pad_to_max_tokens: bool = False,
                 oov_method: str = "floormod", salt: Any = None, name: str | None = None,
                 vocabulary_size: int | None = None, **kwargs: Any):
        self._frozen_vocab_size = vocabulary_size  # Keras' config records it; a given vocabulary sets it again
        super().__init__(name=name, **kwargs)
        output_mode = {"binary": "multi_hot"}.get(output_mode, output_mode)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                             f"vocabulary_dtype={vocabulary_dtype}")
        if output_mode not in _MODES:
            raise ValueError(f"IntegerLookup: output_mode must be one of {_MODES} here ('tf_idf' is not supported), "
                             f"got {output_mode!r}")
        if sparse or idf_weights is not None or oov_method != "floormod" or salt is not None:
            raise ValueError("IntegerLookup: sparse outputs, idf_weights and oov_method='farmhash' are not supported")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`.")
        self.max_tokens, self.num_oov_indices, self.mask_token, self.oov_token = (max_tokens, num_oov_indices,
                                                                                   mask_token, oov_token)
        self.invert, self.output_mode, self.sparse, self.pad_to_max_tokens = invert, output_mode, False, pad_to_max_tokens
        self.vocabulary_dtype, self.oov_method, self.salt = "int64", oov_method, None
        self.input_vocabulary = None if vocabulary is None else [int(v) for v in vocabulary]
        self.tokens: np.ndarray | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)

    def _oov_start(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self) -> int:
        return self._oov_start() + self.num_oov_indices

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        if idf_weights is not None:
            raise ValueError("IntegerLookup: idf_weights are not supported (output_mode 'tf_idf')")
        vocabulary = np.asarray(vocabulary, np.int64).reshape(-1)
        if vocabulary.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        special = [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices
        start = self._token_start()
        tokens = vocabulary[start:] if np.array_equal(special, vocabulary[:start]) else vocabulary
        unique, counts = np.unique(tokens, return_counts=True)
        if (counts > 1).any():
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {unique[counts > 1].tolist()}")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(f"Found reserved mask token at unexpected location in `vocabulary`: {self.mask_token}")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(f"Found reserved OOV token at unexpected location in `vocabulary`: {self.oov_token}")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary "
                             f"size is {start + len(tokens)}; `max_tokens` is {self.max_tokens}.")
        self.tokens = tokens
        self._frozen_vocab_size = self.vocabulary_size()

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """The vocabulary from token frequencies (most frequent first, ties: larger token first, as Keras)."""
        if self.input_vocabulary is not None:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                             "argument or `set_vocabulary()` method.")
        counts: dict[int, int] = {}
        for i, batch in enumerate(_batches(data, (np.ndarray, list, tuple))):
            if steps is not None and i >= steps:
                break
            values, n = np.unique(np.asarray(batch, np.int64).reshape(-1), return_counts=True)
            for v, c in zip(values.tolist(), n.tolist()):
                counts[v] = counts.get(v, 0) + c
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if not counts:
            return
        tokens = np.array(list(counts), np.int64)
        order = np.lexsort((tokens, np.array([counts[t] for t in tokens.tolist()])))[::-1]
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start()]
        self.tokens = tokens[order]
        self._frozen_vocab_size = self.vocabulary_size()

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[int]:
        tokens = [] if self.tokens is None else self.tokens.tolist()
        if not include_special_tokens:
            return tokens
        return [self.mask_token] * self._oov_start() + [self.oov_token] * self.num_oov_indices + tokens

    def vocabulary_size(self) -> int:
        return self._token_start() + (0 if self.tokens is None else len(self.tokens))

    def _lookup(self, x: Tensor) -> Tensor:
        """Index of each token: a binary search in the sorted vocabulary, then the OOV rule."""
        tokens = self.tokens if self.tokens is not None else np.zeros(0, np.int64)
        default = self._oov_start() if self.num_oov_indices == 1 else -1
        shape = array.shape(x)
        flat = array.reshape(x, [1, -1])
        if len(tokens):
            order = np.argsort(tokens, kind="stable")
            sorted_tokens = constant(tokens[order].reshape(1, -1), "int64", graph=x.graph)
            where = x.graph.create_op("LowerBound", [sorted_tokens, flat], {"out_type": dtypes.INT64}).outputs[0]
            where = math.minimum(where, constant(len(tokens) - 1, "int64", graph=x.graph))
            found = math.equal(array.gather(sorted_tokens[0], where), flat)
            index = array.gather(constant(order + self._token_start(), "int64", graph=x.graph), where)
            index = math.select(found, index, array.fill(array.shape(flat), constant(default, "int64", graph=x.graph)))
        else:
            index = array.fill(array.shape(flat), constant(default, "int64", graph=x.graph))
        if self.num_oov_indices > 1:
            oov = math.floor_mod(flat, constant(self.num_oov_indices, "int64", graph=x.graph)) + self._oov_start()
            index = math.select(math.equal(index, -1), oov, index)
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else np.iinfo(np.int64).max
            index = math.select(math.equal(flat, self.mask_token), array.fill(array.shape(flat),
                                constant(mask_value, "int64", graph=x.graph)), index)
        return array.reshape(index, shape)

    def _invert(self, x: Tensor) -> Tensor:
        table = np.array(self.get_vocabulary(), np.int64)
        start = self._token_start()
        valid = math.logical_and(math.greater_equal(x, start), math.less(x, len(table)))
        safe = math.select(valid, x, array.zeros_like(x))
        out = math.select(valid, array.gather(constant(table, "int64", graph=x.graph), safe),
                          array.fill(array.shape(x), constant(self.oov_token, "int64", graph=x.graph)))
        if self.mask_token is not None:
            out = math.select(math.equal(x, 0), array.fill(array.shape(x), constant(self.mask_token, "int64", graph=x.graph)), out)
        return out

    def call(self, inputs):
        x = math.cast(convert(inputs), "int64")
        if self.output_mode != "int" and not self.pad_to_max_tokens and self.tokens is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                               "set the layer's vocabulary before calling it.")
        if self.invert:
            return self._invert(x)
        index = self._lookup(x)
        if self.output_mode == "int":
            return index
        depth = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        return encode(index, self.output_mode, depth, "int64")

    def get_config(self):
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token, "mask_token": self.mask_token,
                "output_mode": self.output_mode, "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": None, "vocabulary": self.input_vocabulary,
                "vocabulary_size": self._frozen_vocab_size, "oov_method": self.oov_method, "salt": self.salt}


class Hashing(Layer):
    """Bin of each value by TF's string hash of its decimal text (floats are truncated to int64 first, as in
    Keras): FarmHash (``StringToHashBucketFast``), or keyed SipHash with ``salt``. With ``mask_value`` that
    value gets bin 0 and the others hash into bins 1..num_bins-1."""

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None, output_mode: str = "int",
                 sparse: bool = False, **kwargs: Any):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                             f"num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'in64'. "
                             f"Received: dtype={self.dtype}")
        if output_mode not in _MODES:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {_MODES}. Received: "
                             f"output_mode={output_mode}")
        if sparse:
            raise ValueError("Hashing: sparse outputs are not supported (tfkg_graph has no sparse tensors)")
        if salt is not None and not (isinstance(salt, int) or (isinstance(salt, (tuple, list)) and len(salt) == 2)):
            raise ValueError(f"The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a single "
                             f"integer. Received: salt={salt}.")
        self.num_bins, self.mask_value, self.output_mode, self.sparse = num_bins, mask_value, output_mode, False
        self.salt = None if salt is None else [salt, salt] if isinstance(salt, int) else list(salt)

    def _bins(self, values: Tensor) -> Tensor:
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = math.equal(values, convert(self.mask_value, values.dtype, values.graph))
        if dtypes.is_floating(values.dtype):
            values = math.cast(values, "int64")
        graph = values.graph
        text = graph.create_op("AsString", [values]).outputs[0]
        if self.salt is not None:
            hashed = graph.create_op("StringToHashBucketStrong", [text], {"num_buckets": bins, "key": self.salt})
        else:
            hashed = graph.create_op("StringToHashBucketFast", [text], {"num_buckets": bins})
        hashed = hashed.outputs[0]
        if mask is not None:
            hashed = math.select(mask, array.zeros_like(hashed), hashed + 1)
        return hashed

    def call(self, inputs):
        x = convert(inputs)
        if self.output_mode == "one_hot" and x.shape and x.shape[-1] == 1:
            x = array.squeeze(x, [-1])
        return encode(self._bins(x), self.output_mode, self.num_bins, self.dtype)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                "output_mode": self.output_mode, "sparse": self.sparse}
