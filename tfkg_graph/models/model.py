"""Functional ``Model``: the layer DAG, compile/fit/evaluate/predict and the training loop.

Per step the loop does only numpy slicing and one prepared session call; everything else (dtype and
shape checks, class weights, label range checks) happens once per ``fit``/``evaluate``/``predict``.

Threads: ``predict``, ``predict_on_batch``, ``__call__`` on arrays, ``get_weights`` and ``set_weights`` may
be called from any number of threads at once, also while another thread trains; a prediction sees the
weights before or after a train step, never halfway (the runtime's readers-writer lock). ``compile``,
``fit``, ``evaluate``, ``train_on_batch``, ``test_on_batch`` and the saving calls change shared state
(metrics, callbacks, the optimizer) and serialize themselves on the model's lock: one at a time per model.
"""
from __future__ import annotations

import copy
import functools
import math
import os
import threading
import time
import warnings
import weakref
from typing import Any, Callable, Sequence

import numpy as np

from ..layers import base as layer_base
from ..layers.base import InputLayer, KerasTensor, Layer, Node, flatten, map_structure
from ..callbacks.progbar import Progbar
from ..graph import Tensor
from ..runtime import dtypes, errors
from . import data as data_mod
from .runtime import ModelRuntime, TrainSpec, current_strategy


def _serialized(method: Callable) -> Callable:
    """Runs ``method`` holding the model's lock (reentrant: fit's validation pass and callbacks may
    call evaluate or save on the same model)."""
    @functools.wraps(method)
    def locked(self: "Model", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)
    return locked


class Model(Layer):
    """``Model(inputs=..., outputs=...)`` over KerasTensors, with Keras 3's training API."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True, **kwargs: Any):
        self._layers: list[Layer] = []
        self._lock = threading.RLock()
        self._closed = False
        self.jit_compile = False
        super().__init__(name=name or layer_base.unique_name(
            "sequential" if type(self).__name__ == "Sequential" else "functional"), trainable=trainable, **kwargs)
        self._runtime: ModelRuntime | None = None
        self._compiled: dict[str, Any] | None = None
        self._spec: TrainSpec | None = None
        self.stop_training = False
        self.history: Any = None
        self._distribute_strategy = current_strategy()
        self._initial_epoch: int | None = None  # set by a restoring callback (distribute.BackupAndRestore)
        self._shuffle_rng = np.random.default_rng(layer_base.random_seed())
        self._inputs: list[KerasTensor] = []
        self._outputs: list[KerasTensor] = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model needs both inputs and outputs")
            self._init_graph(inputs, outputs)

    # -- the DAG ----------------------------------------------------------------------------------------
    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._inputs = [t for t in flatten(inputs)]
        self._outputs = [t for t in flatten(outputs)]
        for t in self._inputs + self._outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"model inputs and outputs must be KerasTensors (from layers.Input and layer "
                                f"calls), got {type(t).__name__}")
        for t in self._inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(f"model input {t.name!r} does not come from layers.Input")
        self._node_order = self._collect_nodes()
        layers: list[Layer] = []
        for node in self._node_order:
            if node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"all layer names in a model must be unique; repeated: {duplicates}")
        self._layers = layers
        from ..saving.keras_h5 import keras_layer_order
        self._layers = keras_layer_order(self)  # Keras' order (depth from the outputs), for get/set_weights
        for layer in layers:
            layer._owner = weakref.ref(self)
        self._runtime, self._spec = None, None
        self.built = True

    def _collect_nodes(self) -> list[Node]:
        """Nodes between the inputs and the outputs, in creation (topological) order."""
        inputs = {id(t) for t in self._inputs}
        seen: dict[int, Node] = {}
        stack = [t for t in self._outputs]
        while stack:
            t = stack.pop()
            node = t.node
            if node is None:
                raise ValueError(f"{t!r} was not produced by a layer")
            if node.id in seen:
                continue
            seen[node.id] = node
            if id(t) in inputs:
                continue
            if isinstance(node.layer, InputLayer):
                raise ValueError(f"graph disconnected: output needs input {t.name!r}, which is not among "
                                 f"the model inputs {[i.name for i in self._inputs]}")
            stack.extend(node.inputs)
        return sorted(seen.values(), key=lambda n: n.id)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    @property
    def inputs(self) -> list[KerasTensor]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[KerasTensor]:
        return list(self._outputs)

    @property
    def input_names(self) -> list[str]:
        return [t.node.layer.name for t in self._inputs]

    @property
    def output_names(self) -> list[str]:
        return [t.node.layer.name for t in self._outputs]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[l.name for l in self.layers]}")

    def run_graph(self, input_tensors: Sequence[Any], training: bool) -> list[Any]:
        """Replays the model's nodes on graph Tensors; returns the output Tensors (flat)."""
        if len(input_tensors) != len(self._inputs):
            raise ValueError(f"{self.name} expects {len(self._inputs)} input(s), got {len(input_tensors)}")
        values = {id(kt): t for kt, t in zip(self._inputs, input_tensors)}
        for node in self._node_order:
            if isinstance(node.layer, InputLayer):
                continue
            args, kwargs = map_structure(lambda v: values[id(v)] if isinstance(v, KerasTensor) else v,
                                         (node.args, node.kwargs))
            kwargs = dict(kwargs)
            node_training = kwargs.pop("training", training)
            outputs = node.layer.call_in_graph(args, kwargs, training=node_training)
            for kt, t in zip(node.flat_outputs, flatten(outputs)):
                values[id(kt)] = t
        return [values[id(kt)] for kt in self._outputs]

    def call_in_graph(self, args: tuple, kwargs: dict[str, Any], training: bool | None = None) -> Any:
        outputs = self.run_graph(flatten(args[0] if len(args) == 1 else args), bool(training))
        return outputs[0] if not isinstance(self._outputs_struct, (list, tuple, dict)) else outputs

    def call(self, inputs: Any, training: bool | None = None) -> Any:  # signature only: models run via run_graph
        raise NotImplementedError

    # -- weights ------------------------------------------------------------------------------------------
    def _sublayers(self) -> list[Layer]:
        return self._layers

    @property
    def weights(self) -> list[layer_base.Weight]:
        out: list[layer_base.Weight] = []
        for layer in self.layers:
            for w in layer.weights:
                if w not in out:
                    out.append(w)
        return out

    @property
    def trainable_weights(self) -> list[layer_base.Weight]:
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[layer_base.Weight]:
        return [w for w in self.weights if not w.trainable]

    def count_params(self) -> int:
        return int(sum(np.prod(w.shape) for w in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        return self._ensure_runtime().read_weights(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        own = self.weights
        values = layer_base.checked_weight_values(f"model {self.name!r}", own, weights)
        self._ensure_runtime().write_weights(own, values)

    @property
    def optimizer(self) -> Any:
        """Keras' ``model.optimizer``: callbacks (ReduceLROnPlateau, schedulers) read and set its learning rate."""
        compiled = getattr(self, "_compiled", None)
        return compiled["optimizer"] if compiled else None

    @property
    def distribute_strategy(self) -> Any:
        """The ``distribute`` strategy whose ``scope()`` the model was created or compiled in (or None)."""
        return self._distribute_strategy

    @property
    def runtime(self) -> ModelRuntime:
        """The model's graph, session and prepared callables (built on first use)."""
        return self._ensure_runtime()

    # -- graph/session lifecycle ---------------------------------------------------------------------------
    def _ensure_built(self, x: Any = None) -> None:
        """Sequential builds itself from the first data it sees; a functional model is always built."""
        if not self._outputs:
            raise ValueError(f"model {self.name!r} has no inputs yet: give it an Input or an input_shape")

    def _ensure_runtime(self, spec: TrainSpec | None = None) -> ModelRuntime:
        runtime = self._runtime
        if (runtime is not None and (spec is None or runtime.spec is spec)
                and all(w.runtime is runtime for w in runtime.model_weights)):
            return runtime  # the common case takes no lock: predictions from many threads
        with self._lock:
            if self._closed:
                raise errors.FailedPreconditionError(f"model {self.name!r} is closed")
            self._ensure_built()
            runtime = self._runtime
            if runtime is None or (spec is not None and runtime.spec is not spec):
                runtime = self._rebuild(spec if spec is not None else self._spec)
            elif any(w.runtime is not runtime for w in self.weights):
                self._adopt_weights(runtime)
            if self._closed:  # close() ran while this runtime was being built
                runtime.close()
                raise errors.FailedPreconditionError(f"model {self.name!r} is closed")
            return runtime

    def close(self) -> None:
        """Frees the model's TensorFlow session (its weights with it). Calls running in other threads end
        with ``FailedPreconditionError`` or ``CancelledError``; later calls raise ``FailedPreconditionError``.
        Does not wait for the model's lock, so it also stops a ``fit`` running in another thread."""
        self._closed = True
        runtime = self._runtime
        if runtime is not None:
            runtime.close()

    def _rebuild(self, spec: TrainSpec | None) -> ModelRuntime:
        old = self._runtime
        saved = old.variable_values() if old is not None else {}
        runtime = ModelRuntime(self, spec, seed=layer_base.random_seed())
        runtime.restore(saved)
        self._runtime = runtime
        self._adopt_weights(runtime, skip=old)
        return runtime

    def _adopt_weights(self, runtime: ModelRuntime, skip: Any = None) -> None:
        """Moves weight values living in another model's session (shared layers) or pending in a layer."""
        moved, values = [], []
        for w in self.weights:
            if w.runtime is runtime:
                continue
            if w.runtime is not None and w.runtime is not skip:
                moved.append(w)
                values.append(w.runtime.read_weights([w])[0])
            elif w.runtime is None and w.pending is not None:
                moved.append(w)
                values.append(w.pending)
        runtime.write_weights(moved, values)
        for w in self.weights:
            w.runtime, w.pending = runtime, None

    # -- compile ------------------------------------------------------------------------------------------
    @_serialized
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None, metrics: Any = None,
                weighted_metrics: Any = None, run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = "auto", auto_scale_loss: bool = True) -> None:
        from .. import losses as losses_mod
        from .. import optimizers as optimizers_mod
        names = self.output_names
        per_loss = self._per_output(loss, "loss")
        if all(l is None for l in per_loss):
            raise ValueError("compile() needs a loss")
        if loss_weights is None:
            weights = [1.0] * len(names)
        else:
            weights = [1.0 if w is None else float(w) for w in self._per_output(loss_weights, "loss_weights")]
        self._compiled = {
            "optimizer": optimizers_mod.get(optimizer),
            "loss": loss, "loss_weights": loss_weights, "metrics": metrics, "weighted_metrics": weighted_metrics,
            "losses": [None if l is None else losses_mod.get(l) for l in per_loss],
            "weights": weights,
        }
        if jit_compile not in (True, False, "auto"):
            raise ValueError(f"jit_compile must be True, False or 'auto', got {jit_compile!r}")
        # "auto" is XLA off, as Keras 3 decides on a machine without GPUs (see docs/design.md)
        self.jit_compile = jit_compile is True
        self._spec = None
        self._distribute_strategy = current_strategy() or self._distribute_strategy
        self.compiled = True

    def _per_output(self, value: Any, what: str) -> list[Any]:
        names = self.output_names
        if isinstance(value, dict):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(f"{what}: unknown output name(s) {unknown}; outputs are {names}")
            return [value.get(n) for n in names]
        if isinstance(value, (list, tuple)) and what != "metrics":
            if len(value) != len(names):
                raise ValueError(f"{what}: the model has {len(names)} output(s) {names}, got {len(value)} values")
            return list(value)
        return [value] * len(names)

    def _train_spec(self, target_shapes: list[tuple]) -> TrainSpec:
        """The compiled losses/metrics fixed to the targets' shapes (what 'accuracy' means depends on them)."""
        if self._compiled is None:
            raise RuntimeError("you must compile() the model before training or evaluating it")
        spec = self._spec
        if spec is not None and all(self._target_fits(a, b) for a, b in zip(target_shapes, spec.target_shapes)):
            return spec
        c = self._compiled
        metrics = self._resolve_metrics(c["metrics"], c["losses"], target_shapes)
        weighted = self._resolve_metrics(c["weighted_metrics"], c["losses"], target_shapes)
        self._spec = TrainSpec(c["optimizer"], c["losses"], c["weights"],
                               [m + w for m, w in zip(metrics, weighted)], target_shapes,
                               {id(m) for ms in weighted for m in ms})
        return self._spec

    @staticmethod
    def _target_fits(shape: tuple, want: tuple) -> bool:
        return shape == want or shape == want + (1,) or (want[-1:] == (1,) and shape == want[:-1])

    def _resolve_metrics(self, metrics: Any, losses: list[Any], target_shapes: list[tuple]) -> list[list[Any]]:
        from .. import metrics as metrics_mod
        names = self.output_names
        if metrics is None:
            return [[] for _ in names]
        if isinstance(metrics, dict):
            per = [metrics.get(n) or [] for n in names]
        elif (isinstance(metrics, (list, tuple)) and len(metrics) == len(names) and len(names) > 1
              and all(isinstance(m, (list, tuple)) or m is None for m in metrics)):
            per = [list(m or []) for m in metrics]
        else:
            per = [metrics] * len(names)
        out = []
        for i, entries in enumerate(per):
            entries = entries if isinstance(entries, (list, tuple)) else [entries]
            resolved = []
            for m in entries:
                metric = metrics_mod.resolve(m, losses[i], self._outputs[i].shape, (None, *target_shapes[i]))
                if len(names) > 1 and not isinstance(m, str):
                    metric = copy.deepcopy(metric)
                resolved.append(metric)
            out.append(resolved)
        return out

    # -- data -----------------------------------------------------------------------------------------------
    def _input_specs(self) -> tuple[list[str], list[tuple], list[np.dtype]]:
        return (self.input_names, [t.shape for t in self._inputs],
                [dtypes.to_numpy(dtypes.as_dtype(t.dtype)) for t in self._inputs])

    def _x_arrays(self, x: Any) -> list[np.ndarray]:
        if x is None:
            raise ValueError("x is required")
        self._ensure_built(x)
        return data_mod.flatten_x(x, *self._input_specs())

    def _loss_output_names(self, spec_losses: list[Any]) -> list[str]:
        return [n for n, l in zip(self.output_names, spec_losses) if l is not None]

    def _prepare_xy(self, x: Any, y: Any, sample_weight: Any, class_weight: Any) -> tuple[list, list, list, TrainSpec]:
        """Arrays in feed order, conformed to the step's placeholders, with sample weights (ones if none)."""
        xs = self._x_arrays(x)
        if self._compiled is None:
            raise RuntimeError("you must compile() the model before training or evaluating it")
        names = self._loss_output_names(self._compiled["losses"])
        if y is None:
            raise ValueError("y (targets) is required unless x is a dataset")
        ys = data_mod.flatten_y(y, names)
        n = len(xs[0])
        data_mod.check_rows(xs, "inputs", n)
        data_mod.check_rows(ys, "targets", n)
        loss_outputs = [i for i, l in enumerate(self._compiled["losses"]) if l is not None]
        steps = [data_mod.step_shape(self._outputs[i].shape) for i in loss_outputs]
        sws = data_mod.flatten_sample_weight(sample_weight, names, n, steps)
        if class_weight is not None:
            if sws is not None:
                raise ValueError("pass class_weight or sample_weight, not both")
            if len(ys) != 1:
                raise ValueError("class_weight is only supported for models with a single output")
            sws = data_mod.flatten_sample_weight([data_mod.class_weight_to_sample_weight(ys[0], class_weight, steps[0])],
                                                 names, n, steps)
        if sws is None:
            sws = [np.ones(n, np.float32) for _ in ys]
        # per-sample weights of a sequence output cover all its steps: (n,) -> (n, 1)
        sws = [a.reshape(a.shape + (1,) * (len(s) + 1 - a.ndim)) for a, s in zip(sws, steps)]
        spec = self._train_spec(self._target_shapes(ys))
        ys = [data_mod.conform(a, (None, *spec.target_shapes[i]), np.dtype(np.float32), f"target {names[j]!r}")
              for j, (a, i) in enumerate(zip(ys, loss_outputs))]
        for a, i in zip(ys, loss_outputs):
            self._check_labels(a, spec.losses[i], self._outputs[i].shape)
        return xs, ys, sws, spec

    def _target_shapes(self, ys: list[np.ndarray]) -> list[tuple]:
        shapes, k = [], 0
        for l in self._compiled["losses"]:
            if l is None:
                shapes.append(())
            else:
                shapes.append(tuple(ys[k].shape[1:]))
                k += 1
        return shapes

    @staticmethod
    def _check_labels(y: np.ndarray, loss: Any, output_shape: tuple) -> None:
        """Sparse categorical labels must be integers in [0, classes): say so before TF does."""
        name = str(getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__).lower()
        classes = output_shape[-1]
        if "sparse_categorical" not in name.replace("sparsecategorical", "sparse_categorical") or classes is None or not y.size:
            return
        bad = (y < 0) | (y >= classes) | (y != np.floor(y))
        if bad.any():
            value = y[bad].reshape(-1)[0]
            raise ValueError(f"labels must be integers in [0, {classes}) for {classes} classes; found {value:g} "
                             f"({int(bad.sum())} bad label(s))")

    def _dataset_converter(self, spec_holder: list, class_weight: Any) -> Callable:
        names, shapes, np_dtypes = self._input_specs()

        def convert(x: Any, y: Any = None, sample_weight: Any = None) -> data_mod.Batch:
            if y is None:
                return data_mod.flatten_x(x, names, shapes, np_dtypes), None, None
            xs, ys, sws, spec = self._prepare_xy(x, y, sample_weight, class_weight)
            spec_holder[0] = spec
            return xs, ys, sws
        return convert

    # -- training loop -----------------------------------------------------------------------------------------
    @_serialized
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Sequence[Any] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict[int, float] | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> Any:
        verbose = _verbosity(verbose)
        batch_size = batch_size or 32
        spec_holder: list[TrainSpec | None] = [None]
        if data_mod.is_dataset(x):
            if y is not None:
                raise ValueError("y must be None when x is a dataset: the dataset yields the targets")
            if validation_split:
                raise ValueError("validation_split needs arrays; pass validation_data with a dataset")
            train = data_mod.DatasetEpochs(x, self._dataset_converter(spec_holder, class_weight), steps_per_epoch)
        else:
            xs, ys, sws, spec_holder[0] = self._prepare_xy(x, y, sample_weight, class_weight)
            if validation_split and validation_data is None:
                if not 0 < validation_split < 1:
                    raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
                split = int(math.floor(len(xs[0]) * (1.0 - validation_split)))
                validation_data = ([a[split:] for a in xs], [a[split:] for a in ys], [a[split:] for a in sws])
                xs, ys, sws = [a[:split] for a in xs], [a[:split] for a in ys], [a[:split] for a in sws]
            train = data_mod.ArrayEpochs(xs, ys, sws, batch_size, shuffle, int(self._shuffle_rng.integers(2**31)),
                                         steps_per_epoch)
        val = self._eval_data(validation_data, validation_batch_size or batch_size, validation_steps)
        hooks = _Hooks(callbacks, self, add_history=True)
        steps = train.num_batches()
        hooks.set_params({"verbose": verbose, "epochs": epochs, "steps": steps})
        progbar = _Progress(steps, verbose)
        self.stop_training = False
        hooks.call("on_train_begin", None)
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        epoch_logs: dict[str, float] = {}
        nan_reported = False
        for epoch in range(initial_epoch, epochs):
            progbar.start_epoch(epoch, epochs)
            hooks.call("on_epoch_begin", epoch, None)
            tracker = _StepTracker()
            runtime, fn, metric_slices = None, None, []
            step = -1
            for step, (bx, by, bsw) in enumerate(train.epoch()):
                if runtime is None:
                    runtime, fn, metric_slices, tracker = self._begin_pass(spec_holder[0], training=True)
                if hooks.batch_begin:
                    hooks.call("on_train_batch_begin", step, None)
                outs = self._run_step(fn, bx, by, bsw)
                loss = tracker.update(outs, len(bx[0]), metric_slices)
                if loss != loss and not nan_reported:
                    nan_reported = True
                    warnings.warn(f"epoch {epoch + 1}, batch {step}: the loss is NaN (diverged training or bad "
                                  "input values); use callbacks.TerminateOnNaN to stop", RuntimeWarning, stacklevel=2)
                if hooks.batch_end:
                    hooks.call("on_train_batch_end", step, self._logs(tracker, runtime))
                if progbar.due():
                    progbar.update(step + 1, self._logs(tracker, runtime))
            if runtime is None:
                raise ValueError("the training data produced no batches")
            epoch_logs = self._logs(tracker, runtime)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(val, hooks)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            progbar.end_epoch(step + 1, epoch_logs)
            hooks.call("on_epoch_end", epoch, epoch_logs)
            if self.stop_training:
                break
        hooks.call("on_train_end", epoch_logs)
        self.history = hooks.history
        return hooks.history

    @staticmethod
    def _run_step(fn: Any, bx: list, by: list, bsw: list) -> list[np.ndarray]:
        try:
            return fn(*bx, *by, *bsw)
        except errors.InvalidArgumentError as e:
            if "label" in str(e).lower():
                raise ValueError(f"bad labels in a batch: {e}") from None
            raise

    def _begin_pass(self, spec: TrainSpec | None, training: bool) -> tuple[ModelRuntime, Any, list, "_StepTracker"]:
        """At a pass's first batch (the spec is known by then): the runtime, its train or test callable, the
        metrics' slices of the step's outputs (metrics reset) and a tracker for its per-output losses."""
        runtime = self._ensure_runtime(spec)
        fn, step = (runtime.train_fn, runtime.train_step) if training else (runtime.test_fn, runtime.test_step)
        return runtime, fn, self._reset_metrics(step), _StepTracker(len(step.per_output))

    @staticmethod
    def _reset_metrics(step: Any) -> list[tuple[Any, list[str], int, int]]:
        """Resets metrics; returns (metric, keys, start, end) of each metric's fetches in a step's outputs."""
        start = 1 + len(step.per_output)
        slices = []
        for metric, keys, tensors in step.metric_fetches:
            metric.reset_state()
            slices.append((metric, keys, start, start + len(tensors)))
            start += len(tensors)
        return slices

    def _logs(self, tracker: "_StepTracker", runtime: ModelRuntime, as_list: bool = False) -> Any:
        """Keras' logs: ``loss``, per-output ``<output>_loss`` and metric results (output-prefixed
        when the model has several outputs; ``weighted_`` for a weighted metric whose name is taken),
        keys sorted as Keras sorts them. ``as_list``: the values in the order of Keras' evaluate and
        train_on_batch lists instead (loss, the per-output losses, the metrics in compile order)."""
        logs: dict[str, Any] = {"loss": tracker.loss()}
        names = [self.output_names[i] for i in runtime.loss_outputs]
        for name, value in zip(names, tracker.per_output()):
            logs[f"{name}_loss"] = value
        prefix = len(names) > 1
        for i in runtime.loss_outputs:
            out = f"{self.output_names[i]}_" if prefix else ""
            for metric in runtime.spec.metrics[i]:
                for key, value in metric.logs().items():
                    if out + key in logs and id(metric) in runtime.spec.weighted_ids:
                        key = "weighted_" + key
                    logs[out + key] = value
        if as_list:
            return logs["loss"] if len(logs) == 1 else list(logs.values())
        return dict(sorted(logs.items()))

    def _eval_data(self, data: Any, batch_size: int, steps: int | None) -> Any:
        """validation_data / evaluate input: a dataset, or (x, y[, sample_weight]) arrays."""
        if data is None:
            return None
        if data_mod.is_dataset(data):
            holder: list[TrainSpec | None] = [None]
            return data_mod.DatasetEpochs(data, self._dataset_converter(holder, None), steps), holder
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("validation_data must be (x, y), (x, y, sample_weight) or a dataset")
        xs, ys, sws, spec = self._prepare_xy(data[0], data[1], data[2] if len(data) == 3 else None, None)
        return data_mod.ArrayEpochs(xs, ys, sws, batch_size, steps=steps), [spec]

    def _evaluate_loop(self, val: Any, hooks: "_Hooks", verbose: int = 0, as_list: bool = False) -> Any:
        epochs, holder = val
        started = Progbar(epochs.num_batches(), verbose=verbose) if verbose else None
        hooks.call("on_test_begin", None)
        tracker = _StepTracker()
        runtime, fn, slices = None, None, []
        for step, (bx, by, bsw) in enumerate(epochs.epoch()):
            if by is None:
                raise ValueError("evaluation data must include targets")
            if runtime is None:
                runtime, fn, slices, tracker = self._begin_pass(holder[0], training=False)
            if hooks.test_batch:
                hooks.call("on_test_batch_begin", step, None)
            tracker.update(self._run_step(fn, bx, by, bsw), len(bx[0]), slices)
            if hooks.test_batch:
                hooks.call("on_test_batch_end", step, self._logs(tracker, runtime))
        if runtime is None:
            raise ValueError("the evaluation data produced no batches")
        logs = self._logs(tracker, runtime)
        if started is not None:
            started.target = started.target or step + 1
            started.update(step + 1, logs, finalize=True)
        hooks.call("on_test_end", logs)
        return self._logs(tracker, runtime, as_list=True) if as_list else logs

    @_serialized
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Sequence[Any] | None = None,
                 return_dict: bool = False) -> Any:
        if data_mod.is_dataset(x):
            if y is not None:
                raise ValueError("y must be None when x is a dataset: the dataset yields the targets")
            val = self._eval_data(x, batch_size or 32, steps)
        else:
            val = self._eval_data((x, y, sample_weight), batch_size or 32, steps)
        hooks = _Hooks(callbacks, self, add_history=False)
        return self._evaluate_loop(val, hooks, _verbosity(verbose), as_list=not return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Sequence[Any] | None = None) -> Any:
        if data_mod.is_dataset(x):
            names, shapes, np_dtypes = self._input_specs()
            batches = (data_mod.flatten_x(b[0] if isinstance(b, tuple) else b, names, shapes, np_dtypes)
                       for i, b in enumerate(x) if steps is None or i < steps)
        else:
            xs = self._x_arrays(x)
            data_mod.check_rows(xs, "inputs", len(xs[0]))
            bs = batch_size or 32
            batches = ([a[s:s + bs] for a in xs] for s in range(0, len(xs[0]), bs))
        fn = self._ensure_runtime().predict_fn
        hooks = _Hooks(callbacks, self, add_history=False)
        hooks.call("on_predict_begin", None)
        if data_mod.is_dataset(x):
            total = len(x) if hasattr(x, "__len__") else None
        else:
            total = math.ceil(len(xs[0]) / bs)
        bar = Progbar(total, verbose=_verbosity(verbose)) if _verbosity(verbose) else None
        chunks: list[list[np.ndarray]] = []
        for step, bx in enumerate(batches):
            if hooks.predict_batch:
                hooks.call("on_predict_batch_begin", step, None)
            chunks.append(fn(*bx))
            if hooks.predict_batch:
                hooks.call("on_predict_batch_end", step, {"outputs": chunks[-1]})
            if bar is not None and bar.verbose == 1:
                bar.update(step + 1, finalize=False)
        if bar is not None and chunks:
            bar.target = len(chunks)
            bar.update(len(chunks), finalize=True)
        hooks.call("on_predict_end", None)
        if not chunks:
            outputs = [np.zeros((0, *t.shape[1:]), dtypes.to_numpy(dtypes.as_dtype(t.dtype))) for t in self._outputs]
        else:
            outputs = [np.concatenate([c[i] for c in chunks]) if len(chunks) > 1 else chunks[0][i]
                       for i in range(len(self._outputs))]
        return self._structure_outputs(outputs)

    def _structure_outputs(self, outputs: list[np.ndarray]) -> Any:
        struct = self._outputs_struct
        if isinstance(struct, dict):
            return {k: outputs[self._outputs.index(v)] for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return list(outputs)
        return outputs[0]

    @_serialized
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        return self._on_batch(x, y, sample_weight, class_weight, return_dict, train=True)

    @_serialized
    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        return self._on_batch(x, y, sample_weight, None, return_dict, train=False)

    def _on_batch(self, x: Any, y: Any, sample_weight: Any, class_weight: Any, return_dict: bool,
                  train: bool) -> Any:
        xs, ys, sws, spec = self._prepare_xy(x, y, sample_weight, class_weight)
        runtime, fn, slices, tracker = self._begin_pass(spec, training=train)
        tracker.update(self._run_step(fn, xs, ys, sws), len(xs[0]), slices)
        return self._logs(tracker, runtime, as_list=not return_dict)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """On KerasTensors or graph Tensors: the model as a layer. On arrays: its predictions (as
        ``predict_on_batch``), the inference pass only."""
        flat = flatten((args, kwargs))
        if flat and not any(isinstance(t, (KerasTensor, Tensor)) for t in flat):
            if kwargs.pop("training", None):
                raise ValueError("calling a model on arrays runs its inference pass; use train_on_batch "
                                 "to run the training pass")
            if kwargs.pop("mask", None) is not None or len(args) != 1 or kwargs:
                raise TypeError("a model called on arrays takes one argument: its inputs")
            return self.predict_on_batch(args[0])
        return super().__call__(*args, **kwargs)

    def predict_on_batch(self, x: Any) -> Any:
        runtime = self._runtime
        if type(x) is np.ndarray and runtime is not None and runtime.predict_fn.fn.accepts(x):
            return self._structure_outputs(self._ensure_runtime().predict_fn(x))  # a ready array: no conversion
        arrays = self._x_arrays(x)  # first: a Sequential without an Input builds from them
        return self._structure_outputs(self._ensure_runtime().predict_fn(*arrays))

    # -- saving (tfkg_graph.saving does the work) -------------------------------------------------------------
    @_serialized
    def save(self, filepath: str, overwrite: bool = True, processors: Any = None) -> str:
        """A SavedModel directory (signatures serving_default, train, evaluate) plus the model config."""
        from ..saving import save_model
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False")
        return save_model(self, filepath, processors=processors)

    @_serialized
    def save_weights(self, filepath: str, overwrite: bool = True) -> str:
        from ..saving import save_weights
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(f"{filepath!r} exists and overwrite=False")
        return save_weights(self, filepath)

    @_serialized
    def load_weights(self, filepath: str, skip_mismatch: bool = False) -> None:
        from ..saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    # -- description ------------------------------------------------------------------------------------------
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Callable[[str], Any] | None = None, **kwargs: Any) -> None:
        from .summary import summary_text
        (print_fn or print)(summary_text(self, line_length or 80))

    def get_config(self) -> dict[str, Any]:
        from .serialization import functional_config
        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> "Model":
        from .serialization import functional_from_config
        return functional_from_config(cls, config, custom_objects)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class _Progress:
    """Keras' epoch header and bar, redrawn at most every 50 ms so steps stay cheap."""

    def __init__(self, steps: int | None, verbose: int):
        self.steps, self.verbose = steps, verbose
        self.bar: Progbar | None = None
        self.next_draw = 0.0

    def start_epoch(self, epoch: int, epochs: int) -> None:
        if self.verbose:
            if epochs > 1:  # Keras prints no header for a single epoch
                print(f"Epoch {epoch + 1}/{epochs}")
            self.bar = Progbar(self.steps, verbose=self.verbose)
            self.next_draw = time.perf_counter() + 0.05

    def due(self) -> bool:
        return self.verbose == 1 and time.perf_counter() >= self.next_draw

    def update(self, step: int, logs: dict[str, Any]) -> None:
        self.bar.update(step, logs, finalize=False)
        self.next_draw = time.perf_counter() + 0.05

    def end_epoch(self, step: int, logs: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.target = self.bar.target or step
            self.bar.update(step, logs, finalize=True)


def _verbosity(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return int(verbose)


class _StepTracker:
    """Batch-size-weighted loss averages (Keras' loss tracker) and metric accumulation from fetches."""

    __slots__ = ("total", "count", "outputs", "n_outputs")

    def __init__(self, n_outputs: int = 0) -> None:
        self.total, self.count, self.n_outputs = 0.0, 0, n_outputs
        self.outputs = np.zeros(n_outputs)

    def update(self, outs: list[np.ndarray], n: int, metric_slices: list) -> float:
        loss = float(outs[0])
        self.total += loss * n
        self.count += n
        if self.n_outputs:
            self.outputs += np.array([float(v) for v in outs[1:1 + self.n_outputs]]) * n
        for metric, keys, start, end in metric_slices:
            metric.update_from_fetches(dict(zip(keys, outs[start:end])))
        return loss

    def loss(self) -> float:
        return self.total / self.count if self.count else 0.0

    def per_output(self) -> list[float]:
        return list(self.outputs / self.count) if self.n_outputs and self.count else []


class _Hooks:
    """Calls Keras callback hooks; batch-level hooks only when some callback overrides them."""

    def __init__(self, callbacks: Sequence[Any] | None, model: Model, add_history: bool):
        self.callbacks = list(callbacks or [])
        self.history = None
        if add_history:
            from ..callbacks import History
            self.history = History()
            self.callbacks.append(self.history)
        for cb in self.callbacks:
            cb.set_model(model)
        self.batch_begin = self._wants("on_train_batch_begin")
        self.batch_end = self._wants("on_train_batch_end")
        self.test_batch = self._wants("on_test_batch_begin") or self._wants("on_test_batch_end")
        self.predict_batch = self._wants("on_predict_batch_begin") or self._wants("on_predict_batch_end")

    def _wants(self, hook: str) -> bool:
        alias = _ALIASES.get(hook)
        return any(_overrides(cb, hook) or (alias and _overrides(cb, alias)) for cb in self.callbacks)

    def set_params(self, params: dict[str, Any]) -> None:
        for cb in self.callbacks:
            if hasattr(cb, "set_params"):
                cb.set_params(params)
            else:
                cb.params = params

    def call(self, hook: str, *args: Any) -> None:
        alias = _ALIASES.get(hook)
        for cb in self.callbacks:
            if alias and _overrides(cb, alias) and not _overrides(cb, hook):
                hook_of_cb = alias  # a Keras callback written against on_batch_begin/on_batch_end
            else:
                hook_of_cb = hook
            method = getattr(cb, hook_of_cb, None)
            if method is not None:
                method(*args)


_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback: Any, hook: str) -> bool:
    """Whether the callback's class defines ``hook`` itself (not the no-op of the Callback base)."""
    method = getattr(type(callback), hook, None)
    return method is not None and method.__qualname__.split(".")[0] != "Callback"
