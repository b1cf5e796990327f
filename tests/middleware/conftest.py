"""Keys, signed tokens and a fixed clock for the middleware tests (the demo policy comes from
tests/conftest.py)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from socketserver import ThreadingMixIn
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from bandeau.consent import issue_token
from bandeau.keys import KeyRing
from bandeau.policy import Policy

from ..live import serving

NOW = int(time.time())  # apps under test that use the real clock agree with it

TokenFactory = Callable[..., str]


@pytest.fixture(scope="session")
def keys() -> KeyRing:
    return KeyRing.generate()


@pytest.fixture
def token(policy: Policy, keys: KeyRing) -> TokenFactory:
    """`token(social=True, advertising=False, ...)` signs a decision of the demo site; purposes
    not named are refused; `issued_at`, `days`, `site`, `ring`, `digest`, `consent_id` and
    `decision_id` override the rest."""

    def make(
        *,
        issued_at: int = NOW - 3600,
        days: int = 183,
        site: str | None = None,
        ring: KeyRing | None = None,
        digest: str | None = None,
        consent_id: str = "reader-1",
        decision_id: str = "",
        **granted: bool,
    ) -> str:
        choices = {
            p.key: (granted.get(p.key, False), digest or p.digest)
            for p in policy.purposes
            if p.kind != "strictly_necessary"
        }
        return issue_token(
            ring or keys,
            site=site or policy.site,
            consent_id=consent_id,
            choices=choices,
            issued_at=issued_at,
            lifetime_days=days,
            decision_id=decision_id,
        )

    return make


@pytest.fixture
def accept_all(token: TokenFactory) -> str:
    return token(audience=True, social=True, advertising=True)


@pytest.fixture
def refuse_all(token: TokenFactory) -> str:
    return token(audience=True)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def wsgi_serving(app: Any) -> Iterator[str]:
    """A real WSGI server (wsgiref, one thread per request) on a free loopback port."""
    server = make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


EXAMPLES = Path(__file__).parents[2] / "docs" / "integrations" / "examples"


def load_example(name: str) -> ModuleType:
    """Import `docs/integrations/examples/NAME.py`, the code a guide shows."""
    module_name = f"bandeau_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def guide_shows_example(guide: str, example: str) -> None:
    """The guide `docs/integrations/GUIDE.md` shows the example file verbatim."""
    text = (EXAMPLES.parent / f"{guide}.md").read_text(encoding="utf-8")
    source = (EXAMPLES / f"{example}.py").read_text(encoding="utf-8")
    assert f"```python\n{source}```" in text, f"{guide}.md must show {example}.py as it is"


def asgi_serving(app: Any) -> AbstractContextManager[str]:
    """A real uvicorn server on a free loopback port, in a thread; no lifespan (Django's ASGI
    handler refuses it)."""
    return serving(app, lifespan="off")
