"""Multi-device and multi-worker training on TensorFlow's own runtime."""
from .cluster import ClusterSpec
from .server import Server

__all__ = ["ClusterSpec", "Server"]
