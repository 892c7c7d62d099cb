"""Preprocessors against numpy and the keras package (legacy Tokenizer, pad_sequences)."""

import csv
import io
import json

import numpy as np
import pytest

from tfkg_graph.data import (
    ArrayDataset,
    BinaryY,
    CategoryLookup,
    CsvDataset,
    Divisor,
    MinMax,
    OneHot,
    Processor,
    RegressionY,
    SparseCategoricalY,
    Standardize,
    Tokenizer,
    UnknownCategoryError,
    class_weights,
)

TEXTS = [
    "The cat sat on the mat.",
    "The dog ate my homework!!",
    "Cats and dogs, cats and DOGS; (mostly) cats.",
    "",
    "a b c d e f g h i j k l m n o p",
    "tab\tseparated\nand new-line text @home #tag",
    "the the the the dog",
]


def roundtrip(p: Processor) -> Processor:
    q = Processor.from_config(json.loads(json.dumps(p.get_config())))
    assert type(q) is type(p) and q.fitted
    return q


def test_numeric_scalers_vs_numpy_and_streaming():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(500, 3)) * [1, 10, 100] - [0, 50, 0]
    v[:, 2] = 7.0  # constant column
    for p, expect in [
        (Divisor(offset=0, length=3), v / np.where(v.max(0) == 0, 1, v.max(0))),
        (MinMax(offset=0, length=3), (v - v.min(0)) / np.where(np.ptp(v, 0) == 0, 1, np.ptp(v, 0))),
        (Standardize(offset=0, length=3), (v - v.mean(0)) / np.where(v.std(0) == 0, 1, v.std(0))),
    ]:
        p.reset()
        for chunk in np.array_split(v, 7):  # streamed fit == fit on everything
            p.partial_fit(chunk)
        p.finish_fit()
        out = p.transform(v)
        np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-5)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(roundtrip(p).transform(v), out)
    mm = MinMax(offset=0, length=3).fit(v).transform(v)
    assert mm[:, :2].min() == 0 and mm[:, :2].max() == 1 and (mm[:, 2] == 0).all()


def keras_oracle():
    """(legacy text module, sequence module) from the keras package; skip visibly if unavailable."""
    text = pytest.importorskip("keras.src.legacy.preprocessing.text", reason="keras legacy Tokenizer not installed")
    seq = pytest.importorskip("keras.preprocessing.sequence", reason="keras pad_sequences not installed")
    return text, seq


@pytest.mark.parametrize("opts", [
    dict(),
    dict(num_words=6),
    dict(oov_token="<oov>"),
    dict(num_words=5, oov_token="<OOV>", max_len=4, padding="post", truncating="post"),
    dict(max_len=3, padding="pre", truncating="post"),
    dict(lower=False, max_len=8),
    dict(filters="", split=" ", max_len=6),
])
def test_tokenizer_matches_keras(opts):
    keras_text, keras_seq = keras_oracle()
    k_opts = {k: v for k, v in opts.items() if k in ("num_words", "oov_token", "lower", "filters", "split")}
    kt = keras_text.Tokenizer(**k_opts)
    kt.fit_on_texts(TEXTS)
    seqs = kt.texts_to_sequences(TEXTS + ["unseen words cat"])
    # default max_len: the longest text of the fit sample in words (before num_words filtering)
    words = [keras_text.text_to_word_sequence(t, **{k: v for k, v in k_opts.items() if k in ("lower", "filters", "split")})
             for t in TEXTS]
    maxlen = opts.get("max_len", max(len(w) for w in words))
    expect = keras_seq.pad_sequences(seqs, maxlen=maxlen, padding=opts.get("padding", "pre"),
                                     truncating=opts.get("truncating", "pre"))
    t = Tokenizer(offset=0, **opts)
    t.reset()
    t.partial_fit(np.array(TEXTS[:3], dtype=object).reshape(-1, 1))
    t.partial_fit(np.array(TEXTS[3:], dtype=object).reshape(-1, 1))
    t.finish_fit()
    texts = np.array(TEXTS + ["unseen words cat"], dtype=object).reshape(-1, 1)
    out = t.transform(texts)
    np.testing.assert_array_equal(out, expect)
    assert out.dtype == np.int32
    assert t.texts_to_sequences(TEXTS) == kt.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(roundtrip(t).transform(texts), out)


def test_tokenizer_from_csv_matches_keras(tmp_path):
    keras_text, keras_seq = keras_oracle()
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["text", "label"])
    for i, t in enumerate(TEXTS * 3):
        w.writerow([t, i % 2])
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue(), newline="")
    ds = CsvDataset(str(path), features=[Tokenizer(columns=["text"], num_words=10, max_len=5, oov_token="?")],
                    label=BinaryY(column="label"), cache_dir=str(tmp_path / "c"), shuffle=False, batch_size=100)
    (x, y), = list(ds)
    texts = [r[0] for r in csv.reader(io.StringIO(buf.getvalue(), newline=""))][1:]
    kt = keras_text.Tokenizer(num_words=10, oov_token="?")
    kt.fit_on_texts(texts)
    np.testing.assert_array_equal(x, keras_seq.pad_sequences(kt.texts_to_sequences(texts), maxlen=5))
    assert y[:, 0].tolist() == [float(i % 2) for i in range(len(texts))]


def test_tokenizer_category_mode_and_bounded_vocab():
    t = Tokenizer(offset=0, mode="category").fit(np.array([["b"], ["a"], ["b"], ["c"], ["B"]], dtype=object))
    np.testing.assert_array_equal(t.transform(np.array([["b"], ["a"], ["c"]], dtype=object)), [0, 1, 2])
    with pytest.raises(UnknownCategoryError, match="'zzz'"):
        t.transform(np.array([["zzz"]], dtype=object))
    t2 = Tokenizer(offset=0, mode="category", oov_token="<unk>").fit(np.array([["x"], ["y"]], dtype=object))
    assert t2.transform(np.array([["nope"]], dtype=object)).tolist() == [0]
    # vocabulary bounded while fitting: the frequent words survive pruning
    tb = Tokenizer(offset=0, max_tracked_words=100)
    tb.reset()
    for i in range(50):
        tb.partial_fit(np.array([[f"common frequent rare{i}_{j}" for j in range(10)]], dtype=object).reshape(-1, 1))
        assert len(tb._vocab.counts) <= 100
    tb.finish_fit()
    assert list(tb.word_index)[:2] == ["common", "frequent"]


def test_onehot_multihot_and_unknown():
    v = np.array([["red"], ["blue"], ["red"], ["green"]], dtype=object)
    p = OneHot(offset=0).fit(v)
    assert p.categories == ["blue", "green", "red"]
    np.testing.assert_array_equal(p.transform(v), np.eye(3)[[2, 0, 2, 1]])
    with pytest.raises(UnknownCategoryError, match="'pink'"):
        p.transform(np.array([["pink"]], dtype=object))
    q = OneHot(offset=0, ignore_unknown=True).fit(v)
    np.testing.assert_array_equal(q.transform(np.array([["pink"]], dtype=object)), [[0, 0, 0]])
    m = OneHot(offset=0, separator="|").fit(np.array([["a|b"], ["c"], ["b| c"]], dtype=object))
    np.testing.assert_array_equal(m.transform(np.array([["a|c"], ["b"]], dtype=object)), [[1, 0, 1], [0, 1, 0]])
    two_cols = OneHot(offset=0, length=2).fit(np.array([["x", "y"], ["y", "z"]], dtype=object))
    np.testing.assert_array_equal(two_cols.transform(np.array([["x", "z"]], dtype=object)), [[1, 0, 1]])
    np.testing.assert_array_equal(roundtrip(m).transform(np.array([["a|c"]], dtype=object)), [[1, 0, 1]])


def test_category_lookup_int_and_string():
    p = CategoryLookup(offset=0, length=2).fit(np.array([["10", "x"], ["9", "y"], ["2", "x"]], dtype=object))
    assert p.categories == ["2", "9", "10", "x", "y"]  # numbers numerically, then strings
    q = CategoryLookup(offset=0).fit(np.array([["10"], ["9"], ["2"]], dtype=object))
    assert q.categories == ["2", "9", "10"]
    np.testing.assert_array_equal(q.transform(np.array([["9"], ["77"]], dtype=object)), [[2], [0]])  # 0 = OOV
    strict = CategoryLookup(offset=0, num_oov_indices=0).fit(np.array([["a"], ["b"]], dtype=object))
    assert strict.transform(np.array([["b"]], dtype=object)).tolist() == [[1]]
    with pytest.raises(UnknownCategoryError):
        strict.transform(np.array([["c"]], dtype=object))
    fixed = CategoryLookup(offset=0, categories=["lo", "hi"])
    assert fixed.transform(np.array([["hi"]], dtype=object)).tolist() == [[2]]
    assert roundtrip(q).transform(np.array([["10"]], dtype=object)).tolist() == [[3]]


def test_label_processors():
    s = SparseCategoricalY(0).fit(np.array([["3"], ["10"], ["3"], ["1"]], dtype=object))
    assert s.classes == ["1", "3", "10"] and s.class_counts() == [1, 2, 1]
    assert s.transform(np.array([["10"], ["1"]], dtype=object)).tolist() == [2, 0]
    assert s.inverse_transform(np.array([[0.1, 0.2, 0.7], [0.9, 0, 0]])).tolist() == ["10", "1"]
    with pytest.raises(UnknownCategoryError, match="'4'"):
        s.transform(np.array([["4"]], dtype=object))
    b = BinaryY(0).fit(np.array([["yes"], ["no"], ["yes"]], dtype=object))
    assert b.transform(np.array([["no"], ["yes"]], dtype=object)).tolist() == [[0.0], [1.0]]
    assert b.class_counts() == [1, 2]
    b2 = BinaryY(0, positive="spam").fit(np.array([["spam"], ["ham"]], dtype=object))
    assert b2.transform(np.array([["spam"], ["ham"]], dtype=object)).tolist() == [[1.0], [0.0]]
    assert roundtrip(b2).inverse_transform(np.array([[0.9], [0.2]])).tolist() == ["spam", "ham"]
    with pytest.raises(ValueError, match="more than two"):
        BinaryY(0).fit(np.array([["a"], ["b"], ["c"]], dtype=object))
    r = RegressionY(0, length=2).fit(np.array([[1.5, 2.0]]))
    assert r.transform(np.array([[1.5, 2.0]])).tolist() == [[1.5, 2.0]]


def test_class_weights_function():
    assert class_weights([10, 5, 2]) == {0: 1.0, 1: 2.0, 2: 5.0}
    assert class_weights([4, 0, 1]) == {0: 1.0, 2: 4.0}
    assert class_weights([1, 1], {1: 2.5}) == {1: 2.5}


def test_array_dataset_protocol():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    ds = ArrayDataset(x, y, sample_weight=np.ones(10), batch_size=4, shuffle=True, seed=1)
    assert len(ds) == 3
    e0, e1 = list(ds), list(ds)
    assert [len(b[0]) for b in e0] == [4, 4, 2] and all(len(b) == 3 for b in e0)
    o0 = np.concatenate([b[1] for b in e0])
    o1 = np.concatenate([b[1] for b in e1])
    assert sorted(o0.tolist()) == list(range(10)) and o0.tolist() != o1.tolist()
    assert all((b[0][:, 0] == b[1]).all() for b in e0)  # x and y stay aligned
    again = ArrayDataset(x, y, batch_size=4, shuffle=True, seed=1)
    assert np.concatenate([b[1] for b in again]).tolist() == o0.tolist()
    d = ArrayDataset({"a": x, "b": x * 2}, None, batch_size=20)
    (bx, by), = list(d)
    assert by is None and (bx["b"] == 2 * x).all()
    lst = ArrayDataset([x, x + 1], y, batch_size=5)
    assert [len(b[0]) for b in lst] == [2, 2] and (next(iter(lst))[0][1] == x[:5] + 1).all()
    with pytest.raises(ValueError, match="y has 3"):
        ArrayDataset(x, y[:3])
