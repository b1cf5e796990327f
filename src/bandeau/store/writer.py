"""One writer per process: decisions queue up and are committed together (group commit).

Each caller gets a future that resolves once its record's transaction is committed, so a
decision is acknowledged only after it is durable, while many concurrent decisions share one
commit (and one fsync). Across processes, the store's own write lock orders the batches.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Final, Protocol

from ..errors import StorageError
from . import Record

__all__ = ["BatchWriter"]

logger = logging.getLogger(__name__)

MAX_BATCH: Final = 256

GATHER: Final = 0.001
"""Seconds the writer waits for one more decision before it commits what it holds. Decisions
arrive one request at a time: committing the moment the first one is queued makes batches of
two or three under load, each paying a transaction's fixed cost (lock, lookups, fsync). Waiting
up to a millisecond for the next (and again after each one that comes) lets the requests
already being parsed join the batch; a lone decision waits one millisecond more."""

Waiter = tuple[Record, "Future[tuple[Record, bool]]"]


class AppendsBatches(Protocol):
    """What the writer appends through: `bandeau.ledger.Ledger`."""

    def append_batch(self, records: Sequence[Record]) -> list[tuple[Record, bool]]: ...


class BatchWriter:
    """Appends records through `log` from one background thread, in batches. A failed batch
    fails each of its waiters with the error (logged); the thread goes on with the next."""

    def __init__(self, log: AppendsBatches, max_batch: int = MAX_BATCH) -> None:
        self.log = log
        self.max_batch = max_batch
        self.gather = GATHER
        self._queue: queue.SimpleQueue[Waiter | None] = queue.SimpleQueue()
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

    async def append(self, record: Record) -> tuple[Record, bool]:
        """`submit`, awaited from the event loop."""
        return await asyncio.wrap_future(self.submit(record))

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._commit(batch)

    def _next_batch(self) -> list[Waiter] | None:
        """Wait for one record, then take those that follow within `GATHER` of each other (up
        to `max_batch`); None once the writer is closed and the queue drained."""
        item = self._queue.get()
        if item is None:
            return None
        batch = [item]
        while len(batch) < self.max_batch:
            try:
                more = self._queue.get(timeout=self.gather)
            except queue.Empty:
                break
            if more is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(more)
        return batch

    def _commit(self, batch: list[Waiter]) -> None:
        try:
            results = self.log.append_batch([record for record, _ in batch])
        except StorageError as e:  # already logged by the store, with its cause
            self._fail(batch, e)
        except Exception as e:
            # Not a database failure but a bug. This thread is the only writer: it must
            # survive, and every waiter must hear of the error rather than hang.
            logger.exception("the decision writer failed on a batch of %d", len(batch))
            self._fail(batch, e)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                future.set_result(result)

    @staticmethod
    def _fail(batch: list[Waiter], error: Exception) -> None:
        logger.warning("%d decision(s) not stored: %s", len(batch), error)
        for _, future in batch:
            future.set_exception(error)

    def close(self) -> None:
        """Finish what is queued, then stop."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()
