"""Optimizers and schedules against Keras 3: same initial weights, same 50+ gradients, same weights."""
from __future__ import annotations

import numpy as np
import pytest

from tfkg_graph import optimizers
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import array
from tfkg_graph.graph.ops.constants import placeholder
from tfkg_graph.graph.ops.state import Variable, global_variables
from tfkg_graph.optimizers import schedules
from tfkg_graph.runtime.session import Session

keras = pytest.importorskip("keras")

SHAPES = [(3, 4), (4,), (2, 3, 2)]
STEPS = 50


def _problem(seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Initial weights and a gradient sequence; some steps are large so that clipping bites."""
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype(np.float32) for s in SHAPES]
    grads = [[(rng.normal(size=s) * (8.0 if t % 7 == 3 else 1.0)).astype(np.float32) for s in SHAPES]
             for t in range(STEPS)]
    return inits, grads


class Ours:
    """Our optimizer on placeholders-fed gradients, run through our Session."""

    def __init__(self, optimizer, inits):
        self.graph = g = Graph()
        with g.as_default():
            self.variables = [Variable(w, name=f"layer{i}/kernel") for i, w in enumerate(inits)]
            self.grads = [placeholder("float32", w.shape, name=f"grad{i}") for i, w in enumerate(inits)]
            self.optimizer = optimizer
            optimizer.build(self.variables, g)
            self.train = optimizer.apply_gradients(list(zip(self.grads, self.variables)))
            self.reads = [v.value() for v in self.variables]
            self.iterations = optimizer.iterations.value()
            self.init = array.group([v.initializer for v in global_variables(g)], name="init")
        self.session = Session(g)
        self.session.run([], targets=[self.init.name])
        optimizer.attach(self.session)
        self.step = self.session.make_callable([p.name for p in self.grads], [], [self.train.name])
        self.weights = self.session.make_callable([], [r.name for r in self.reads])

    def apply(self, grads):
        self.step(*grads)


def _keras_lr(lr):
    return keras.optimizers.schedules.deserialize(schedules.serialize(lr)) if isinstance(
        lr, schedules.LearningRateSchedule) else lr


CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.8, "nesterov": True}),
    ("SGD", {"weight_decay": 0.01}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("Adam", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}),
    ("Adam", {"clipnorm": 1.5}), ("Adam", {"clipvalue": 0.7}), ("Adam", {"global_clipnorm": 2.0}),
    ("AdamW", {}), ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.9}), ("RMSprop", {"centered": True}),
    ("RMSprop", {"centered": True, "momentum": 0.5, "rho": 0.8}),
    ("Adagrad", {}), ("Adagrad", {"initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("Adamax", {}), ("Adamax", {"clipnorm": 0.5}),
    ("Nadam", {}), ("Nadam", {"beta_1": 0.95, "global_clipnorm": 1.0}),
    ("SGD", {"learning_rate": schedules.ExponentialDecay(0.1, 10, 0.5)}),
    ("SGD", {"learning_rate": schedules.ExponentialDecay(0.1, 7, 0.5, staircase=True), "momentum": 0.5}),
    ("Adam", {"learning_rate": schedules.CosineDecay(0.05, 40, alpha=0.1)}),
    ("Adam", {"learning_rate": schedules.CosineDecay(0.0, 30, warmup_target=0.05, warmup_steps=10)}),
    ("RMSprop", {"learning_rate": schedules.PiecewiseConstantDecay([10, 30], [0.05, 0.01, 0.002])}),
    ("Adagrad", {"learning_rate": schedules.InverseTimeDecay(0.2, 5, 0.5)}),
    ("Nadam", {"learning_rate": schedules.PolynomialDecay(0.05, 40, power=2.0)}),
    ("Adadelta", {}), ("Adadelta", {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-4}),
    ("Ftrl", {}), ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
                            "l2_regularization_strength": 0.02, "l2_shrinkage_regularization_strength": 0.01,
                            "beta": 0.5, "learning_rate_power": -0.7}),
    ("Lion", {}), ("Lion", {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "weight_decay": 0.1}),
    ("Lamb", {}), ("Lamb", {"learning_rate": 0.01, "beta_1": 0.8, "clipnorm": 1.0}),
    ("Adafactor", {}), ("Adafactor", {"learning_rate": 0.05, "beta_2_decay": -0.5, "clip_threshold": 0.5}),
    ("Muon", {}), ("Muon", {"nesterov": False, "momentum": 0.9, "adam_lr_ratio": 0.5, "rms_rate": None}),
    ("Muon", {"exclude_layers": ["layer0"], "weight_decay": 0.1, "adam_weight_decay": 0.01}),
    ("SGD", {"learning_rate": schedules.CosineDecayRestarts(0.1, 5)}),
    ("Adam", {"learning_rate": schedules.CosineDecayRestarts(0.05, 7, t_mul=1.0, m_mul=0.8, alpha=0.1)}),
]


def _id(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={type(v).__name__ if isinstance(v, schedules.LearningRateSchedule) else v}"
                                 for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras_every_step(tf, case):
    name, kwargs = case
    default_lr = {"SGD": 0.05}.get(name, 0.01)
    kwargs = {"learning_rate": default_lr, **kwargs}
    inits, grads = _problem()
    ours = Ours(getattr(optimizers, name)(**kwargs), inits)
    k_vars = [keras.Variable(w, name=f"layer{i}_kernel") for i, w in enumerate(inits)]  # paths as ours
    theirs = getattr(keras.optimizers, name)(**{**kwargs, "learning_rate": _keras_lr(kwargs["learning_rate"])})
    theirs.build(k_vars)  # eagerly, before the first step, as Keras' fit does
    keras_step = tf.function(lambda grads: theirs.apply_gradients(zip(grads, k_vars)))  # as in Keras' fit
    schedule = isinstance(kwargs["learning_rate"], schedules.LearningRateSchedule)
    for t, step_grads in enumerate(grads):
        if t == STEPS // 2 and not schedule:  # a learning rate set between steps takes effect
            ours.optimizer.learning_rate = theirs.learning_rate = default_lr * 0.3
        keras_step([tf.constant(g) for g in step_grads])
        ours.apply(step_grads)
        # weights are O(1): agreement to 1e-5 of their scale, every step
        for got, want in zip(ours.weights(), k_vars):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5, err_msg=f"step {t}")
    assert int(ours.session.run(ours.iterations.name)) == int(theirs.iterations.numpy()) == STEPS
    if not schedule:
        assert ours.optimizer.learning_rate == pytest.approx(default_lr * 0.3)
    # the same optimizer state, in Keras' order
    assert [tuple(v.shape) for v in ours.optimizer.variables] == [tuple(v.shape) for v in theirs.variables]


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_config_matches_keras_and_round_trips(name):
    ours, theirs = getattr(optimizers, name)(), getattr(keras.optimizers, name)()
    want = {**theirs.get_config(), "name": ours.name}
    want["learning_rate"] = pytest.approx(want["learning_rate"])  # Keras reads back its float32 variable
    assert ours.get_config() == want
    assert optimizers.get(keras.optimizers.serialize(theirs)).get_config()["learning_rate"] == pytest.approx(
        theirs.get_config()["learning_rate"])
    assert type(optimizers.get(name.lower())) is type(ours)
    with_schedule = getattr(optimizers, name)(learning_rate=schedules.CosineDecay(0.1, 100, alpha=0.2))
    config = with_schedule.get_config()
    assert config["learning_rate"] == keras.optimizers.schedules.serialize(
        keras.optimizers.schedules.CosineDecay(0.1, 100, alpha=0.2))
    assert type(optimizers.deserialize({"class_name": name, "config": config})._learning_rate) is schedules.CosineDecay


def test_slots_live_under_the_optimizer_scope_and_lr_set_before_the_session_counts():
    inits, grads = _problem()
    optimizer = optimizers.RMSprop(0.1, momentum=0.5)
    g = Graph()
    with g.as_default():
        variables = [Variable(w, name=f"dense{i}/kernel") for i, w in enumerate(inits)]
        optimizer.build(variables, g)
        train = optimizer.apply_gradients([(w * 0.0 + 1.0, v) for w, v in zip(map(lambda v: v.value(), variables),
                                                                                  variables)])
        init = array.group([v.initializer for v in global_variables(g)], name="init")
        read = variables[1].value()
    assert [v.name for v in optimizer.variables][:5] == [
        "optimizer/iterations", "optimizer/learning_rate", "optimizer/dense0/kernel/velocity",
        "optimizer/dense1/kernel/velocity", "optimizer/dense2/kernel/velocity"]
    assert optimizer.variables[5].name == "optimizer/dense0/kernel/momentum"
    optimizer.learning_rate = 0.25  # built, no session yet: the variable starts there
    session = Session(g)
    session.run([], targets=[init.name])
    optimizer.attach(session)
    assert optimizer.learning_rate == 0.25
    session.run([], targets=[train.name])  # gradient 1 everywhere: the first step is lr / sqrt(1 - rho + eps)
    np.testing.assert_allclose(session.run(read.name), inits[1] - 0.25 / np.sqrt(0.1 + 1e-7), rtol=1e-6)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="only one of"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="not recognized"):
        optimizers.SGD(momentun=0.9)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(TypeError, match="not settable"):
        optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9)).learning_rate = 0.2
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.CosineDecay(0.1, 0)
    inits, _ = _problem()
    g = Graph()
    with g.as_default():
        known, stranger = Variable(inits[0], name="a"), Variable(inits[1], name="b")
        optimizer = optimizers.Adam()
        optimizer.build([known], g)
        with pytest.raises(ValueError, match="'b' was not passed to build"):
            optimizer.apply_gradients([(placeholder("float32", (4,), name="gb"), stranger)])
        with pytest.raises(ValueError, match="has shape"):
            optimizer.apply_gradients([(placeholder("float32", (4,), name="ga"), known)])
        with pytest.raises(ValueError, match="no gradients"):
            optimizer.apply_gradients([(None, known)])


def _schedule_free_reference(inits, grads, lr, beta_1, beta_2, epsilon, warmup_steps):
    """Schedule-free AdamW as Defazio et al. (2024) write it, in float64: y = (1-b1) z + b1 x, Adam step on z,
    x the 1/t running average of z."""
    ys = [w.astype(np.float64) for w in inits]
    zs, xs, vs = [y.copy() for y in ys], [y.copy() for y in ys], [np.zeros_like(y) for y in ys]
    for t, step_grads in enumerate(grads, start=1):
        rate = lr * min(t / warmup_steps, 1.0) if warmup_steps else lr
        for i, g in enumerate(step_grads):
            vs[i] = vs[i] + (g ** 2 - vs[i]) * (1 - beta_2)
            zs[i] = zs[i] - rate * g / (np.sqrt(vs[i] / (1 - beta_2 ** t)) + epsilon)
            xs[i] = (1 - 1 / t) * xs[i] + zs[i] / t
            ys[i] = (1 - beta_1) * zs[i] + beta_1 * xs[i]
    return ys


@pytest.mark.parametrize("kwargs", [{}, {"warmup_steps": 10, "beta_1": 0.8}])
def test_schedule_free_adamw_follows_the_paper_not_keras(tf, kwargs):
    """docs/differences.md: Keras recovers x from y and the already-updated z; ours (and the paper) use the
    z that produced y. The first step agrees with Keras (x is replaced by z there), later ones do not."""
    inits, grads = _problem()
    config = {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "warmup_steps": 0, **kwargs}
    ours = Ours(optimizers.ScheduleFreeAdamW(**config), inits)
    k_vars = [keras.Variable(w) for w in inits]
    theirs = keras.optimizers.ScheduleFreeAdamW(**config)
    theirs.build(k_vars)
    for t, step_grads in enumerate(grads[:10]):
        ours.apply(step_grads)
        theirs.apply_gradients(zip([tf.constant(g) for g in step_grads], k_vars))
        if t == 0:
            for got, want in zip(ours.weights(), k_vars):
                np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-6)
    reference = _schedule_free_reference(inits, grads[:10], config["learning_rate"], config["beta_1"],
                                         config["beta_2"], config["epsilon"], config["warmup_steps"])
    for got, want, keras_value in zip(ours.weights(), reference, k_vars):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert np.abs(keras_value.numpy() - want).max() > 1e-4
    want_config = {**theirs.get_config(), "learning_rate": pytest.approx(config["learning_rate"]),
                   "name": "schedule_free_adam_w"}  # Keras numbers its second instance
    assert ours.optimizer.get_config() == want_config
    assert optimizers.deserialize(keras.optimizers.serialize(theirs)).get_config() == {
        **want_config, "name": theirs.name}
