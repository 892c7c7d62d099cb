"""The training half of ``Model`` (Keras' Trainer): compile, input checks, fit/evaluate/predict and
the *_on_batch calls.

Per step the loop does only numpy slicing and one prepared session call; everything else (dtype and
shape checks, class weights, label range checks) happens once per ``fit``/``evaluate``/``predict``.
"""
from __future__ import annotations

import copy
import itertools
import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from ..callbacks import CallbackList
from ..runtime import dtypes, errors
from . import data as data_mod
from .functional import serialized
from .runtime import ModelRuntime, TrainSpec, current_strategy
from .step_tracker import _Executions, _StepTracker, _verbosity


class Trainer:
    """Mixed into ``Model`` before ``Functional``, whose DAG and runtime it drives.

    Threads: ``predict``, ``predict_on_batch`` and calling the model on arrays may run in any number of
    threads at once, also while another thread trains (a prediction sees the weights before or after a
    train step: the runtime's readers-writer lock). ``compile``, ``fit``, ``evaluate``,
    ``train_on_batch`` and ``test_on_batch`` change shared state (metrics, callbacks, the optimizer) and
    serialize themselves on the model's lock: one at a time per model.
    """
    steps_per_execution = 1  # compile() sets it

    # -- compile ------------------------------------------------------------------------------------------
    @serialized
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
        if run_eagerly:
            raise ValueError("run_eagerly=True: tfkg_graph always runs a TensorFlow graph; there is no eager mode")
        if int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be at least 1, got {steps_per_execution}")
        self.steps_per_execution = int(steps_per_execution)
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
    @serialized
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
        cbs = self._callback_list(callbacks, True, verbose=verbose, epochs=epochs, steps=train.num_batches())
        batch_begin, batch_end = cbs.wants_hook("on_train_batch_begin"), cbs.wants_hook("on_train_batch_end")
        groups = _Executions(self.steps_per_execution)
        self.stop_training = False
        cbs.on_train_begin()
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        training_logs = None
        nan_reported = False
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            tracker = _StepTracker()
            runtime, fn, metric_slices = None, None, []
            for step, (bx, by, bsw) in enumerate(train.epoch()):
                if runtime is None:
                    runtime, fn, metric_slices, tracker = self._begin_pass(spec_holder[0], training=True)
                if batch_begin and groups.begins(step):
                    cbs.on_train_batch_begin(step)
                outs = self._run_step(fn, bx, by, bsw)
                loss = tracker.update(outs, len(bx[0]), metric_slices)
                if loss != loss and not nan_reported:
                    nan_reported = True
                    warnings.warn(f"epoch {epoch + 1}, batch {step}: the loss is NaN (diverged training or bad "
                                  "input values); use callbacks.TerminateOnNaN to stop", RuntimeWarning, stacklevel=2)
                if batch_end and groups.ends(step):
                    cbs.on_train_batch_end(step, self._logs(tracker, runtime))
                if self.stop_training:
                    break
            if runtime is None:
                raise ValueError("the training data produced no batches")
            if batch_end and (end := groups.short_group_end(step)) is not None:
                cbs.on_train_batch_end(end, self._logs(tracker, runtime))
            epoch_logs = self._logs(tracker, runtime)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(val, cbs)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        cbs.on_train_end(training_logs)
        return self.history

    def _callback_list(self, callbacks: Any, add_history: bool, **params: Any) -> CallbackList:
        """Keras' CallbackList for one loop: the user's callbacks, History (fit) and a ProgbarLogger when
        verbose. A CallbackList passed in is used as it is, as in Keras."""
        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(callbacks, add_history=add_history, add_progbar=params["verbose"] != 0, model=self,
                            **params)

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

    def _evaluate_loop(self, val: Any, cbs: CallbackList, as_list: bool = False) -> Any:
        epochs, holder = val
        batch_begin, batch_end = cbs.wants_hook("on_test_batch_begin"), cbs.wants_hook("on_test_batch_end")
        groups = _Executions(self.steps_per_execution)
        self.stop_evaluating = False
        cbs.on_test_begin()
        tracker = _StepTracker()
        runtime, fn, slices = None, None, []
        for step, (bx, by, bsw) in enumerate(epochs.epoch()):
            if by is None:
                raise ValueError("evaluation data must include targets")
            if runtime is None:
                runtime, fn, slices, tracker = self._begin_pass(holder[0], training=False)
            if batch_begin and groups.begins(step):
                cbs.on_test_batch_begin(step)
            tracker.update(self._run_step(fn, bx, by, bsw), len(bx[0]), slices)
            if batch_end and groups.ends(step):
                cbs.on_test_batch_end(step, self._logs(tracker, runtime))
            if self.stop_evaluating:
                break
        if runtime is None:
            raise ValueError("the evaluation data produced no batches")
        if batch_end and (end := groups.short_group_end(step)) is not None:
            cbs.on_test_batch_end(end, self._logs(tracker, runtime))
        logs = self._logs(tracker, runtime)
        cbs.on_test_end(logs)
        return self._logs(tracker, runtime, as_list=True) if as_list else logs

    @serialized
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Sequence[Any] | None = None,
                 return_dict: bool = False) -> Any:
        if data_mod.is_dataset(x):
            if y is not None:
                raise ValueError("y must be None when x is a dataset: the dataset yields the targets")
            val = self._eval_data(x, batch_size or 32, steps)
        else:
            val = self._eval_data((x, y, sample_weight), batch_size or 32, steps)
        cbs = self._callback_list(callbacks, False, verbose=_verbosity(verbose), epochs=1, steps=val[0].num_batches())
        return self._evaluate_loop(val, cbs, as_list=not return_dict)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Sequence[Any] | None = None) -> Any:
        if data_mod.is_dataset(x):
            names, shapes, np_dtypes = self._input_specs()
            batches = (data_mod.flatten_x(b[0] if isinstance(b, tuple) else b, names, shapes, np_dtypes)
                       for b in itertools.islice(x, steps))  # stops after `steps` batches (None: all)
            total = min(len(x), steps or len(x)) if hasattr(x, "__len__") else steps
        else:
            xs = self._x_arrays(x)
            data_mod.check_rows(xs, "inputs", len(xs[0]))
            bs = batch_size or 32
            batches = ([a[s:s + bs] for a in xs] for s in range(0, len(xs[0]), bs))
            total = math.ceil(len(xs[0]) / bs)
        fn = self._ensure_runtime().predict_fn
        cbs = self._callback_list(callbacks, False, verbose=_verbosity(verbose), epochs=1, steps=total)
        batch_begin, batch_end = cbs.wants_hook("on_predict_batch_begin"), cbs.wants_hook("on_predict_batch_end")
        groups = _Executions(self.steps_per_execution)
        self.stop_predicting = False
        cbs.on_predict_begin()
        chunks: list[list[np.ndarray]] = []
        for step, bx in enumerate(batches):
            if batch_begin and groups.begins(step):
                cbs.on_predict_batch_begin(step)
            chunks.append(fn(*bx))
            if batch_end and groups.ends(step):
                cbs.on_predict_batch_end(step, {"outputs": self._structure_outputs(groups.last_outputs(chunks))})
            if self.stop_predicting:
                break
        if batch_end and chunks and (end := groups.short_group_end(len(chunks) - 1)) is not None:
            cbs.on_predict_batch_end(end, {"outputs": self._structure_outputs(groups.last_outputs(chunks))})
        cbs.on_predict_end()
        if not chunks:
            outputs = [np.zeros((0, *t.shape[1:]), dtypes.to_numpy(dtypes.as_dtype(t.dtype))) for t in self._outputs]
        else:
            outputs = [np.concatenate([c[i] for c in chunks]) if len(chunks) > 1 else chunks[0][i]
                       for i in range(len(self._outputs))]
        return self._structure_outputs(outputs)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        return self._on_batch(x, y, sample_weight, class_weight, return_dict, train=True)

    @serialized
    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        return self._on_batch(x, y, sample_weight, None, return_dict, train=False)

    def _on_batch(self, x: Any, y: Any, sample_weight: Any, class_weight: Any, return_dict: bool,
                  train: bool) -> Any:
        xs, ys, sws, spec = self._prepare_xy(x, y, sample_weight, class_weight)
        runtime, fn, slices, tracker = self._begin_pass(spec, training=train)
        tracker.update(self._run_step(fn, xs, ys, sws), len(xs[0]), slices)
        return self._logs(tracker, runtime, as_list=not return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        runtime = self._runtime
        if type(x) is np.ndarray and runtime is not None and runtime.predict_fn.fn.accepts(x):
            return self._structure_outputs(self._ensure_runtime().predict_fn(x))  # a ready array: no conversion
        arrays = self._x_arrays(x)  # first: a Sequential without an Input builds from them
        return self._structure_outputs(self._ensure_runtime().predict_fn(*arrays))
