"""Whole ``.keras`` models both ways: architectures (several inputs/outputs, shared layers, nested models),
compile settings (losses, loss weights, metrics, optimizer with schedule and state), custom_objects, and
the single clear error for what we cannot rebuild. Keras is the oracle on both sides."""
import json
import zipfile

import numpy as np
import pytest

import tfkg_graph
from tfkg_graph import layers, models
from tfkg_graph.saving.keras_config import UnsupportedKerasConfig
from _keras_names import fresh_names  # noqa: F401  (autouse)
from _parity import assert_arrays_match, assert_weights_match

RNG = np.random.default_rng(5)


def two_towers(root):
    """Two inputs, a layer shared by both, a nested Sequential and two outputs."""
    L = root.layers
    a, b = L.Input((4,), name="a"), L.Input((4,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    inner = root.models.Sequential([L.Input((5,)), L.Dense(4, activation="relu"), L.BatchNormalization()],
                            name="inner")
    merged = L.Concatenate()([inner(shared(a)), shared(b)])
    score = L.Dense(1, name="score")(merged)
    label = L.Dense(3, activation="softmax", name="label")(L.Dense(6, activation="swish")(merged))
    return root.models.Model([a, b], [score, label], name="two_towers")


def compile_two_towers(root, model):
    schedule = root.optimizers.schedules.ExponentialDecay(0.02, decay_steps=3, decay_rate=0.5)
    model.compile(optimizer=root.optimizers.Adam(schedule, beta_1=0.8), loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.3, 1.0], metrics=[["mae"], ["accuracy"]])


def data(rows=24):
    x = [RNG.standard_normal((rows, 4)).astype(np.float32) for _ in range(2)]
    return x, [RNG.standard_normal((rows, 1)).astype(np.float32), RNG.integers(0, 3, rows).astype(np.int32)]


def fit(model, x, y):
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)


def iterations(ours):
    return int(ours.runtime.optimizer_state()[0])  # Keras' optimizer.variables order: iterations first


def assert_evaluations_match(ours, theirs, x, y):
    a = ours.evaluate(x, y, verbose=0, return_dict=True)
    b = theirs.evaluate(x, y, verbose=0, return_dict=True)
    assert set(a) == set(b)
    for key in b:
        assert_arrays_match(a[key], b[key], key)


def test_compiled_functional_model_continues_training_both_ways(keras, tmp_path):
    x, y = data()
    theirs = two_towers(keras)
    compile_two_towers(keras, theirs)
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")

    ours = models.load_model(str(tmp_path / "theirs.keras"))
    assert ours.input_names == ["a", "b"] and ours.output_names == ["score", "label"]
    assert isinstance(ours.get_layer("inner"), models.Sequential)
    assert ours.optimizer.get_config()["beta_1"] == pytest.approx(0.8)
    assert_evaluations_match(ours, theirs, x, y)
    for _ in range(2):  # the schedule's step counter came along: the learning rate keeps decaying
        fit(ours, x, y)
        fit(theirs, x, y)
    assert_weights_match(ours, theirs)
    assert iterations(ours) == int(theirs.optimizer.iterations.numpy()) == 9

    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert int(back.optimizer.iterations.numpy()) == iterations(ours)
    assert_evaluations_match(ours, back, x, y)
    fit(ours, x, y)
    fit(back, x, y)
    assert_weights_match(ours, back)


def test_sequential_without_compile_and_compile_false(keras, tmp_path):
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="he_normal")])
    theirs.save(tmp_path / "plain.keras")
    ours = models.load_model(str(tmp_path / "plain.keras"))
    assert isinstance(ours, models.Sequential) and ours.optimizer is None
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    assert_arrays_match(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))
    theirs.compile(optimizer="sgd", loss="mse")
    theirs.save(tmp_path / "compiled.keras")
    assert models.load_model(str(tmp_path / "compiled.keras"), compile=False).optimizer is None
    assert isinstance(models.load_model(str(tmp_path / "compiled.keras")).optimizer, tfkg_graph.optimizers.SGD)


def test_custom_layers_come_from_custom_objects(keras, tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return inputs * self.scale

    class OurScale(layers.Layer):  # Keras files weights by class name: ours must be called Scale too
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            return inputs * self.scale

    OurScale.__name__ = OurScale.__qualname__ = "Scale"
    x = keras.Input((3,))
    theirs = keras.Model(x, keras.layers.Dense(2)(Scale()(x)))
    theirs.set_weights([RNG.uniform(0.5, 2, w.shape).astype(np.float32) for w in theirs.weights])
    theirs.save(tmp_path / "custom.keras")
    with pytest.raises(UnsupportedKerasConfig, match="'scale' \\(Scale\\).*custom_objects"):
        models.load_model(str(tmp_path / "custom.keras"))
    ours = models.load_model(str(tmp_path / "custom.keras"), custom_objects={"Scale": OurScale})
    data_x = RNG.standard_normal((4, 3)).astype(np.float32)
    assert_arrays_match(ours.predict(data_x, verbose=0), theirs.predict(data_x, verbose=0))
    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras", custom_objects={"Scale": Scale})
    assert_arrays_match(back.predict(data_x, verbose=0), theirs.predict(data_x, verbose=0))


def test_unsupported_layers_and_options_fail_in_one_error_before_building(keras, tmp_path):
    x = keras.Input((6, 6, 2))
    h = keras.layers.EinsumDense("abcd,de->abce", output_shape=(4, 4, 2), name="mix")(
        keras.layers.Conv2D(2, 3, dtype="mixed_float16", name="conv")(x))
    h = keras.layers.Dense(2, lora_rank=2, name="head")(keras.layers.Flatten()(h))
    keras.Model(x, h).save(tmp_path / "bad.keras")
    with pytest.raises(UnsupportedKerasConfig) as info:
        models.load_model(str(tmp_path / "bad.keras"))
    message = str(info.value)
    assert "'mix' (EinsumDense): not a layer we have" in message
    assert "'conv' (Conv2D): dtype policy 'mixed_float16'" in message
    assert "'head' (Dense): option lora_rank=2" in message
    assert "supported layers: " in message and "Conv2D" in message and "Lambda" not in message.split("supported")[1]


def test_keras_ops_on_model_tensors_are_named(keras, tmp_path):
    x = keras.Input((3,))
    keras.Model(x, keras.layers.Dense(2)(keras.ops.sin(x))).save(tmp_path / "op.keras")
    with pytest.raises(UnsupportedKerasConfig, match="op 'sin' \\(Sin\\)"):
        models.load_model(str(tmp_path / "op.keras"))


def test_our_archive_is_what_keras_writes(keras, tmp_path):
    """Members, metadata and a config Keras' own deserializer accepts without our classes."""
    ours = two_towers(tfkg_graph)
    compile_two_towers(tfkg_graph, ours)
    x, y = data()
    fit(ours, x, y)
    path = ours.save(str(tmp_path / "ours.keras"))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        assert json.loads(archive.read("metadata.json"))["keras_version"].startswith("3.")
    rebuilt = keras.saving.deserialize_keras_object({k: v for k, v in config.items() if k != "compile_config"})
    assert [l.name for l in rebuilt.layers] == [l.name for l in ours.layers]
    assert not list(tmp_path.glob(".*")), "temporary files left behind"


def test_loss_and_metric_objects_and_a_warmup_schedule_both_ways(keras, tmp_path):
    """compile_config holding serialized objects (a smoothed loss, AUC, Precision), weighted metrics and
    RMSprop over CosineDecay with warmup: evaluations agree after each hop, and training continues."""
    x = RNG.standard_normal((24, 4)).astype(np.float32)
    y = (RNG.uniform(size=(24, 1)) > 0.5).astype(np.float32)
    inputs = keras.Input((4,))
    theirs = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dense(3)(inputs)))
    schedule = keras.optimizers.schedules.CosineDecay(0.01, 100, warmup_target=0.02, warmup_steps=5)
    theirs.compile(optimizer=keras.optimizers.RMSprop(schedule, momentum=0.5),
                   loss=keras.losses.BinaryCrossentropy(label_smoothing=0.1),
                   metrics=[keras.metrics.AUC(name="auc"), "accuracy", keras.metrics.Precision()],
                   weighted_metrics=["mse"])
    fit(theirs, x, y)
    theirs.save(tmp_path / "theirs.keras")
    ours = models.load_model(str(tmp_path / "theirs.keras"))
    assert_evaluations_match(ours, theirs, x, y)
    fit(ours, x, y)
    fit(theirs, x, y)
    assert_weights_match(ours, theirs)
    ours.save(str(tmp_path / "ours.keras"))
    back = keras.models.load_model(tmp_path / "ours.keras")
    assert_evaluations_match(ours, back, x, y)
    fit(ours, x, y)
    fit(back, x, y)
    assert_weights_match(ours, back)


def test_unsupported_compile_settings_fail_before_building(keras, tmp_path):
    @keras.saving.register_keras_serializable(package="archive_test")
    class HalvedMSE(keras.losses.Loss):  # a custom loss we are not given: compiling cannot be rebuilt
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1) / 2

    inputs = keras.Input((4,))
    theirs = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    theirs.compile(optimizer="adam", loss=HalvedMSE())
    theirs.save(tmp_path / "custom_loss.keras")
    with pytest.raises(UnsupportedKerasConfig, match="HalvedMSE.*compile=False"):
        models.load_model(str(tmp_path / "custom_loss.keras"))
    assert models.load_model(str(tmp_path / "custom_loss.keras"), compile=False).optimizer is None


def test_broken_archives_and_refused_saves_fail_clearly(tmp_path):
    (tmp_path / "text.keras").write_text("not a zip")
    with zipfile.ZipFile(tmp_path / "no_config.keras", "w") as archive:
        archive.writestr("metadata.json", "{}")
    with zipfile.ZipFile(tmp_path / "bad_json.keras", "w") as archive:
        archive.writestr("config.json", "{")
        archive.writestr("model.weights.h5", b"")
    expected = {"text": "not a zip", "no_config": "lacks \\['config.json'", "bad_json": "not valid JSON"}
    for name, message in expected.items():
        with pytest.raises(ValueError, match=message):
            models.load_model(str(tmp_path / f"{name}.keras"))
    with pytest.raises(FileNotFoundError):
        models.load_model(str(tmp_path / "missing.keras"))
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    target = tmp_path / "model.keras"
    target.write_bytes(b"previous")
    with pytest.raises(ValueError, match="processors"):
        model.save(str(target), processors={"x": None})
    assert target.read_bytes() == b"previous"


def test_steps_per_execution_travels_in_compile_config_both_ways(keras, tmp_path):
    """Keras reads our compile_config's steps_per_execution, and we read Keras'."""
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    theirs.compile("sgd", "mse", steps_per_execution=4)
    theirs.save(tmp_path / "theirs.keras")
    ours = models.load_model(str(tmp_path / "theirs.keras"))
    assert ours.steps_per_execution == 4
    ours.compile("sgd", "mse", steps_per_execution=7)
    ours.save(str(tmp_path / "ours.keras"))
    assert keras.models.load_model(tmp_path / "ours.keras").steps_per_execution == 7
