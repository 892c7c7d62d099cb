"""SGD, Adam, AdamW, RMSprop, Adagrad, Adamax and Nadam with Keras 3's update formulas.

SGD uses TF's fused ResourceApply* kernels, whose formulas and rounding are exactly Keras' (one op
per variable); the others are written as plain math ops in Keras' own order of operations (TF's
fused Adam kernel rounds ``1 - beta`` differently and drifts from Keras by ~1e-7 per step). Slot
values are computed once and used both for the slot assign and the variable update, which is what
Keras' "assign the slot, then read it" sequence amounts to.
"""
from __future__ import annotations

from typing import Any

from ..graph import Operation, Tensor
from ..graph.ops import array, math
from ..graph.ops.state import Variable
from .optimizer import Optimizer, Step, fused


class SGD(Optimizer):
    """``m = momentum * m - lr * g; var += m`` (Nesterov: ``var += momentum * m - lr * g``)."""

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, (int, float)) or momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be a float between [0, 1], got {momentum!r}")
        self.momentum, self.nesterov = momentum, nesterov

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums = self.add_slots(variables, ["momentum"])[0] if self.momentum != 0 else []

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        lr = step.lr(var.dtype)
        if not self.momentums:
            return fused("ResourceApplyGradientDescent", [var.handle, lr, grad])
        momentum = step.scalar("momentum", var.dtype, self.momentum)
        return fused("ResourceApplyKerasMomentum", [var.handle, self.momentums[index].handle, lr, grad, momentum],
                     {"use_nesterov": bool(self.nesterov)})

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Keras' Adam: ``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)``, ``var -= m * alpha / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums, self.velocities = self.add_slots(variables, ["momentum", "velocity"])
        self.velocity_hats = self.add_slots(variables, ["velocity_hat"])[0] if self.amsgrad else []

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        # Plain ops in Keras' order and precision (TF's fused ResourceApplyAdam rounds differently and
        # drifts ~1e-7 per step from Keras): alpha is shared by every variable of the step.
        dt = var.dtype
        alpha = step.scalar("alpha", dt, lambda: step.lr(dt) * math.sqrt(
            1.0 - step.power("beta_2_power", self.beta_2, dt)) / (1.0 - step.power("beta_1_power", self.beta_1, dt)))
        m, v = self.momentums[index], self.velocities[index]
        m_value, v_value = m.value(), v.value()
        new_m = m_value + (grad - m_value) * step.scalar("one_minus_beta_1", dt, 1 - self.beta_1)
        new_v = v_value + (math.square(grad) - v_value) * step.scalar("one_minus_beta_2", dt, 1 - self.beta_2)
        updates = [m.assign(new_m), v.assign(new_v)]
        if self.amsgrad:
            v_hat = self.velocity_hats[index]
            new_v = math.maximum(v_hat.value(), new_v)
            updates.append(v_hat.assign(new_v))
        increment = (new_m * alpha) / (math.sqrt(new_v) + step.scalar("epsilon", dt, self.epsilon))
        return _group(updates + [var.assign_sub(increment)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam after decoupled weight decay ``var -= var * weight_decay * lr`` (Keras' default 0.004)."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any):
        if weight_decay is None:
            raise ValueError("argument `weight_decay` must be a float for AdamW, got None")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)


class RMSprop(Optimizer):
    """``v = rho v + (1 - rho) g^2``; ``var -= lr g / sqrt(v [- a^2] + eps)``, through momentum if set."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def build_slots(self, variables: list[Variable]) -> None:
        self.velocities = self.add_slots(variables, ["velocity"])[0]
        self.momentums = self.add_slots(variables, ["momentum"])[0] if self.momentum > 0 else []
        self.average_gradients = self.add_slots(variables, ["average_gradient"])[0] if self.centered else []

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        rho, one_minus_rho = step.scalar("rho", dt, self.rho), step.scalar("one_minus_rho", dt, 1 - self.rho)
        eps = step.scalar("epsilon", dt, self.epsilon)
        velocity = self.velocities[index]
        new_velocity = rho * velocity.value() + one_minus_rho * math.square(grad)
        updates = [velocity.assign(new_velocity)]
        if self.centered:
            average = self.average_gradients[index]
            new_average = rho * average.value() + one_minus_rho * grad
            updates.append(average.assign(new_average))
            denominator = new_velocity - math.square(new_average) + eps
        else:
            denominator = new_velocity + eps
        increment = step.lr(dt) * grad / math.sqrt(denominator)
        if self.momentums:
            momentum = self.momentums[index]
            increment = step.scalar("momentum", dt, self.momentum) * momentum.value() + increment
            updates.append(momentum.assign(increment))
        updates.append(var.assign_sub(increment))
        return _group(updates)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


class Adagrad(Optimizer):
    """``acc += g^2; var -= lr g / sqrt(acc + eps)`` (Keras puts epsilon inside the square root)."""

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def build_slots(self, variables: list[Variable]) -> None:
        self.accumulators = self.add_slots(variables, ["accumulator"], self.initial_accumulator_value)[0]

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        accumulator = self.accumulators[index]
        new_accumulator = accumulator.value() + math.square(grad)
        increment = step.lr(dt) * grad / math.sqrt(new_accumulator + step.scalar("epsilon", dt, self.epsilon))
        return _group([accumulator.assign(new_accumulator), var.assign_sub(increment)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adamax(Optimizer):
    """``m += (g - m)(1 - b1); u = max(b2 u, |g|); var -= lr m / ((1 - b1^t)(u + eps))``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build_slots(self, variables: list[Variable]) -> None:
        self.m, self.u = self.add_slots(variables, ["momentum", "norm"])

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        m, u = self.m[index], self.u[index]
        m_value = m.value()
        new_m = m_value + (grad - m_value) * step.scalar("one_minus_beta_1", dt, 1 - self.beta_1)
        new_u = math.maximum(step.scalar("beta_2", dt, self.beta_2) * u.value(), math.abs(grad))
        correction = step.scalar("one_minus_beta_1_power", dt,
                                 lambda: 1.0 - step.power("beta_1_power", self.beta_1, dt))
        increment = step.lr(dt) * new_m / (correction * (new_u + step.scalar("epsilon", dt, self.epsilon)))
        return _group([m.assign(new_m), u.assign(new_u), var.assign_sub(increment)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Keras' Nadam with its momentum schedule ``u_t = b1 (1 - 0.5 * 0.96^t)`` and the ``u_product`` variable."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def build_slots(self, variables: list[Variable]) -> None:
        self.momentums, self.velocities = self.add_slots(variables, ["momentum", "velocity"])
        self.u_product = self.add_variable((), variables[0].dtype if variables else "float32", "u_product", 1.0)

    def prepare_step(self, step: Step) -> list[Operation]:
        # as Keras' _backend_update_step: advance u_product once, before any variable's update reads it
        decay_power = step.power("decay_power", 0.96, self.u_product.dtype)
        self._u_product_new = self.u_product.value() * self.beta_1 * (1.0 - 0.5 * decay_power)
        return [self.u_product.assign(self._u_product_new)]

    def update_step(self, grad: Tensor, var: Variable, step: Step, index: int) -> Operation:
        dt = var.dtype
        b1 = step.scalar("beta_1", dt, self.beta_1)
        u_t = step.scalar("u_t", dt, lambda: b1 * (1.0 - 0.5 * step.power("decay_power", 0.96, dt)))
        u_t_1 = step.scalar("u_t_1", dt, lambda: b1 * (1.0 - 0.5 * step.power("decay_power_next", 0.96, dt, 2)))
        u_product_t = step.scalar("u_product_t", dt, lambda: self._u_product_new)
        u_product_t_1 = step.scalar("u_product_t_1", dt, lambda: u_product_t * u_t_1)
        m_denominator = step.scalar("one_minus_u_product_t_1", dt, lambda: 1.0 - u_product_t_1)
        g_denominator = step.scalar("one_minus_u_product_t", dt, lambda: 1.0 - u_product_t)
        g_coefficient = step.scalar("one_minus_u_t", dt, lambda: 1.0 - u_t)
        v_correction = step.scalar("one_minus_beta_2_power", dt,
                                   lambda: 1.0 - step.power("beta_2_power", self.beta_2, dt))
        m, v = self.momentums[index], self.velocities[index]
        m_value, v_value = m.value(), v.value()
        # Keras' Nadam subtracts from beta cast to the variable dtype (Adam subtracts in float64)
        one_minus_b1, one_minus_b2 = (
            step.scalar(f"one_minus_{name}_in_dtype", dt, lambda b=b: 1.0 - math.scalar_like(grad, b))
            for name, b in (("beta_1", self.beta_1), ("beta_2", self.beta_2)))
        new_m = m_value + (grad - m_value) * one_minus_b1
        new_v = v_value + (math.square(grad) - v_value) * one_minus_b2
        m_hat = u_t_1 * new_m / m_denominator + g_coefficient * grad / g_denominator
        v_hat = new_v / v_correction
        increment = m_hat * step.lr(dt) / (math.sqrt(v_hat) + step.scalar("epsilon", dt, self.epsilon))
        return _group([m.assign(new_m), v.assign(new_v), var.assign_sub(increment)])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


def _group(ops: list[Operation]) -> Operation:
    return array.group(ops, name="update")
