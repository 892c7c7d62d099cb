"""A readers-writer lock, so predictions run side by side but never see a train step half applied."""
from __future__ import annotations

import threading
from typing import Any, Callable


class ReadWriteLock:
    """Many readers or one writer. Writers go first: once a writer waits, new readers queue behind it,
    so a stream of predictions cannot starve training. Not reentrant; hold it around one C call only.

    A reader takes no mutex while no writer is about: it appends a token to ``_readers`` and then looks
    for a writer (a writer sets its flag and then looks for tokens, so one of the two always sees the
    other; list appends and pops are atomic). Serving threads then never queue on a mutex, which under
    CPython's forced GIL switches turned into a convoy (8 threads: 26k -> 9k single-row requests/s).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._changed = threading.Condition(self._mutex)
        self._readers: list[None] = []  # one token per reader inside
        self._writing = False
        self._writers_waiting = 0

    def acquire_read(self) -> None:
        if not (self._writing or self._writers_waiting):
            self._readers.append(None)
            if not (self._writing or self._writers_waiting):
                return
            self.release_read()  # a writer came in between: queue behind it
        with self._changed:
            while self._writing or self._writers_waiting:
                self._changed.wait()
            self._readers.append(None)

    def release_read(self) -> None:
        self._readers.pop()
        if self._writers_waiting and not self._readers:
            with self._changed:
                self._changed.notify_all()

    def acquire_write(self) -> None:
        with self._changed:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._changed.wait(0.05)  # the timeout only bounds a wake-up lost to a reader's race
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
