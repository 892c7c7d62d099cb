"""A model's one Graph and one Session, and the prepared callables every step goes through.

The graph holds: input placeholders (batch dim None), the layers' variables, an inference forward
pass, a training forward pass when some layer behaves differently in training (sharing the same
variables), the loss (``loss/``), gradients from our registry (``gradients/``), the optimizer update
(``optimizer/``), BatchNorm moving-stat updates and weight constraints grouped into one ``train``
target, metric inputs (``metrics/``), per-variable read/assign ops and ``init``. A train step is then
one ``TF_SessionRun``: feeds inputs, targets and sample weights; fetches the loss and metric inputs.

Runs that change variables (a train step, writing weights) hold ``lock`` for writing, runs that read them
(predict, evaluate, reading weights) for reading: predictions run side by side and never see a step
half applied.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import warnings
from typing import Any, Sequence

import numpy as np

from ..autodiff import gradients
from ..graph import Graph, Tensor
from ..graph.ops import array, constants, state
from ..layers.base import LOSSES, UPDATES, get_keras_mask, set_keras_mask
from ..losses import apply_mask
from ..metrics.base import MeanMetricWrapper
from .data import step_shape
from ..runtime import Session, SessionConfig, dtypes
from ..runtime.rwlock import Guarded, ReadWriteLock

# Up to this many parameters ops run in the caller's thread (intra 1, inter -1): no pool hand-offs, the
# fastest setting for small models. Above it TF's own pools (0/0) get the large matmuls. Measured on the
# 2-core dev box, 3x1024 MLP at batch 512: 138 ms/step (1/-1) vs 155 ms (0/0), so with few cores the
# caller's thread is no worse even for big models; with many cores the pools win for such matmuls.
SMALL_MODEL_PARAMS = 200_000

# Above this many ops TF's graph optimizer (grappler, run once at the first step) is cut down: off for a
# model with unrolled RNNs, whose graphs it barely improves (100-step LSTM, `BENCH_GRAPH_REWRITES=...
# BENCH_RNN_STEPS=100 python bench/bench_rnn.py --quick`: first fit 3.1/4.9 s with TF's default, 2.8/3.7 s
# one pass, 1.0/1.2 s off, unmasked/masked; steps 7.8-8.0 and 13.4-14.7 ms in all three), one pass for
# other large graphs, whose fusions (conv + bias + relu) may matter and were not measured.
LARGE_GRAPH_OPS = 5_000

# Open ``distribute`` strategy scopes, innermost last: models compiled inside one train through it.
STRATEGY_STACK: list[Any] = []


def current_strategy() -> Any:
    return STRATEGY_STACK[-1] if STRATEGY_STACK else None


@dataclass
class TrainSpec:
    """What compile() decided, per model output: loss (or None), its weight and metrics."""

    optimizer: Any
    losses: list[Any]
    loss_weights: list[float]
    metrics: list[list[Any]]
    target_shapes: list[tuple[int | None, ...]]
    weighted_ids: set[int] = field(default_factory=set)  # id() of weighted_metrics: they get sample weights


def _identity_keeping_mask(tensor: Tensor, name: str) -> Tensor:
    out = array.identity(tensor, name=name)
    set_keras_mask(out, get_keras_mask(tensor))
    return out


def _has_unrolled_layers(layers: Sequence[Any]) -> bool:
    return any(getattr(layer, "unrolled", False) or _has_unrolled_layers(layer._sublayers()) for layer in layers)


class _StepGraph:
    """Loss and metric-input tensors of one forward pass (training or inference)."""

    def __init__(self, total: Tensor, per_output: list[Tensor], metric_fetches: list[tuple[Any, list[str], list[Tensor]]]):
        self.total, self.per_output, self.metric_fetches = total, per_output, metric_fetches

    def fetches(self) -> list[Tensor]:
        return [self.total, *self.per_output, *(t for _, _, ts in self.metric_fetches for t in ts)]


class ModelRuntime:
    """Builds the graph for ``model`` (and, with ``spec``, its training step) and opens a session."""

    def __init__(self, model: Any, spec: TrainSpec | None = None, seed: int | None = None,
                 config: SessionConfig | None = None):
        self.model, self.spec = model, spec
        self.graph = g = Graph(seed=seed)
        weights = model.weights
        self.model_weights = tuple(weights)  # the model's weights when built: a cheap "still mine?" check
        self.checked_moves = -1  # functional._weight_moves when they were last all in this session
        strategy = getattr(model, "distribute_strategy", None)
        with g.as_default(), g.device(strategy.variable_device if strategy else None):
            self.inputs = [constants.placeholder(kt.dtype, kt.shape, name=name)
                           for kt, name in zip(model.inputs, model.input_names)]
            self.variables = {id(w): w.bind(g) for w in weights}
            losses_before = len(g.collections.get(LOSSES, []))
            self.outputs = [_identity_keeping_mask(t, name=f"output_{i}")  # a layer may pass its input through
                            for i, t in enumerate(model.run_graph(self.inputs, training=False))]
            self.inference_losses = g.collections.get(LOSSES, [])[losses_before:]
            self.train_step = self.test_step = None
            if spec is not None:
                self._build_training(model, spec, g)
            self.all_variables = state.global_variables(g)
            self._reads, self._assigns = {}, {}
            for v in self.all_variables:
                with g.name_scope(v.name + "/"):
                    self._reads[v.name] = v.value(name="read")
                self._assigns[v.name] = v.assign_from_feed()
            self.init = array.group([v.initializer for v in self.all_variables], name="init")
        params = sum(int(np.prod(w.shape)) for w in weights)
        if config is None:
            config = (SessionConfig(intra_op_threads=1, inter_op_threads=-1) if params <= SMALL_MODEL_PARAMS
                      else SessionConfig())
            if len(g.operations) > LARGE_GRAPH_OPS:
                config.graph_rewrites = "off" if _has_unrolled_layers(model.layers) else "one_pass"
            config.xla = bool(getattr(model, "jit_compile", False))
        self.session = strategy.open_session(g, config) if strategy else Session(g, config=config)
        self.session.run(targets=[self.init.name])
        self.lock = ReadWriteLock()
        self.predict_fn = Guarded(self.session.make_callable([t.name for t in self.inputs],
                                                             [t.name for t in self.outputs]), self.lock, False)
        if spec is not None:
            feeds = [t.name for t in self.inputs + self.targets + self.sample_weights]
            self.train_fn = Guarded(self.session.make_callable(feeds, [t.name for t in self.train_step.fetches()],
                                                               [self.train_op.name]), self.lock, True)
            self.test_fn = Guarded(self.session.make_callable(feeds, [t.name for t in self.test_step.fetches()]),
                                   self.lock, False)
            if hasattr(spec.optimizer, "attach"):
                spec.optimizer.attach(self.session)
            self.write_pending_optimizer_state()

    # -- building -------------------------------------------------------------------------------------
    def _build_training(self, model: Any, spec: TrainSpec, g: Graph) -> None:
        differs = any(layer._call_has_training for layer in model.layers)
        strategy = getattr(model, "distribute_strategy", None)  # builds its own replicated training passes
        if differs and strategy is None:
            losses_before = len(g.collections.get(LOSSES, []))
            with g.name_scope("training"):
                train_outputs = model.run_graph(self.inputs, training=True)
            train_losses = g.collections.get(LOSSES, [])[losses_before:]
        else:
            train_outputs, train_losses = self.outputs, self.inference_losses
        updates = list(g.collections.get(UPDATES, []))
        self.loss_outputs = [i for i, loss in enumerate(spec.losses) if loss is not None]
        self.targets, self.sample_weights = [], []
        for i in self.loss_outputs:
            name = model.output_names[i]
            self.targets.append(constants.placeholder("float32", (None, *spec.target_shapes[i]), name=f"{name}_target"))
            # a sequence output's losses keep their steps: its weights are (batch, steps) or (batch, 1)
            weight_rank = 1 + len(step_shape(model.outputs[i].shape))
            self.sample_weights.append(constants.placeholder("float32", (None,) * weight_rank,
                                                             name=f"{name}_sample_weight"))
        trainable = [w for w in model.weights if w.trainable]
        variables = [self.variables[id(w)] for w in trainable]
        with g.name_scope("loss"):
            regularization = [w.regularizer(self.variables[id(w)].value()) for w in trainable
                              if w.regularizer is not None]
            if strategy is None:
                train_loss = self._loss(spec, train_outputs, regularization + train_losses)
        if strategy is None:
            self.train_step = _StepGraph(*train_loss, self._metric_inputs(spec, train_outputs, "metrics"))
        else:
            self.train_step, grads, updates = strategy.build_train_step(self, spec, regularization, variables)
        if differs or strategy is not None:
            with g.name_scope("loss/"), g.name_scope("test"):
                test_loss = self._loss(spec, self.outputs, regularization + self.inference_losses)
            self.test_step = _StepGraph(*test_loss, self._metric_inputs(spec, self.outputs, "metrics/test/"))
        else:
            self.test_step = self.train_step
        if strategy is None:
            grads = gradients(self.train_step.total, variables)
        pairs = [(grad, var) for grad, var in zip(grads, variables) if grad is not None]
        if not pairs:
            raise ValueError("no trainable weight receives a gradient from the loss: nothing to train")
        optimizer = spec.optimizer
        if getattr(optimizer, "built", False) and optimizer.iterations.graph is not g:
            optimizer.built = False  # a rebuilt model graph: new slots, values restored by name
        optimizer.build([var for _, var in pairs], g)
        with g.control_dependencies(self.train_step.fetches()):
            apply_op = optimizer.apply_gradients(pairs)
        constraint_ops = []
        with g.control_dependencies([apply_op]):
            for w in trainable:
                if w.constraint is not None:
                    var = self.variables[id(w)]
                    with g.name_scope(var.name + "/"):
                        constraint_ops.append(var.assign(w.constraint(var.value()), name="constrain"))
        self.train_op = array.group([apply_op, *updates, *constraint_ops], name="train")

    def _loss(self, spec: TrainSpec, outputs: list[Tensor], extra_losses: list[Tensor],
              targets: list[Tensor] | None = None, sample_weights: list[Tensor] | None = None) -> tuple[Tensor, list[Tensor]]:
        """Keras 3's total: sum of loss_weight * output loss, plus regularization and layer losses
        (a distribute replica passes its share of the targets and sample weights)."""
        targets = self.targets if targets is None else targets
        sample_weights = self.sample_weights if sample_weights is None else sample_weights
        terms, per_output = [], []
        for j, i in enumerate(self.loss_outputs):
            with self.graph.name_scope(self.model.output_names[i]):
                loss, sample_weight, mask = spec.losses[i], sample_weights[j], get_keras_mask(outputs[i])
                if mask is not None:  # Keras 3: the output's mask weights the loss (padded steps drop out)
                    sample_weight = apply_mask(sample_weight, mask, getattr(loss, "reduction", "sum_over_batch_size"))
                value = loss(targets[j], outputs[i], sample_weight)
            per_output.append(value)
            weight = spec.loss_weights[i]
            terms.append(value if weight == 1.0 else value * float(weight))
        total = terms[0]
        for term in terms[1:] + list(extra_losses):
            total = total + term
        return total, per_output if len(self.loss_outputs) > 1 else []

    def _metric_inputs(self, spec: TrainSpec, outputs: list[Tensor], scope: str) -> list[tuple[Any, list[str], list[Tensor]]]:
        fetches = []
        with self.graph.name_scope(scope):
            for j, i in enumerate(self.loss_outputs):
                for metric in spec.metrics[i]:
                    weight = self.sample_weights[j] if id(metric) in spec.weighted_ids else None
                    mask = get_keras_mask(outputs[i])
                    if mask is not None and isinstance(metric, MeanMetricWrapper):  # Keras: weighted or not
                        weight = apply_mask(weight, mask, "sum")
                    inputs = metric.graph_inputs(self.targets[j], outputs[i], weight)
                    keys = list(inputs)
                    fetches.append((metric, keys, [inputs[k] for k in keys]))
        return fetches

    # -- weights --------------------------------------------------------------------------------------
    def read_weights(self, weights: Sequence[Any]) -> list[np.ndarray]:
        return self.read_variables([self.variables[id(w)].name for w in weights])

    def write_weights(self, weights: Sequence[Any], values: Sequence[np.ndarray]) -> None:
        self.write_variables({self.variables[id(w)].name: v for w, v in zip(weights, values)})

    def read_variables(self, names: Sequence[str]) -> list[np.ndarray]:
        if not names:
            return []
        return Guarded(self.session.run, self.lock, False)([self._reads[n].name for n in names])

    def write_variables(self, values: dict[str, np.ndarray]) -> None:
        if not values:
            return
        feeds = [self._assigns[n][0].name for n in values]
        targets = [self._assigns[n][1].name for n in values]
        Guarded(self.session.make_callable(feeds, [], targets), self.lock, True)(*values.values())

    # -- optimizer state ------------------------------------------------------------------------------
    def _built_optimizer(self) -> Any:
        """The model's optimizer when its variables live in this graph (a training runtime), else None."""
        optimizer = self.spec.optimizer if self.spec is not None else None
        if optimizer is None or optimizer is not self.model.optimizer or not getattr(optimizer, "built", False):
            return None
        return optimizer if optimizer.iterations.graph is self.graph else None

    def optimizer_state(self) -> list[np.ndarray] | None:
        """The model's optimizer ``variables`` (iterations, learning rate, slots: Keras' order), or values
        still waiting for the training graph; None when there are neither."""
        optimizer = self._built_optimizer()
        if optimizer is None:
            return getattr(self.model.optimizer, "pending_state", None)
        return self.read_variables([v.name for v in optimizer.variables])

    def write_pending_optimizer_state(self) -> None:
        """Writes ``optimizer.pending_state`` (values loaded before the slots existed) once the optimizer's
        variables exist here. Values that do not fit them (another optimizer, other trainable weights)
        are skipped with a warning, as Keras' ``load_weights`` does."""
        optimizer = self._built_optimizer()
        values = getattr(optimizer, "pending_state", None)
        if values is None:
            return
        optimizer.pending_state = None
        variables = optimizer.variables
        shapes, found = [tuple(v.shape) for v in variables], [np.shape(value) for value in values]
        if found != shapes:
            warnings.warn(f"Skipping variable loading for optimizer {optimizer.name!r}, because it has "
                          f"{len(variables)} variables of shapes {shapes} whereas the saved optimizer has "
                          f"{len(values)} of shapes {found}", stacklevel=2)
            return
        self.write_variables({v.name: np.asarray(value, dtypes.to_numpy(v.dtype))
                              for v, value in zip(variables, values)})

    def variable_values(self) -> dict[str, np.ndarray]:
        names = [v.name for v in self.all_variables]
        return dict(zip(names, self.read_variables(names)))

    def restore(self, values: dict[str, np.ndarray]) -> None:
        """Sets every variable whose name and shape match (a rebuilt graph keeps trained state)."""
        shapes = {v.name: tuple(v.shape) for v in self.all_variables}
        self.write_variables({n: v for n, v in values.items() if n in shapes and tuple(v.shape) == shapes[n]})

    def close(self) -> None:
        self.session.close()
