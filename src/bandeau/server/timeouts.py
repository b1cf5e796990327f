"""Slow clients: every request has a deadline for its headers and one for its body.

uvicorn bounds only the idle time between requests on a kept-alive connection; a client that
sends half its headers, or a body one byte a minute, holds a connection (and, for a decision,
a task) for as long as it likes, and fifty of them hold fifty. `DeadlineProtocol` is uvicorn's
h11 protocol with two deadlines: `header_timeout` seconds for a request's headers (from the
connection, or from the end of the previous answer) and `body_timeout` seconds for its body
once the headers are in. A deadline runs from the start of its phase, not from the last byte,
so trickling does not extend it. Past it the connection is closed, logged as one line; a
handler waiting for that body sees the client gone (`ClientDisconnect`), also one line.

It also closes connections once the process is told to stop. uvicorn's graceful shutdown asks
the connections open at that instant to close after their answer, but a connection accepted a
moment later is never asked: a client could keep it alive through the whole grace period and
still be sending decisions when the application shuts down (its log writer gone, each answered
503). Once `drain_on_signals` has seen SIGTERM or SIGINT, every connection closes after its
current answer, and one opened afterwards closes at once.

And it sends each answer in one write. uvicorn writes an answer's status line and headers,
then its body, each with its own `transport.write`: two system calls, two TCP segments, and
two wake-ups of the client, for an answer of a few hundred bytes (a decision's). The
connection's writes are held in `OneWrite` until the answer is complete, or until the end of
the event loop's turn at the latest (a streamed answer's first part goes out as it did), and
then go out together.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import h11
from starlette.requests import Request
from starlette.responses import Response
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["DeadlineProtocol", "begin_draining", "client_gone", "drain_on_signals", "protocol_for"]

logger = logging.getLogger(__name__)

_draining = False  # this process was told to stop: connections close after their answer


def begin_draining() -> None:
    """From now on, every connection of this process closes after its current answer."""
    global _draining
    _draining = True


def drain_on_signals() -> None:
    """Put `begin_draining` before the handlers of SIGTERM and SIGINT (uvicorn's, which then
    start its graceful shutdown as before). Only in the main thread, where signals arrive and
    where uvicorn serves a process; a server run in a thread keeps the handlers as they are."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, functools.partial(_drain_then, signal.getsignal(sig)))


def _drain_then(previous: Any, signum: int, frame: FrameType | None) -> None:
    begin_draining()
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:  # what the signal would have done without us
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


class DeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers and its body."""

    def __init__(
        self, *args: Any, header_timeout: float = 10.0, body_timeout: float = 10.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self._phase: str | None = None  # "headers", "body", or None while answering
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = OneWrite(transport, self.loop)  # type: ignore[assignment]
        if _draining:  # accepted as the server stops: closed before it asks anything
            self.shutdown()
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        self.transport.flush()  # type: ignore[attr-defined]
        super().on_response_complete()
        if _draining and not self.transport.is_closing():
            self.shutdown()  # the answer is out; the client opens a new one elsewhere
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the deadline of the phase the client is in, when it enters it."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        phase = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase == self._phase:
            return
        self._disarm()
        self._phase = phase
        if phase is not None:
            seconds = self.header_timeout if phase == "headers" else self.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired, phase, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._phase = None

    def _expired(self, phase: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if phase == "headers" and not self.conn.trailing_data[0] and self.cycle is not None:
            # an idle kept-alive connection: uvicorn's keep-alive timeout closes those
            self.transport.close()
            return
        peer = self.client[0] if self.client else "-"
        logger.info("closed a connection from %s: its %s took over %g s", peer, phase, seconds)
        self.transport.close()


class OneWrite:
    """A transport that holds what is written until `flush`, called when an answer is
    complete, or else at the end of the event loop's current turn: the pieces of an answer
    written in one turn go out in one system call. Everything but `write` and `close` is the
    wrapped transport's."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._due: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        self._held.append(data)
        if self._due is None:
            self._due = self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write what is held, in one call."""
        if self._due is not None:
            self._due.cancel()
            self._due = None
        held = self._held
        if not held:
            return
        self._held = []
        self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def protocol_for(settings: Settings) -> Any:
    """The `http` protocol of uvicorn's Config for these settings (picklable, for workers)."""
    return functools.partial(
        DeadlineProtocol,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
    )


async def client_gone(request: Request, exc: Exception) -> Response:
    """For `ClientDisconnect`: a client that went away before its body was read. One line
    in the log, no traceback (nobody is left to read the answer)."""
    peer = request.client.host if request.client else "-"
    logger.info(
        "%s %s: the client %s left before sending its whole request",
        request.method,
        request.url.path,
        peer,
    )
    return Response(status_code=400)
