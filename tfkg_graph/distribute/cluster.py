"""Cluster descriptions compatible with the TF_CONFIG environment variable."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from ..runtime import protos


@dataclass
class ClusterSpec:
    """``{"worker": ["host:port", ...], "ps": [...], "chief": [...]}`` plus this process's task."""

    jobs: dict[str, list[str]]
    task_type: str = ""
    task_index: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_tf_config(cls, value: str | None = None) -> "ClusterSpec":
        """Parses TF_CONFIG (the variable's value, or the environment's when None)."""
        raw = value if value is not None else os.environ.get("TF_CONFIG", "")
        if not raw:
            raise ValueError("TF_CONFIG is not set: expected JSON like "
                             '{"cluster": {"worker": ["host:port"]}, "task": {"type": "worker", "index": 0}}')
        try:
            config = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from None
        cluster = config.get("cluster")
        if not isinstance(cluster, dict) or not cluster:
            raise ValueError("TF_CONFIG has no 'cluster' mapping of job names to address lists")
        task = config.get("task", {})
        spec = cls({job: list(addrs) for job, addrs in cluster.items()}, task.get("type", ""),
                   int(task.get("index", 0)))
        spec.validate()
        return spec

    def validate(self) -> None:
        for job, addrs in self.jobs.items():
            if not addrs or not all(isinstance(a, str) and ":" in a for a in addrs):
                raise ValueError(f"job {job!r}: every task needs a 'host:port' address, got {addrs!r}")
        if self.task_type and self.task_type not in self.jobs:
            raise ValueError(f"task type {self.task_type!r} is not a job of the cluster {sorted(self.jobs)}")
        if self.task_type and not 0 <= self.task_index < len(self.jobs[self.task_type]):
            raise ValueError(f"task index {self.task_index} out of range for job {self.task_type!r}")

    def to_proto(self) -> Any:
        cluster = protos.ClusterDef()
        for job in sorted(self.jobs):
            job_def = cluster.job.add(name=job)
            for i, addr in enumerate(self.jobs[job]):
                job_def.tasks[i] = addr
        return cluster

    def target(self, job: str, index: int = 0) -> str:
        return "grpc://" + self.jobs[job][index]

    @property
    def is_chief(self) -> bool:
        """The chief builds the graph and writes checkpoints: 'chief' task 0, else worker 0."""
        if "chief" in self.jobs:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.task_index == 0
