"""A cluster of server processes on this machine's loopback: for trying things out, tests and bench.

TensorFlow cannot stop a gRPC server inside a process, so every task is its own process (in its own
process group) and leaving the ``with`` block kills them all, also when the block raised.
"""
from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Iterator

from .cluster import ClusterSpec


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalCluster:
    """Task processes of ``spec``; ``kill(job, i)`` and ``restart(job, i)`` simulate failures."""

    def __init__(self, spec: ClusterSpec, startup_timeout: float = 60.0):
        self.spec, self.startup_timeout = spec, startup_timeout
        self.processes: dict[tuple[str, int], subprocess.Popen] = {}
        self._ready: set[tuple[str, int]] = set()

    def start(self, job: str, index: int) -> None:
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [sys.executable, "-m", "tfkg_graph.server", "--cluster", json.dumps(self.spec.jobs), "--job", job,
             "--task", str(index)], stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        proc.log = log  # type: ignore[attr-defined]
        self.processes[(job, index)] = proc

    def wait_ready(self) -> None:
        """Blocks until every started task printed its 'serving' line."""
        deadline = time.monotonic() + self.startup_timeout
        for (job, index), proc in self.processes.items():
            if (job, index) in self._ready:
                continue
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                ready = sel.select(max(deadline - time.monotonic(), 0))
            line = proc.stdout.readline().decode() if ready else ""
            if not line.startswith("serving"):
                proc.log.seek(0)  # type: ignore[attr-defined]
                tail = proc.log.read().decode(errors="replace")[-2000:]  # type: ignore[attr-defined]
                raise RuntimeError(f"task /job:{job}/task:{index} did not start "
                                   f"({'exited ' + str(proc.poll()) if proc.poll() is not None else 'timed out'}): {tail}")
            self._ready.add((job, index))

    def kill(self, job: str, index: int) -> None:
        proc = self.processes.pop((job, index))
        self._ready.discard((job, index))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        proc.log.close()  # type: ignore[attr-defined]

    def restart(self, job: str, index: int) -> None:
        """Starts the task again on its address (after ``kill``)."""
        self.start(job, index)
        self.wait_ready()

    def close(self) -> None:
        for job, index in list(self.processes):
            self.kill(job, index)


@contextlib.contextmanager
def local_cluster(workers: int = 2, ps: int = 1, chief: bool = False) -> Iterator[LocalCluster]:
    """``with local_cluster(2, 1) as c: strategy = ParameterServerStrategy(c.spec)`` -- tasks on
    127.0.0.1 ports, all killed on exit. With ``chief`` the cluster names a chief address that no
    process serves yet: the training process started with that TF_CONFIG task serves it."""
    jobs = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(workers)]}
    if ps:
        jobs["ps"] = [f"127.0.0.1:{free_port()}" for _ in range(ps)]
    if chief:
        jobs["chief"] = [f"127.0.0.1:{free_port()}"]
    cluster = LocalCluster(ClusterSpec(jobs))
    try:
        for job, addresses in jobs.items():
            for i in range(len(addresses) if job != "chief" else 0):
                cluster.start(job, i)
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.close()
