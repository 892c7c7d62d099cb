"""An in-process TensorFlow gRPC server (TF_NewServer): a worker or parameter server task.

    python -m tfkg_graph.server                      # from TF_CONFIG
    python -m tfkg_graph.server --cluster '{"worker": ["localhost:2222"]}' --job worker --task 0

TensorFlow cannot shut a gRPC server down cleanly (deleting one aborts the process: "Clean shutdown
is not currently implemented"), so a server lives as long as its process; the command exits with
os._exit when told to stop.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from typing import Any

from ..runtime import errors, protos
from ..runtime.library import ffi, lib
from ..runtime.session import SessionConfig
from .cluster import ClusterSpec


class Server:
    """Owns one TF_Server for the life of the process."""

    def __init__(self, cluster: ClusterSpec, job: str, task: int, config: SessionConfig | None = None):
        L = lib()
        server_def = protos.ServerDef(job_name=job, task_index=task, protocol="grpc")
        server_def.cluster.CopyFrom(cluster.to_proto())
        server_def.default_session_config.CopyFrom((config or SessionConfig()).to_proto())
        data = protos.to_bytes(server_def)
        status = errors.Status(L, ffi)
        self._ptr = L.TF_NewServer(data, len(data), status.ptr)
        status.check(f"starting server /job:{job}/task:{task}")
        self.job, self.task = job, task

    def start(self) -> "Server":
        status = errors.Status(lib(), ffi)
        lib().TF_ServerStart(self._ptr, status.ptr)
        status.check("TF_ServerStart")
        return self

    @property
    def target(self) -> str:
        return ffi.string(lib().TF_ServerTarget(self._ptr)).decode()

    def join(self) -> None:
        status = errors.Status(lib(), ffi)
        lib().TF_ServerJoin(self._ptr, status.ptr)
        status.check("TF_ServerJoin")

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        """The server keeps serving until the process ends (see the module docstring)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tfkg_graph.server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cluster", help='JSON job -> addresses, e.g. {"worker": ["localhost:2222"]}')
    parser.add_argument("--job", help="this task's job name (worker, ps, chief)")
    parser.add_argument("--task", type=int, default=0, help="this task's index in its job")
    args = parser.parse_args(argv)
    try:
        if args.cluster:
            spec = ClusterSpec(json.loads(args.cluster), args.job or "worker", args.task)
            spec.validate()
        else:
            spec = ClusterSpec.from_tf_config()
        server = Server(spec, spec.task_type, spec.task_index).start()
    except (ValueError, errors.TFError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"serving /job:{spec.task_type}/task:{spec.task_index} at {server.target}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    sys.stdout.flush()
    os._exit(0)  # never delete the TF_Server: TF aborts on it


if __name__ == "__main__":
    sys.exit(main())
