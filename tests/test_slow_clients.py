"""Slow clients and disconnects (issue 8), with real sockets against `bandeau serve`: a request
whose headers or body stall is closed once its deadline passes (`header_timeout`,
`body_timeout`), and a client that leaves mid-body is one line in the log, not a traceback."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from .served import Served, bandeau_serve


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, policy_text: str) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("slow")
    with bandeau_serve(
        tmp, policy_text, "--header-timeout", "1", "--body-timeout", "1", "--data-dir", "data"
    ) as s:
        yield s


def stalled(served: Served, start: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", served.port))
    sock.settimeout(60)  # far beyond the 1 s deadlines: only a hang reaches it
    sock.sendall(start)
    return sock


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a hang fails the test)."""
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the stalled connection open (got {got!r})")
    finally:
        sock.close()
    return got


def decision_head(served: Served, length: int) -> bytes:
    return (
        f"POST /v1/sites/{served.policy.site}/decisions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Origin: {served.origin}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def test_stalled_bodies_are_closed(served: Served) -> None:
    socks = [stalled(served, decision_head(served, 500) + b'{"id": "') for _ in range(20)]
    for sock in socks:
        assert b"201" not in closed_by_server(sock)


def test_stalled_headers_are_closed(served: Served) -> None:
    socks = [stalled(served, b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n") for _ in range(5)]
    socks.append(stalled(served, b""))  # connects and says nothing
    for sock in socks:
        assert closed_by_server(sock) == b""


def test_a_trickled_body_does_not_extend_its_deadline(served: Served) -> None:
    sock = stalled(served, decision_head(served, 5000))
    try:
        for _ in range(200):  # a byte every 0.05 s: 10 s in all, far past the deadline
            sock.sendall(b" ")
            time.sleep(0.05)
    except OSError:
        sock.close()
        return  # closed while trickling
    assert b"201" not in closed_by_server(sock)


def test_a_disconnect_mid_body_is_one_line(served: Served) -> None:
    log = served.cwd / f"serve-{served.port}.log"
    sock = stalled(served, decision_head(served, 500) + b'{"id": "')
    sock.close()
    deadline = time.monotonic() + 30
    while "left before sending its whole request" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    text = log.read_text()
    assert "Traceback" not in text and "ClientDisconnect" not in text
    lines = [line for line in text.splitlines() if "left before sending" in line]
    assert lines[0].startswith("INFO:") and "POST /v1/sites/lequotidien/decisions" in lines[0]


def test_a_normal_client_is_served(served: Served) -> None:
    conn = served.connect()
    status, body = served.decide(conn)
    assert status == 201, body
