"""A readers-writer lock, so predictions run side by side but never see a train step half applied."""
from __future__ import annotations

import threading
from typing import Any, Callable


class ReadWriteLock:
    """Many readers or one writer. Writers go first: once a writer waits, new readers queue behind it,
    so a stream of predictions cannot starve training. Not reentrant; hold it around one C call only."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._changed = threading.Condition(self._mutex)
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    # The uncontended paths take the plain mutex (C calls only): a prediction pays ~0.3 µs for the lock.
    def acquire_read(self) -> None:
        mutex = self._mutex
        mutex.acquire()
        while self._writing or self._writers_waiting:
            self._changed.wait()
        self._readers += 1
        mutex.release()

    def release_read(self) -> None:
        self._mutex.acquire()
        self._readers -= 1
        if not self._readers and self._writers_waiting:
            self._changed.notify_all()
        self._mutex.release()

    def acquire_write(self) -> None:
        with self._changed:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._changed.wait()
            self._writers_waiting -= 1
            self._writing = True

    def release_write(self) -> None:
        with self._changed:
            self._writing = False
            self._changed.notify_all()


class Guarded:
    """Calls ``fn`` holding ``lock`` for reading (``exclusive=False``) or writing; ``fn`` stays reachable
    for questions that need no lock (e.g. ``guarded.fn.accepts(x)``)."""

    __slots__ = ("fn", "_acquire", "_release")

    def __init__(self, fn: Callable[..., Any], lock: ReadWriteLock, exclusive: bool):
        self.fn = fn
        self._acquire, self._release = ((lock.acquire_write, lock.release_write) if exclusive
                                        else (lock.acquire_read, lock.release_read))

    def __call__(self, *args: Any) -> Any:
        self._acquire()
        try:
            return self.fn(*args)
        finally:
            self._release()
