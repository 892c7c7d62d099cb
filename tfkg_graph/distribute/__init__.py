"""Multi-device and multi-worker training on TensorFlow's own runtime (see docs/distributed.md)."""
from .cluster import ClusterSpec
from .server import Server
from ..callbacks.backup import BackupAndRestore
from .local import LocalCluster, local_cluster
from .strategy import ClusterSession, MirroredStrategy, ParameterServerStrategy, WorkerUnavailableError

__all__ = ["BackupAndRestore", "ClusterSession", "ClusterSpec", "LocalCluster", "MirroredStrategy", "ParameterServerStrategy", "Server",
           "WorkerUnavailableError", "local_cluster"]
