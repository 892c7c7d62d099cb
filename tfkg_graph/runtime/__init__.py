"""The bottom layer: TensorFlow's C API through cffi, protos, tensors and sessions."""
from . import dtypes, errors, protos
from .errors import TFError
from .library import LibraryNotFound, library_path, version
from .session import Callable, Device, GraphHandle, Session, SessionConfig, split_name

__all__ = ["dtypes", "errors", "protos", "TFError", "LibraryNotFound", "library_path", "version",
           "Callable", "Device", "GraphHandle", "Session", "SessionConfig", "split_name"]
