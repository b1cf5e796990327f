"""One writer per process: decisions queue up and are committed together (group commit).

Each caller gets a future that resolves once its record's transaction is committed, so a
decision is acknowledged only after it is durable, while many concurrent decisions share one
commit (and one fsync). Across processes, the store's own write lock orders the batches.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Final

from ..errors import StorageError
from . import Record, Store

__all__ = ["BatchWriter"]

MAX_BATCH: Final = 256


class BatchWriter:
    """Appends records to `store` from one background thread, in batches."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Record, Future[tuple[Record, bool]]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="bandeau-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, record: Record) -> Future[tuple[Record, bool]]:
        """Queue `record`; the future gives (stored record, is new) once committed."""
        future: Future[tuple[Record, bool]] = Future()
        if self._closed:
            future.set_exception(StorageError("the writer is closed"))
            return future
        self._queue.put((record, future))
        return future

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            try:
                results = self.store.append_batch([record for record, _ in batch])
            except Exception as e:  # every waiter must hear of the failure
                error = e if isinstance(e, StorageError) else StorageError(str(e))
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    def close(self) -> None:
        """Finish what is queued, then stop."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
