"""A stand-in for tfkg_graph.models.Model exposing what callbacks use: a real graph with a weight and a
learning-rate variable driven by our Session, stop_training, get/set_weights, save/save_weights, and a
fit loop that calls the hooks in Keras' order. Callback tests use it until the real model.fit lands."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from tfkg_graph.callbacks import CallbackList
from tfkg_graph.graph import Graph
from tfkg_graph.graph.ops import array, math, state
from tfkg_graph.runtime.session import Session


class FakeOptimizer:
    def __init__(self, model, lr_var):
        self.model, self.var = model, lr_var
        self.read = lr_var.value(name="learning_rate_read").name
        self.feed, self.assign = lr_var.assign_from_feed()

    @property
    def learning_rate(self) -> float:
        return float(self.model.sess.run(self.read))

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.model.sess.run([], {self.feed.name: np.float32(value)}, targets=[self.assign.name])


class FakeModel:
    """Gradient descent on ``loss = sum((w - 3)^2)``: the loss falls each step, at a rate set by lr."""

    def __init__(self, learning_rate: float = 0.1):
        self.graph = Graph()
        with self.graph.as_default():
            self.w = state.Variable(np.zeros(2, np.float32), name="dense/kernel")
            lr = state.Variable(np.float32(learning_rate), name="optimizer/learning_rate", trainable=False)
            error = self.w.value() - 3.0
            self.loss = math.reduce_sum(math.square(error), name="loss/value").name
            with self.graph.name_scope("optimizer"):
                self.train_op = self.w.assign_sub(lr.value() * (error * 2.0)).name
            self.init = array.group([self.w.initializer, lr.initializer], name="init").name
            self.w_read = self.w.value(name="w_read").name
            self.w_feed, self.w_assign = self.w.assign_from_feed()
        self.optimizer = FakeOptimizer(self, lr)
        self.sess = Session(self.graph)
        self.sess.run([], targets=[self.init])
        self.stop_training = False
        self.history = None

    def train_step(self) -> float:
        return float(self.sess.run([self.loss], targets=[self.train_op])[0])

    def get_weights(self) -> list[np.ndarray]:
        return [self.sess.run(self.w_read)]

    def set_weights(self, weights) -> None:
        self.sess.run([], {self.w_feed.name: weights[0]}, targets=[self.w_assign.name])

    def save_weights(self, path, overwrite=True) -> None:
        with open(path, "wb") as f:
            np.save(f, self.get_weights()[0])

    def save(self, path, overwrite=True) -> None:
        os.makedirs(path)
        np.save(Path(path) / "weights.npy", self.get_weights()[0])

    def fit(self, epochs, callbacks=(), steps=3, script=None, verbose=0):
        """``script``: per-epoch extra logs (e.g. val_loss values) merged into the epoch logs."""
        cbs = CallbackList(callbacks, add_history=True, model=self, epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        cbs.on_train_begin()
        logs = {}
        for epoch in range(epochs):
            cbs.on_epoch_begin(epoch)
            for batch in range(steps):
                cbs.on_train_batch_begin(batch)
                loss = self.train_step()
                cbs.on_train_batch_end(batch, {"loss": loss})
            logs = {"loss": loss, **({k: v[epoch] for k, v in script.items()} if script else {})}
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return self.history
