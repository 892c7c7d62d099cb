"""TF_Status codes as Python exceptions, named like TensorFlow's (tf.errors.*)."""
from __future__ import annotations

from typing import Any


class TFError(Exception):
    """An error reported by the TensorFlow runtime; ``code`` is TF's status code."""

    code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CancelledError(TFError): code = 1
class UnknownError(TFError): code = 2
class InvalidArgumentError(TFError, ValueError): code = 3
class DeadlineExceededError(TFError): code = 4
class NotFoundError(TFError, LookupError): code = 5
class AlreadyExistsError(TFError): code = 6
class PermissionDeniedError(TFError): code = 7
class ResourceExhaustedError(TFError, MemoryError): code = 8
class FailedPreconditionError(TFError): code = 9
class AbortedError(TFError): code = 10
class OutOfRangeError(TFError): code = 11
class UnimplementedError(TFError, NotImplementedError): code = 12
class InternalError(TFError): code = 13
class UnavailableError(TFError): code = 14
class DataLossError(TFError): code = 15
class UnauthenticatedError(TFError): code = 16


BY_CODE: dict[int, type[TFError]] = {cls.code: cls for cls in TFError.__subclasses__()}


class Status:
    """Owns one TF_Status; ``check()`` raises the matching exception when it is not OK."""

    def __init__(self, lib: Any, ffi: Any):
        self._lib, self._ffi = lib, ffi
        self.ptr = ffi.gc(lib.TF_NewStatus(), lib.TF_DeleteStatus)

    def check(self, context: str = "") -> None:
        code = self._lib.TF_GetCode(self.ptr)
        if code:
            message = self._ffi.string(self._lib.TF_Message(self.ptr)).decode(errors="replace")
            raise BY_CODE.get(code, UnknownError)(f"{context}: {message}" if context else message)
