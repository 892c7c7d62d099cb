"""Keras 3's public names in activations, initializers, regularizers, constraints, losses, metrics and
optimizers: each exists here or is listed with its reason under "Not implemented" in docs/differences.md;
plus the deterministic initializers and the config round trips of every class against Keras."""
from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest
from _differences import not_implemented

from tfkg_graph import constraints, initializers, regularizers
from tfkg_graph.graph import Graph
from tfkg_graph.runtime.session import Session

keras = pytest.importorskip("keras")

MODULES = ["activations", "initializers", "regularizers", "constraints", "losses", "metrics", "optimizers",
           "optimizers.schedules", "utils", "saving", "backend", "models", "callbacks"]
def _keras_public(module: str) -> list[str]:
    return [n for n in dir(importlib.import_module(f"keras.{module}")) if not n.startswith("_")]


def assert_same_config(ours: dict, theirs: dict) -> None:
    """Equal configs; floats to float32 rounding (Keras keeps some factors as float32 tensors)."""
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, float):
            assert ours[key] == pytest.approx(value, rel=1e-7), key
        else:
            assert ours[key] == value, key


@pytest.mark.parametrize("module", MODULES)
def test_every_keras_name_exists_or_is_listed_with_a_reason(module):
    ours = importlib.import_module(f"tfkg_graph.{module}")
    listed = not_implemented()
    missing = [n for n in _keras_public(module) if not hasattr(ours, n) and f"{module}.{n}" not in listed]
    assert not missing, f"keras.{module} names neither implemented nor listed in docs/differences.md: {missing}"
    stale = [n for n in listed if n.rsplit(".", 1)[0] == module and hasattr(ours, n.rsplit(".", 1)[1])]
    assert not stale, f"listed as not implemented but present: {stale}"


@pytest.mark.parametrize("module,name", [(m, n) for m in ("initializers", "regularizers", "constraints")
                                         for n in _keras_public(m) if n[0].isupper() and n not in (
                                             "Initializer", "Regularizer", "Constraint")])
def test_classes_and_aliases_match_keras_defaults_and_configs(module, name):
    ours_cls = getattr(importlib.import_module(f"tfkg_graph.{module}"), name)
    theirs_cls = getattr(keras, module).__dict__[name]
    signature = {k: p.default for k, p in inspect.signature(ours_cls).parameters.items()}
    assert signature == {k: p.default for k, p in inspect.signature(theirs_cls).parameters.items()}
    theirs = theirs_cls()
    ours = getattr(importlib.import_module(f"tfkg_graph.{module}"), "deserialize")(
        getattr(keras, module).serialize(theirs))
    assert isinstance(ours, ours_cls)
    assert_same_config(ours.get_config(), theirs.get_config())
    assert type(ours_cls.from_config(ours.get_config())) is ours_cls


@pytest.mark.parametrize("alias,target", [
    ("glorot_uniform", "GlorotUniform"), ("he_normal", "HeNormal"), ("identity", "Identity"),
    ("orthogonal", "Orthogonal"), ("OrthogonalInitializer", "Orthogonal"), ("stft", "STFT"),
    ("variance_scaling", "VarianceScaling"), ("zeros", "Zeros"), ("constant", "Constant")])
def test_lowercase_initializer_names_are_keras_aliases(alias, target):
    assert getattr(keras.initializers, alias) is getattr(keras.initializers, target)
    assert getattr(initializers, alias) is getattr(initializers, target)
    assert isinstance(initializers.get(alias), getattr(initializers, target))


def test_lowercase_regularizer_and_constraint_names():
    assert regularizers.l2 is regularizers.L2 and regularizers.l1_l2 is regularizers.L1L2
    assert constraints.max_norm is constraints.MaxNorm and constraints.non_neg is constraints.NonNeg
    assert isinstance(regularizers.get("orthogonal_regularizer"), regularizers.OrthogonalRegularizer)


def _evaluate(initializer, shape):
    g = Graph()
    with g.as_default():
        value = initializer(shape, "float32", g)
    with Session(g) as sess:
        return sess.run(value.name)


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Identity", {}, (3, 3)), ("Identity", {"gain": 2.5}, (3, 5)), ("Identity", {}, (4, 2)),
    ("STFT", {}, (16, 1, 9)), ("STFT", {"side": "imag", "window": "hamming", "scaling": "spectrum",
                                        "periodic": True}, (12, 1, 7)),
    ("STFT", {"window": None, "scaling": None}, (8, 1, 5)), ("STFT", {"window": "boxcar"}, (6, 1, 4)),
    ("STFT", {"window": np.linspace(0.1, 1.0, 10).tolist()}, (10, 1, 6)),
    ("Zeros", {}, (2, 3)), ("Ones", {}, (4,)), ("Constant", {"value": 1.5}, (2, 2)),
])
def test_deterministic_initializers_equal_keras(name, kwargs, shape):
    got = _evaluate(getattr(initializers, name)(**kwargs), shape)
    want = getattr(keras.initializers, name)(**kwargs)(shape)
    # Keras builds the angles in float32 (cos(2 pi t f) off by ~1e-6 of 1); ours in float64, then cast
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=2e-6)


def test_variance_scaling_fans_from_given_axes():
    """Keras' input_axes/output_axes: fan_in from the product of the given axes (here 4 * 5 = 20)."""
    init = initializers.VarianceScaling(scale=3.0, mode="fan_in", distribution="uniform", seed=1,
                                        input_axes=[0, 1], output_axes=[2])
    values = _evaluate(init, (4, 5, 3000))
    limit = np.sqrt(3.0 * 3.0 / 20)
    assert values.max() <= limit and values.max() > 0.95 * limit
    assert init.get_config() == keras.initializers.VarianceScaling(
        scale=3.0, mode="fan_in", distribution="uniform", seed=1, input_axes=[0, 1], output_axes=[2]).get_config()


def test_bad_initializer_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="2D"):
        initializers.Identity()((2, 2, 2))
    with pytest.raises(ValueError, match="window"):
        initializers.STFT(window="kaiser")
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="both")


REQUIRED_ARGS = {"IoU": {"num_classes": 3, "target_class_ids": [0, 2]}, "MeanIoU": {"num_classes": 3},
                 "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]}, "OneHotMeanIoU": {"num_classes": 4},
                 "SensitivityAtSpecificity": {"specificity": 0.5}, "SpecificityAtSensitivity": {"sensitivity": 0.5},
                 "PrecisionAtRecall": {"recall": 0.5}, "RecallAtPrecision": {"precision": 0.5}}


@pytest.mark.parametrize("name", [n for n in _keras_public("metrics") if n[0].isupper() and n not in (
    "Metric", "MeanMetricWrapper")])
def test_keras_metric_configs_load_and_round_trip(name):
    """Keras' serialized metric loads as ours with every Keras config entry (ours may add TFKG options),
    and our config rebuilds the same metric."""
    from tfkg_graph import metrics
    theirs = getattr(keras.metrics, name)(**REQUIRED_ARGS.get(name, {}))
    ours = metrics.deserialize(keras.metrics.serialize(theirs))
    assert type(ours).__name__ == name
    their_config = theirs.get_config()
    assert_same_config({k: v for k, v in ours.get_config().items() if k in their_config}, their_config)
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
