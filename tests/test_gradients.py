"""Every gradient rule in the registry, checked against TF's GradientTape and float64 finite differences.

Each case builds a forward graph with our builder from float64 inputs. Our gradient graph runs in our
Session; the oracle replays the same forward nodes eagerly under a GradientTape (so TF's own gradient
functions answer), and central differences check both. Every case runs with fully static placeholder
shapes, with unknown dims and with unknown rank, so the rules' dynamic paths are tried too. Static
shapes of every tensor in the graph must agree with what actually comes out.
"""
from __future__ import annotations

import glob
import importlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest

from tfkg_graph.autodiff import RULES, NoGradientError, gradients
from tfkg_graph.graph import Graph, Tensor, Variable, array, math, nn
from tfkg_graph.graph.ops import control_flow
from tfkg_graph.graph.ops.constants import constant, placeholder, tensor_proto_to_numpy
from tfkg_graph.runtime import Session, dtypes

RNG = np.random.default_rng(1234)


def away(*shape: int, lo: float = 0.3, hi: float = 2.0) -> np.ndarray:
    """Random values of either sign, kept away from zero (kinks of Abs, Relu... sit there)."""
    return RNG.uniform(lo, hi, shape) * RNG.choice([-1.0, 1.0], shape)


def pos(*shape: int, lo: float = 0.5, hi: float = 2.0) -> np.ndarray:
    return RNG.uniform(lo, hi, shape)


def probabilities(*shape: int) -> np.ndarray:
    """Rows that sum to one: the fused loss's backprop output assumes labels are a distribution."""
    p = pos(*shape)
    return p / p.sum(-1, keepdims=True)


def distinct(*shape: int) -> np.ndarray:
    """Values with no ties and gaps of at least 0.1, for Max/Min and Maximum/Minimum."""
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.1 - n * 0.05).reshape(shape) + 0.01


def i32(value: Any) -> Tensor:
    return constant(np.asarray(value, np.int32))


def raw(op_type: str, *inputs: Any, **attrs: Any) -> Tensor:
    """An op made directly with create_op (for op types our constructors do not emit)."""
    graph = next(t for t in inputs if isinstance(t, Tensor)).graph
    return graph.create_op(op_type, list(inputs), attrs).outputs[0]


@dataclass
class Case:
    build: Callable[..., Tensor | list[Tensor]]
    inputs: list[np.ndarray]
    variables: bool = False  # inputs are resource Variables instead of placeholders
    eps: float = 1e-6        # finite-difference step
    fd_tol: float = 1e-6     # finite differences are only this good
    tape: bool = True        # False where TF Python registers no gradient (finite differences only)
    fd: bool = True          # False at ties, where only TF's convention can be compared
    any_rank: bool = True    # False where the rule needs a known rank (it then says so)
    label: str = ""


def C(build: Callable, *inputs: np.ndarray, **kw: Any) -> Case:
    return Case(build, list(inputs), **kw)


def _matmul_cases(op_type: str, a_shape, b_shape) -> list[Case]:
    """All four transpose combinations; transposed operands are generated transposed."""
    cases = []
    for ta in (False, True):
        for tb in (False, True):
            a = away(*(a_shape[:-2] + (a_shape[-1], a_shape[-2]) if ta else a_shape))
            b = away(*(b_shape[:-2] + (b_shape[-1], b_shape[-2]) if tb else b_shape))
            if op_type == "MatMul":
                build = lambda x, y, ta=ta, tb=tb: raw("MatMul", x, y, transpose_a=ta, transpose_b=tb)
            elif op_type == "BatchMatMulV3":
                build = lambda x, y, ta=ta, tb=tb: raw("BatchMatMulV3", x, y, adj_x=ta, adj_y=tb,
                                                       Tout=dtypes.DOUBLE)
            else:
                build = lambda x, y, ta=ta, tb=tb: raw("BatchMatMulV2", x, y, adj_x=ta, adj_y=tb)
            cases.append(C(build, a, b, label=f"ta={ta},tb={tb}"))
    return cases


def _reduction_cases(fn: Callable, make: Callable = away, **kw: Any) -> list[Case]:
    return [C(lambda x: fn(x), make(2, 3), **kw),
            C(lambda x: fn(x, axis=-1, keepdims=True), make(2, 3, 4), **kw),
            C(lambda x: fn(x, axis=[0, 2]), make(2, 3, 4), **kw),
            C(lambda x: fn(x, axis=[-1, 0], keepdims=True), make(3, 2, 2), **kw),
            C(lambda x: fn(x, axis=1), make(4, 3), **kw)]


def _with_zeros(*shape: int) -> np.ndarray:
    """Prod inputs with one zero in one row and two zeros in another (y / x would give NaN)."""
    x = away(*shape, lo=0.5, hi=1.5)
    flat = x.reshape(-1)
    flat[1] = 0.0
    flat[-1] = flat[-2] = 0.0
    return x


_BIN = [((3, 1, 4), (2, 4)), ((), (2, 3)), ((2, 3), ()), ((2, 1), (1, 3)), ((3, 4), (3, 4))]


def _binary(fn: Callable, make_x=away, make_y=away) -> list[Case]:
    """Binary elementwise op over broadcasting shape pairs (including scalar with matrix)."""
    return [C(fn, make_x(*a), make_y(*b), label=f"{a}x{b}") for a, b in _BIN]


TIES = np.array([[1.0, 2.0, 2.0], [0.5, 0.5, 0.5], [3.0, -1.0, 3.0]])
SPARSE_LABELS = np.array([0, 3, 4, 1], np.int32)
GATHER_INDICES = np.array([[2, 0], [2, 1]], np.int32)

CASES: dict[str, list[Case]] = {
    "AddV2": _binary(lambda x, y: x + y),
    "Add": _binary(lambda x, y: raw("Add", x, y))[:2],
    "Sub": _binary(lambda x, y: x - y),
    "Mul": _binary(lambda x, y: x * y),
    "RealDiv": _binary(lambda x, y: x / y),
    "Div": _binary(lambda x, y: raw("Div", x, y))[:2],
    "DivNoNan": _binary(math.div_no_nan)[:3],
    "Pow": _binary(math.pow, make_x=pos, make_y=away),
    "Maximum": [C(math.maximum, distinct(3, 1, 4), distinct(2, 4) + 0.05),
                C(math.maximum, np.array(0.33), distinct(2, 3)),
                C(math.maximum, TIES, TIES[::-1], fd=False, label="ties")],
    "Minimum": [C(math.minimum, distinct(3, 1, 4), distinct(2, 4) + 0.05),
                C(math.minimum, distinct(2, 3), np.array(-0.07)),
                C(math.minimum, TIES, TIES[::-1], fd=False, label="ties")],
    "SquaredDifference": _binary(math.squared_difference)[:3],
    "AddN": [C(lambda x, y, z: math.add_n([x, y, z, x]), away(2, 3), away(2, 3), away(2, 3))],
    "Neg": [C(math.negative, away(2, 3))],
    "Square": [C(math.square, away(2, 3))],
    "Sqrt": [C(math.sqrt, pos(2, 3))],
    "Rsqrt": [C(math.rsqrt, pos(2, 3))],
    "Reciprocal": [C(math.reciprocal, away(2, 3))],
    "Exp": [C(math.exp, away(2, 3))],
    "Log": [C(math.log, pos(2, 3))],
    "Log1p": [C(math.log1p, pos(2, 3, lo=-0.5, hi=2.0))],
    "Abs": [C(math.abs, away(2, 3))],
    "Erf": [C(math.erf, away(2, 3))],
    "Erfc": [C(lambda x: raw("Erfc", x), away(2, 3))],
    "Sigmoid": [C(math.sigmoid, away(2, 3))],
    "Tanh": [C(math.tanh, away(2, 3))],
    "Relu": [C(nn.relu, away(2, 3))],
    "Relu6": [C(nn.relu6, away(3, 4, hi=8.0) * 1.0)],
    "Elu": [C(nn.elu, away(2, 3))],
    "Selu": [C(nn.selu, away(2, 3))],
    "LeakyRelu": [C(lambda x: nn.leaky_relu(x, alpha=0.3), away(2, 3))],
    "Softplus": [C(nn.softplus, away(2, 3))],
    "Softsign": [C(nn.softsign, away(2, 3))],
    "Softmax": [C(nn.softmax, away(3, 5)), C(nn.softmax, away(2, 3, 4))],
    "LogSoftmax": [C(nn.log_softmax, away(3, 5)), C(nn.log_softmax, away(2, 3, 4))],
    "SparseSoftmaxCrossEntropyWithLogits": [
        C(lambda x: nn.sparse_softmax_cross_entropy_with_logits(i32(SPARSE_LABELS), x), away(4, 5))],
    "SoftmaxCrossEntropyWithLogits": [
        C(lambda x, y: nn.softmax_cross_entropy_with_logits(y, x), away(4, 5), probabilities(4, 5))],
    "L2Loss": [C(nn.l2_loss, away(3, 4))],
    "BiasAdd": [C(nn.bias_add, away(3, 4), away(4)), C(nn.bias_add, away(2, 3, 4), away(4)),
                C(lambda x, b: raw("BiasAdd", x, b, data_format="NCHW"), away(2, 3, 2, 2), away(3), label="NCHW")],
    "Cast": [C(lambda x: math.cast(math.cast(x, "float32") * 3.0, "float64"), away(2, 3), eps=1e-3,
               fd_tol=1e-4),
             C(lambda x: raw("Cast", x, DstT=dtypes.DOUBLE), away(2, 3))],
    "SelectV2": [C(lambda x, y: math.select(constant(np.array([[True], [False], [True]])), x, y),
                   away(3, 4), away(4)),
                 C(lambda x, y: math.select(constant(np.array([True, False])), x, y), away(), away(3, 2))],
    "ClipByValue": [C(lambda x, lo, hi: math.clip_by_value(x, lo, hi),
                      np.array([[-1.5, -0.2, 0.3], [0.9, -0.7, 0.1]]), np.array(-0.5), np.array(0.5))],
    "MatMul": _matmul_cases("MatMul", (3, 4), (4, 2)),
    "BatchMatMulV2": _matmul_cases("BatchMatMulV2", (2, 1, 3, 4), (5, 4, 2))
                     + _matmul_cases("BatchMatMulV2", (2, 3, 4), (4, 2))[:2],
    "BatchMatMulV3": _matmul_cases("BatchMatMulV3", (3, 4), (2, 4, 2))[:2],
    "Sum": _reduction_cases(math.reduce_sum),
    "Mean": _reduction_cases(math.reduce_mean),
    "Max": _reduction_cases(math.reduce_max, distinct) + [
        C(lambda x: math.reduce_max(x, axis=-1), TIES, fd=False, label="ties")],
    "Min": _reduction_cases(math.reduce_min, distinct) + [
        C(lambda x: math.reduce_min(x, axis=0, keepdims=True), TIES, fd=False, label="ties")],
    "Prod": _reduction_cases(math.reduce_prod, lambda *s: away(*s, lo=0.5, hi=1.5), any_rank=False)
            + _reduction_cases(math.reduce_prod, _with_zeros, any_rank=False),
    "Identity": [C(array.identity, away(2, 3))],
    "Snapshot": [C(lambda x: raw("Snapshot", x), away(2, 3), tape=False)],
    "Reshape": [C(lambda x: array.reshape(x, [3, -1]), away(2, 3, 2)),
                C(lambda x: array.reshape(x, []), away(1, 1))],
    "Squeeze": [C(lambda x: array.squeeze(x, [1, -1]), away(2, 1, 3, 1))],
    "ExpandDims": [C(lambda x: array.expand_dims(x, -1), away(2, 3)),
                   C(lambda x: array.expand_dims(x, 0), away(2, 3))],
    "Transpose": [C(lambda x: array.transpose(x, [2, 0, 1]), away(2, 3, 4)),
                  C(array.transpose, away(2, 3), any_rank=False)],  # the builder needs the rank for perm=None
    "ConcatV2": [C(lambda x, y, z: array.concat([x, y, z], -1), away(2, 1), away(2, 3), away(2, 2)),
                 C(lambda x, y: array.concat([x, y], 0), away(1, 3), away(2, 3))],
    "Split": [C(lambda x: array.split(x, 2, axis=1)[1], away(2, 4)),
              C(lambda x: array.split(x, 3, axis=-1), away(2, 6))],
    "SplitV": [C(lambda x: array.split(x, [1, 3], axis=1), away(2, 4)),
               C(lambda x: array.split(x, [2, 1, 1], axis=0)[0], away(4, 2))],
    "Slice": [C(lambda x: array.slice(x, [1, 0], [2, -1]), away(4, 3))],
    "StridedSlice": [C(lambda x: x[1:, ::2, None, -1], away(3, 5, 2)),
                     C(lambda x: x[..., 1], away(2, 3, 4)),
                     C(lambda x: x[::-1, 1:3], away(3, 4))],
    "Pack": [C(lambda x, y: array.stack([x, y, x], axis=-1), away(2, 3), away(2, 3))],
    "Unpack": [C(lambda x: array.unstack(x, num=3, axis=1)[::2], away(2, 3, 2)),
               C(lambda x: array.unstack(x, num=2, axis=0), away(2, 3))],
    "Tile": [C(lambda x: array.tile(x, [2, 1, 3]), away(2, 3, 1))],
    "Fill": [C(lambda x: array.fill([2, 3], x) * away(2, 3), away()),
             C(lambda x, y: array.fill(array.shape(y), x) * y, away(), away(2, 3))],
    "Pad": [C(lambda x: array.pad(x, [[1, 0], [2, 1]]), away(2, 3))],
    "PadV2": [C(lambda x: array.pad(x, [[1, 0], [0, 2]], constant_values=1.5), away(2, 3))],
    "BroadcastTo": [C(lambda x: array.broadcast_to(x, [2, 3, 4]), away(3, 1)),
                    C(lambda x: array.broadcast_to(x, [2, 3]), away())],
    "GatherV2": [C(lambda x: array.gather(x, i32(GATHER_INDICES)), away(3, 4)),
                 C(lambda x: array.gather(x, i32([1, 1, 3]), axis=1), away(2, 4, 3), any_rank=False),
                 C(lambda x: array.gather(x, i32(GATHER_INDICES), axis=-1), away(2, 3), any_rank=False)],
    "UnsortedSegmentSum": [C(lambda x: array.unsorted_segment_sum(x, i32([0, 2, 0, 1]), 4), away(4, 3))],
    "ReadVariableOp": [C(lambda v: v.value() * v.value() + v.value(), away(2, 3), variables=True)],
    "ResourceGather": [C(lambda v: raw("ResourceGather", v.handle, i32(GATHER_INDICES), dtype=dtypes.DOUBLE),
                         away(3, 4), variables=True)],
    "Conv2D": [C(lambda x, w: nn.conv2d(x, w, 1, "SAME"), away(2, 5, 4, 2), away(3, 3, 2, 3), label="same"),
               C(lambda x, w: nn.conv2d(x, w, 2, "VALID"), away(2, 7, 6, 2), away(3, 2, 2, 2), label="valid_s2"),
               C(lambda x, w: nn.conv2d(x, w, 2, "SAME"), away(1, 6, 5, 2), away(3, 3, 2, 2), label="same_s2"),
               C(lambda x, w: nn.conv2d(x, w, 1, "VALID", dilations=2), away(1, 7, 6, 2), away(2, 3, 2, 2),
                 tape=False, label="valid_d2"),  # TF's CPU backprop kernels reject dilations: FD only
               C(lambda x, w: nn.conv2d(x, w, 1, "SAME", dilations=2), away(1, 5, 5, 1), away(3, 2, 1, 2),
                 tape=False, label="same_d2"),
               C(lambda x, w: nn.conv1d(x, w, 2, "SAME"), away(2, 7, 3), away(3, 3, 2), label="conv1d")],
    "Conv2DBackpropInput": [  # conv2d_transpose: filters (h, w, out, in), output shape given
        C(lambda x, w: nn.conv2d_transpose(x, w, [2, 6, 6, 4], 2, "SAME"), away(2, 3, 3, 2), away(3, 3, 4, 2),
          label="same_s2"),
        C(lambda x, w: nn.conv2d_transpose(x, w, [1, 6, 4, 3], 2, "VALID"), away(1, 3, 2, 2), away(2, 2, 3, 2),
          label="valid_s2"),
        C(lambda x, w: nn.conv2d_transpose(x, w, [1, 4, 4, 2], 1, "SAME"), away(1, 4, 4, 3), away(3, 3, 2, 3),
          label="same_s1")],
    "MaxPool": [C(lambda x: nn.max_pool(x, 2, 2, "VALID"), distinct(2, 4, 5, 2), label="valid_s2"),
                C(lambda x: nn.max_pool(x, 3, 2, "SAME"), distinct(1, 5, 6, 2), label="same_s2"),
                C(lambda x: nn.max_pool(x, [2, 3], 1, "SAME"), distinct(1, 4, 4, 3), label="same_s1")],
    "AvgPool": [C(lambda x: nn.avg_pool(x, 2, 2, "VALID"), away(2, 4, 5, 2), label="valid_s2"),
                C(lambda x: nn.avg_pool(x, 3, 2, "SAME"), away(1, 5, 6, 2), label="same_s2"),
                C(lambda x: nn.avg_pool(x, [2, 3], 1, "SAME"), away(1, 4, 4, 3), label="same_s1")],
}


# Loops and conditionals: finite differences here (their functions cannot be replayed op by op);
# tests/test_control_flow.py compares them with GradientTape over tf.while_loop / tf.cond.
def _loop(x, w):
    return control_flow.while_loop(lambda i, h: math.less(i, 3),
                                   lambda i, h: (i + 1, math.tanh(h * w + 0.5)), (i32(0), x))[1]


def _pushed(x):
    elem = control_flow.push_back(control_flow.push_back(control_flow.empty_list("float64"), x), x * x)
    return control_flow.stack(elem, dtypes.DOUBLE, x.shape)


CASES.update({
    "While": [C(_loop, away(2, 3), away(3), tape=False),
              C(lambda x: control_flow.scan(lambda c, v: (c * v, c + v), x[0], x)[1], away(4, 2), tape=False,
                label="scan")],
    "If": [C(lambda x, y: control_flow.cond(math.greater(math.reduce_sum(x), 0.0), lambda: x * y,
                                            lambda: math.exp(y)), pos(3), away(3), tape=False),
           C(lambda x, y: control_flow.cond(math.less(math.reduce_sum(x), 0.0), lambda: x * y,
                                            lambda: math.exp(y)), pos(3), away(3), tape=False, label="else")],
    "TensorListPushBack": [C(_pushed, away(2, 3))],
    "TensorListStack": [C(_pushed, away(3))],
    "TensorListFromTensor": [C(lambda x: control_flow.stack(control_flow.from_tensor(x), dtypes.DOUBLE, None),
                               away(3, 2))],
    "TensorListPopBack": [C(lambda x: control_flow.pop_back(control_flow.from_tensor(x), dtypes.DOUBLE, None)[1],
                            away(3, 2))],
    "ReverseV2": [C(lambda x: control_flow.reverse_(x, 1), away(2, 3))],
})


def _add_case_files() -> None:
    """Cases for a family of ops may live in `tests/_gradient_cases_<family>.py`, a module with a
    `CASES` dict built from this file's helpers (`from test_gradients import C, away, ...`)."""
    sys.modules.setdefault("test_gradients", sys.modules[__name__])
    for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "_gradient_cases_*.py"))):
        more = importlib.import_module(os.path.basename(path)[:-3]).CASES
        clash = set(more) & set(CASES)
        assert not clash, f"{os.path.basename(path)} repeats cases of {sorted(clash)}"
        CASES.update(more)


_add_case_files()


SHAPES = ("static", "unknown_dims", "unknown_rank")


def _case_params() -> list:
    params = []
    for op_type, cases in CASES.items():
        for i, case in enumerate(cases):
            shapes = ("static",) if case.variables else SHAPES if case.any_rank else SHAPES[:2]
            for shapes_known in shapes:
                tag = f"{op_type}-{i}{'-' + case.label if case.label else ''}-{shapes_known}"
                params.append(pytest.param(op_type, case, shapes_known, id=tag))
    return params


def _placeholder_shape(value: np.ndarray, shapes_known: str) -> tuple | None:
    return {"static": value.shape, "unknown_dims": (None,) * value.ndim, "unknown_rank": None}[shapes_known]


# ---- running a case ---------------------------------------------------------------------------
@dataclass
class Built:
    graph: Graph
    session: Session
    xs: list           # placeholders or Variables
    feeds: list[str]   # what to feed each input through (placeholder or initial-value placeholder)
    ys: list[Tensor]
    upstream: list[Tensor]
    grads: list[Tensor | None]
    variables: bool

    def set_inputs(self, values: list[np.ndarray]) -> dict[str, np.ndarray]:
        feed = dict(zip(self.feeds, values))
        if self.variables:
            self.session.run([], feed, targets=[x.initializer.name for x in self.xs])
        return feed

    def loss(self, values: list[np.ndarray], up: list[np.ndarray]) -> float:
        ys = self.session.run([y.name for y in self.ys], self.set_inputs(values))
        return float(sum(np.sum(y * u) for y, u in zip(ys, up)))


def build(case: Case, op_type: str, shapes_known: str) -> Built:
    g = Graph(seed=7)
    with g.as_default():
        if case.variables:
            xs = [Variable(lambda a=a, i=i: placeholder("float64", a.shape, name="init"), shape=a.shape,
                           dtype="float64", name=f"v{i}") for i, a in enumerate(case.inputs)]
            feeds = [x.initial_value.name for x in xs]
        else:
            xs = [placeholder("float64", _placeholder_shape(a, shapes_known), name=f"x{i}")
                  for i, a in enumerate(case.inputs)]
            feeds = [x.name for x in xs]
        out = case.build(*xs)
        ys = out if isinstance(out, (list, tuple)) else [out]
        assert any(op.type == op_type for op in g.operations), f"case does not build a {op_type} op"
        upstream = [placeholder(y.dtype, y.shape, name=f"upstream{i}") for i, y in enumerate(ys)]
        grads = gradients(ys, xs, grad_ys=upstream)
    return Built(g, Session(g), xs, feeds, list(ys), upstream, grads, case.variables)


def compatible(static: tuple | None, actual: tuple) -> bool:
    return static is None or (len(static) == len(actual) and all(s is None or s == a
                                                                for s, a in zip(static, actual)))


def check_static_shapes(b: Built, feed: dict[str, np.ndarray]) -> None:
    """Every fetchable tensor in the graph (forward and backward) against its static shape."""
    tensors = [t for op in b.graph.operations for t in op.outputs
               if t.dtype not in (dtypes.RESOURCE, dtypes.VARIANT) and t.name not in feed]
    values = b.session.run([t.name for t in tensors], feed) if tensors else []
    bad = [(t.name, t.op.type, t.shape, v.shape) for t, v in zip(tensors, values)
           if not compatible(t.shape, v.shape)]
    assert not bad, f"static shapes disagree with run time shapes: {bad}"


def finite_differences(b: Built, inputs: list[np.ndarray], up: list[np.ndarray], eps: float) -> list:
    grads = []
    for i, x in enumerate(inputs):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus = [v.copy() for v in inputs]
            minus = [v.copy() for v in inputs]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (b.loss(plus, up) - b.loss(minus, up)) / (2 * eps)
        grads.append(g)
    return grads


def tf_gradients(tf, b: Built, inputs: list[np.ndarray], up: list[np.ndarray]) -> list:
    """The same forward nodes replayed eagerly through tf.raw_ops under a GradientTape."""
    if b.variables:
        leaves = [tf.Variable(v) for v in inputs]
        values = {id(x.handle): leaf.handle for x, leaf in zip(b.xs, leaves)}
    else:
        leaves = [tf.constant(v) for v in inputs]
        values = {id(x): leaf for x, leaf in zip(b.xs, leaves)}
    with tf.GradientTape() as tape:
        for leaf in leaves:
            tape.watch(leaf)
        ys = replay(tf, b.ys, values)
    grads = tape.gradient(ys, leaves, output_gradients=[tf.constant(u) for u in up])
    return [None if g is None else tf.convert_to_tensor(g).numpy() for g in grads]


def replay(tf, ys: list[Tensor], values: dict[int, Any]) -> list:
    """Executes the nodes ``ys`` need, in creation order, as TF Python's generated op wrappers do
    (execute + record_gradient), so the tape applies TF's registered gradient functions."""
    from tensorflow.python.eager import context, execute
    needed, stack = set(), [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op not in needed and not all(id(t) in values for t in op.outputs):
            needed.add(op)
            stack.extend(t.op for t in op.inputs)
    for op in ys[0].graph.operations:
        if op not in needed:
            continue
        if op.type == "Const":
            values[id(op.outputs[0])] = tf.constant(tensor_proto_to_numpy(op.attrs["value"].tensor))
            continue
        inputs = [values[id(t)] for t in op.inputs]
        attrs = tuple(x for key in op.attrs for x in (key, op.get_attr(key)))
        result = execute.execute(op.type, len(op.outputs), inputs=inputs, attrs=attrs, ctx=context.context())
        execute.record_gradient(op.type, inputs, attrs, result)
        for t, v in zip(op.outputs, result):
            values[id(t)] = v
    return [values[id(y)] for y in ys]


@pytest.mark.parametrize("op_type,case,shapes_known", _case_params())
def test_rule_matches_gradient_tape_and_finite_differences(tf, op_type, case, shapes_known):
    b = build(case, op_type, shapes_known)
    inputs = [np.asarray(v, np.float64) for v in case.inputs]
    feed = b.set_inputs(inputs)
    y_values = b.session.run([y.name for y in b.ys], feed)
    up = [RNG.standard_normal(np.shape(y)) for y in y_values]
    feed.update({u.name: v for u, v in zip(b.upstream, up)})

    assert all(g is not None for g in b.grads), "every input of these cases is connected"
    to_fetch = [g.name for g in b.grads if g.name not in feed]
    fetched = b.session.run(to_fetch, feed) if to_fetch else []
    ours = [feed[g.name] if g.name in feed else fetched.pop(0) for g in b.grads]
    check_static_shapes(b, feed)
    theirs = tf_gradients(tf, b, inputs, up) if case.tape else ours
    numeric = finite_differences(b, inputs, up, case.eps) if case.fd else ours
    for i, (o, t, n) in enumerate(zip(ours, theirs, numeric)):
        assert o.shape == inputs[i].shape, f"gradient {i} has shape {o.shape}, input {inputs[i].shape}"
        np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-10, err_msg=f"input {i} vs GradientTape")
        np.testing.assert_allclose(o, n, rtol=case.fd_tol, atol=case.fd_tol,
                                   err_msg=f"input {i} vs finite differences")


REQUIRED = """MatMul BatchMatMulV2 BiasAdd AddV2 Add Sub Mul RealDiv Neg Square Sqrt Rsqrt Exp Log Log1p Pow
Maximum Minimum Abs Relu Relu6 Elu Selu LeakyRelu Sigmoid Tanh Softplus Softsign Erf Softmax LogSoftmax
SparseSoftmaxCrossEntropyWithLogits SoftmaxCrossEntropyWithLogits Sum Mean Max Min Prod Reshape Squeeze
ExpandDims Transpose ConcatV2 Split SplitV Slice StridedSlice Pack Unpack Tile Pad GatherV2 ResourceGather
Cast Identity SelectV2 ReadVariableOp""".split()


def test_every_rule_has_a_case_and_every_required_op_has_a_rule():
    with_rule = {op for op, rule in RULES.items() if rule is not None}
    assert not with_rule - set(CASES), f"rules without a test case: {sorted(with_rule - set(CASES))}"
    assert not set(CASES) - with_rule, f"cases for ops without a rule: {sorted(set(CASES) - with_rule)}"
    assert not set(REQUIRED) - with_rule, f"required rules missing: {sorted(set(REQUIRED) - with_rule)}"


# ---- the walk itself -----------------------------------------------------------------------------
def _run(g: Graph, fetches: list[Tensor], feed: dict[Tensor, np.ndarray], targets=()) -> list[np.ndarray]:
    with Session(g) as sess:
        return sess.run([t.name for t in fetches], {t.name: v for t, v in feed.items()},
                        targets=[op.name for op in targets])


def test_paths_through_an_input_used_several_times_are_summed():
    x_value = away(2, 3)
    g = Graph()
    with g.as_default():
        x = placeholder("float64", (2, 3))
        y = math.reduce_sum(x * x + math.exp(x) - x)   # dy/dx = 2x + e^x - 1
        (gx,) = gradients(y, [x])
    np.testing.assert_allclose(_run(g, [gx], {x: x_value})[0], 2 * x_value + np.exp(x_value) - 1)


def test_stop_gradient_blocks_one_path():
    x_value = away(4)
    g = Graph()
    with g.as_default():
        x = placeholder("float64", (4,))
        y = math.reduce_sum(x * array.stop_gradient(x))   # only the first factor is differentiated
        (gx,) = gradients(y, [x])
    np.testing.assert_allclose(_run(g, [gx], {x: x_value})[0], x_value)


def test_non_differentiable_paths_give_none_or_only_the_smooth_part():
    x_value = away(5)
    g = Graph()
    with g.as_default():
        x = placeholder("float64", (5,))
        through_argmax = math.cast(math.argmax(x, axis=0), "float64")
        mask = math.cast(math.greater(x, math.scalar_like(x, 0.0)), "float64")
        gx_argmax = gradients(through_argmax, [x])[0]
        gx_masked = gradients(math.reduce_sum(x * mask), [x])[0]
    assert gx_argmax is None
    np.testing.assert_allclose(_run(g, [gx_masked], {x: x_value})[0], (x_value > 0).astype(float))


def test_unconnected_inputs_get_none_and_intermediate_inputs_get_their_gradient():
    x_value = away(3)
    g = Graph()
    with g.as_default():
        x = placeholder("float64", (3,))
        unused = placeholder("float64", (3,))
        h = x * math.scalar_like(x, 2.0)
        y = math.reduce_sum(h * h)
        gh, gx, gu = gradients(y, [h, x, unused])
    assert gu is None
    got_h, got_x = _run(g, [gh, gx], {x: x_value})
    np.testing.assert_allclose(got_h, 4 * x_value)   # dy/dh = 2h
    np.testing.assert_allclose(got_x, 8 * x_value)   # dy/dx = 8x


def test_missing_rule_names_op_type_and_node():
    unregistered = "Digamma"
    assert unregistered not in RULES
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (2,))
        y = g.create_op(unregistered, [x], name="special").outputs[0]
        with pytest.raises(NoGradientError, match=r"'Digamma'.*'special'"):
            gradients(math.reduce_sum(y), [x])


def test_variable_gradient_sums_two_reads_and_a_gather():
    v_value = away(4, 3)
    g = Graph()
    with g.as_default():
        v = Variable(v_value, name="emb")
        rows = raw("ResourceGather", v.handle, i32([3, 0, 3]), dtype=dtypes.FLOAT)
        y = math.reduce_sum(v.value() * v.value()) + math.reduce_sum(rows)
        gv = gradients(y, v)
    assert gv.shape == (4, 3)
    with Session(g) as sess:
        sess.run([], targets=[v.initializer.name])
        got = sess.run(gv.name)
    counts = np.bincount([3, 0, 3], minlength=4)[:, None]
    np.testing.assert_allclose(got, 2 * v_value.astype(np.float32) + counts, rtol=1e-6)


def test_backward_ops_live_under_the_gradients_scope():
    g = Graph()
    with g.as_default():
        x = placeholder("float32", (2, 2), name="x")
        y = math.reduce_sum(math.tanh(x @ x))
        before = len(g.operations)
        gradients(y, [x])
    assert all(op.name.startswith("gradients/") for op in g.operations[before:])
