"""save/load of processors and the inference helper, on the iris file shipped with the repo."""

import json
import os

import numpy as np
import pytest

from tfkg_graph import layers, models
from tfkg_graph.data import (
    CategoryLookup,
    CsvDataset,
    Divisor,
    InferenceHelper,
    SparseCategoricalY,
    Tokenizer,
    UnknownCategoryError,
    load_processors,
    save_processors,
)

IRIS = os.path.join(os.path.dirname(__file__), "..", "examples", "iris", "iris.data")


class LinearModel:
    """Stands in for a trained model: anything with predict(x)."""

    def __init__(self, n_in, n_out):
        self.w = np.random.default_rng(0).normal(size=(n_in, n_out))
        self.calls = []

    def predict(self, x):
        self.calls.append(x)
        return np.asarray(x) @ self.w


@pytest.fixture
def iris(tmp_path):
    return CsvDataset(IRIS, header=False, features=[Divisor(offset=0, length=4, name="m")],
                      label=SparseCategoricalY(column=4), cache_dir=str(tmp_path / "cache"),
                      val_fraction=0.2, seed=42, batch_size=16, shuffle=False)


def test_iris_dataset(iris):
    raw = [line.split(",") for line in open(IRIS).read().splitlines() if line]
    assert iris.index.n_rows == len(raw) == 150
    assert iris.label.classes == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    assert len(iris.train) == 8 and len(iris.val) == 2
    assert iris.class_weights() == {i: max(iris.label.class_counts()) / c for i, c in enumerate(iris.label.class_counts())}
    assert sum(iris.label.class_counts()) == 120


def test_save_load_and_predict_lines(iris, tmp_path):
    model_dir = tmp_path / "model"
    path = save_processors(str(model_dir), iris)
    assert os.listdir(model_dir) == ["processors.json"]
    cfg = json.load(open(path))
    assert cfg["features"][0]["state"]["divisor"] == [7.9, 4.4, 6.9, 2.5]
    model = LinearModel(4, 3)
    helper = InferenceHelper.from_directory(model, str(model_dir))
    x_val, y_val = map(np.concatenate, zip(*list(iris.val)))
    lines = [line for line in open(IRIS).read().splitlines() if line]
    # whole CSV lines with the label column, and without it
    p_with = helper.predict_lines(lines)
    p_without = helper.predict_lines([line.rsplit(",", 1)[0] for line in lines])
    np.testing.assert_allclose(p_with, p_without)
    raw = np.array([[float(v) for v in line.split(",")[:4]] for line in lines])
    np.testing.assert_allclose(p_with, (raw / [7.9, 4.4, 6.9, 2.5]).astype(np.float32) @ model.w, rtol=1e-6)
    # same inputs as training batches for the same rows
    val_rows = {tuple(r) for r in np.round(x_val * [7.9, 4.4, 6.9, 2.5], 4)}
    assert val_rows <= {tuple(r) for r in np.round(raw, 4)}
    assert helper.decode(np.eye(3)[[2, 0]]).tolist() == ["Iris-virginica", "Iris-setosa"]
    np.testing.assert_allclose(helper.predict_values([[[5.1, 3.5, 1.4, 0.2]]]), p_with[:1], rtol=1e-6)


def test_malformed_rows_give_clear_errors(iris, tmp_path):
    save_processors(str(tmp_path / "m"), iris.processors)
    helper = InferenceHelper(LinearModel(4, 3), load_processors(str(tmp_path / "m")))
    with pytest.raises(ValueError, match="line 1: expected 5 fields .or 4 without the label., got 2"):
        helper.predict_lines(["5.1,3.5,1.4,0.2", "1,2"])
    with pytest.raises(ValueError, match=r"row 0: Divisor expects a number, got 'abc'"):
        helper.lines_to_inputs(["abc,3.5,1.4,0.2"])
    with pytest.raises(ValueError, match="takes 4 values, got 3"):
        helper.values_to_inputs([[[1, 2, 3]]])
    with pytest.raises(FileNotFoundError, match="processors.json"):
        load_processors(str(tmp_path / "nowhere"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "processors.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_processors(str(tmp_path / "bad"))


def test_multi_input_text_and_category_fallbacks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('text,colour,y\n"hello world, again",red,a\nbye world,blue,b\nhello,red,a\n')
    ds = CsvDataset(str(path), features=[Tokenizer(columns=["text"], max_len=3, oov_token="?"),
                                         CategoryLookup(columns=["colour"])],
                    label=SparseCategoricalY(column="y"), cache_dir=str(tmp_path / "c"), shuffle=False)
    save_processors(str(tmp_path / "m"), ds)
    helper = InferenceHelper.from_directory(None, str(tmp_path / "m"))
    tokens, colours = helper.lines_to_inputs(['"hello unknown",green', '"bye, world",blue,b'])
    wi = ds.features[0].word_index
    assert tokens.tolist() == [[0, wi["hello"], 1], [0, wi["bye"], wi["world"]]]  # unseen word -> OOV (1)
    assert colours.tolist() == [[0], [ds.features[1].categories.index("blue") + 1]]  # unseen colour -> 0
    t2, c2 = helper.values_to_inputs([["hello world", "red"]])
    assert t2.tolist() == [[0, wi["hello"], wi["world"]]] and c2.tolist() == [[2]]
    with pytest.raises(ValueError, match="no model"):
        helper.predict_lines(["hello,red"])
    # a processor without fallback: unknown category is a clear error naming the row
    strict = CsvDataset(str(path), features=[CategoryLookup(columns=["colour"], num_oov_indices=0)],
                        cache_dir=str(tmp_path / "c"))
    h2 = InferenceHelper(None, strict.processors)
    with pytest.raises(UnknownCategoryError, match="row 1: CategoryLookup: unknown category 'pink'"):
        h2.lines_to_inputs(["x,red,a", "x,pink,a"])


def test_save_is_atomic_and_rejects_unfitted(tmp_path):
    from tfkg_graph.data import ProcessorSet
    with pytest.raises(ValueError, match="unfitted"):
        save_processors(str(tmp_path / "m"), ProcessorSet([Divisor(offset=0)]))
    assert not (tmp_path / "m" / "processors.json").exists()
    with pytest.raises(TypeError, match="ProcessorSet"):
        save_processors(str(tmp_path / "m"), object())


def test_iris_end_to_end_with_model_fit_and_save(iris, tmp_path):
    """The dataset protocol as model.fit consumes it, and model.save(processors=...) -> save_processors."""
    m = models.Sequential([layers.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x=iris.train, validation_data=iris.val, epochs=2, class_weight=iris.class_weights(), verbose=0)
    out = str(tmp_path / "saved")
    m.save(out, processors=iris)
    helper = InferenceHelper.from_directory(m, out)  # the model directory itself
    lines = [line for line in open(IRIS).read().splitlines() if line][:20]
    raw = np.array([[float(v) for v in line.split(",")[:4]] for line in lines])
    expect = m.predict((raw / [7.9, 4.4, 6.9, 2.5]).astype(np.float32), verbose=0)
    np.testing.assert_allclose(helper.predict_lines(lines), expect, rtol=1e-5, atol=1e-6)
    assert set(helper.decode(expect)) <= set(iris.label.classes)


def test_tokenizer_category_mode_as_label(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("x,animal\n1,Cat\n2,dog\n3,cat\n4,bird\n5,cat\n6,dog\n")
    ds = CsvDataset(str(path), features=[Divisor(offset=0)], label=Tokenizer(columns=["animal"], mode="category"),
                    cache_dir=str(tmp_path / "c"), shuffle=False)
    (x, y), = list(ds)
    assert ds.label.classes == ["cat", "dog", "bird"]  # by frequency, lowercased like Keras
    assert y.tolist() == [0, 1, 0, 2, 0, 1]
    assert ds.class_weights() == {0: 1.0, 1: 1.5, 2: 3.0}
    assert ds.class_weights({"bird": 2.0}) == {2: 2.0}
    save_processors(str(tmp_path / "m"), ds)
    helper = InferenceHelper.from_directory(None, str(tmp_path / "m"))
    assert helper.decode(np.eye(3)[[2, 1]]).tolist() == ["bird", "dog"]
    np.testing.assert_allclose(helper.lines_to_inputs(["3"])[0], [[0.5]])
