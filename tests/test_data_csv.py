"""CsvDataset on real files, checked against Python's csv module and numpy."""

import csv
import io
import os

import numpy as np
import pytest

from tfkg_graph.data import (
    CategoryLookup,
    CsvDataset,
    CsvParseError,
    Divisor,
    MemoryDataset,
    RegressionY,
    SparseCategoricalY,
    Standardize,
)


def write(path, text, encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as f:
        f.write(text)
    return str(path)


def numeric_file(path, n=1000, header=True, seed=0, newline="\n"):
    """Rows: id, two floats, class label; returns the file path and the rows as the csv module reads them."""
    rng = np.random.default_rng(seed)
    lines = ["id,a,b,cls"] if header else []
    for i in range(n):
        lines.append(f"{i},{rng.normal():.6f},{rng.uniform(-5, 5):.6f},c{rng.integers(0, 3)}")
    text = newline.join(lines) + newline
    write(path, text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return str(path), rows[1:] if header else rows


def collect_ids(split):
    """All ids yielded by one epoch (label = RegressionY on the id column), in order."""
    out = []
    for x, y in split:
        out.append(np.asarray(y).reshape(-1))
    return np.concatenate(out).astype(np.int64) if out else np.zeros(0, np.int64)


def id_dataset(path, cache, **kw):
    return CsvDataset(path, features=[Divisor(offset=1, length=2)], label=RegressionY(column=0),
                      cache_dir=str(cache), **kw)


@pytest.mark.parametrize("header", [True, False])
def test_splits_partition_all_rows_exactly(tmp_path, header):
    path, rows = numeric_file(tmp_path / "d.csv", n=997, header=header)
    ds = id_dataset(path, tmp_path / "cache", header=header, val_fraction=0.2, test_fraction=0.1,
                    batch_size=64, block_bytes=2048)
    ids = [collect_ids(s) for s in (ds.train, ds.val, ds.test)]
    allids = np.concatenate(ids)
    assert sorted(allids.tolist()) == [int(r[0]) for r in rows]  # no row lost or duplicated
    assert [len(i) for i in ids] == [698, 199, 100]
    assert [s.num_rows for s in (ds.train, ds.val, ds.test)] == [698, 199, 100]
    # val/test come in file order; train is shuffled
    assert ids[1].tolist() == sorted(ids[1].tolist())
    assert ids[0].tolist() != sorted(ids[0].tolist())


def test_values_match_csv_module_and_batches(tmp_path):
    path, rows = numeric_file(tmp_path / "d.csv", n=250)
    ds = CsvDataset(path, features=[Standardize(columns=["a", "b"])], label=SparseCategoricalY(column="cls"),
                    cache_dir=str(tmp_path / "c"), batch_size=32, shuffle=False)
    assert len(ds) == 8
    batches = list(ds)
    assert [len(b[0]) for b in batches] == [32] * 7 + [26]  # last partial batch kept
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    raw = np.array([[float(r[1]), float(r[2])] for r in rows])
    np.testing.assert_allclose(x, (raw - raw.mean(0)) / raw.std(0), rtol=1e-5, atol=1e-5)
    classes = sorted({r[3] for r in rows})
    assert y.tolist() == [classes.index(r[3]) for r in rows]
    assert x.dtype == np.float32 and y.dtype == np.int32


def test_same_seed_same_split_and_order_new_order_each_epoch(tmp_path):
    path, _ = numeric_file(tmp_path / "d.csv", n=3000)
    kw = dict(val_fraction=0.25, batch_size=100, block_bytes=4096, seed=7)
    a = id_dataset(path, tmp_path / "c1", **kw)
    b = id_dataset(path, tmp_path / "c2", **kw)
    e0a, e1a = collect_ids(a.train), collect_ids(a.train)
    e0b = collect_ids(b.train)
    assert e0a.tolist() == e0b.tolist()
    assert e0a.tolist() != e1a.tolist() and sorted(e0a.tolist()) == sorted(e1a.tolist())
    assert collect_ids(a.val).tolist() == collect_ids(b.val).tolist()
    c = id_dataset(path, tmp_path / "c3", **{**kw, "seed": 8})
    assert sorted(collect_ids(c.val).tolist()) != sorted(collect_ids(a.val).tolist())
    # shuffling mixes rows from many different blocks
    first_batch = e0a[:100]
    blocks = set((first_batch // a.pipeline.rows_per_block).tolist())
    assert len(blocks) > 4


def test_process_workers_match_thread(tmp_path):
    path, _ = numeric_file(tmp_path / "d.csv", n=2000)
    kw = dict(val_fraction=0.1, batch_size=50, block_bytes=4096, seed=3)
    a = id_dataset(path, tmp_path / "c1", **kw)
    b = id_dataset(path, tmp_path / "c2", workers=2, prefetch=3, max_rows_for_fit=500, **kw)  # fitted in workers
    c = id_dataset(path, tmp_path / "c3", max_rows_for_fit=500, **kw)
    np.testing.assert_array_equal(b.features[0].divisor, c.features[0].divisor)
    assert collect_ids(a.train).tolist() == collect_ids(b.train).tolist()
    xa = np.concatenate([x for x, _ in c.val])
    xb = np.concatenate([x for x, _ in b.val])
    np.testing.assert_array_equal(xa, xb)


def test_quoting_embedded_delimiters_newlines_crlf_bom(tmp_path):
    rows = [["id", "text", "n"], ["0", 'a, "quoted" b', "1.5"], ["1", "multi\nline, text", "2"],
            ["2", "plain", "-3"], ["3", "crlf\r\ninside", "4"]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    path = write(tmp_path / "q.csv", "\ufeff" + buf.getvalue())
    ds = CsvDataset(path, features=[CategoryLookup(columns=["text"], num_oov_indices=0), Divisor(columns=["n"])],
                    label=RegressionY(column="id"), cache_dir=str(tmp_path / "c"), shuffle=False, batch_size=10)
    assert ds.index.header == ["id", "text", "n"]  # BOM stripped from the first name
    (xs, y), = list(ds)
    oracle = list(csv.reader(io.StringIO(buf.getvalue(), newline="")))[1:]
    cats = ds.features[0].categories
    assert [cats[i] for i in xs[0][:, 0]] == [r[1] for r in oracle]
    np.testing.assert_allclose(xs[1][:, 0] * 4, [float(r[2]) for r in oracle])
    assert y[:, 0].tolist() == [0, 1, 2, 3]


def test_blank_lines_and_missing_final_newline(tmp_path):
    path = write(tmp_path / "b.csv", "id,a\n\n0,1\r\n\r\n1,2\n\n2,3")
    ds = CsvDataset(path, features=[Divisor(offset=1)], label=RegressionY(column=0), cache_dir=str(tmp_path / "c"),
                    shuffle=False)
    assert collect_ids(ds.train).tolist() == [0, 1, 2]


def test_ragged_and_non_numeric_rows(tmp_path):
    text = "id,a,b\n0,1,2\n1,2\n2,x,3\n3,4,5\n4,5,6,7\n"
    path = write(tmp_path / "r.csv", text)
    with pytest.raises(CsvParseError, match=r"r\.csv, line 3: expected 3 fields, got 2"):
        list(CsvDataset(path, features=[Divisor(offset=1, length=2)], cache_dir=str(tmp_path / "c")))
    with pytest.warns(UserWarning, match="skipped 3 malformed rows"):
        ds = CsvDataset(path, features=[Divisor(offset=1, length=2)], label=RegressionY(column=0),
                        cache_dir=str(tmp_path / "c"), ignore_parse_errors=True, shuffle=False)
        with pytest.raises(TypeError):
            len(ds)  # unknown before one epoch: bad rows may be dropped
        ids = collect_ids(ds.train)
    assert ids.tolist() == [0, 3]
    assert ds.train.skipped_rows == 3 and len(ds) == 1
    np.testing.assert_allclose(ds.features[0].divisor, [4, 5])  # fitted without the bad rows


def test_non_numeric_error_names_line_without_ragged(tmp_path):
    lines = ["a,b"] + [f"{i},{i}" for i in range(20)]
    lines[15] = "7,seven"
    path = write(tmp_path / "n.csv", "\n".join(lines) + "\n")
    with pytest.raises(CsvParseError) as e:
        CsvDataset(path, features=[Divisor(offset=0, length=2)], cache_dir=str(tmp_path / "c"))
    assert e.value.line == 16 and e.value.path == path and "seven" in str(e.value)


def test_nul_bytes(tmp_path):
    path = write(tmp_path / "z.csv", "id,t,v\n0,a\x00b,1\n1,ok,2\x00\n2,c,3\n")
    ds = CsvDataset(path, features=[CategoryLookup(columns=["t"])], label=RegressionY(column="v"),
                    cache_dir=str(tmp_path / "c"), ignore_parse_errors=True, shuffle=False)
    with pytest.warns(UserWarning, match="skipped 1"):
        out = list(ds)
    y = np.concatenate([b[1] for b in out])[:, 0]
    assert y.tolist() == [1.0, 3.0]
    assert "a\x00b" in ds.features[0].categories
    with pytest.raises(CsvParseError, match="line 3"):
        CsvDataset(path, features=[CategoryLookup(columns=["t"])], label=RegressionY(column="v"),
                   cache_dir=str(tmp_path / "c"))


def test_line_longer_than_1mb(tmp_path):
    big = "w" * (1_500_000)
    path = write(tmp_path / "l.csv", f"id,t\n0,short\n1,\"{big}\"\n2,{big}x\n")
    ds = CsvDataset(path, features=[CategoryLookup(columns=["t"])], label=RegressionY(column="id"),
                    cache_dir=str(tmp_path / "c"), shuffle=False)
    (x, y), = list(ds)
    cats = ds.features[0].categories
    assert [len(cats[i - 1]) for i in x[:, 0]] == [5, 1_500_000, 1_500_001]


def test_empty_missing_header_only_unterminated(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        CsvDataset(str(tmp_path / "nope.csv"), features=[Divisor(offset=0)], cache_dir=str(tmp_path / "c"))
    with pytest.raises(CsvParseError, match="empty"):
        CsvDataset(write(tmp_path / "e.csv", ""), features=[Divisor(offset=0)], cache_dir=str(tmp_path / "c"))
    with pytest.raises(CsvParseError, match="no data rows"):
        CsvDataset(write(tmp_path / "h.csv", "a,b\n"), features=[Divisor(offset=0)], cache_dir=str(tmp_path / "c"))
    path = write(tmp_path / "u.csv", 'a,b\n1,2\n3,"open\n5,6\n')
    with pytest.raises(CsvParseError, match=r"line 3: unterminated quoted field"):
        CsvDataset(path, features=[Divisor(offset=0)], cache_dir=str(tmp_path / "c"))
    with pytest.warns(UserWarning, match="unterminated"):
        ds = CsvDataset(path, features=[Divisor(offset=0)], label=RegressionY(column=1), cache_dir=str(tmp_path / "c"),
                        ignore_parse_errors=True)
    assert ds.index.n_rows == 1


def test_bad_column_spec(tmp_path):
    path, _ = numeric_file(tmp_path / "d.csv", n=10)
    with pytest.raises(ValueError, match="'zzz' not found"):
        CsvDataset(path, features=[Divisor(columns=["zzz"])], cache_dir=str(tmp_path / "c"))
    with pytest.raises(ValueError, match="out of range"):
        CsvDataset(path, features=[Divisor(offset=3, length=2)], cache_dir=str(tmp_path / "c"))


def test_index_cache_reused_and_invalidated(tmp_path):
    cache = tmp_path / "c"
    path, _ = numeric_file(tmp_path / "d.csv", n=100)
    ds = id_dataset(path, cache)
    files = sorted(os.listdir(cache))
    assert any(f.endswith(".offsets.i8") for f in files) and any(f.endswith(".processors.json") for f in files)
    idx_file = [f for f in files if f.endswith(".offsets.i8")][0]
    assert os.path.getsize(cache / idx_file) == 8 * 101  # binary, one int64 per row + end
    assert isinstance(ds.index.offsets, np.memmap)
    mtime = os.stat(cache / idx_file).st_mtime_ns
    ds2 = id_dataset(path, cache)
    assert sorted(os.listdir(cache)) == files and os.stat(cache / idx_file).st_mtime_ns == mtime
    np.testing.assert_array_equal(ds2.features[0].divisor, ds.features[0].divisor)
    # change the file: one more row, and a larger value -> new index, refitted processors
    with open(path, "a") as f:
        f.write("100,1000.0,2.0,c1\n")
    ds3 = id_dataset(path, cache)
    assert ds3.index.n_rows == 101
    assert ds3.features[0].divisor[0] == 1000.0
    assert sorted(collect_ids(ds3.train).tolist()) == list(range(101))
    assert not [f for f in os.listdir(cache) if f.startswith(".tmp")]


def test_max_rows_for_fit_bounds_the_sample(tmp_path):
    path, rows = numeric_file(tmp_path / "d.csv", n=2000)
    ds = CsvDataset(path, features=[Divisor(offset=1, length=2)], label=SparseCategoricalY(column=3),
                    cache_dir=str(tmp_path / "c"), max_rows_for_fit=300, block_bytes=2048)
    assert sum(ds.label.class_counts()) == 300
    full = np.array([[float(r[1]), float(r[2])] for r in rows]).max(0)
    assert np.all(ds.features[0].divisor <= full)


def test_row_filter_and_class_weights(tmp_path):
    path, rows = numeric_file(tmp_path / "d.csv", n=600)
    ds = CsvDataset(path, features=[Divisor(offset=1, length=2)], label=SparseCategoricalY(column=3),
                    cache_dir=str(tmp_path / "c"), row_filter=lambda r: r[3] != "c2", batch_size=64)
    with pytest.raises(TypeError):
        len(ds)
    ys = np.concatenate([y for _, y in ds])
    kept = [r for r in rows if r[3] != "c2"]
    assert len(ys) == len(kept) and len(ds) == -(-len(kept) // 64)
    counts = [sum(r[3] == c for r in kept) for c in ("c0", "c1")]
    assert ds.label.classes == ["c0", "c1"]
    assert ds.class_weights() == {0: max(counts) / counts[0], 1: max(counts) / counts[1]}
    assert ds.class_weights({"c1": 3.0, 0: 1.0}) == {1: 3.0, 0: 1.0}
    with pytest.raises(ValueError, match="not a class"):
        ds.class_weights({"c9": 1.0})


def test_multi_input_by_name_and_as_dict(tmp_path):
    path, rows = numeric_file(tmp_path / "d.csv", n=40)
    feats = [Divisor(columns=["b"], name="bee"), Divisor(columns=["a"], name="ay")]
    ds = CsvDataset(path, features=feats, cache_dir=str(tmp_path / "c"), shuffle=False, batch_size=40)
    (x, y), = list(ds)
    assert y is None and isinstance(x, list) and len(x) == 2
    b = np.array([float(r[2]) for r in rows])
    np.testing.assert_allclose(x[0][:, 0], b / b.max(), rtol=1e-6)
    ds2 = CsvDataset(path, features=[Divisor(columns=["b"], name="bee"), Divisor(columns=["a"], name="ay")],
                     cache_dir=str(tmp_path / "c"), shuffle=False, batch_size=40, as_dict=True)
    (xd, _), = list(ds2)
    assert set(xd) == {"bee", "ay"}
    np.testing.assert_array_equal(xd["bee"], x[0])


def test_other_delimiter_and_no_header(tmp_path):
    path = write(tmp_path / "s.tsv", "1\t2\tx\n3\t4\ty\n")
    ds = CsvDataset(path, header=False, delimiter="\t", features=[Divisor(offset=0, length=2)],
                    label=SparseCategoricalY(column=2), cache_dir=str(tmp_path / "c"), shuffle=False)
    (x, y), = list(ds)
    np.testing.assert_allclose(x, [[1 / 3, 0.5], [1, 1]])
    assert y.tolist() == [0, 1]


def test_memory_dataset_matches_csv_dataset(tmp_path):
    path, rows = numeric_file(tmp_path / "d.csv", n=500)
    kw = dict(val_fraction=0.2, seed=5, batch_size=1000, shuffle=False)
    csv_ds = CsvDataset(path, features=[Standardize(offset=1, length=2)], label=SparseCategoricalY(column=3),
                        cache_dir=str(tmp_path / "c"), block_bytes=1 << 30, **kw)
    mem = MemoryDataset(rows, features=[Standardize(offset=1, length=2)], label=SparseCategoricalY(column=3), **kw)
    num = np.array([[float(v) for v in r[:3]] for r in rows])
    mem_np = MemoryDataset(num, features=[Standardize(offset=1, length=2)], label=RegressionY(column=0), **kw)
    for split in ("train", "val"):
        (xc, yc), = list(getattr(csv_ds, split))
        (xm, ym), = list(getattr(mem, split))
        np.testing.assert_allclose(xc, xm)
        assert yc.tolist() == ym.tolist()
        (xn, _), = list(getattr(mem_np, split))
        np.testing.assert_allclose(xn, xm, rtol=1e-6)
    with pytest.raises(ValueError, match="row 1 has 2 values"):
        MemoryDataset([[1, 2, 3], [1, 2]], features=[Divisor(offset=0)])


def test_progress_bar_for_indexing_and_fitting(tmp_path, capsys):
    path, _ = numeric_file(tmp_path / "d.csv", n=300)
    id_dataset(path, tmp_path / "c", progress=True)
    err = capsys.readouterr().err
    assert "indexing d.csv" in err and "fitting preprocessors" in err and "100.0%" in err
    id_dataset(path, tmp_path / "c2", progress=False)
    assert capsys.readouterr().err == ""


def test_fitted_processors_are_cached_and_reused(tmp_path):
    import json

    cache = tmp_path / "c"
    path, _ = numeric_file(tmp_path / "d.csv", n=100)
    id_dataset(path, cache)
    (proc_file,) = [f for f in os.listdir(cache) if f.endswith(".processors.json")]
    cfg = json.load(open(cache / proc_file))
    cfg["features"][0]["state"]["divisor"] = [123.0, 456.0]  # a refit could never produce this
    (cache / proc_file).write_text(json.dumps(cfg))
    assert id_dataset(path, cache).features[0].divisor.tolist() == [123.0, 456.0]
    # different processor settings -> different cache entry, fitted from the data
    other = CsvDataset(path, features=[Divisor(offset=1, length=2)], label=RegressionY(column=0), cache_dir=str(cache),
                       max_rows_for_fit=50)
    assert other.features[0].divisor.tolist() != [123.0, 456.0]


def test_memory_dataset_bad_value_names_row():
    rows = [["1", "a"], ["2", "b"], ["x", "c"]]
    with pytest.raises(ValueError, match="row 2: could not convert string to float: 'x'"):
        MemoryDataset(rows, features=[Divisor(offset=0)], label=SparseCategoricalY(column=1))
    ds = MemoryDataset(rows, features=[Divisor(offset=0)], label=SparseCategoricalY(column=1),
                       ignore_parse_errors=True, shuffle=False)
    with pytest.warns(UserWarning, match="skipped 1 malformed rows"):
        (x, y), = list(ds)
    assert x[:, 0].tolist() == [0.5, 1.0] and y.tolist() == [0, 1]


def test_corrupt_index_cache_is_rebuilt(tmp_path):
    cache = tmp_path / "c"
    path, rows = numeric_file(tmp_path / "d.csv", n=50)
    id_dataset(path, cache)
    for f in os.listdir(cache):
        if f.endswith(".meta.json"):
            (cache / f).write_text("{trunc")
        if f.endswith(".offsets.i8"):
            (cache / f).write_bytes(b"\0" * 16)
    ds = id_dataset(path, cache, shuffle=False)
    assert collect_ids(ds.train).tolist() == list(range(50))
