"""Dense, Activation, Dropout, SpatialDropout1D/2D, Flatten, Reshape, Embedding, Masking, Identity (Keras 3
names, arguments and defaults)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..graph import Tensor
from ..graph.ops import array, constants, math, nn
from ..runtime import dtypes
from .base import Layer, get_activation, get_constraint, get_initializer, get_regularizer, serialize


def _last_dim(input_shape: Sequence[int | None], layer: Layer) -> int:
    if not input_shape or input_shape[-1] is None:
        raise ValueError(f"{layer.name}: the last dimension of the input must be known, got {input_shape}")
    return int(input_shape[-1])


class KernelBiasLayer(Layer):
    """Dense and the convolutions: ``activation(op(inputs, kernel) + bias)`` with Keras' kernel/bias arguments."""

    def __init__(self, activation: Any, use_bias: bool, kernel_initializer: Any, bias_initializer: Any,
                 kernel_regularizer: Any, bias_regularizer: Any, kernel_constraint: Any, bias_constraint: Any,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = get_activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = get_initializer(kernel_initializer)
        self.bias_initializer = get_initializer(bias_initializer)
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        self.bias_regularizer = get_regularizer(bias_regularizer)
        self.kernel_constraint = get_constraint(kernel_constraint)
        self.bias_constraint = get_constraint(bias_constraint)

    def _build_kernel_bias(self, kernel_shape: tuple[int, ...], units: int | None = None) -> None:
        """The kernel, then (with ``use_bias``) a bias of ``units`` (default: the kernel's last dimension)."""
        self.kernel = self.add_weight(shape=kernel_shape, name="kernel", initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        bias_shape = kernel_shape[-1:] if units is None else (units,)
        self.bias = self.add_weight(shape=bias_shape, name="bias", initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _promoted(self, inputs: Tensor) -> Tensor:
        """Bool and integer inputs meet the float kernel as in Keras' ops (promoted to the kernel's dtype)."""
        kernel_dtype = dtypes.as_dtype(self.kernel.dtype)
        return inputs if inputs.dtype == kernel_dtype else math.cast(inputs, kernel_dtype)

    def _add_bias_and_activate(self, x: Tensor) -> Tensor:
        if self.bias is not None:
            x = nn.bias_add(x, self.bias.value())
        return self.activation(x)

    def _kernel_bias_config(self) -> dict[str, Any]:
        return {"activation": serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": serialize(self.kernel_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": serialize(self.kernel_regularizer),
                "bias_regularizer": serialize(self.bias_regularizer),
                "kernel_constraint": serialize(self.kernel_constraint),
                "bias_constraint": serialize(self.bias_constraint)}


class Dense(KernelBiasLayer):
    """``activation(inputs @ kernel + bias)``; inputs of rank > 2 are applied on the last axis."""

    supports_masking = True

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                         bias_regularizer, kernel_constraint, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        if int(units) < 1:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        self.units = int(units)

    def build(self, input_shape):
        self._build_kernel_bias((_last_dim(input_shape, self), self.units))

    def call(self, inputs):
        kernel = self.kernel.value()
        inputs = self._promoted(inputs)
        if inputs.rank == 2:
            x = math.matmul(inputs, kernel)
        else:
            flat = math.matmul(array.reshape(inputs, [-1, self.kernel.shape[0]]), kernel)
            inner = inputs.shape[1:-1]
            if None not in inner:  # keeps the static shape: only the batch dim is unknown
                x = array.reshape(flat, [-1, *inner, self.units])
            else:
                x = array.reshape(flat, array.concat(
                    [array.shape(inputs)[:-1], constants.constant([self.units], "int32")], 0))
        return self._add_bias_and_activate(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units, **self._kernel_bias_config()}


class Activation(Layer):
    supports_masking = True

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = get_activation(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a ``rate`` fraction of inputs and scales the rest by 1/(1-rate), only when training."""

    supports_masking = True

    def __init__(self, rate: float, noise_shape: Sequence[int | None] | None = None, seed: int | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise ValueError(f"Dropout rate must be in [0, 1], got {rate!r}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        graph = inputs.graph
        if self.noise_shape is None:
            shape = array.shape(inputs)
        else:
            dynamic = array.shape(inputs)
            shape = array.stack([dynamic[i] if d is None else constants.constant(d, "int32")
                                 for i, d in enumerate(self.noise_shape)])
        s1, s2 = graph.next_seed()
        uniform = graph.create_op("RandomUniform", [shape], {
            "dtype": inputs.dtype, "seed": s1 if self.seed is None else int(self.seed), "seed2": s2}).outputs[0]
        keep = math.cast(math.greater_equal(uniform, self.rate), inputs.dtype)
        return inputs * keep * (1.0 / (1.0 - self.rate)) if self.rate < 1 else inputs * keep

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed}


class SpatialDropout1D(Dropout):
    """Dropout of whole channels of ``(batch, steps, channels)``: one draw per sample and channel."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(rate, noise_shape=(None, 1, None), seed=seed, **kwargs)

    def get_config(self):
        return {k: v for k, v in super().get_config().items() if k != "noise_shape"}


class SpatialDropout2D(Dropout):
    """Dropout of whole channels of ``(batch, rows, cols, channels)``."""

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None, **kwargs: Any):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout2D: only data_format='channels_last' is supported, got {data_format!r}")
        super().__init__(rate, noise_shape=(None, 1, 1, None), seed=seed, **kwargs)
        self.data_format = "channels_last"

    def get_config(self):
        config = {k: v for k, v in super().get_config().items() if k != "noise_shape"}
        return {**config, "data_format": self.data_format}


class Masking(Layer):
    """Masks the steps whose features all equal ``mask_value`` (zeroing them): recurrent layers, pooling
    and losses downstream skip those steps, as behind ``Embedding(mask_zero=True)``."""

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def compute_mask(self, inputs, previous_mask=None):
        return math.reduce_any(math.not_equal(inputs, math.scalar_like(inputs, self.mask_value)), -1)

    def call(self, inputs):
        keep = math.reduce_any(math.not_equal(inputs, math.scalar_like(inputs, self.mask_value)), -1, keepdims=True)
        return inputs * math.cast(keep, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Lambda(Layer):
    """Wraps ``function(inputs, **arguments)`` written with ``tfkg_graph.ops`` (or graph ops). A named,
    importable function saves with the model (by ``module:qualname``); a lambda works in-process only."""

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None, arguments: dict | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(function, str):
            import importlib
            module, _, qualname = function.partition(":")
            target: Any = importlib.import_module(module)
            for part in qualname.split("."):
                target = getattr(target, part)
            function = target
        if not callable(function):
            raise ValueError(f"Lambda needs a callable, got {function!r}")
        self.function, self.output_shape, self.arguments = function, output_shape, dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None

    def compute_mask(self, inputs, previous_mask=None):
        return self.mask(inputs, previous_mask) if callable(self.mask) else self.mask

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        name = getattr(self.function, "__qualname__", "")
        if "<lambda>" in name or "<locals>" in name or not getattr(self.function, "__module__", None):
            raise ValueError(f"Lambda layer {self.name!r} wraps {name or self.function!r}, which cannot be saved: "
                             "use a named module-level function, or a custom Layer")
        if callable(self.mask):
            raise ValueError(f"Lambda layer {self.name!r}: a callable mask cannot be saved")
        return {**super().get_config(), "function": f"{self.function.__module__}:{name}",
                "output_shape": self.output_shape, "mask": self.mask, "arguments": self.arguments}


class Identity(Layer):
    supports_masking = True

    def call(self, inputs):
        return array.identity(inputs)


class Flatten(Layer):
    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = data_format

    def call(self, inputs):
        rest = inputs.shape[1:]
        if None in rest:
            return array.reshape(inputs, [array.shape(inputs)[0], -1])
        return array.reshape(inputs, [-1, int(np.prod(rest))])

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes everything but the batch dimension; one entry of ``target_shape`` may be -1."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        target = list(self.target_shape)
        if -1 in target and None not in inputs.shape[1:]:  # resolve -1 statically when we can
            known = int(np.prod([d for d in target if d != -1]))
            target[target.index(-1)] = int(np.prod(inputs.shape[1:])) // max(known, 1)
        if -1 not in target:
            return array.reshape(inputs, [-1, *target])
        return array.reshape(inputs, [array.shape(inputs)[0], *target])

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


class Embedding(Layer):
    """Looks rows up in an ``(input_dim, output_dim)`` table (ResourceGather; sparse-free gradient).
    ``mask_zero=True`` attaches ``inputs != 0`` as the mask that recurrent layers skip steps by."""

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 **kwargs: Any):
        kwargs.pop("input_length", None)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = get_initializer(embeddings_initializer)
        self.embeddings_regularizer = get_regularizer(embeddings_regularizer)
        self.embeddings_constraint = get_constraint(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero

    def compute_mask(self, inputs, previous_mask=None):
        return math.not_equal(inputs, constants.constant(0, inputs.dtype)) if self.mask_zero else None

    def build(self, input_shape):
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim), name="embeddings",
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        if inputs.dtype not in (dtypes.INT32, dtypes.INT64):
            inputs = math.cast(inputs, "int32")
        return inputs.graph.create_op("ResourceGather", [self.embeddings.handle, inputs],
                                      {"dtype": dtypes.as_dtype(self.embeddings.dtype)},
                                      name="ResourceGather").outputs[0]

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": serialize(self.embeddings_initializer),
                "embeddings_regularizer": serialize(self.embeddings_regularizer),
                "embeddings_constraint": serialize(self.embeddings_constraint), "mask_zero": self.mask_zero}

