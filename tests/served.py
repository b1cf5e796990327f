"""`bandeau serve` as a user runs it, in its own process group on a free loopback port, and a
way to tell which of its worker processes holds a given connection (Linux /proc)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bandeau.policy import Policy, load_policy

from .live import free_port
from .wire import decision_body


class Served:
    """A running `bandeau serve`: its URL, its policy, its worker processes."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, policy: Policy, cwd: Path) -> None:
        self.proc = proc
        self.cwd = cwd
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.policy = policy
        self.connections: list[http.client.HTTPConnection] = []  # closed when serving ends

    def connect(self) -> http.client.HTTPConnection:
        """A keep-alive connection: every request on it reaches the same worker."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.connections.append(conn)
        conn.connect()
        return conn

    def decide(
        self, conn: http.client.HTTPConnection, forwarded_for: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"Origin": self.origin, "Content-Type": "application/json"}
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        body = json.dumps(decision_body(self.policy, "accept_all"))
        conn.request("POST", f"/v1/sites/{self.policy.site}/decisions", body, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())

    def get(self, conn: http.client.HTTPConnection, path: str) -> dict[str, Any]:
        conn.request("GET", path)
        response = conn.getresponse()
        data: dict[str, Any] = json.loads(response.read())
        assert response.status == 200, data
        return data

    def connection_to_each_worker(self, workers: int) -> dict[int, http.client.HTTPConnection]:
        """One open connection per worker, by pid: connect until each worker has accepted one
        (which one accepts is the kernel's choice; a worker still starting accepts none)."""
        found: dict[int, http.client.HTTPConnection] = {}
        deadline = time.monotonic() + 60
        while len(found) < workers and time.monotonic() < deadline:
            for kept in found.values():  # a keep-alive connection idle for 5 s is closed
                self.get(kept, "/v1/health")
            conn = self.connect()
            self.get(conn, "/v1/health")
            pid = self.worker_of(conn)
            if pid in found:
                conn.close()
            else:
                found[pid] = conn
        assert len(found) == workers, f"only workers {sorted(found)} accepted connections"
        return found

    def worker_pids(self) -> set[int]:
        """The server's worker processes (or the server itself when it has one worker)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        pids = {int(pid) for pid in children.split()}
        return {pid for pid in pids if _holds_listening_socket(pid, self.port)} or {self.proc.pid}

    def worker_of(self, conn: http.client.HTTPConnection) -> int:
        """The pid of the worker that accepted `conn` (after one answered request on it)."""
        assert conn.sock is not None
        inode = _server_side_inode(self.port, conn.sock.getsockname()[1])
        for pid in self.worker_pids():
            if f"socket:[{inode}]" in _fd_links(pid):
                return pid
        raise AssertionError(f"no worker holds the connection's socket {inode}")


@contextmanager
def bandeau_serve(
    tmp: Path, policy_text: str, *flags: str, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Run `bandeau serve --policy … --port … FLAGS` (cwd `tmp`) until the block ends."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    policy_file = tmp / f"site-{port}.toml"
    policy_file.write_text(policy_text.replace("http://127.0.0.1:8000", origin))
    log = tmp / f"serve-{port}.log"
    command = [sys.executable, "-m", "bandeau", "serve", "--policy", str(policy_file)]
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [*command, "--port", str(port), *flags],
            cwd=tmp,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    served = Served(proc, port, load_policy(policy_file), tmp)  # a site may extend a base
    try:
        _wait_until_answering(served, log)
        yield served
    finally:
        for conn in served.connections:
            conn.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _wait_until_answering(served: Served, log: Path) -> None:
    """Every worker listens once the parent's health check answers and each one holds the
    listening socket; polled, with a generous ceiling for a loaded machine."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError(f"bandeau serve exited: {log.read_text()}")
        try:
            conn = served.connect()
            served.get(conn, "/v1/health")
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"bandeau serve did not answer: {log.read_text()}")


def _fd_links(pid: int) -> set[str]:
    links = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            links.add(os.readlink(fd))
        except OSError:  # closed while we looked
            continue
    return links


def _tcp_sockets() -> Iterator[tuple[int, int, int, int]]:
    """(local port, remote port, state, inode) of every TCP socket, IPv4 and IPv6."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            yield (
                int(local.rsplit(":", 1)[1], 16),
                int(remote.rsplit(":", 1)[1], 16),
                int(state, 16),
                int(inode),
            )


def _server_side_inode(server_port: int, client_port: int) -> int:
    for local, remote, _, inode in _tcp_sockets():
        if local == server_port and remote == client_port and inode:
            return inode
    raise AssertionError(f"no server socket for the connection from port {client_port}")


def _holds_listening_socket(pid: int, port: int) -> bool:
    listening = {
        inode for local, _, state, inode in _tcp_sockets() if local == port and state == 10
    }
    links = _fd_links(pid)
    return any(f"socket:[{inode}]" in links for inode in listening)
