"""Adadelta, Ftrl, Lion, Lamb, Adafactor, Muon and ScheduleFreeAdamW with Keras 3's update formulas, in Keras' order of operations
(plain math ops: TF's fused kernels for Adadelta/Ftrl round differently from Keras)."""
from __future__ import annotations

import math as pymath
import re
from typing import Any

from ..graph import Operation, Tensor
from ..graph.ops import array, math
from ..graph.ops.state import Variable
from .optimizer import Optimizer, Step


def _group(ops: list[Operation]) -> Operation:
    return array.group(ops, name="update")


class Adadelta(Optimizer):
    """``acc_g = rho acc_g + (1-rho) g^2; d = -sqrt(acc_d + eps) g / sqrt(acc_g + eps);
    acc_d = rho acc_d + (1-rho) d^2; var += lr d``."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def build_slots(self, variables: list[Variable]) -> None:
        self.accumulated_grads, self.accumulated_delta_vars = self.add_slots(
            variables, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        rho, one_minus_rho = step.scalar("rho", dt, self.rho), step.scalar("one_minus_rho", dt, 1 - self.rho)
        eps = step.scalar("epsilon", dt, self.epsilon)
        acc_grad, acc_delta = self.accumulated_grads[index], self.accumulated_delta_vars[index]
        new_acc_grad = rho * acc_grad.value() + one_minus_rho * math.square(grad)
        acc_delta_value = acc_delta.value()
        delta = math.negative(math.sqrt(acc_delta_value + eps) * grad / math.sqrt(new_acc_grad + eps))
        new_acc_delta = rho * acc_delta_value + one_minus_rho * math.square(delta)
        return _group([acc_grad.assign(new_acc_grad), acc_delta.assign(new_acc_delta),
                       var.assign_add(step.lr(dt) * delta)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


class Ftrl(Optimizer):
    """Follow-the-regularized-leader with L1/L2/shrinkage regularization, as keras.optimizers.Ftrl."""

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = {"initial_accumulator_value": initial_accumulator_value,
                  "l1_regularization_strength": l1_regularization_strength,
                  "l2_regularization_strength": l2_regularization_strength,
                  "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength}
        for key, value in checks.items():
            if value < 0.0:
                raise ValueError(f"`{key}` needs to be positive or zero, got {value}")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero, got {learning_rate_power}")
        self.learning_rate_power, self.initial_accumulator_value = learning_rate_power, initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build_slots(self, variables: list[Variable]) -> None:
        self.accumulators, self.linears = [], []
        for v in variables:
            self.accumulators.append(self.add_variable(v.shape, v.dtype, f"{v.name}/accumulator",
                                                       self.initial_accumulator_value))
            self.linears.append(self.add_variable(v.shape, v.dtype, f"{v.name}/linear"))

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        lr = step.lr(dt)
        power = step.scalar("minus_learning_rate_power", dt, -self.learning_rate_power)
        l2 = step.scalar("l2_regularization", dt, lambda: self.l2_regularization_strength + self.beta / (2.0 * lr))
        accumulator, linear = self.accumulators[index], self.linears[index]
        var_value, accumulator_value = var.value(), accumulator.value()
        grad_to_use = grad + var_value * (2 * self.l2_shrinkage_regularization_strength)
        new_accumulator = accumulator_value + math.square(grad)
        new_accumulator_power = math.pow(new_accumulator, power)
        new_linear = linear.value() + (grad_to_use - (new_accumulator_power - math.pow(accumulator_value, power))
                                       / lr * var_value)
        quadratic = new_accumulator_power / lr + l2 * 2.0
        l1 = self.l1_regularization_strength
        clipped = math.clip_by_value(new_linear, -l1, l1)
        return _group([linear.assign(new_linear), var.assign((clipped - new_linear) / quadratic),
                       accumulator.assign(new_accumulator)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class Lion(Optimizer):
    """``var -= lr sign(b1 m + (1-b1) g); m = b2 m + (1-b2) g``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range, got beta_1={beta_1}")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums = self.add_slots(variables, ["momentum"])[0]

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        b1, b2 = step.scalar("beta_1", dt, self.beta_1), step.scalar("beta_2", dt, self.beta_2)
        m = self.momentums[index]
        m_value = m.value()
        direction = math.sign(m_value * b1 + grad * (1.0 - b1))
        return _group([var.assign_sub(step.lr(dt) * direction), m.assign(m_value * b2 + grad * (1.0 - b2))])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Lamb(Optimizer):
    """Adam's bias-corrected step scaled per variable by the trust ratio ``|var| / |step|``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums, self.velocities = self.add_slots(variables, ["momentum", "velocity"])

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        m, v = self.momentums[index], self.velocities[index]
        m_value, v_value = m.value(), v.value()
        new_m = m_value + (grad - m_value) * step.scalar("one_minus_beta_1", dt, 1 - self.beta_1)
        new_v = v_value + (math.square(grad) - v_value) * step.scalar("one_minus_beta_2", dt, 1 - self.beta_2)
        m_hat = new_m / (1.0 - step.power("beta_1_power", self.beta_1, dt))
        v_sqrt = math.sqrt(new_v / (1.0 - step.power("beta_2_power", self.beta_2, dt))) + step.scalar(
            "epsilon", dt, self.epsilon)
        update = m_hat / v_sqrt
        w_norm = math.sqrt(math.reduce_sum(math.square(var.value())))
        g_norm = math.sqrt(math.reduce_sum(math.square(update)))
        one = math.scalar_like(w_norm, 1.0)
        ratio = math.select(math.greater(w_norm, 0.0),
                            math.select(math.greater(g_norm, 0.0), w_norm / g_norm, one), one)
        return _group([m.assign(new_m), v.assign(new_v), var.assign_sub(ratio * step.lr(dt) * update)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Adafactor(Optimizer):
    """Factored second moments (row and column means) for matrices, a full one for vectors; relative step
    ``min(lr, 1/sqrt(t))`` scaled by the variable's RMS; updates clipped by RMS to ``clip_threshold``."""

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def build_slots(self, variables: list[Variable]) -> None:
        self.r: list[Variable] = []
        self.c: list[Variable] = []
        self.v: list[Variable] = []
        for var in variables:
            shape = list(var.shape)
            if len(shape) < 2:  # Keras keeps unused scalar factors for vectors: same state layout
                self.r.append(self.add_variable((), var.dtype, f"{var.name}/r"))
                self.c.append(self.add_variable((), var.dtype, f"{var.name}/c"))
            else:
                self.r.append(self.add_variable(shape[:-1], var.dtype, f"{var.name}/r"))
                self.c.append(self.add_variable(shape[:-2] + shape[-1:], var.dtype, f"{var.name}/c"))
            self.v.append(self.add_variable(shape, var.dtype, f"{var.name}/velocity"))

    @staticmethod
    def _rms(x: Tensor) -> Tensor:
        return math.sqrt(math.reduce_mean(math.square(x)))

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        t = step.local_step(dt)
        lr = step.lr(dt)
        rho = step.scalar("relative_step_size", dt, lambda: math.minimum(lr, math.rsqrt(t)))
        var_value = var.value()
        alpha = math.maximum(self._rms(var_value), step.scalar("epsilon_2", dt, self.epsilon_2)) * rho
        squared = math.square(grad) + self.epsilon_1
        beta_2_t = step.scalar("beta_2_t", dt, lambda: 1.0 - math.pow(t, step.scalar(
            "beta_2_decay", dt, self.beta_2_decay)))
        v = self.v[index]
        updates = []
        r, c = self.r[index], self.c[index]
        if len(var.shape) >= 2:
            new_r = beta_2_t * r.value() + (1.0 - beta_2_t) * math.reduce_mean(squared, -1)
            new_c = beta_2_t * c.value() + (1.0 - beta_2_t) * math.reduce_mean(squared, -2)
            new_v = (array.expand_dims(new_r / math.reduce_mean(new_r, -1, keepdims=True), -1)
                     * array.expand_dims(new_c, -2))
            updates += [r.assign(new_r), c.assign(new_c)]
        else:
            new_v = beta_2_t * v.value() + (1.0 - beta_2_t) * squared
        updates.append(v.assign(new_v))
        u = grad / math.sqrt(new_v)
        u_hat = u / math.maximum(math.scalar_like(u, 1.0), self._rms(u) / self.clip_threshold)
        updates.append(var.assign_sub(alpha * u_hat))
        return _group(updates)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


class Muon(Optimizer):
    """Momentum orthogonalized by a quintic Newton-Schulz iteration for 2-D weights; AdamW (``adam_*``
    arguments) for the others, embeddings and ``exclude_layers`` matches, as keras.optimizers.Muon."""

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: float = 0.004, epsilon: float = 1e-7, weight_decay: float = 0.004,
                 clipnorm: float | None = None, clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None, gradient_accumulation_steps: int | None = None,
                 name: str | None = None, exclude_layers: list[str] | None = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.775, muon_c: float = 2.0315, adam_lr_ratio: float = 1,
                 momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True, rms_rate: float | None = 0.2,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor, gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.adam_weight_decay = adam_beta_1, adam_beta_2, adam_weight_decay
        self.epsilon, self.exclude_layers, self.exclude_embeddings = epsilon, exclude_layers or [], exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps = adam_lr_ratio, momentum, ns_steps
        self.nesterov, self.rms_rate = nesterov, rms_rate

    def uses_adamw(self, var: Variable) -> bool:
        if var.shape is None or len(var.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in var.name.lower():
            return True
        return any(re.search(pattern, var.name) for pattern in self.exclude_layers)

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums: list[Variable] = []
        self.adam_velocities: list[Variable | None] = []
        for v in variables:
            self.momentums.append(self.add_variable(v.shape, v.dtype, f"{v.name}/momentum"))
            self.adam_velocities.append(self.add_variable(v.shape, v.dtype, f"{v.name}/velocity")
                                        if self.uses_adamw(v) else None)

    def _weight_decay(self, var: Variable, step: Step) -> list[Operation]:
        decay = self.adam_weight_decay if self.uses_adamw(var) else self.weight_decay
        if decay is None or id(var) in self._exclude_ids or (
                self._exclude_pattern and self._exclude_pattern.search(var.name)):
            return []
        wd = step.scalar("adam_weight_decay" if self.uses_adamw(var) else "weight_decay", var.dtype, decay)
        return [var.assign_sub(var.value() * wd * step.lr(var.dtype), name="weight_decay")]

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        m, v = self.momentums[index], self.adam_velocities[index]
        return self._adamw(grad, var, step, m, v) if v is not None else self._muon(grad, var, step, m)

    def _adamw(self, grad: Tensor, var: Variable, step: Step, m: Variable, v: Variable) -> Operation:
        dt = var.dtype
        lr = step.scalar("adam_learning_rate", dt, lambda: step.lr(dt) * float(self.adam_lr_ratio))
        alpha = step.scalar("adam_alpha", dt, lambda: lr * math.sqrt(
            1.0 - step.power("adam_beta_2_power", self.adam_beta_2, dt)) / (
                1.0 - step.power("adam_beta_1_power", self.adam_beta_1, dt)))
        m_value, v_value = m.value(), v.value()
        new_m = m_value + (grad - m_value) * step.scalar("one_minus_adam_beta_1", dt, 1 - self.adam_beta_1)
        new_v = v_value + (math.square(grad) - v_value) * step.scalar("one_minus_adam_beta_2", dt, 1 - self.adam_beta_2)
        increment = (new_m * alpha) / (math.sqrt(new_v) + step.scalar("epsilon", dt, self.epsilon))
        return _group([m.assign(new_m), v.assign(new_v), var.assign_sub(increment)])

    def _muon(self, grad: Tensor, var: Variable, step: Step, m: Variable) -> Operation:
        m_value = m.value()
        new_m = m_value + (grad + m_value * (self.momentum - 1))
        direction = grad + new_m * self.momentum if self.nesterov else new_m
        update = step.lr(var.dtype) * self._orthogonalize(direction)
        if self.rms_rate is not None:
            update = update * (pymath.sqrt(max(var.shape[0], var.shape[1])) * self.rms_rate)
        return _group([m.assign(new_m), var.assign_sub(update)])

    def _orthogonalize(self, x: Tensor) -> Tensor:
        """Keras' zeropower_via_newtonschulz5 on a matrix (worked on the wide orientation)."""
        tall = x.shape[0] > x.shape[1]
        if tall:
            x = array.transpose(x, [1, 0])
        x = x / (math.sqrt(math.reduce_sum(math.square(x))) + 1e-7)
        for _ in range(self.ns_steps):
            gram = math.matmul(x, x, transpose_b=True)
            polynomial = gram * self.muon_b + math.matmul(gram * self.muon_c, gram)
            x = x * self.muon_a + math.matmul(polynomial, x)
        return array.transpose(x, [1, 0]) if tall else x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW: Adam steps on ``z`` (the "momentum" slot), weights interpolated between ``z``
    and the running average ``x``. Keras copies the weights into ``z`` when it builds (right before the
    first step in fit); here ``z`` starts from the weights at the first step, the same values. ``x`` is
    recovered from ``y`` and the previous ``z`` as in the paper (Keras uses the updated ``z``; see
    docs/differences.md)."""

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, warmup_steps

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums, self.velocities = self.add_slots(variables, ["momentum", "velocity"])
        self._weights_before_decay: dict[int, Tensor] = {}

    def _weight_decay(self, var: Variable, step: Step) -> list[Operation]:
        """Reads the weights before the decay: Keras' ``z`` starts as the undecayed copy."""
        self._weights_before_decay[id(var)] = before = var.value()
        with var.graph.control_dependencies([before.op]):
            return super()._weight_decay(var, step)

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        t = step.local_step(dt)
        lr = step.lr(dt)
        if self.warmup_steps > 0:
            lr = step.scalar("warmup_learning_rate", dt, lambda: lr * math.minimum(t / float(self.warmup_steps), 1.0))
        z, v = self.momentums[index], self.velocities[index]
        y_old = var.value()
        first = step.scalar("is_first_step", dt, lambda: math.cast(math.equal(t, 1.0), dt))
        z_old = first * self._weights_before_decay[id(var)] + (1.0 - first) * z.value()
        v_value = v.value()
        new_v = v_value + (math.square(grad) - v_value) * (1 - self.beta_2)
        bias_correction = step.scalar("bias_correction_2", dt, lambda: 1.0 - step.power(
            "beta_2_power", self.beta_2, dt))
        new_z = z_old - lr * grad / (math.sqrt(new_v / bias_correction) + self.epsilon)
        weight = step.scalar("average_weight", dt, lambda: 1.0 / t)
        x_old = (y_old - z_old * (1 - self.beta_1)) / self.beta_1
        x_new = x_old * (1.0 - weight) + new_z * weight
        y_new = new_z * (1 - self.beta_1) + x_new * self.beta_1
        return _group([v.assign(new_v), z.assign(new_z), var.assign(y_new)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}
