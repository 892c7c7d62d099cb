"""keras.saving registration (register_keras_serializable, custom_object_scope, get_registered_*),
serialize/deserialize_keras_object in Keras' dict format, and keras.models' model_from_json, save_model and
clone_model; Keras is the oracle on both sides of every round trip."""
import json

import numpy as np
import pytest

import tfkg_graph
from tfkg_graph import _registry, layers, models, saving
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match

RNG = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def clean_registry():
    before = dict(_registry.GLOBAL_CUSTOM_OBJECTS), dict(_registry.GLOBAL_CUSTOM_NAMES)
    yield
    _registry.GLOBAL_CUSTOM_OBJECTS.clear(), _registry.GLOBAL_CUSTOM_OBJECTS.update(before[0])
    _registry.GLOBAL_CUSTOM_NAMES.clear(), _registry.GLOBAL_CUSTOM_NAMES.update(before[1])


def scale_layer(base, package="api_tests"):
    """The same custom layer on both sides, registered under the same ``package>ScaleBy`` name."""
    register = (tfkg_graph.saving if base is layers.Layer else __import__("keras").saving).register_keras_serializable

    @register(package=package)
    class ScaleBy(base):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return inputs * self.scale * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}
    return ScaleBy


def test_registration_functions_agree_with_keras(keras):
    for lib in (saving, keras.saving):
        @lib.register_keras_serializable("pkg", name="renamed")
        class Thing:
            def get_config(self):
                return {}

        def plain():
            return 1
        assert lib.get_registered_name(Thing) == "pkg>renamed"
        assert lib.get_registered_name(plain) == "plain"
        assert lib.get_registered_object("pkg>renamed") is Thing
        assert lib.get_custom_objects()["pkg>renamed"] is Thing
        assert lib.get_registered_object("nothing") is None
        assert lib.get_registered_object("x", custom_objects={"x": plain}) is plain
        with lib.custom_object_scope({"scoped": plain}):
            assert lib.get_registered_object("scoped") is plain
            assert "scoped" not in lib.get_custom_objects()
        assert lib.get_registered_object("scoped") is None
        assert lib.CustomObjectScope is lib.custom_object_scope
        with pytest.raises(ValueError, match="get_config"):
            lib.register_keras_serializable()(type("NoConfig", (), {}))
    assert tfkg_graph.utils.register_keras_serializable is saving.register_keras_serializable


def test_registered_custom_layer_round_trips_through_both_libraries(keras, tmp_path):
    ours_cls, theirs_cls = scale_layer(layers.Layer), scale_layer(keras.layers.Layer)
    x = layers.Input((3,))
    ours = models.Model(x, layers.Dense(2)(ours_cls(factor=3.0)(x)))
    ours.set_weights([RNG.uniform(0.5, 2, w.shape).astype(np.float32) for w in ours.get_weights()])
    data = RNG.standard_normal((5, 3)).astype(np.float32)
    ours.save(str(tmp_path / "ours.keras"))
    theirs = keras.models.load_model(tmp_path / "ours.keras")  # found by "api_tests>ScaleBy", no custom_objects
    assert type(theirs.layers[1]) is theirs_cls and theirs.layers[1].factor == 3.0
    assert_arrays_match(theirs.predict(data, verbose=0), ours.predict(data, verbose=0))
    theirs.save(tmp_path / "theirs.keras")
    back = models.load_model(str(tmp_path / "theirs.keras"))
    assert type(back.layers[1]) is ours_cls
    assert_arrays_match(back.predict(data, verbose=0), theirs.predict(data, verbose=0))


def test_custom_object_scope_resolves_an_unregistered_layer(keras, tmp_path):
    theirs_cls = scale_layer(keras.layers.Layer)

    class ScaleBy(layers.Layer):  # not registered here: found by the scope
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return inputs * self.scale * self.factor
    x = keras.Input((3,))
    theirs = keras.Model(x, theirs_cls(factor=0.5)(x))
    theirs.save(tmp_path / "theirs.keras")
    with pytest.raises(ValueError, match="ScaleBy"):
        models.load_model(str(tmp_path / "theirs.keras"))
    with saving.custom_object_scope({"api_tests>ScaleBy": ScaleBy}):
        ours = models.load_model(str(tmp_path / "theirs.keras"))
    data = RNG.standard_normal((2, 3)).astype(np.float32)
    assert_arrays_match(ours.predict(data, verbose=0), theirs.predict(data, verbose=0))


@pytest.mark.parametrize("make", [
    lambda lib: lib.losses.Huber(delta=2.0),
    lambda lib: lib.optimizers.Adam(learning_rate=0.01),
    lambda lib: lib.initializers.GlorotUniform(seed=3),
    lambda lib: lib.regularizers.L2(0.1),
    lambda lib: lib.metrics.Precision(thresholds=0.3),
])
def test_serialize_keras_object_round_trips_with_keras(keras, make):
    ours, theirs = make(tfkg_graph), make(keras)
    mine = saving.serialize_keras_object(ours)
    assert mine["class_name"] == type(theirs).__name__ and mine["registered_name"] is None
    from_ours = keras.saving.deserialize_keras_object(mine)
    assert type(from_ours) is type(theirs)
    from_theirs = saving.deserialize_keras_object(keras.saving.serialize_keras_object(theirs))
    assert type(from_theirs) is type(ours)
    their_config = theirs.get_config()
    for key, value in ours.get_config().items():
        if key in their_config and key != "name" and not isinstance(value, dict):
            assert from_ours.get_config()[key] == pytest.approx(value), key
            assert from_theirs.get_config()[key] == pytest.approx(their_config[key]), key


def test_serialize_keras_object_functions_and_registered_objects(keras):
    assert keras.saving.deserialize_keras_object(saving.serialize_keras_object(tfkg_graph.activations.relu)) is \
        keras.activations.relu
    assert saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.activations.relu)) is \
        tfkg_graph.activations.relu

    @saving.register_keras_serializable("fns")
    def my_act(x):
        return x
    entry = saving.serialize_keras_object(my_act)
    assert entry["registered_name"] == "fns>my_act"
    assert saving.deserialize_keras_object(entry) is my_act
    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(saving.deserialize_keras_object(keras.saving.serialize_keras_object(arr)), arr)
    with pytest.raises(TypeError, match="could not locate"):
        saving.deserialize_keras_object({"class_name": "Nope", "config": {}, "module": "x", "registered_name": None})


def test_model_from_json_both_ways(keras):
    x = keras.Input((4,))
    theirs = keras.Model(x, keras.layers.Dense(2, activation="tanh")(keras.layers.Dense(3)(x)))
    ours = models.model_from_json(theirs.to_json())
    ours.set_weights(theirs.get_weights())
    data = RNG.standard_normal((3, 4)).astype(np.float32)
    assert_arrays_match(ours.predict(data, verbose=0), theirs.predict(data, verbose=0))
    from tfkg_graph.saving.keras_config import keras_model_config
    back = keras.models.model_from_json(json.dumps(keras_model_config(ours)))
    back.set_weights(ours.get_weights())
    assert_arrays_match(back.predict(data, verbose=0), theirs.predict(data, verbose=0))
    with pytest.raises(ValueError, match="model config"):
        models.model_from_json(json.dumps([1, 2]))


def test_models_save_model_writes_what_keras_loads(keras, tmp_path):
    ours = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    path = models.save_model(ours, str(tmp_path / "m.keras"))
    data = RNG.standard_normal((2, 3)).astype(np.float32)
    assert_arrays_match(keras.models.load_model(path).predict(data, verbose=0), ours.predict(data, verbose=0))
    with pytest.raises(FileExistsError):
        models.save_model(ours, path, overwrite=False)


@pytest.mark.parametrize("sequential", [True, False])
def test_clone_model_same_architecture_new_weights(keras, sequential):
    def build(lib):
        if sequential:
            return lib.models.Sequential([lib.layers.Input((4,)), lib.layers.Dense(3, name="a"),
                                          lib.layers.Dense(2, name="b")])
        x = lib.layers.Input((4,))
        return lib.models.Model(x, lib.layers.Dense(2, name="b")(lib.layers.Dense(3, name="a")(x)))
    ours, theirs = build(tfkg_graph), build(keras)
    ours_clone, theirs_clone = models.clone_model(ours), keras.models.clone_model(theirs)
    assert [l.name for l in ours_clone.layers][-2:] == [l.name for l in theirs_clone.layers][-2:] == ["a", "b"]
    assert [w.shape for w in ours_clone.get_weights()] == [w.shape for w in theirs_clone.get_weights()]
    assert ours_clone is not ours and ours_clone.layers[-1] is not ours.layers[-1]
    if sequential:
        widened = models.clone_model(ours, clone_function=lambda layer: layers.Dense(5, name=layer.name)
                                     if layer.name == "a" else type(layer).from_config(layer.get_config()))
        their_widened = keras.models.clone_model(theirs, clone_function=lambda layer: keras.layers.Dense(
            5, name=layer.name) if layer.name == "a" else layer.__class__.from_config(layer.get_config()))
        assert [w.shape for w in widened.get_weights()] == [tuple(w.shape) for w in their_widened.weights]
