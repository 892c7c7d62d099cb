"""The optimizer base: Keras 3's update sequence written as graph ops, one apply op per train step.

Per step, as ``keras.optimizers.Optimizer.apply`` does: clip the gradients (clipnorm, global_clipnorm
or clipvalue), apply decoupled weight decay (``var -= var * wd * lr``), run each variable's update
step, then add one to ``iterations``. The learning rate (a variable, or a schedule of
``iterations``) and ``iterations`` are read once per step, before the increment.

Ordering: every update consumes its gradient, and every gradient consumes the loss, so the forward
reads feeding the loss happen before any weight changes. Ops are created in the caller's
control-dependency context: wrap ``apply_gradients`` in ``graph.control_dependencies([...])`` to order
it after anything else the step reads (e.g. metrics inputs that do not feed the loss).
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Sequence

import numpy as np

from ..graph import Graph, Operation, Tensor
from ..graph.ops import array, math
from ..graph.ops.constants import constant, convert
from ..graph.ops.state import Variable
from ..runtime import dtypes, protos
from ..runtime.codecs import numpy_to_tensor_proto
from . import schedules

SCOPE = "optimizer/"


class Step:
    """What one apply builds once and every variable's update shares: lr, iterations, cached scalars."""

    def __init__(self, optimizer: "Optimizer", iterations: Tensor, learning_rate: Tensor):
        self.optimizer, self.iterations, self._lr = optimizer, iterations, learning_rate
        self._cache: dict[tuple[str, int], Tensor] = {}

    def scalar(self, key: str, dtype: int, make: Any) -> Tensor:
        """A per-step scalar of ``dtype``, built once: ``make`` is a Python number or ``() -> Tensor``."""
        if (key, dtype) not in self._cache:
            if callable(make):
                self._cache[key, dtype] = math.cast(make(), dtype)
            else:
                self._cache[key, dtype] = constant(np.asarray(make, dtypes.to_numpy(dtype)),
                                                   graph=self.iterations.graph, name=key)
        return self._cache[key, dtype]

    def lr(self, dtype: int) -> Tensor:
        return self.scalar("learning_rate", dtype, lambda: self._lr)

    def local_step(self, dtype: int, offset: int = 1) -> Tensor:
        """``iterations + offset`` as a float, for bias corrections (Keras' ``local_step``)."""
        return self.scalar(f"step_plus_{offset}", dtype,
                           lambda: self.iterations + constant(offset, "int64", graph=self.iterations.graph))

    def power(self, key: str, base: float, dtype: int, offset: int = 1) -> Tensor:
        """``base ** (iterations + offset)`` computed as Keras does, in the variable's dtype."""
        return self.scalar(key, dtype, lambda: math.pow(self.scalar(f"{key}_base", dtype, base),
                                                        self.local_step(dtype, offset)))


class Optimizer:
    """Keras 3 optimizer arguments and config; subclasses add slots and the per-variable update."""

    def __init__(self, learning_rate: Any, weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("argument `decay` is no longer supported and is ignored (as in Keras 3)")
        if kwargs:
            raise ValueError(f"argument(s) not recognized: {kwargs}")
        if use_ema:
            raise ValueError("use_ema=True is not supported by tfkg_graph optimizers")
        if gradient_accumulation_steps:
            raise ValueError("gradient_accumulation_steps is not supported by tfkg_graph optimizers")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, got "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        if isinstance(learning_rate, dict):
            learning_rate = schedules.deserialize(learning_rate)
        if not isinstance(learning_rate, schedules.LearningRateSchedule):
            if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating)):
                raise ValueError("argument `learning_rate` should be a float or a LearningRateSchedule, got "
                                 f"{learning_rate!r}")
            learning_rate = float(learning_rate)
        self._learning_rate = learning_rate
        self.name = name or _snake_case(type(self).__name__)
        self.weight_decay, self.clipnorm, self.clipvalue = weight_decay, clipnorm, clipvalue
        self.global_clipnorm, self.use_ema, self.ema_momentum = global_clipnorm, use_ema, ema_momentum
        self.ema_overwrite_frequency, self.loss_scale_factor = ema_overwrite_frequency, loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self.iterations: Variable | None = None
        self._learning_rate_variable: Variable | None = None
        self._learning_rate_tensor: Tensor | None = None
        self._iterations_tensor: Tensor | None = None
        self._slot_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._runner: Any = None
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern | None = None
        # values for ``variables`` read from a weights file before the slots existed; the model's runtime
        # writes them once it has built them (Keras would skip them with a warning instead)
        self.pending_state: list[np.ndarray] | None = None

    # -- building ----------------------------------------------------------------------------
    def build(self, variables: Sequence[Variable], graph: Graph | None = None) -> None:
        """Creates ``iterations``, the learning-rate variable and the slots, under ``optimizer/``."""
        if self.built:
            return
        variables = list(variables)
        g = graph or (variables[0].graph if variables else None)
        if g is None:
            raise ValueError("build() needs variables or a graph")
        with g.control_dependencies(None), g.name_scope(SCOPE):
            self.iterations = Variable(np.int64(0), name="iterations", dtype="int64", trainable=False, graph=g)
            with g.name_scope(self.iterations.name + "/"):
                self._iterations_tensor = self.iterations.value(name="read")
            if isinstance(self._learning_rate, schedules.LearningRateSchedule):
                with g.name_scope("learning_rate"):
                    self._learning_rate_tensor = math.cast(self._learning_rate(self._iterations_tensor), "float32")
            else:
                lr = Variable(np.float32(self._learning_rate), name="learning_rate", dtype="float32",
                              trainable=False, graph=g)
                with g.name_scope(lr.name + "/"):
                    self._learning_rate_tensor = lr.value(name="read")
                lr.assign_from_feed()
                self._learning_rate_variable = lr
            self._index = {id(v): i for i, v in enumerate(variables)}
            self._trainable_variables = variables
            self.build_slots(variables)
        self.built = True

    def build_slots(self, variables: list[Variable]) -> None:
        """Subclasses create their slots here with ``add_slots`` (Keras' creation order)."""

    def add_slots(self, variables: list[Variable], names: Sequence[str], initial: float = 0.0) -> list[list[Variable]]:
        """One slot per name per variable, interleaved per variable as Keras creates them."""
        slots: list[list[Variable]] = [[] for _ in names]
        for v in variables:
            for i, name in enumerate(names):
                slots[i].append(self.add_variable(v.shape, v.dtype, f"{v.name}/{name}", initial))
        return slots

    def add_variable(self, shape: Sequence[int], dtype: int, name: str, initial: float = 0.0) -> Variable:
        if shape is None or any(d is None for d in shape):
            raise ValueError(f"optimizer variable {name!r} needs a fully known shape, got {shape}")
        g = self.iterations.graph
        fill = lambda: array.fill(list(shape), constant(np.asarray(initial, dtypes.to_numpy(dtype)), graph=g))  # noqa: E731
        var = Variable(fill, shape=shape, dtype=dtype, name=name, trainable=False, graph=g)
        self._slot_variables.append(var)
        return var

    @property
    def variables(self) -> list[Variable]:
        """``iterations``, the learning-rate variable (unless a schedule), then slots: Keras' order."""
        head = [self.iterations] + ([self._learning_rate_variable] if self._learning_rate_variable else [])
        return head + self._slot_variables if self.built else []

    # -- the update --------------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Sequence[tuple[Tensor | None, Variable]]) -> Operation:
        """One op that applies every update and then increments ``iterations``."""
        pairs = list(grads_and_vars)
        if not self.built:
            self.build([v for _, v in pairs])
        missing = [v.name for g, v in pairs if g is None]
        pairs = [(g, v) for g, v in pairs if g is not None]
        if not pairs:
            raise ValueError(f"no gradients provided for any variable: {missing}")
        if missing:
            warnings.warn(f"gradients do not exist for variables {missing} when minimizing the loss")
        for grad, var in pairs:
            if id(var) not in self._index:
                raise ValueError(f"variable {var.name!r} was not passed to build(); the optimizer knows "
                                 f"{[v.name for v in self._trainable_variables]}")
            if grad.shape is not None and var.shape is not None and (len(grad.shape) != len(var.shape) or any(
                    a is not None and a != b for a, b in zip(grad.shape, var.shape))):
                raise ValueError(f"gradient {grad.name!r} has shape {grad.shape}, variable {var.name!r} "
                                 f"has shape {var.shape}")
        g = self.iterations.graph
        with g.name_scope(SCOPE):
            grads = [math.cast(grad, var.dtype) for grad, var in pairs]
            if self.loss_scale_factor is not None:
                grads = [grad / float(self.loss_scale_factor) for grad in grads]
            grads = self._clip(grads)
            step = Step(self, self._iterations_tensor, self._learning_rate_tensor)
            updates = self.prepare_step(step)
            for grad, (_, var) in zip(grads, pairs):
                with g.name_scope(var.name):
                    decay = self._weight_decay(var, step)
                    with g.control_dependencies(decay):
                        updates.append(self.update_step(grad, var, step, self._index[id(var)]))
            with g.control_dependencies(updates):
                increment = self.iterations.assign_add(np.int64(1), name="increment_iterations")
            return array.group([increment], name="apply")

    def prepare_step(self, step: Step) -> list[Operation]:
        """Per-step work shared by all variables (e.g. Nadam's momentum product); returns its ops."""
        return []

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        raise NotImplementedError

    def _clip(self, grads: list[Tensor]) -> list[Tensor]:
        if self.clipnorm and self.clipnorm > 0:
            c = float(self.clipnorm)
            return [grad * c / math.maximum(math.sqrt(math.reduce_sum(math.square(grad))), c) for grad in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            c = float(self.global_clipnorm)
            dtype = grads[0].dtype
            norm = math.sqrt(math.add_n([math.cast(math.reduce_sum(math.square(grad)), dtype) for grad in grads]))
            # Keras' form: NaN when the norm is not finite, otherwise min(1, c / norm)
            scale = math.minimum(math.reciprocal(norm), 1.0 / c) * c + (norm - norm)
            return [grad * math.cast(scale, grad.dtype) for grad in grads]
        if self.clipvalue and self.clipvalue > 0:
            v = float(self.clipvalue)
            return [math.clip_by_value(grad, -v, v) for grad in grads]
        return grads

    # -- weight decay ------------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list: Sequence[Variable] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Variables (or names matching any of ``var_names``) that skip weight decay; before build."""
        if self.built:
            raise ValueError("exclude_from_weight_decay() can only be configured before the optimizer is built")
        self._exclude_ids = {id(v) for v in var_list or []}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _uses_weight_decay(self, var: Variable) -> bool:
        if self.weight_decay is None or id(var) in self._exclude_ids:
            return False
        return not (self._exclude_pattern and self._exclude_pattern.search(var.name))

    def _weight_decay(self, var: Variable, step: Step) -> list[Operation]:
        if not self._uses_weight_decay(var):
            return []
        wd = step.scalar("weight_decay", var.dtype, self.weight_decay)
        return [var.assign_sub(var.value() * wd * step.lr(var.dtype), name="weight_decay")]

    # -- learning rate between steps ---------------------------------------------------------
    def attach(self, runner: Any) -> None:
        """``runner.run(fetches, feed_dict=None, targets=())`` (a Session): lr reads/writes go through it."""
        if not self.built:
            raise ValueError("attach() needs a built optimizer")
        self._runner = runner

    @property
    def learning_rate(self) -> float:
        if self._runner is not None:
            return float(self._runner.run(self._learning_rate_tensor.name))
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise ValueError("a learning-rate schedule is evaluated in the graph: attach() a runner to read it")
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError("this optimizer was created with a LearningRateSchedule, so its learning rate is "
                            "not settable; create it with a float learning_rate instead")
        value = float(value)
        if self._runner is not None:
            placeholder, assign = self._learning_rate_variable.assign_from_feed()
            self._runner.run([], {placeholder.name: np.array(value, np.float32)}, [assign.name])
        elif self._learning_rate_variable is not None:
            # built but no session yet: the variable starts from the new value
            init = self._learning_rate_variable.initial_value.op
            init.attrs["value"] = protos.AttrValue(tensor=numpy_to_tensor_proto(np.float32(value), dtypes.FLOAT))
        self._learning_rate = value

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            lr: Any = schedules.serialize(self._learning_rate)
        else:
            lr = self.learning_rate
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        return cls(**config)


def _snake_case(name: str) -> str:
    """Keras' default object names: 'Adam' -> 'adam', 'RMSprop' -> 'rm_sprop', 'AdamW' -> 'adam_w'."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def fused(op_type: str, inputs: list[Any], attrs: dict[str, Any] | None = None, name: str | None = None) -> Operation:
    """A TF ResourceApply* training kernel (used only where its formula is Keras' formula)."""
    g = inputs[0].graph
    return g.create_op(op_type, [convert(x) for x in inputs], attrs, name=name)
