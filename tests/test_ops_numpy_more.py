"""The second batch of ``tfkg_graph.ops.numpy`` names (construction, rearranging, products, diagonals,
NaN-ignoring reductions, quantiles) against ``keras.ops.numpy``: values, dtypes and static shapes over
static and unknown dims, and gradients against TF's GradientTape on the same inputs."""
from __future__ import annotations

import numpy as np
import pytest
from test_ops_numpy import run_ours

from tfkg_graph import ops
from tfkg_graph.autodiff import gradients
from tfkg_graph.graph import Graph, placeholder
from tfkg_graph.graph.ops import math
from tfkg_graph.ops import numpy as onp
from tfkg_graph.runtime import Session

RNG = np.random.default_rng(11)
F = RNG.normal(size=(3, 4)).astype("float32")
G = RNG.normal(size=(3, 4)).astype("float32")
SQ = RNG.normal(size=(4, 4)).astype("float32")
V = RNG.normal(size=(4,)).astype("float32")
W = RNG.normal(size=(3,)).astype("float32")
D = RNG.normal(size=(3, 4)).astype("float64")
I = RNG.integers(-5, 6, (3, 4)).astype("int32")
L = RNG.integers(-5, 6, (3, 4)).astype("int64")
U8 = RNG.integers(0, 9, (3, 4)).astype("uint8")
B = RNG.normal(size=(3, 4)) > 0
T3 = RNG.normal(size=(2, 3, 4)).astype("float32")
T4 = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
V3 = RNG.normal(size=(5, 3)).astype("float32")
V3B = RNG.normal(size=(5, 3)).astype("float32")
V2 = RNG.normal(size=(5, 2)).astype("float32")
POS = RNG.uniform(0.5, 2.0, (4,)).astype("float32")
NANS = F.copy()
NANS[0, 1] = NANS[2, 0] = NANS[2, 3] = np.nan
ALL_NAN_ROW = F.copy()
ALL_NAN_ROW[1, :] = np.nan
ALL_NAN_ROW[0, 2] = np.nan
IDX = RNG.integers(-4, 4, (3, 2)).astype("int32")
SORTED = np.sort(RNG.normal(size=(6,))).astype("float32")
REPEATS = np.array([1, 0, 2, 3], np.int32)

CASES: list[tuple[str, tuple, dict]] = (
    # construction
    [("array", (F,), {}), ("array", ([1, 2, 3],), {}), ("array", ([1.5, 2.0],), {}), ("array", (I,), dict(dtype="float32")),
     ("copy", (F,), {}), ("copy", (B,), {}), ("size", (T3,), {}),
     ("empty", ((2, 3),), {}), ("empty", ([4],), dict(dtype="int32")), ("empty_like", (F,), {}),
     ("empty_like", (I,), dict(dtype="float64")), ("full_like", (F, 2.5), {}), ("full_like", (I, 3), {}),
     ("full_like", (I, 1.5), dict(dtype="float32")), ("full_like", (B, 1), {}),
     ("eye", (3,), {}), ("eye", (3, 5), {}), ("eye", (4, 3), dict(k=-2, dtype="int32")), ("eye", (4, 3), dict(k=1)),
     ("identity", (4,), {}), ("identity", (2,), dict(dtype="int64")),
     ("tri", (3,), {}), ("tri", (3, 5), dict(k=1)), ("tri", (4, 3), dict(k=-1, dtype="int32")),
     ("tril", (F,), {}), ("tril", (T3,), dict(k=1)), ("tril", (I,), dict(k=-1)),
     ("triu", (F,), {}), ("triu", (T3,), dict(k=-1)), ("triu", (B,), dict(k=2)),
     ("linspace", (0, 10), dict(num=7)), ("linspace", (-1.5, 2.0), dict(num=5, endpoint=False)),
     ("linspace", (0.0, 1.0), dict(num=1)), ("linspace", (2, 9), dict(num=4, dtype="int32")),
     ("linspace", (W, W + 3.0), dict(num=4)), ("linspace", (W, 2.0), dict(num=4, axis=1)),
     ("linspace", (0.0, 1.0), dict(num=5, retstep=True)), ("linspace", (0.0, 1.0), dict(num=5, dtype="float64")),
     ("logspace", (0.0, 2.0), dict(num=5)), ("logspace", (1, 3), dict(num=4, base=2, endpoint=False)),
     ("geomspace", (1.0, 1000.0), dict(num=4)), ("geomspace", (-2.0, -32.0), dict(num=5)),
     ("geomspace", (1, 256), dict(num=9, endpoint=False)),
     ("meshgrid", (V, W), {}), ("meshgrid", (V, W), dict(indexing="ij")), ("meshgrid", (V, W, POS), {}),
     ("meshgrid", (V,), {})]
    # rearranging
    + [("flip", (T3,), {}), ("flip", (T3,), dict(axis=1)), ("flip", (T3,), dict(axis=(0, -1))), ("flip", (I,), {}),
       ("fliplr", (F,), {}), ("flipud", (T3,), {}),
       ("roll", (F, 1), {}), ("roll", (F, -2), dict(axis=1)), ("roll", (T3, (1, 2)), dict(axis=(0, 2))),
       ("roll", (I, 5), dict(axis=0)),
       ("rot90", (F,), {}), ("rot90", (T3,), dict(k=1, axes=(2, 0))), ("rot90", (T4[:, :, :3, :3],), dict(k=2, axes=(2, 3))),
       ("rot90", (T4[:, :, :3, :3],), dict(k=3, axes=(-1, 2))),
       ("rot90", (T3,), dict(k=3, axes=(1, 2))), ("rot90", (T3,), dict(k=-1, axes=(2, 0))), ("rot90", (F,), dict(k=4)),
       ("moveaxis", (T4, 0, -1), {}), ("moveaxis", (T4, (0, 1), (3, 2)), {}), ("moveaxis", (T4, -1, 1), {}),
       ("swapaxes", (T3, 0, 2), {}), ("swapaxes", (T3, -1, 1), {}), ("ravel", (T3,), {}), ("ravel", (B,), {}),
       ("repeat", (F, 2), {}), ("repeat", (T3, 3), dict(axis=1)), ("repeat", (F, [1, 0, 2, 3]), dict(axis=1)),
       ("repeat", (I, 2), dict(axis=-1)), ("repeat", (V, REPEATS), dict(axis=0)),
       ("append", (F, G), {}), ("append", (F, G), dict(axis=0)), ("append", (I, F), dict(axis=1)),
       ("hstack", ([F, G],), {}), ("hstack", ([V, POS],), {}), ("hstack", ([I, F],), {}),
       ("vstack", ([F, G],), {}), ("vstack", ([I, D],), {}),
       ("dstack", ([F, G],), {}), ("dstack", ([V, POS],), {}), ("dstack", ([T3, T3],), {}),
       ("array_split", (T3, 3), dict(axis=2)), ("array_split", (F, 2), {}), ("array_split", (V, 3), {}),
       ("hsplit", (F, 2), {}), ("hsplit", (F, [1, 3]), {}), ("hsplit", (V, [3]), {}),
       ("vsplit", (T3, 2), {}), ("vsplit", (F, [1]), {}), ("dsplit", (T4, 2), {}), ("dsplit", (T4, [1, 3]), {}),
       ("diff", (F,), {}), ("diff", (T3,), dict(n=2, axis=1)), ("diff", (I,), dict(axis=0)), ("diff", (B,), {}),
       ("diff", (F,), dict(n=0)),
       ("take_along_axis", (F, IDX), dict(axis=1)), ("take_along_axis", (F, np.argsort(F, axis=0)), dict(axis=0)),
       ("take_along_axis", (F, np.array([0, 5, -1], np.int32)), dict(axis=None)),
       ("take_along_axis", (T3, np.argsort(T3[:1], axis=2)), dict(axis=2))]
    # products and diagonals
    + [("dot", (F, V), {}), ("dot", (F, G.T), {}), ("dot", (T3, SQ), {}), ("dot", (V, POS), {}), ("dot", (F, 2.0), {}),
       ("dot", (I, I.T), {}), ("dot", (I, F.T), {}),
       ("inner", (F, G), {}), ("inner", (V, POS), {}), ("inner", (T3, F), {}), ("inner", (I, I), {}),
       ("outer", (V, W), {}), ("outer", (F, W), {}), ("outer", (I, V), {}),
       ("vdot", (F, G), {}), ("vdot", (I, I), {}),
       ("tensordot", (T3, F.T.reshape(4, 3)), dict(axes=1)), ("tensordot", (T3, F), dict(axes=2)),
       ("tensordot", (T3, T4), dict(axes=([0, 1], [0, 1]))), ("tensordot", (F, G), dict(axes=([1], [1]))),
       ("tensordot", (I, I), dict(axes=([0], [0]))), ("tensordot", (V, W), dict(axes=0)),
       ("kron", (F, G[:2, :2]), {}), ("kron", (V, F), {}), ("kron", (I, I[:2]), {}),
       ("cross", (V3, V3B), {}), ("cross", (V2, V3B), {}), ("cross", (V2, V2[::-1]), {}),
       ("cross", (V3.T, V3B.T), dict(axis=0)), ("cross", (V3, V3B.T), dict(axisb=0, axisc=0)),
       ("diag", (V,), {}), ("diag", (V,), dict(k=2)), ("diag", (W,), dict(k=-1)), ("diag", (F,), {}),
       ("diag", (F,), dict(k=1)), ("diag", (F,), dict(k=-2)), ("diag", (I,), dict(k=3)),
       ("diagflat", (F,), {}), ("diagflat", (W,), dict(k=1)),
       ("diagonal", (F,), {}), ("diagonal", (T3,), dict(offset=1, axis1=1, axis2=2)),
       ("diagonal", (T4,), dict(offset=-1, axis1=3, axis2=0)), ("diagonal", (I,), dict(offset=-2)),
       ("trace", (F,), {}), ("trace", (T3,), dict(offset=1, axis1=1, axis2=2)), ("trace", (I,), dict(offset=-1)),
       ("trace", (B,), {}), ("trace", (U8,), {})]
    # NaN-ignoring reductions, averages, quantiles
    + [(n, (x,), kw) for n in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd",
                               "nanargmax", "nanargmin")
       for x in (NANS, ALL_NAN_ROW, I) for kw in ({}, dict(axis=1), dict(axis=0, keepdims=True))]
    + [(n, (x,), {}) for n in ("nansum", "nanmax", "nanmin", "nanprod", "nanmean") for x in (B, U8, L)]
    + [(n, (x,), kw) for n in ("nancumsum", "nancumprod") for x in (NANS, I) for kw in ({}, dict(axis=1))]
    + [("nancumsum", (NANS,), dict(axis=0, dtype="float64"))]
    + [("average", (F,), {}), ("average", (F,), dict(axis=1)), ("average", (F, 0, W), {}),
       ("average", (F, 1, V), {}), ("average", (F, None, G), {}), ("average", (I,), dict(axis=0)),
       ("average", (I, 1, POS), {})]
    + [(n, (x, q), kw) for n in ("quantile", "nanquantile") for x in (F, NANS, T3)
       for q in (0.3, np.array([0.0, 0.25, 0.5, 1.0], "float32"))
       for kw in ({}, dict(axis=1), dict(axis=(0, -1), keepdims=True), dict(keepdims=True))]
    + [(n, (F, 0.4), dict(axis=0, method=m)) for n in ("quantile", "nanquantile")
       for m in ("linear", "lower", "higher", "midpoint", "nearest")]
    + [("quantile", (I, 0.5), {}), ("quantile", (D, 0.7), dict(axis=1)), ("nanquantile", (ALL_NAN_ROW, 0.5), dict(axis=1)),
       ("percentile", (F, 30), {}), ("percentile", (T3, np.array([10.0, 90.0], "float32")), dict(axis=1)),
       ("nanpercentile", (NANS, 75), dict(axis=0)), ("nanpercentile", (NANS, [20, 60]), dict(axis=1)), ("nanpercentile", (ALL_NAN_ROW, 40), dict(axis=1)),
       ("median", (F,), {}), ("median", (T3,), dict(axis=1)), ("median", (I,), dict(axis=0, keepdims=True)),
       ("median", (NANS,), dict(axis=1)), ("nanmedian", (NANS,), {}), ("nanmedian", (ALL_NAN_ROW,), dict(axis=1)),
       ("nanmedian", (T3,), dict(axis=(0, 2), keepdims=True))]
    # windows, special functions, integration, correlation, search and binning
    + [(n, (m,), {}) for n in ("bartlett", "blackman", "hamming", "hanning") for m in (1, 2, 7, 10)]
    + [("kaiser", (m, beta), {}) for m in (1, 6, 9) for beta in (0.0, 5.0, 14.0)]
    + [("vander", (V,), {}), ("vander", (V,), dict(N=3, increasing=True)), ("vander", (np.arange(4, dtype="int32"),), {}),
       ("trapezoid", (F,), {}), ("trapezoid", (T3,), dict(dx=0.5, axis=1)), ("trapezoid", (F, G), dict(axis=0)),
       ("trapezoid", (I,), {}),
       ("corrcoef", (F,), {}), ("corrcoef", (D,), {}), ("corrcoef", (I,), {}),
       ("correlate", (SORTED, W), {}), ("correlate", (SORTED, V), dict(mode="same")),
       ("correlate", (SORTED, W), dict(mode="full")), ("correlate", (SORTED, POS), dict(mode="same")),
       ("correlate", (np.arange(6, dtype="int64"), np.arange(3, dtype="int64")), dict(mode="full")),
       ("searchsorted", (SORTED, V), {}), ("searchsorted", (SORTED, V), dict(side="right")),
       ("searchsorted", (SORTED, SORTED), dict(side="right")),
       ("digitize", (F, [-1.0, 0.0, 0.5, 1.0]), {}), ("digitize", (I, [-2, 0, 3]), {}),
       ("bincount", (np.array([0, 3, 1, 3, 7], "int32"),), {}),
       ("bincount", (np.array([0, 3, 1, 3], "int32"),), dict(minlength=6)),
       ("bincount", (np.array([0, 3, 1, 3], "int32"), np.array([0.5, 1.0, 2.0, 4.0], "float32")), {}),
       ("bincount", (np.array([[0, 1, 1], [2, 2, 0]], "int32"),), {}),
       ("histogram", (V,), {}), ("histogram", (F.reshape(-1),), dict(bins=4, range=(-1.0, 1.0))),
       ("histogram", (D.reshape(-1),), dict(bins=3)),
       ("unravel_index", (np.array([0, 5, 11, 7], "int32"), (3, 4)), {}),
       ("unravel_index", (np.array([3, 17], "int64"), (2, 3, 4)), {})]
    # the names ops.core also has, with Keras' numpy defaults and dtype rules
    + [("arange", (5,), {}), ("arange", (1, 7, 2), {}), ("arange", (0.5, 3.0), dict(step=0.5)),
       ("arange", (2, 8), dict(dtype="float64")), ("arange", (6,), dict(dtype="int64")),
       ("broadcast_to", (V, (3, 4)), {}), ("broadcast_to", (W.reshape(3, 1), [2, 3, 4]), {}),
       ("concatenate", ([F, G],), {}), ("concatenate", ([F, I],), dict(axis=0)),
       ("concatenate", ([I, L, I],), dict(axis=1)),
       ("expand_dims", (F, 0), {}), ("expand_dims", (F, -1), {}), ("expand_dims", (F, (0, 3)), {}),
       ("full", ((2, 3), 1.5), {}), ("full", ([4], 2), dict(dtype="int32")), ("full", ((2, 4), V), {}),
       ("zeros", ((2, 3),), {}), ("zeros", (4,), dict(dtype="int64")), ("ones", ((3,),), {}),
       ("ones", ((2, 2),), dict(dtype="bool")), ("zeros_like", (F,), {}), ("zeros_like", (I,), dict(dtype="float32")),
       ("ones_like", (B,), {}), ("ones_like", (F,), dict(dtype="int32")),
       ("matmul", (F, G.T), {}), ("matmul", (T3, SQ), {}), ("matmul", (V, SQ), {}), ("matmul", (SQ, V), {}),
       ("matmul", (T3, V), {}), ("matmul", (V, POS), {}), ("matmul", (I, I.T), {}), ("matmul", (I, F.T), {}),
       ("matmul", (T4, np.swapaxes(T4, -1, -2)), {}),
       ("matmul", (I.astype("int8"), I.T.astype("int8")), {}),
       ("pad", (F, ((1, 2), (0, 3))), {}), ("pad", (V, 2), {}), ("pad", (F, ((1, 1), (2, 0))), dict(constant_values=7.0)),
       ("pad", (I, ((0, 1), (1, 1))), dict(constant_values=-3)),
       ("pad", (F, ((2, 1), (3, 2))), dict(mode="reflect")), ("pad", (F, ((2, 3), (1, 4))), dict(mode="symmetric")),
       ("pad", (T3, ((0, 0), (1, 1), (2, 2))), dict(mode="reflect")),
       ("reshape", (T3, (6, 4)), {}), ("reshape", (T3, (-1,)), {}), ("reshape", (F, (2, -1, 3)), {}),
       ("reshape", (F, 12), {}),
       ("split", (T3, 2), dict(axis=2)), ("split", (F, [1, 2]), {}), ("split", (T4, [2]), dict(axis=-1)),
       ("squeeze", (F.reshape(3, 1, 4),), {}), ("squeeze", (F.reshape(1, 3, 1, 4),), dict(axis=2)),
       ("squeeze", (F.reshape(1, 3, 1, 4),), dict(axis=(0, -2))),
       ("stack", ([F, G],), {}), ("stack", ([F, I],), dict(axis=1)), ("stack", ([V, POS, V],), dict(axis=-1)),
       ("take", (F, np.array([0, -1, 2], "int32")), {}), ("take", (F, np.array([[0, 3], [-2, 1]], "int32")), dict(axis=1)),
       ("take", (T3, np.array([2, -3], "int64")), dict(axis=1)), ("take", (F, 5), {}),
       ("tile", (F, 2), {}), ("tile", (F, (2, 1)), {}), ("tile", (V, (2, 1, 3)), {}), ("tile", (T3, (2,)), {}),
       ("transpose", (T3,), {}), ("transpose", (T4, (0, 2, 3, 1)), {}), ("transpose", (T3, (-1, 0, 1)), {}),
       ("view", (F, "int32"), {}), ("view", (F, "uint8"), {}), ("view", (U8, "int32"), {}),
       ("view", (I, "float32"), {}),
       ("get_item", (T3, (slice(1, None), 0)), {}), ("get_item", (F, (Ellipsis, slice(None, None, 2))), {}),
       ("get_item", (T3, (None, -1, slice(0, 2))), {}),
       ("slogdet", (SQ,), {}), ("slogdet", (T3[:, :, :3] + 2 * np.eye(3, dtype="float32"),), {}),
       ("slogdet", (D[:, :3],), {})]
    + [("einsum", ("ij,jk->ik", F, G.T), {}), ("einsum", ("ij,ij->", F, G), {}), ("einsum", ("ii->i", SQ), {}),
       ("einsum", ("ii", SQ), {}), ("einsum", ("ij->ji", F), {}), ("einsum", ("bij,jk->bik", T3, SQ), {}),
       ("einsum", ("...j,j->...", T3, V), {}), ("einsum", ("i,j", V, W), {}), ("einsum", ("ij,jk", I, I.T), {}),
       ("einsum", ("bhqd,bhkd->bhqk", T4, T4), {}), ("einsum", ("abc,cd,de->abe", T3, SQ, SQ), {}),
       ("einsum", ("i...,i->...", V3, RNG.normal(size=(5,)).astype("float32")), {}),
       ("einsum", ("ij,jk->ik", I.astype("int8"), I.T.astype("int8")), {})]
    + [("unique", (x,), kw) for x in (I, np.round(F * 2).astype("float32"))
       for kw in ({}, dict(return_index=True, return_inverse=True, return_counts=True),
                  dict(sorted=False, return_index=True, return_inverse=True, return_counts=True),
                  dict(size=15, fill_value=-1, return_counts=True), dict(size=3, return_index=True))]
    + [("unique", (x,), kw) for x in (np.array([[1, 2, 1, 2], [0, 3, 0, 3], [1, 2, 1, 2]], "int32"),
                                       np.round(T3).astype("float32"))
       for kw in (dict(axis=0), dict(axis=-1, return_index=True, return_inverse=True, return_counts=True),
                  dict(axis=1, sorted=False, return_index=True, return_inverse=True, return_counts=True),
                  dict(axis=0, size=4, fill_value=9, return_counts=True))])


def _ids(case):
    name, args, kw = case
    return f"{name}-" + "-".join(str(getattr(a, "dtype", type(a).__name__)) for a in args) + \
        ("-" + ",".join(kw) if kw else "")


def _compare(name, ours, theirs, tensors, unknown_dims):
    theirs_list = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    ours_list = ours if isinstance(ours, list) else [ours]
    assert len(ours_list) == len(theirs_list), f"{name}: {len(ours_list)} outputs vs Keras {len(theirs_list)}"
    for o, t, tensor in zip(ours_list, theirs_list, tensors):
        t = np.asarray(t)
        o = np.asarray(o)
        assert o.dtype == t.dtype, f"{name}: dtype {o.dtype} vs Keras {t.dtype}"
        assert o.shape == t.shape, f"{name}: shape {o.shape} vs Keras {t.shape}"
        if not unknown_dims and tensor.shape is not None:
            known = tuple(d if s is not None else None for d, s in zip(t.shape, tensor.shape))
            assert tuple(tensor.shape) == known, f"{name}: static shape {tensor.shape} vs {t.shape}"
        np.testing.assert_allclose(o, t, rtol=2e-6, atol=2e-6, equal_nan=True, err_msg=name)


def _static_only(name: str, kw: dict) -> str | None:
    """The error expected when a case needs static dims: cross the vector length (2 or 3), unique along
    an axis the size of each slice."""
    if name == "cross":
        return "static length"
    return "other dims static" if name == "unique" and kw.get("axis") is not None else None


@pytest.mark.parametrize("unknown_dims", [False, True], ids=["static", "unknown_dims"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_name_matches_keras_values_dtype_and_shape(keras, case, unknown_dims):
    name, args, kw = case
    if unknown_dims and _static_only(name, kw):
        with pytest.raises(ValueError, match=_static_only(name, kw)):
            run_ours(lambda *a: getattr(onp, name)(*a, **kw), args, unknown_dims)
        return
    theirs = getattr(keras.ops.numpy, name)(*args, **kw)
    ours, tensors = run_ours(lambda *a: getattr(onp, name)(*a, **kw), args, unknown_dims)
    _compare(name, ours, theirs, tensors, unknown_dims)


def test_ndim_is_the_static_rank_or_a_tensor(keras):
    g = Graph()
    with g.as_default():
        known = placeholder("float32", (None, 3, None))
        unknown = placeholder("float32", None)
        rank = onp.ndim(unknown)
    assert onp.ndim(known) == keras.ops.numpy.ndim(T3) == 3
    with Session(g) as sess:
        assert sess.run(rank.name, {unknown.name: T4}) == keras.ops.numpy.ndim(T4)


def test_repeat_with_run_time_counts_matches_keras(keras):
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (None,))
        counts = placeholder("int32", (None,))
        out = onp.repeat(x, counts)
    with Session(g) as sess:
        got = sess.run(out.name, {x.name: V, counts.name: REPEATS})
    np.testing.assert_array_equal(got, keras.ops.numpy.repeat(V, REPEATS))


@pytest.mark.parametrize("axis", [-1, 0, None])
@pytest.mark.parametrize("kth", [0, 2])
def test_argpartition_partitions_around_the_same_kth_value_as_keras(keras, kth, axis):
    """numpy (and Keras) leave the order on each side open: check the partition and the pivot value."""
    x = RNG.permutation(12).reshape(3, 4).astype("int32")
    ours, _ = run_ours(lambda a: onp.argpartition(a, kth, axis=axis), (x,), unknown_dims=False)
    theirs = np.asarray(keras.ops.numpy.argpartition(x, kth, axis=axis))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    flat_axis = -1 if axis is None else axis
    values = np.take_along_axis(x.reshape(-1) if axis is None else x, ours, axis=flat_axis)
    pivot = np.take(values, [kth], axis=flat_axis)
    assert (np.take(values, range(kth), axis=flat_axis) <= pivot).all()
    assert (np.take(values, range(kth + 1, values.shape[flat_axis]), axis=flat_axis) >= pivot).all()
    theirs_values = np.take_along_axis(x.reshape(-1) if axis is None else x, theirs, axis=flat_axis)
    np.testing.assert_array_equal(pivot, np.take(theirs_values, [kth], axis=flat_axis))


@pytest.mark.parametrize("x", [F * 3, D * 5, I, L, np.linspace(-30, 30, 61).astype("float32")],
                         ids=["float32", "float64", "int32", "int64", "wide"])
def test_i0_is_within_its_approximation_error_of_keras(keras, x):
    """Abramowitz & Stegun 9.8.1-2 (docs/differences.md): 1e-6 relative, Keras' dtype."""
    ours, _ = run_ours(onp.i0, (x,), unknown_dims=True)
    theirs = np.asarray(keras.ops.numpy.i0(x))
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("indices", [np.int32(5), np.array([[3, 17], [23, 0]], "int32")], ids=["scalar", "2d"])
def test_unravel_index_of_scalar_and_nd_indices_follows_numpy_not_keras(keras, indices):
    shape = (2, 3, 4) if indices.ndim else (3, 4)
    ours, _ = run_ours(lambda i: onp.unravel_index(i, shape), (np.asarray(indices),), unknown_dims=False)
    for o, expected in zip(ours, np.unravel_index(indices, shape)):
        np.testing.assert_array_equal(o, expected)
    theirs = keras.ops.numpy.unravel_index(indices, shape)
    assert any(not np.array_equal(t, e) for t, e in zip(theirs, np.unravel_index(indices, shape))), \
        "Keras now follows numpy: drop the entry in docs/differences.md"


def test_vstack_of_vectors_stacks_rows_as_numpy_not_concatenates_as_keras(keras):
    ours, _ = run_ours(lambda a, b: onp.vstack([a, b]), (V, POS), unknown_dims=True)
    np.testing.assert_array_equal(ours, np.vstack([V, POS]))
    assert np.shape(keras.ops.numpy.vstack([V, POS])) != np.vstack([V, POS]).shape, \
        "Keras on TF now stacks 1-D rows: drop the entry in docs/differences.md"


@pytest.mark.parametrize("k,axes", [(2, (0, 1)), (2, (1, 2)), (-2, (2, 0))])
def test_rot90_of_non_square_planes_follows_numpy_not_keras(keras, k, axes):
    """Keras on TF reshapes after the first quarter turn with the unturned plane's dims (docs/differences.md)."""
    ours, _ = run_ours(lambda a: onp.rot90(a, k=k, axes=axes), (T3,), unknown_dims=True)
    np.testing.assert_array_equal(ours, np.rot90(T3, k=k, axes=axes))
    theirs = np.asarray(keras.ops.numpy.rot90(T3, k=k, axes=axes))
    assert theirs.shape != ours.shape or not np.array_equal(theirs, ours), \
        "Keras now rotates non-square planes as numpy: drop the entry in docs/differences.md"


def test_eye_above_the_diagonal_is_n_by_m_as_numpy_not_as_keras(keras):
    ours, _ = run_ours(lambda: onp.eye(3, 5, k=1), (), unknown_dims=False)
    np.testing.assert_array_equal(ours, np.eye(3, 5, k=1, dtype="float32"))
    assert np.shape(keras.ops.numpy.eye(3, 5, k=1)) != (3, 5), \
        "Keras now gives eye(3, 5, k=1) numpy's shape: drop the entry in docs/differences.md"


VECTORIZE_CASES = [
    ("elementwise", lambda np_: (lambda a, b: np_.maximum(a, b) * 2.0), {}, (F, G)),
    ("broadcast_row", lambda np_: (lambda a, b: a - b), {}, (F, V)),
    ("row_dot", lambda np_: (lambda a, b: np_.sum(a * b)), dict(signature="(n),(n)->()"), (F, G)),
    ("row_stats", lambda np_: (lambda a: (np_.max(a), np_.cumsum(a))), dict(signature="(n)->(),(n)"), (T3,)),
    ("matvec", lambda np_: (lambda m, v: np_.matmul(m, v)), dict(signature="(m,n),(n)->(m)"), (T4[0], T4[1, 0, 0])),
]


@pytest.mark.parametrize("case", VECTORIZE_CASES, ids=[c[0] for c in VECTORIZE_CASES])
def test_vectorize_maps_a_function_as_numpy_where_keras_raises(keras, case):
    """Keras on TF rejects every call (its vmap takes only in_axes=0, it passes a tuple): numpy's
    vectorize is the oracle (docs/differences.md)."""
    _, make, kw, args = case
    expected = np.vectorize(make(np), **kw)(*args)
    ours, tensors = run_ours(lambda *a: onp.vectorize(make(onp), **kw)(*a), args, unknown_dims=False)
    expected = list(expected) if isinstance(expected, tuple) else expected
    for o, e in zip(ours if isinstance(ours, list) else [ours], expected if isinstance(expected, list) else [expected]):
        assert np.shape(o) == np.shape(e)
        np.testing.assert_allclose(o, e, rtol=2e-6, atol=2e-6)
    with pytest.raises(ValueError, match="Not supported"):
        keras.ops.numpy.vectorize(make(keras.ops.numpy), **kw)(*args)


def test_vectorize_gradient_matches_gradient_tape_over_vectorized_map(tf):
    a, b = _d(F), _d(G)
    ta, tb = tf.constant(a), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([ta, tb])
        rows = tf.vectorized_map(lambda r: tf.reduce_sum(tf.sin(r[0]) * r[1]), (ta, tb))
        loss = tf.reduce_sum(rows * tf.constant(W, tf.float64))
    theirs = tape.gradient(loss, [ta, tb])
    g = Graph()
    with g.as_default():
        pa, pb = placeholder("float64", a.shape), placeholder("float64", b.shape)
        mine = onp.vectorize(lambda x, y: onp.sum(onp.sin(x) * y), signature="(n),(n)->()")(pa, pb)
        grads = gradients(math.reduce_sum(mine * W.astype("float64")), [pa, pb])
    with Session(g) as sess:
        got = sess.run([t.name for t in grads], {pa.name: a, pb.name: b})
    for o, t in zip(got, theirs):
        np.testing.assert_allclose(o, np.asarray(t), rtol=1e-9, atol=1e-9)


def test_i0_gradient_is_within_its_approximation_error_of_gradient_tape(tf):
    x = np.linspace(-12.0, 12.0, 49)
    tx = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tx)
        y = tf.math.bessel_i0(tx)
    theirs = tape.gradient(y, tx)
    g = Graph()
    with g.as_default():
        px = placeholder("float64", x.shape)
        (grad,) = gradients(math.reduce_sum(onp.i0(px)), [px])
    with Session(g) as sess:
        ours = sess.run(grad.name, {px.name: x})
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_every_added_name_is_also_at_ops_top_level():
    for module in ("_np_create", "_np_shape", "_np_linalg_like", "_np_stats", "_np_misc", "_np_core_like",
                   "_np_sets", "_np_vectorize"):
        for name in __import__(f"tfkg_graph.ops.{module}", fromlist=["__all__"]).__all__:
            assert getattr(ops, name) is getattr(onp, name) or name in ops.core.__all__, name


# ---- gradients against TF's GradientTape ---------------------------------------------------------
def _d(x):
    return x.astype("float64")


GRAD_CASES: list[tuple[str, tuple, dict]] = [
    ("flip", (_d(T3),), dict(axis=1)), ("roll", (_d(F), 2), dict(axis=1)), ("roll", (_d(F), -1), {}),
    ("rot90", (_d(T3),), dict(k=1)), ("moveaxis", (_d(T4), 0, 2), {}), ("swapaxes", (_d(T3), 0, 2), {}),
    ("repeat", (_d(F), 2), dict(axis=0)), ("repeat", (_d(F), [1, 0, 2, 3]), dict(axis=1)),
    ("append", (_d(F), _d(G)), {}), ("hstack", ([_d(F), _d(G)],), {}),
    ("dstack", ([_d(F), _d(G)],), {}), ("vstack", ([_d(F), _d(G)],), {}), ("array_split", (_d(T3), 3), dict(axis=2)), ("diff", (_d(T3),), dict(n=2)),
    ("take_along_axis", (_d(F), IDX), dict(axis=1)), ("tril", (_d(T3),), dict(k=-1)), ("triu", (_d(F),), {}),
    ("linspace", (_d(W), _d(W) + 3.0), dict(num=5)),
    ("dot", (_d(T3), _d(SQ)), {}), ("inner", (_d(F), _d(G)), {}), ("outer", (_d(V), _d(W)), {}),
    ("vdot", (_d(F), _d(G)), {}), ("tensordot", (_d(T3), _d(T4)), dict(axes=([0, 1], [0, 1]))),
    ("kron", (_d(F), _d(G[:2, :2])), {}), ("cross", (_d(V3), _d(V3B)), {}), ("cross", (_d(V2), _d(V3B)), {}),
    ("diag", (_d(V),), dict(k=1)), ("diag", (_d(F),), dict(k=-1)), ("diagonal", (_d(T3),), dict(axis1=1, axis2=2)),
    ("trace", (_d(F),), dict(offset=1)),
    ("nansum", (_d(NANS),), dict(axis=1)), ("nanmean", (_d(NANS),), dict(axis=0)), ("nanmax", (_d(NANS),), {}),
    ("nanprod", (_d(NANS),), dict(axis=1)), ("nanvar", (_d(NANS),), dict(axis=1)), ("nanstd", (_d(NANS),), {}),
    ("nancumsum", (_d(NANS),), dict(axis=1)), ("average", (_d(F), 1, _d(V)), {}), ("average", (_d(F), None, _d(G)), {}),
    ("quantile", (_d(F), 0.3), dict(axis=1)), ("percentile", (_d(T3), np.array([10.0, 90.0], "float32")), dict(axis=1)),
    ("median", (_d(F),), {}), ("quantile", (_d(F), 0.4), dict(axis=0, method="midpoint")),
    ("nanquantile", (_d(NANS), 0.6), dict(axis=1)), ("nanmedian", (_d(NANS),), {}),
    ("vander", (_d(V),), {}), ("trapezoid", (_d(F), _d(G)), dict(axis=0)), ("corrcoef", (_d(F),), {}),
    ("correlate", (_d(SORTED), _d(W)), dict(mode="same")), ("slogdet", (_d(SQ),), {}),
    ("matmul", (_d(T3), _d(V)), {}), ("matmul", (_d(V), _d(SQ)), {}), ("take", (_d(F), np.array([0, -1], "int32")), dict(axis=1)),
    ("pad", (_d(F), ((2, 1), (3, 2))), dict(mode="reflect")), ("pad", (_d(F), ((2, 3), (1, 4))), dict(mode="symmetric")),
    ("pad", (_d(F), ((1, 1), (0, 2))), dict(constant_values=3.0)), ("tile", (_d(V), (2, 1, 3)), {}),
    ("concatenate", ([_d(F), _d(G)],), dict(axis=1)), ("stack", ([_d(F), _d(G)],), dict(axis=2)),
    ("expand_dims", (_d(F), (0, 3)), {}), ("einsum", ("bij,jk->bik", _d(T3), _d(SQ)), {}),
 ("broadcast_to", (_d(V), (3, 4)), {}), ("get_item", (_d(T3), (slice(1, None), 0)), {}),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[_ids(c) for c in GRAD_CASES])
def test_gradient_matches_gradient_tape(tf, keras, case):
    """d sum(out * weights) / d inputs for every float64 array input, both sides on the same values."""
    name, args, kw = case
    lists = [i for i, a in enumerate(args) if isinstance(a, list) and isinstance(a[0], np.ndarray)]
    if lists:  # a list of tensors: differentiate each member
        members = args[lists[0]]
        theirs_in = [tf.constant(m) for m in members]
        with tf.GradientTape() as tape:
            tape.watch(theirs_in)
            out = getattr(keras.ops.numpy, name)(theirs_in, **kw)
            outs = out if isinstance(out, (list, tuple)) else [out]
            weights = [RNG.normal(size=np.shape(o)) for o in outs]
            loss = sum(tf.reduce_sum(tf.cast(o, tf.float64) * w) for o, w in zip(outs, weights))
        theirs = tape.gradient(loss, theirs_in)
        g = Graph()
        with g.as_default():
            holders = [placeholder("float64", m.shape) for m in members]
            mine = getattr(onp, name)(holders, **kw)
            mine = mine if isinstance(mine, (list, tuple)) else [mine]
            my_loss = math.add_n([math.reduce_sum(o * w) for o, w in zip(mine, weights)])
            grads = gradients(my_loss, holders)
        feed = {h.name: m for h, m in zip(holders, members)}
    else:
        differentiable = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype == np.float64]
        theirs_in = {i: tf.constant(args[i]) for i in differentiable}
        with tf.GradientTape() as tape:
            tape.watch(list(theirs_in.values()))
            out = getattr(keras.ops.numpy, name)(*[theirs_in.get(i, a) for i, a in enumerate(args)], **kw)
            outs = out if isinstance(out, (list, tuple)) else [out]
            weights = [RNG.normal(size=np.shape(o)) for o in outs]
            loss = sum(tf.reduce_sum(tf.cast(o, tf.float64) * w) for o, w in zip(outs, weights))
        theirs = tape.gradient(loss, [theirs_in[i] for i in differentiable])
        g = Graph()
        with g.as_default():
            holders = {i: placeholder("float64", args[i].shape) for i in differentiable}
            mine = getattr(onp, name)(*[holders.get(i, a) for i, a in enumerate(args)], **kw)
            mine = mine if isinstance(mine, (list, tuple)) else [mine]
            my_loss = math.add_n([math.reduce_sum(o * w) for o, w in zip(mine, weights)])
            grads = gradients(my_loss, [holders[i] for i in differentiable])
        feed = {holders[i].name: args[i] for i in differentiable}
    with Session(g) as sess:
        got = sess.run([gr.name for gr in grads], feed)
    for o, t in zip(got, theirs):
        t = np.zeros_like(o) if t is None else np.asarray(t)
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-9, err_msg=name)
