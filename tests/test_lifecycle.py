"""The server's processes (issue 8): workers that outlive a killed parent stop by themselves,
SIGTERM finishes the decisions in flight before exiting (and every connection closes after its
answer from then on), and the SQLite files are owner-only."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import socket
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from bandeau.keys import KeyRing
from bandeau.ledger import verify_log
from bandeau.server import timeouts
from bandeau.store import open_store

from .live import free_port
from .served import bandeau_serve
from .store.conftest import make_record
from .wire import decision_body


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its reaper counts as exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def wait_until(condition: object, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_workers_stop_when_their_parent_is_killed(tmp_path: Path, policy_text: str) -> None:
    with bandeau_serve(tmp_path, policy_text, "--workers", "2", "--data-dir", "data") as served:
        workers = set(served.connection_to_each_worker(2))
        for conn in served.connections:
            conn.close()
        os.kill(served.proc.pid, signal.SIGKILL)
        served.proc.wait(timeout=30)
        wait_until(lambda: all(gone(pid) for pid in workers), "the workers to stop")
        wait_until(lambda: port_free(served.port), "the port to be free")
        log = (tmp_path / f"serve-{served.port}.log").read_text()
        assert log.count("main process") == 2, log


def test_sigterm_finishes_the_decisions_in_flight(tmp_path: Path, policy_text: str) -> None:
    """Under load, SIGTERM: every answer is a 201 or no answer at all (never an error), every
    acknowledged decision is stored, and the last checkpoint covers them all."""
    with bandeau_serve(
        tmp_path, policy_text, "--workers", "2", "--data-dir", "data", "--rate-limit", "0"
    ) as served:
        acked: list[str] = []
        statuses: list[int] = []
        failures: list[str] = []  # what any other answer said, for the assertion's message
        lock = threading.Lock()

        def load() -> None:
            with httpx.Client(base_url=served.origin, headers={"Origin": served.origin}) as http:
                while True:
                    body = decision_body(served.policy, "accept_all")
                    try:
                        r = http.post(f"/v1/sites/{served.policy.site}/decisions", json=body)
                    except httpx.TransportError:
                        return
                    with lock:
                        statuses.append(r.status_code)
                        if r.status_code == 201:
                            acked.append(body["id"])
                        else:
                            failures.append(f"{r.status_code} {r.text}")

        threads = [threading.Thread(target=load) for _ in range(8)]
        for t in threads:
            t.start()
        wait_until(lambda: len(acked) >= 200, "some decisions")
        os.kill(served.proc.pid, signal.SIGTERM)
        assert served.proc.wait(timeout=60) == 0
        for t in threads:
            t.join(timeout=30)
    server_log = (tmp_path / f"serve-{served.port}.log").read_text()
    assert set(statuses) == {201}, (failures[:5], server_log[-4000:])
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'bandeau.db'}")
    try:
        assert all(store.get(d) is not None for d in acked)
        latest = store.latest_checkpoint()
        assert latest is not None and latest.size == store.count() >= len(acked)
        assert verify_log(store, KeyRing.open(tmp_path / "data" / "keys").public).ok
    finally:
        store.close()


def test_the_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        store = open_store(f"sqlite:///{tmp_path / 'data' / 'bandeau.db'}")
        store.append_batch([make_record()])
        files = sorted((tmp_path / "data").iterdir())
        assert {f.name for f in files} >= {"bandeau.db", "bandeau.db-wal", "bandeau.db.lock"}
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
        assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
        store.close()
    finally:
        os.umask(old)


@pytest.fixture
def draining_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Gate]]:
    """A tiny app served by bandeau's HTTP protocol (`DeadlineProtocol`), in a thread: `/`
    answers at once, `/held` once the test opens its gate. The process-wide draining flag is
    put back afterwards."""
    monkeypatch.setattr(timeouts, "_draining", False)
    gate = Gate(threading.Event(), threading.Event())

    async def hello(_: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    async def held(_: Request) -> PlainTextResponse:
        gate.arrived.set()
        await asyncio.to_thread(gate.opened.wait, 30)
        return PlainTextResponse("hello")

    port = free_port()
    config = uvicorn.Config(
        Starlette(routes=[Route("/", hello), Route("/held", held)]),
        host="127.0.0.1",
        port=port,
        http=functools.partial(timeouts.DeadlineProtocol, header_timeout=30, body_timeout=30),
        log_level="error",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, "the server to start", 10)
    yield port, gate
    gate.opened.set()
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Gate:
    arrived: threading.Event  # the held request is in the app
    opened: threading.Event  # the app may answer it


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def answer(sock: socket.socket) -> bytes:
    got = b""
    while not got.endswith(b"hello"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    return got


def test_once_stopping_every_connection_closes_after_its_answer(
    draining_server: tuple[int, Gate],
) -> None:
    """SIGTERM under load: uvicorn asks the connections open at that instant to close, not one
    accepted a moment later, which a client could keep alive through the grace period and on
    into the application's shutdown (decisions answered 503 once the log writer is gone, seen
    under load in CI). Once draining, a kept-alive connection closes after the answer it is
    waiting for, and a new one closes before it is asked anything."""
    port, gate = draining_server
    kept = socket.create_connection(("127.0.0.1", port), timeout=10)
    kept.sendall(get("/"))
    assert answer(kept).startswith(b"HTTP/1.1 200")  # kept alive while the server runs
    kept.sendall(get("/held"))
    assert gate.arrived.wait(10)
    timeouts.begin_draining()  # while that request is in the app
    gate.opened.set()
    assert answer(kept).startswith(b"HTTP/1.1 200")
    assert kept.recv(4096) == b""  # and then closed by the server
    kept.close()

    late = socket.create_connection(("127.0.0.1", port), timeout=10)
    assert late.recv(4096) == b""  # accepted while stopping: closed at once
    late.close()
