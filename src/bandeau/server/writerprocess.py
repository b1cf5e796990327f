"""The decision log's writer in a process of its own, beside each server process.

Why: after HTTP, a decision is pure Python work — checking the body against the policy,
building the record, its canonical JSON, the chained leaf hash, the subtree hashes, the SQL of
its share of a batch, the Ed25519 signature of the reader's token, the JSON answer — that in
the server's process runs under its one interpreter lock and takes turns with HTTP parsing.
In a process of its own it runs on another core while the server parses the next requests
(docs/operations.md, "The log writer process").

How: the server's event loop queues each decision's body as it came (or, for a TCF site, the
record it built: its vendor list lives in the server) and sends what is queued as one message
down a socket pair, one message in flight: what queues meanwhile goes as the next (no thread, no
lock on the server's side). The writer process checks and builds each decision
(`decisions.build_record`, the same code), appends the batch in one transaction
(`Ledger.append_batch`: the same sequencing, chain and tree), signs each token with the site's
key and answers the batch in one message: for each decision its status and answer bytes, or its
error. The loop then resolves each request's future. A decision is acknowledged only once its
transaction is committed.

If the writer process dies, every decision waiting for it fails with `StorageError` (a 503
`storage_error`, the one error shape): none of them was acknowledged, and the banner sends each
again with the same id and secret, which returns the stored record when the dead process had
committed it. The process is then started again (at once, then backing off while it cannot
start). Decisions that arrive while none runs fail the same way; once one is started, they wait
in the socket until it is ready.

The writer process runs `writerprocess.main` in this interpreter, started with `subprocess`
(not `multiprocessing`, which would import the server's main module again: a script that
builds the app at import time would start a server in the child). Its first message carries
its settings (store URL, signing keys, log level), so no secret goes through its command line
or environment. Messages use multiprocessing's framing (a 4-byte big-endian length, then a
pickle): the writer process reads them with `Connection.recv_bytes`, the server with
non-blocking `os.read`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from operator import attrgetter
from typing import Any, Final

from ..decisions import build_record
from ..errors import BandeauError, StorageError
from ..keys import KeyRing
from ..ledger import Ledger
from ..notices import Served
from ..policy import Policy
from ..store import Record, Store, open_store
from ..store.writer import MAX_BATCH
from .consents import answer_bytes, check_retry, earlier_gpc, parse_decision
from .context import archived_served, site_language

__all__ = ["ProcessWriter", "RelayedError", "SiteDesk"]

logger = logging.getLogger(__name__)

FIELDS: Final = tuple(f.name for f in fields(Record))
"""A record crosses the pipe as the tuple of its fields in this order (cheaper than a pickled
dataclass); `Record(*values)` rebuilds it."""
values_of: Final = attrgetter(*FIELDS)
HEADER: Final = struct.Struct("!i")  # multiprocessing.connection's header, messages < 2 GiB
READ_SIZE: Final = 1 << 16
"""Bytes asked of each read of the answers: under the C allocator's mmap threshold (128 KiB),
so that a read takes its buffer from the heap (1 MiB cost an mmap, an mremap and a munmap
each time); a larger message is read in several turns."""
RESTART_DELAY: Final = 0.2
"""Seconds before the first restart of a writer process that stopped; doubled each time one
stops without having become ready, up to `RESTART_MAX`."""
RESTART_MAX: Final = 30.0
IN_FLIGHT: Final = 1
"""Batch messages the server keeps sent and unanswered. One: what arrives while the writer
process works on a batch waits in the server and goes as the next batch, whole. With two,
the writer process started on the next message at once, but under load that message held
the one or two decisions that came during the last round trip, so batches stayed small and
each paid its own commit: on PostgreSQL, 1,794 against 2,965 decisions/s with one (8 s of
bench/load.py, 32 connections, 2026-12-01)."""
CRASHED: Final = -1
"""The status the writer process answers for a decision it failed on by a bug."""
CLOSE_WAIT: Final = 30.0
"""Seconds a closing server waits for the decisions still in the writer process."""


@dataclass(frozen=True)
class SiteDesk:
    """What the writer process knows of one site: its policy, its key ring as raw bytes
    (`KeyRing.raw`), the notices known to be archived, (language, id) -> the server's word
    (an older one is read from the archive, as `Site.served_from` does), and the id of the
    notice it serves now in each language (`Site.notice`)."""

    policy: Policy
    private: bytes
    public: dict[str, bytes]
    served: dict[tuple[str, str], Served]
    current: dict[str, str]


Answer = tuple[int, bytes]
"""(HTTP status, answer body) of a decision."""
Error = tuple[str, str, str, str]
"""(code, message, field, hint) of a `BandeauError` raised in the writer process."""


class RelayedError(BandeauError):
    """An error the writer process raised, raised again in the server with its code (hence
    its status), message, field and hint."""

    def __init__(self, code: str, message: str, field: str, hint: str) -> None:
        super().__init__(message, field=field, hint=hint)
        self.code = code


class ProcessWriter:
    """Decisions through a writer process (see the module's docstring). Used from the
    server's event loop only: `start`, `decide` and `settle` are called in it, and so are its
    callbacks."""

    def __init__(self, url: str, desks: Mapping[str, SiteDesk], log_level: str = "info") -> None:
        if not url:
            raise StorageError("a writer process needs a store another process can open")
        self.url = url
        self.desks = dict(desks)
        self.log_level = log_level
        self.process: subprocess.Popen[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._conn: socket.socket | None = None
        self._fd = -1
        self._next = 0
        self._pending: dict[int, asyncio.Future[Answer]] = {}
        self._outbox: list[tuple[int, str, Any]] = []
        self._sent = 0  # batch messages sent and not yet answered
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
        before then wait in the socket)."""
        self._loop = asyncio.get_running_loop()
        self._spawn()

    async def decide(self, site: str, body: bytes, gpc: bool, ua: str) -> Answer:
        """Check, record and answer a decision's `body` (as `consents.decide_here` would);
        `gpc`: the request's Sec-GPC header; `ua`: its User-Agent. A `BandeauError` raised
        there is raised here again, as a `RelayedError` of the same code."""
        return await self._send("d", (site, body, gpc, ua))

    async def settle(self, record: Record) -> Answer:
        """Append a record built here, check a retry against the stored one, and answer."""
        return await self._send("r", values_of(record))

    async def _send(self, kind: str, payload: Any) -> Answer:
        if self._conn is None or self._loop is None:
            raise StorageError(
                "the decision log's writer process is restarting: the decision was not "
                "stored; send it again"
            )
        n = self._next = self._next + 1
        future: asyncio.Future[Answer] = self._loop.create_future()
        self._pending[n] = future
        self._outbox.append((n, kind, payload))
        if not self._flush_due and self._sent < IN_FLIGHT:
            self._flush_due = True  # sent at the end of this turn of the loop, with the others
            self._loop.call_soon(self._flush)
        return await future

    # ------------------------------------------------------------------ the socket

    def _spawn(self) -> None:
        self._restart = None
        if self._closed or self._loop is None:
            return
        try:
            self._start_process()
        except OSError as e:  # no interpreter to run, no process or descriptor left
            logger.error("cannot start a log writer process: %s; trying again", e)
            self._restart = self._loop.call_later(self._delay, self._spawn)
            self._delay = min(self._delay * 2, RESTART_MAX)

    def _start_process(self) -> None:
        loop = self._running_loop()
        ours, theirs = socket.socketpair()
        # the child finds bandeau where this process found it
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            process = subprocess.Popen(  # noqa: S603 (this interpreter, this module)
                [
                    sys.executable,
                    "-c",
                    f"from {__name__} import main; main()",
                    str(theirs.fileno()),
                ],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            ours.close()
            theirs.close()
            raise
        theirs.close()  # the writer process's end is its alone: its death is EOF here
        self.process, self._conn, self._fd = process, ours, ours.fileno()
        self._ready = False
        settings = pickle.dumps((self.url, self.desks, self.log_level))
        self._wbuf += HEADER.pack(len(settings)) + settings
        os.set_blocking(self._fd, False)
        loop.add_reader(self._fd, self._readable)
        self._write()
        logger.info("log writer process %d started", process.pid)

    def _flush(self) -> None:
        """Send what is queued as one message, unless `IN_FLIGHT` are unanswered: then it
        goes when one is answered, with what queued up meanwhile (fewer, larger messages)."""
        self._flush_due = False
        if not self._outbox or self._conn is None or self._sent >= IN_FLIGHT:
            return
        payload = pickle.dumps(self._outbox, protocol=pickle.HIGHEST_PROTOCOL)
        self._outbox = []
        self._sent += 1
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
        if self._wbuf and not self._writing:  # the socket is full: the rest when it drains
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
            self._lost("stopped")
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
        del buf[:start]

    def _receive(self, message: tuple[Any, ...]) -> None:
        if message[0] == "ready":
            self._ready = True
            self._delay = RESTART_DELAY
            logger.info("log writer process %d ready", message[1])
            return
        _, answers, batches = message
        self._sent = max(0, self._sent - batches)
        for n, status, answer in answers:
            future = self._pending.pop(n, None)
            if future is None or future.done():  # the request went away meanwhile
                continue
            if status > 0:
                future.set_result((status, answer))
            elif status == 0:
                future.set_exception(RelayedError(*answer))
            else:  # a bug there (logged there): a 500 here, like any crash of a route
                future.set_exception(RuntimeError("the log writer process failed on a decision"))
        self._signal_drained()
        self._flush()  # a batch is answered: send what queued up meanwhile

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
        self._sent = 0
        self._flush_due = False
        code = process.poll() if process is not None else None
        if not self._closed:
            logger.error(
                "log writer process %s %s (exit code %s): %d decision(s) not acknowledged "
                "(answered 503 storage_error); starting another",
                process.pid if process else "?",
                why,
                code,
                waiting,
            )
        error = StorageError(
            "the decision log's writer process stopped before acknowledging this decision; "
            "send it again (with the same id and secret)"
        )
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._pending.clear()
        self._signal_drained()
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
        stop it: it finishes its batch and exits when its socket closes."""
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
            try:
                await asyncio.to_thread(process.wait, CLOSE_WAIT)
            except subprocess.TimeoutExpired:
                logger.error("log writer process %d did not stop: killed", process.pid)
                process.kill()
                await asyncio.to_thread(process.wait)


# ---------------------------------------------------------------------- the writer process


def main() -> None:
    """The writer process, on the socket whose descriptor is its first argument.

    It ignores SIGTERM and SIGINT, which a service manager or a terminal sends to the whole
    process group: it stops when the server closes its socket, after the server has waited
    for the decisions in flight (or at once when the server is gone)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(sys.argv[1]))
    try:
        url, desks, log_level = pickle.loads(conn.recv_bytes())  # noqa: S301 (our server)
    except EOFError:
        return  # the server stopped before it said anything
    serve(conn, url, desks, log_level)


def serve(conn: Connection, url: str, desks: Mapping[str, SiteDesk], log_level: str) -> None:
    """Take each batch that arrives, answer it, until the socket closes."""
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s")
    try:
        ledger = Ledger(open_store(url))
    except BandeauError as e:
        logger.error("the log writer process cannot open the store: %s", e)
        return  # the server sees the socket close, fails what waits, and starts another
    sites = {name: _Site(desk) for name, desk in desks.items()}
    try:
        conn.send_bytes(pickle.dumps(("ready", os.getpid())))
        while True:
            try:
                # the socket pair joins this process to the server that started it, only
                batch = pickle.loads(conn.recv_bytes())  # noqa: S301
                messages = 1
                while len(batch) < MAX_BATCH and conn.poll():  # everything already sent
                    batch += pickle.loads(conn.recv_bytes())  # noqa: S301
                    messages += 1
            except EOFError:
                break
            answers = work(ledger, sites, batch)
            answer = ("answers", answers, messages)  # the server counts the messages answered
            conn.send_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as e:  # the server is gone
        logger.info("log writer process stops: %s", e)
    finally:
        ledger.store.close()


class _Site:
    """A site in the writer process: its policy, its ring, the notices it knows."""

    def __init__(self, desk: SiteDesk) -> None:
        self.policy = desk.policy
        self.keys = KeyRing.from_raw(desk.private, desk.public)
        self.served = dict(desk.served)
        self.current = dict(desk.current)

    def served_for(self, store: Store, lang: str, claimed: str | None) -> Served:
        """As `Site.served`, then `Site.served_from` when it says None."""
        lang = site_language(self.policy, lang)
        key = (lang, self.current[lang] if claimed is None else claimed)
        found = self.served.get(key)
        if found is None:
            found = self.served[key] = archived_served(store, self.policy.site, *key)
        return found

    def prepare(self, store: Store, body: bytes, header_gpc: bool, ua: str) -> _Prepared:
        """As `consents.decide_here` up to the append: the record, or the earlier GPC record
        that answers it."""
        decision = parse_decision(body)
        served = self.served_for(store, decision.lang, decision.notice)
        record = build_record(
            self.policy, decision, self.keys, gpc=decision.gpc or header_gpc, ua=ua, served=served
        )
        if record.event == "gpc_applied" and decision.token:
            history = store.history(record.site, record.consent_id)
            earlier = earlier_gpc(history, record, set(decision.choices))
            if earlier is not None:
                return record, dataclasses.replace(record, decision_id=earlier.decision_id)
        return record, None


_Prepared = tuple[Record, Record | None]


def _error(e: BandeauError) -> Error:
    return (e.code, e.message, e.field, e.hint)


def work(
    ledger: Ledger, sites: Mapping[str, _Site], batch: list[tuple[int, str, Any]]
) -> list[tuple[int, int, Any]]:
    """Check and build each decision of `batch`, append the records in one transaction, and
    answer each: (n, status, answer bytes), or (n, 0, `Error`)."""
    answers: list[tuple[int, int, Any]] = []
    todo: list[tuple[int, _Site, Record]] = []
    for n, kind, payload in batch:
        try:
            if kind == "r":
                record = Record(*payload)
                site, answered = sites[record.site], None
            else:
                site = sites[payload[0]]
                record, answered = site.prepare(ledger.store, *payload[1:])
        except BandeauError as e:
            answers.append((n, 0, _error(e)))
            continue
        except Exception:  # a bug: this decision fails (a 500 in the server), not the batch
            logger.exception("the log writer process failed to check a decision")
            answers.append((n, CRASHED, None))
            continue
        if answered is not None:  # an earlier GPC record answers it: nothing to store
            answers.append((n, 200, answer_bytes(site.policy, site.keys, answered)))
        else:
            todo.append((n, site, record))
    if todo:
        answers += _append(ledger, todo)
    return answers


def _append(ledger: Ledger, todo: list[tuple[int, _Site, Record]]) -> list[tuple[int, int, Any]]:
    try:
        results = ledger.append_batch([record for _, _, record in todo])
    except StorageError as e:  # logged by the store, with its cause
        return [(n, 0, _error(e)) for n, _, _ in todo]
    except Exception:
        # a bug, not the database: this process must survive it, and every waiter hear of it
        logger.exception("the log writer process failed on a batch of %d", len(todo))
        failed = _error(StorageError("the decision log's writer failed; nothing was stored"))
        return [(n, 0, failed) for n, _, _ in todo]
    answers: list[tuple[int, int, Any]] = []
    for (n, site, record), (stored, created) in zip(todo, results, strict=True):
        try:
            if not created:
                check_retry(stored, record)
            answers.append(
                (n, 201 if created else 200, answer_bytes(site.policy, site.keys, stored))
            )
        except BandeauError as e:
            answers.append((n, 0, _error(e)))
        except Exception:  # a bug, after the commit: the retry will get the stored record
            logger.exception("the log writer process failed to answer a stored decision")
            answers.append((n, CRASHED, None))
    return answers
