"""``tfkg_graph.ops.numpy`` against ``keras.ops.numpy``: same inputs, same values and dtypes, with static
placeholder shapes and with unknown dims; and every Keras name exists here or is listed as not implemented."""
from __future__ import annotations


import numpy as np
import pytest
from _differences import not_implemented

from tfkg_graph import ops
from tfkg_graph.graph import Graph, Tensor, placeholder
from tfkg_graph.ops import numpy as onp
from tfkg_graph.runtime import Session

RNG = np.random.default_rng(7)
F = RNG.normal(size=(3, 4)).astype("float32")
G = RNG.normal(size=(3, 4)).astype("float32")
ROW = RNG.normal(size=(4,)).astype("float32")
P = RNG.uniform(0.5, 2.0, (3, 4)).astype("float32")
U = RNG.uniform(-0.9, 0.9, (3, 4)).astype("float32")  # inside (-1, 1)
D = RNG.normal(size=(3, 4)).astype("float64")
I = RNG.integers(-5, 6, (3, 4)).astype("int32")
J = RNG.integers(1, 6, (3, 4)).astype("int32")
L = RNG.integers(-5, 6, (3, 4)).astype("int64")
U8 = RNG.integers(0, 9, (3, 4)).astype("uint8")
B = RNG.normal(size=(3, 4)) > 0
T3 = RNG.normal(size=(2, 3, 4)).astype("float32")
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e-8], "float32")

UNARY_FLOAT = ["exp", "expm1", "log1p", "sin", "cos", "tan", "arctan", "sinh", "cosh", "tanh", "arcsinh",
               "deg2rad", "rad2deg", "sinc", "floor", "ceil", "trunc", "negative", "square", "sign", "abs",
               "absolute", "fabs", "cbrt", "exp2", "conj", "conjugate", "real", "imag", "angle", "signbit",
               "nan_to_num", "round"]
CASES: list[tuple[str, tuple, dict]] = (
    [(n, (F,), {}) for n in UNARY_FLOAT]
    + [(n, (I,), {}) for n in UNARY_FLOAT if n not in ("nan_to_num",)]
    + [(n, (L,), {}) for n in ("exp", "sin", "cbrt", "deg2rad", "fabs", "square", "sign", "abs")]
    + [(n, (U8,), {}) for n in ("sign", "abs", "square", "exp")]
    + [(n, (D,), {}) for n in ("exp", "tan", "cbrt", "sinc", "signbit", "round")]
    + [(n, (P,), {}) for n in ("log", "log2", "log10", "sqrt", "reciprocal", "arccosh")]
    + [(n, (U,), {}) for n in ("arcsin", "arccos", "arctanh")]
    + [(n, (SPECIAL,), {}) for n in ("nan_to_num", "isnan", "isinf", "isfinite", "isposinf", "isneginf",
                                     "signbit", "isreal")]
    + [("nan_to_num", (SPECIAL,), dict(nan=1.0, posinf=5.0, neginf=-5.0)),
       ("round", (F * 100,), dict(decimals=-1)), ("round", (F,), dict(decimals=2)),
       ("round", (I * 37,), dict(decimals=-1)), ("clip", (F, -0.5, 0.5), {}), ("clip", (I, -2, 3), {}),
       ("clip", (B, 0, 1), {})]
    + [(n, (F, G), {}) for n in ("add", "subtract", "multiply", "divide", "true_divide", "maximum", "minimum",
                                 "arctan2", "hypot", "logaddexp", "logaddexp2", "heaviside", "fmax", "fmin",
                                 "mod", "fmod", "floor_divide", "divide_no_nan", "nextafter", "equal",
                                 "not_equal", "greater", "greater_equal", "less", "less_equal", "isclose",
                                 "allclose", "logical_and", "logical_or", "logical_xor")]
    + [(n, (F, ROW), {}) for n in ("add", "multiply", "divide", "arctan2", "hypot", "logaddexp", "fmax")]
    + [(n, (I, J), {}) for n in ("add", "subtract", "multiply", "divide", "maximum", "power", "floor_divide",
                                 "mod", "fmod", "hypot", "heaviside", "equal", "less", "isclose", "allclose",
                                 "bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm", "left_shift",
                                 "right_shift", "bitwise_left_shift", "bitwise_right_shift", "arctan2")]
    + [(n, (I, F), {}) for n in ("add", "multiply", "divide", "maximum", "power", "mod", "less")]
    + [(n, (U8, I), {}) for n in ("add", "multiply", "fmod", "bitwise_and")] + [("power", (U8, J), {})]
    + [(n, (L, D), {}) for n in ("add", "subtract", "divide", "hypot", "heaviside")]
    + [(n, (F, 2), {}) for n in ("add", "multiply", "power", "divide", "maximum", "less", "mod")]
    + [(n, (I, 2), {}) for n in ("add", "multiply", "power", "divide", "floor_divide", "left_shift")]
    + [(n, (I, 2.5), {}) for n in ("add", "multiply", "divide", "greater")]
    + [("power", (P, F), {}), ("ldexp", (F, J), {}), ("ldexp", (D, I), {}),
       ("logical_not", (F,), {}), ("logical_not", (B,), {}), ("logical_and", (B, I), {}),
       ("bitwise_not", (I,), {}), ("bitwise_invert", (U8,), {}), 
       ("isnan", (I,), {}), ("isfinite", (I,), {}), ("isin", (I, J), {}),
       ("isin", (I, J), dict(invert=True)), ("isclose", (SPECIAL, SPECIAL), dict(equal_nan=True)),
       ("allclose", (F, F + 1e-7), {}), ("where", (B, F, G), {}), ("where", (B, I, 2.5), {}),
       ("where", (F, 1, 0), {}), ("nonzero", (I,), {}), ("where", (B,), {}),
       ("select", ([B, F > 0], [F, G]), dict(default=7.0)), ("select", ([B], [I]), {})]
    + [(n, (x,), kw) for n in ("sum", "mean", "max", "min", "amax", "amin", "prod", "any", "all", "std", "var",
                                "ptp", "argmax", "argmin") for x in (T3, I)
       for kw in ({}, dict(axis=1), dict(axis=-1, keepdims=True))]
    + [(n, (x,), kw) for n in ("sum", "mean", "max", "prod", "any", "argmax") for x in (B, U8, D)
       for kw in ({}, dict(axis=0))]
    + [("argmax", (T3,), dict(keepdims=True)), ("argmin", (I,), dict(keepdims=True)),
       ("max", (T3,), dict(axis=1, initial=0.5)), ("min", (I,), dict(initial=-1)),
       ("max", (B,), dict(axis=0, initial=1)),
       ("sum", (T3,), dict(axis=(0, 2))), ("mean", (T3,), dict(axis=(0, 2), keepdims=True)),
       ("count_nonzero", (I,), {}), ("count_nonzero", (I,), dict(axis=1)), ("count_nonzero", (T3,), dict(axis=(0, 1)))]
    + [(n, (x,), kw) for n in ("cumsum", "cumprod") for x in (T3, I, B) for kw in ({}, dict(axis=1))]
    + [("cumsum", (I,), dict(axis=0, dtype="float32"))]
    + [(n, (x,), kw) for n in ("sort", "argsort") for x in (T3, D)
       for kw in ({}, dict(axis=0), dict(axis=1), dict(axis=None))]
    + [("sort", (I,), {}), ("sort", (B,), dict(axis=0))])


def _ids(case):
    name, args, kw = case
    return f"{name}-" + "-".join(str(getattr(a, "dtype", type(a).__name__)) for a in args) + \
        ("-" + ",".join(kw) if kw else "")


def run_ours(fn, args, unknown_dims: bool):
    """Builds ``fn`` over placeholders for the array arguments (lists of arrays too) and runs it."""
    g = Graph()
    feed = {}
    with g.as_default():
        def holder(a):
            if not isinstance(a, np.ndarray):
                return [holder(v) for v in a] if isinstance(a, list) else a
            t = placeholder(str(a.dtype), (None,) * a.ndim if unknown_dims else a.shape, name=f"in{len(feed)}")
            feed[t.name] = a
            return t
        out = fn(*[holder(a) for a in args])
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    assert all(isinstance(o, Tensor) for o in outs)
    with Session(g) as sess:
        values = sess.run([o.name for o in outs], feed)
    return values if isinstance(out, (tuple, list)) else values[0], outs


def _keras_name(name: str) -> str:
    return name.rstrip("_")


@pytest.mark.parametrize("unknown_dims", [False, True], ids=["static", "unknown_dims"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_name_matches_keras_values_and_dtype(keras, case, unknown_dims):
    name, args, kw = case
    name = _keras_name(name)
    theirs = getattr(keras.ops.numpy, name)(*args, **kw)
    ours, tensors = run_ours(lambda *a: getattr(onp, name)(*a, **kw), args, unknown_dims)
    theirs_list = list(theirs) if isinstance(theirs, (tuple, list)) else [theirs]
    ours_list = ours if isinstance(ours, list) else [ours]
    assert len(ours_list) == len(theirs_list)
    for o, t, tensor in zip(ours_list, theirs_list, tensors):
        t = np.asarray(t)
        assert np.asarray(o).dtype == t.dtype, f"{name}: dtype {np.asarray(o).dtype} vs Keras {t.dtype}"
        if not unknown_dims and tensor.shape is not None:  # unknown dims only where the size depends on values
            known = tuple(d if s is not None else None for d, s in zip(t.shape, tensor.shape))
            assert tuple(tensor.shape) == known, f"{name}: static shape {tensor.shape} vs {t.shape}"
        np.testing.assert_allclose(o, t, rtol=2e-6 if t.dtype != np.float16 else 1e-3, atol=1e-6, equal_nan=True)


def test_top_level_ops_has_the_numpy_names():
    for name in onp.__all__:
        assert hasattr(ops, name), name


def test_every_keras_numpy_name_exists_or_is_listed_with_a_reason(keras):
    listed = {n[4:] for n in not_implemented() if n.startswith("ops.") and n.count(".") == 1}
    public = [n for n in dir(keras.ops.numpy) if not n.startswith("_")]
    missing = [n for n in public if not (hasattr(onp, n) and hasattr(ops, n)) and n not in listed]
    assert not missing, f"keras.ops.numpy names neither implemented nor listed in docs/differences.md: {missing}"
    stale = [n for n in listed if n in public and hasattr(onp, n)]
    assert not stale, f"listed as not implemented but present: {stale}"
