"""The decision log's writer in a process of its own, beside each server process.

Why: a decision's durable part — the canonical JSON, the chained leaf hash, the subtree hashes,
the SQL of its share of a batch, and the Ed25519 signature of the reader's token — is pure
Python and C work that, in a thread, runs under the server's one interpreter lock and takes
turns with HTTP parsing. In a process of its own it runs on another core while the server
parses the next requests (docs/operations.md, "The writer process").

How: the server's event loop queues each record and, once per turn of the loop, sends every
record queued so far as one message down a socket pair (no thread, no lock on the server's
side). The writer process reads what has arrived, appends it in one transaction
(`Ledger.append_batch`: the same sequencing, chain and tree), signs each reader's token with
the site's key, and answers the batch in one message; the loop then resolves each request's
future. A decision is acknowledged only once its transaction is committed, as before.

If the writer process dies, every decision waiting for it fails with `StorageError` (a 503
`storage_error`, the one error shape): none of them was acknowledged, and the banner sends each
again with the same id and secret, which returns the stored record when the dead process had
committed it. The process is then started again (at once, then backing off while it cannot
start). Decisions that arrive before it is back fail the same way.

Messages use multiprocessing's framing (a 4-byte big-endian length, then a pickle): the writer
process reads them with `Connection.recv_bytes`, the server with non-blocking `os.read`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from operator import attrgetter
from typing import Any, Final

from ..decisions import token_of
from ..errors import BandeauError, StorageError
from ..keys import KeyRing
from ..ledger import Ledger
from ..store import Record, open_store
from ..store.base import with_seq
from ..store.writer import MAX_BATCH, Appended

__all__ = ["ProcessWriter", "Signer"]

logger = logging.getLogger(__name__)

FIELDS: Final = tuple(f.name for f in fields(Record))
"""A record crosses the pipe as the tuple of its fields in this order (cheaper than a pickled
dataclass); `Record(*values)` rebuilds it."""
values_of: Final = attrgetter(*FIELDS)
HEADER: Final = struct.Struct("!i")  # multiprocessing.connection's header, messages < 2 GiB
READ_SIZE: Final = 1 << 20
RESTART_DELAY: Final = 0.2
"""Seconds before the first restart of a writer process that stopped; doubled each time one
stops without having become ready, up to `RESTART_MAX`."""
RESTART_MAX: Final = 30.0
CLOSE_WAIT: Final = 30.0
"""Seconds a closing server waits for the decisions still in the writer process."""


@dataclass(frozen=True)
class Signer:
    """What the writer process needs to sign one site's tokens: the site ring's current
    private key (32 raw bytes) and the token's lifetime (the policy's `reprompt_after_days`)."""

    private: bytes
    lifetime_days: int


class ProcessWriter:
    """Appends decisions through a writer process (see the module's docstring). Used from the
    server's event loop only: `start` and `append` are called in it, and so are the callbacks."""

    def __init__(self, url: str, signers: Mapping[str, Signer], log_level: str = "info") -> None:
        if not url:
            raise StorageError("a writer process needs a store another process can open")
        self.url = url
        self.signers = dict(signers)
        self.log_level = log_level
        self.process: multiprocessing.process.BaseProcess | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: Connection | None = None
        self._fd = -1
        self._next = 0
        self._pending: dict[int, tuple[Record, asyncio.Future[Appended]]] = {}
        self._outbox: list[tuple[int, tuple[Any, ...]]] = []
        self._flush_due = False
        self._wbuf = bytearray()
        self._rbuf = bytearray()
        self._writing = False
        self._ready = False
        self._closed = False
        self._delay = RESTART_DELAY
        self._restart: asyncio.TimerHandle | None = None
        self._drained: asyncio.Event | None = None

    @property
    def pid(self) -> int | None:
        """The writer process's id while one runs."""
        return self.process.pid if self.process is not None and self._conn is not None else None

    def start(self) -> None:
        """Start the writer process (it becomes ready in the background: decisions sent
        before then wait in the pipe)."""
        self._loop = asyncio.get_running_loop()
        self._spawn()

    async def append(self, record: Record) -> Appended:
        """Send `record` with the others of this turn of the loop; return once committed."""
        if self._conn is None or self._loop is None:
            raise StorageError(
                "the decision log's writer process is restarting: the decision was not "
                "stored; send it again"
            )
        n = self._next = self._next + 1
        future: asyncio.Future[Appended] = self._loop.create_future()
        self._pending[n] = (record, future)
        self._outbox.append((n, values_of(record)))
        if not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._flush)
        return await future

    # ------------------------------------------------------------------ the pipe

    def _spawn(self) -> None:
        self._restart = None
        if self._closed or self._loop is None:
            return
        context = multiprocessing.get_context("spawn")  # never fork a process with a loop
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=serve,
            args=(theirs, self.url, self.signers, self.log_level),
            name="bandeau-log-writer",
            daemon=True,
        )
        process.start()
        theirs.close()  # so that the writer process's end is its alone: its death is EOF here
        self.process, self._conn, self._fd = process, ours, ours.fileno()
        self._ready = False
        os.set_blocking(self._fd, False)
        self._loop.add_reader(self._fd, self._readable)
        logger.info("log writer process %d started", process.pid)

    def _flush(self) -> None:
        """Send what this turn of the loop queued as one message."""
        self._flush_due = False
        if not self._outbox or self._conn is None:
            return
        payload = pickle.dumps(self._outbox, protocol=pickle.HIGHEST_PROTOCOL)
        self._outbox = []
        self._wbuf += HEADER.pack(len(payload))
        self._wbuf += payload
        self._write()

    def _write(self) -> None:
        loop = self._running_loop()
        try:
            sent = os.write(self._fd, self._wbuf)
        except BlockingIOError:
            sent = 0
        except OSError as e:
            self._lost(f"cannot write to it: {e}")
            return
        del self._wbuf[:sent]
        if self._wbuf and not self._writing:  # the pipe is full: the rest when it drains
            loop.add_writer(self._fd, self._write)
            self._writing = True
        elif not self._wbuf and self._writing:
            loop.remove_writer(self._fd)
            self._writing = False

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as e:
            self._lost(f"cannot read from it: {e}")
            return
        if not data:
            self._lost("it stopped")
            return
        buf = self._rbuf
        buf += data
        start = 0
        while len(buf) - start >= HEADER.size:
            (size,) = HEADER.unpack_from(buf, start)
            end = start + HEADER.size + size
            if len(buf) < end:
                break
            message = pickle.loads(memoryview(buf)[start + HEADER.size : end])  # noqa: S301 (our child)
            start = end
            self._receive(message)
            if self._conn is None:  # a message said the process is stopping
                return
        del buf[:start]

    def _receive(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "results":
            self._resolve(message[1])
        elif kind == "failed":
            self._fail(message[1], StorageError(message[2]))
        elif kind == "ready":
            self._ready = True
            self._delay = RESTART_DELAY
            logger.info("log writer process %d ready", message[1])

    def _resolve(self, results: list[tuple[int, int, tuple[Any, ...] | None, str | None]]) -> None:
        for n, seq, stored, token in results:
            entry = self._pending.pop(n, None)
            if entry is None or entry[1].done():  # the request went away meanwhile
                continue
            record, future = entry
            if stored is None:  # new: the record sent, at its place in the log
                future.set_result(Appended(with_seq(record, seq), True, token))
            else:  # a retry: the record stored first
                future.set_result(Appended(Record(*stored), False, token))
        self._signal_drained()

    def _fail(self, numbers: list[int], error: StorageError) -> None:
        for n in numbers:
            entry = self._pending.pop(n, None)
            if entry is not None and not entry[1].done():
                entry[1].set_exception(error)
        self._signal_drained()

    def _lost(self, why: str) -> None:
        """The writer process is gone: fail what waited for it, and start another."""
        loop = self._running_loop()
        process, waiting = self.process, len(self._pending)
        loop.remove_reader(self._fd)
        if self._writing:
            loop.remove_writer(self._fd)
            self._writing = False
        if self._conn is not None:
            self._conn.close()
        self._conn, self._fd = None, -1
        self._wbuf.clear()
        self._rbuf.clear()
        self._outbox = []
        code = process.exitcode if process is not None else None
        if not self._closed:
            logger.error(
                "log writer process %s %s (exit code %s): %d decision(s) not acknowledged "
                "(answered 503); starting another",
                process.pid if process else "?",
                why,
                code,
                waiting,
            )
        self._fail(
            list(self._pending),
            StorageError(
                "the decision log's writer process stopped before acknowledging this "
                "decision; send it again (with the same id and secret)"
            ),
        )
        if process is not None:
            process.join(0)  # reap it if it has exited; `close` or the next start reaps later
        if not self._closed:
            delay = 0.0 if self._ready else self._delay
            if not self._ready:
                self._delay = min(self._delay * 2, RESTART_MAX)
            self._restart = loop.call_later(delay, self._spawn)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the writer process was not started")
        return self._loop

    def _signal_drained(self) -> None:
        if self._drained is not None and not self._pending:
            self._drained.set()

    async def close(self) -> None:
        """Wait for the decisions still in the writer process (up to `CLOSE_WAIT` s), then
        stop it: it finishes its batch and exits when its pipe closes."""
        self._closed = True
        if self._restart is not None:
            self._restart.cancel()
        if self._pending and self._conn is not None:
            self._drained = asyncio.Event()
            try:
                await asyncio.wait_for(self._drained.wait(), CLOSE_WAIT)
            except TimeoutError:
                logger.error("%d decision(s) still unanswered at shutdown", len(self._pending))
        if self._conn is not None:
            self._lost("was stopped")
        process = self.process
        if process is not None:
            await asyncio.to_thread(process.join, CLOSE_WAIT)
            if process.is_alive():
                logger.error("log writer process %d did not stop: killed", process.pid)
                process.kill()


# ---------------------------------------------------------------------- the writer process


def serve(conn: Connection, url: str, signers: Mapping[str, Signer], log_level: str) -> None:
    """The writer process: append each batch that arrives, answer it, until the pipe closes."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s")
    try:
        ledger = Ledger(open_store(url))
    except BandeauError as e:
        logger.error("the log writer process cannot open the store: %s", e)
        return  # the server sees the pipe close, fails what waits, and starts another
    rings = {
        name: (KeyRing.signing_only(s.private), s.lifetime_days) for name, s in signers.items()
    }
    try:
        conn.send_bytes(pickle.dumps(("ready", os.getpid())))
        while True:
            try:
                # the socket pair joins this process to the server that started it, only
                batch = pickle.loads(conn.recv_bytes())  # noqa: S301
                while len(batch) < MAX_BATCH and conn.poll():  # everything already sent
                    batch += pickle.loads(conn.recv_bytes())  # noqa: S301
            except EOFError:
                break
            answer = commit(ledger, rings, batch)
            conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as e:  # the server is gone
        logger.info("log writer process stops: %s", e)
    finally:
        ledger.store.close()


def commit(
    ledger: Ledger,
    rings: Mapping[str, tuple[KeyRing, int]],
    batch: list[tuple[int, tuple[Any, ...]]],
) -> tuple[Any, ...]:
    """Append one batch in one transaction; ("results", [(n, seq, stored, token)]) where
    `stored` is None for a new record (the server has it) and the stored record's fields for a
    retried decision id; ("failed", [n], message) when the transaction failed."""
    numbers = [n for n, _ in batch]
    try:
        results = ledger.append_batch([Record(*values) for _, values in batch])
    except StorageError as e:  # logged by the store, with its cause
        return ("failed", numbers, str(e))
    except Exception:
        # a bug, not the database: this process must survive it, and every waiter hear of it
        logger.exception("the log writer process failed on a batch of %d", len(batch))
        return ("failed", numbers, "the decision log's writer failed; the decision was not stored")
    out = []
    for n, (stored, created) in zip(numbers, results, strict=True):
        signer = rings.get(stored.site)
        token = token_of(signer[0], stored, signer[1]) if signer is not None else None
        out.append((n, stored.seq, None if created else values_of(stored), token))
    return ("results", out)
