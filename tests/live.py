"""A real uvicorn server on a free loopback port, in a background thread, for HTTP tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import uvicorn

from bandeau.keys import KeyRing
from bandeau.policy import Policy, parse_policy
from bandeau.server import create_app
from bandeau.settings import Settings
from bandeau.store import Store, open_store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(count: int, hosts: dict[int, str] | None = None) -> int:
    """A base port such that BASE … BASE+count-1 are all free right now, each on 127.0.0.1 or on
    the host `hosts` names for its offset (for a program that binds several ports from one)."""
    hosts = hosts or {}
    for _ in range(50):
        base = free_port()
        if base + count > 65536:
            continue
        try:
            with contextlib.ExitStack() as held:
                for offset in range(count):
                    s = held.enter_context(socket.socket())
                    s.bind((hosts.get(offset, "127.0.0.1"), base + offset))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no {count} consecutive free ports found")


@contextmanager
def serving(
    app: Any, port: int | None = None, lifespan: Literal["on", "off"] = "on"
) -> Iterator[str]:
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class RunningSite:
    """A real bandeau server for the demo policy (its origin rewritten to the server's port)."""

    url: str
    policy: Policy
    store: Store
    keys: KeyRing


@contextmanager
def running_site(data_dir: Path, policy_text: str, **settings: Any) -> Iterator[RunningSite]:
    """A bandeau server on a free port with its own data folder, log and keys, until exit."""
    port = free_port()
    policy = parse_policy(policy_text.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"))
    given = Settings(data_dir=data_dir, port=port, **settings)
    store = open_store(given.database_url)
    keys = KeyRing.open_or_create(given.keys_dir)
    try:
        with serving(create_app(given, [policy], keys=keys, store=store), port) as url:
            yield RunningSite(url, policy, store, keys)
    finally:
        store.close()
