"""Keras 3 learning-rate schedules, evaluated in the graph from the optimizer's ``iterations``."""
from __future__ import annotations

import math as pymath
from typing import Any, Sequence

import numpy as np

from .. import _keras_objects
from ..graph import Tensor
from ..graph.ops import math
from ..graph.ops.constants import constant


def _f32(value: float, like: Tensor) -> Tensor:
    return constant(np.float32(value), graph=like.graph)


class LearningRateSchedule:
    """``schedule(step: int64 Tensor) -> float32 Tensor``; configs use Keras' names."""

    def __call__(self, step: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)


def _positive_steps(value: Any, name: str) -> None:
    if value <= 0:
        raise ValueError(f"argument `{name}` must be > 0, got {value!r}")


class _StepDecay(LearningRateSchedule):
    """The decays driven by ``step / decay_steps`` (floored when ``staircase``); name defaults to the class's."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str | None = None):
        _positive_steps(decay_steps, "decay_steps")
        self.initial_learning_rate, self.decay_steps, self.decay_rate = initial_learning_rate, decay_steps, decay_rate
        self.staircase, self.name = staircase, name or type(self).__name__

    def _progress(self, step: Tensor) -> Tensor:
        p = math.cast(step, "float32") / _f32(self.decay_steps, step)
        return math.floor(p) if self.staircase else p


class ExponentialDecay(_StepDecay):
    """``initial * decay_rate ** (step / decay_steps)``."""

    def __call__(self, step: Tensor) -> Tensor:
        p = self._progress(step)
        return _f32(self.initial_learning_rate, step) * math.pow(_f32(self.decay_rate, step), p)


class InverseTimeDecay(_StepDecay):
    """``initial / (1 + decay_rate * step / decay_steps)``."""

    def __call__(self, step: Tensor) -> Tensor:
        p = self._progress(step)
        return _f32(self.initial_learning_rate, step) / (p * _f32(self.decay_rate, step) + 1.0)


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]``."""

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(f"boundaries needs one entry fewer than values, got {len(boundaries)} boundaries "
                             f"and {len(values)} values")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step: Tensor) -> Tensor:
        bounds = [constant(np.asarray(b).astype(np.int64), graph=step.graph) for b in self.boundaries]
        step = math.cast(step, "int64")
        picks = [math.less_equal(step, bounds[0]), math.greater(step, bounds[-1])]
        picks += [math.logical_and(math.greater(step, lo), math.less_equal(step, hi))
                  for lo, hi in zip(bounds[:-1], bounds[1:])]
        values = [self.values[0], self.values[-1]] + list(self.values[1:-1])
        return math.add_n([math.cast(p, "float32") * _f32(v, step) for p, v in zip(picks, values)])


class PolynomialDecay(LearningRateSchedule):
    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay"):
        _positive_steps(decay_steps, "decay_steps")
        self.initial_learning_rate, self.decay_steps, self.end_learning_rate = (
            initial_learning_rate, decay_steps, end_learning_rate)
        self.power, self.cycle, self.name = power, cycle, name

    def __call__(self, step: Tensor) -> Tensor:
        s = math.cast(step, "float32")
        decay_steps = _f32(self.decay_steps, step)
        if self.cycle:
            multiplier = math.select(math.equal(s, 0.0), _f32(1.0, step), math.ceil(s / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            s = math.minimum(s, decay_steps)
        fraction = _f32(1.0, step) - s / decay_steps
        span = _f32(self.initial_learning_rate - self.end_learning_rate, step)
        return span * math.pow(fraction, _f32(self.power, step)) + self.end_learning_rate


class CosineDecay(LearningRateSchedule):
    """Cosine from ``initial`` to ``alpha * initial``, after an optional linear warmup to ``warmup_target``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None, warmup_steps: int = 0):
        _positive_steps(decay_steps, "decay_steps")
        self.initial_learning_rate, self.decay_steps, self.alpha, self.name = (
            initial_learning_rate, decay_steps, alpha, name)
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def _decay(self, s: Tensor, decay_steps: Tensor, start: Tensor) -> Tensor:
        cosine = (math.cos(_f32(pymath.pi, s) * (s / decay_steps)) + 1.0) * 0.5
        return start * (cosine * (1 - self.alpha) + self.alpha)

    def __call__(self, step: Tensor) -> Tensor:
        s = math.cast(step, "float32")
        decay_steps = _f32(self.decay_steps, step)
        initial = _f32(self.initial_learning_rate, step)
        if self.warmup_target is None:
            return self._decay(math.minimum(s, decay_steps), decay_steps, initial)
        target, warmup_steps = _f32(self.warmup_target, step), _f32(self.warmup_steps, step)
        s = math.minimum(s, decay_steps + warmup_steps)
        warm = (target - initial) * (s / warmup_steps) + initial
        return math.select(math.less(s, warmup_steps), warm, self._decay(s - warmup_steps, decay_steps, target))


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine cycles, the i-th lasting ``first_decay_steps * t_mul^i`` steps and starting at
    ``initial * m_mul^i``. The restart index is known in Python when ``t_mul == 1``, else by logarithm."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0, m_mul: float = 1.0,
                 alpha: float = 0.0, name: str = "SGDRDecay"):
        _positive_steps(first_decay_steps, "first_decay_steps")
        self.initial_learning_rate, self.first_decay_steps = initial_learning_rate, first_decay_steps
        self.t_mul, self.m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name

    def __call__(self, step: Tensor) -> Tensor:
        fraction = math.cast(step, "float32") / _f32(self.first_decay_steps, step)
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction = fraction - restart
        else:
            t_mul = _f32(self.t_mul, step)
            restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(t_mul))
            completed = (1.0 - math.pow(t_mul, restart)) / (1.0 - self.t_mul)
            fraction = (fraction - completed) / math.pow(t_mul, restart)
        cosine = math.pow(_f32(self.m_mul, step), restart) * 0.5 * (math.cos(fraction * pymath.pi) + 1.0)
        return _f32(self.initial_learning_rate, step) * (cosine * (1 - self.alpha) + self.alpha)


SCHEDULES: dict[str, type] = {cls.__name__: cls for cls in (
    ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    return _keras_objects.serialize(schedule, "keras.optimizers.schedules")


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    return _keras_objects.lookup(config, SCHEDULES, "learning rate schedule", LearningRateSchedule)
