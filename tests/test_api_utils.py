"""keras.utils and keras.backend names added for issue 19: get_file, Config, PyDataset, pack/unpack,
get_source_inputs, is_keras_tensor, get_uid, result_type; Keras' answer on the same inputs is the oracle."""
import hashlib

import numpy as np
import pytest

import tfkg_graph
from tfkg_graph import backend, layers, models, utils
from _keras_names import fresh_names  # noqa: F401  (autouse)


def test_get_file_caches_checks_hash_and_extracts_like_keras(keras, tmp_path):
    source = tmp_path / "data.txt"
    source.write_bytes(b"some bytes\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    origin = source.as_uri()
    (tmp_path / "ours").mkdir(), (tmp_path / "theirs").mkdir()  # Keras falls back to /tmp/.keras otherwise
    ours = utils.get_file("data.txt", origin, file_hash=digest, cache_dir=str(tmp_path / "ours"))
    theirs = keras.utils.get_file("data.txt", origin, file_hash=digest, cache_dir=str(tmp_path / "theirs"))
    assert open(ours, "rb").read() == open(theirs, "rb").read()
    assert ours.replace(str(tmp_path / "ours"), "") == theirs.replace(str(tmp_path / "theirs"), "")
    source.unlink()  # cached: no fetch needed any more
    assert utils.get_file("data.txt", origin, file_hash=digest, cache_dir=str(tmp_path / "ours")) == ours
    with pytest.raises(Exception, match="URL fetch failure"):
        utils.get_file("gone.txt", (tmp_path / "gone.txt").as_uri(), cache_dir=str(tmp_path / "ours"))
    with pytest.raises(ValueError, match="hash"):
        (tmp_path / "other.txt").write_bytes(b"x")
        utils.get_file("other.txt", (tmp_path / "other.txt").as_uri(), file_hash="0" * 64,
                       cache_dir=str(tmp_path / "ours"))
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("x")


def test_config_behaves_like_keras(keras):
    for lib in (utils, keras.utils):
        c = lib.Config(a=1)
        c.b = 2
        c["c"] = 3
        assert (c.a, c["b"], c.c, len(c), "a" in c) == (1, 2, 3, 3, True)
        assert dict(c.items()) == {"a": 1, "b": 2, "c": 3}
        c.freeze()
        with pytest.raises(ValueError, match="frozen"):
            c.d = 4
        with pytest.raises(AttributeError):
            c.missing  # noqa: B018


@pytest.mark.parametrize("args", [(1,), ([1, 2],), (1, 2), (1, 2, 3), (1, None, 3)])
def test_pack_x_y_sample_weight_equals_keras(keras, args):
    assert utils.pack_x_y_sample_weight(*args) == keras.utils.pack_x_y_sample_weight(*args)


@pytest.mark.parametrize("data", [1, (1,), (1, 2), [1, 2, 3]])
def test_unpack_x_y_sample_weight_equals_keras(keras, data):
    assert utils.unpack_x_y_sample_weight(data) == tuple(keras.utils.unpack_x_y_sample_weight(data))


def test_pydataset_trains_like_keras(keras):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((24, 3)).astype(np.float32), rng.standard_normal((24, 1)).astype(np.float32)

    def dataset(base):
        class Batches(base):
            epochs_ended = 0

            def __len__(self):
                return 3

            def __getitem__(self, i):
                return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

            def on_epoch_end(self):
                self.epochs_ended += 1
        return Batches()
    theirs = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ours = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    ours.set_weights(theirs.get_weights())
    for model, lib in ((theirs, keras), (ours, tfkg_graph)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    ds_ours, ds_theirs = dataset(utils.PyDataset), dataset(keras.utils.PyDataset)
    ours.fit(ds_ours, epochs=2, verbose=0, shuffle=False)
    theirs.fit(ds_theirs, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ds_ours.epochs_ended == 2 and utils.Sequence is utils.PyDataset


def test_source_inputs_and_keras_tensors(keras):
    a, b = layers.Input((2,), name="a"), layers.Input((2,), name="b")
    out = layers.Dense(1)(layers.Add()([a, layers.Dense(2)(b)]))
    assert utils.get_source_inputs(out) == [a, b]
    ka, kb = keras.Input((2,)), keras.Input((2,))
    kout = keras.layers.Dense(1)(keras.layers.Add()([ka, keras.layers.Dense(2)(kb)]))
    assert len(keras.utils.get_source_inputs(kout)) == len(utils.get_source_inputs(out))
    for lib, tensor in ((backend, a), (utils, out), (keras.backend, ka)):
        assert lib.is_keras_tensor(tensor) and not lib.is_keras_tensor(np.zeros(2))
    for dtype in (np.float64, "float16", np.dtype("int8"), "bool"):
        assert utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


def test_get_uid_counts_like_keras(keras):
    assert [backend.get_uid("thing") for _ in range(3)] == [keras.backend.get_uid("thing") for _ in range(3)]
    layers.Dense(1), keras.layers.Dense(1)
    assert backend.get_uid("dense") == keras.backend.get_uid("dense")


@pytest.mark.parametrize("dtypes", [(), ("int32", "float32"), ("float16", "bfloat16"), ("int8", "uint8"),
                                    ("bool", "int32"), ("float64", "float16"), ("int64", "uint64"),
                                    ("uint8", "uint16"), ("bool",), ("int16", "float16")])
def test_result_type_equals_keras(keras, dtypes):
    assert backend.result_type(*dtypes) == keras.backend.result_type(*dtypes)
