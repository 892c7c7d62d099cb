"""The models' readers-writer lock: readers overlap, a writer is alone, writers are not starved, under many
threads hammering it at once (the reader path takes no mutex, so this is its proof of exclusion)."""
from __future__ import annotations

import threading
import time

from tfkg_graph.runtime.rwlock import Guarded, ReadWriteLock


def test_writers_are_alone_and_readers_overlap_under_contention():
    lock = ReadWriteLock()
    state = {"readers": 0, "writers": 0, "max_readers": 0, "writes": 0, "violations": 0}
    guard = threading.Lock()  # only for the bookkeeping below
    stop = time.monotonic() + 1.5

    def inside(kind: str) -> None:
        with guard:
            state[kind] += 1
            if state["writers"] > 1 or (state["writers"] and state["readers"]):
                state["violations"] += 1
            state["max_readers"] = max(state["max_readers"], state["readers"])
        time.sleep(0)  # let others in while we are inside
        with guard:
            state[kind] -= 1

    def reader() -> None:
        while time.monotonic() < stop:
            lock.acquire_read()
            try:
                inside("readers")
            finally:
                lock.release_read()

    def writer() -> None:
        while time.monotonic() < stop:
            Guarded(lambda: inside("writers"), lock, exclusive=True)()
            with guard:
                state["writes"] += 1
            time.sleep(0.001)

    threads = [threading.Thread(target=reader) for _ in range(8)] + [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "deadlock"
    assert state["violations"] == 0
    assert state["max_readers"] > 1  # readers really overlap
    assert state["writes"] > 20      # writers get in between a stream of readers
    assert lock._readers == [] and not lock._writing and not lock._writers_waiting
