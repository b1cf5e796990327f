"""The demo: a fictional French news group's two sites under the bandeau banner, with fake
third parties.

`bandeau demo` runs it (`serve_demo`); the browser tests run it in a thread (`DemoServer`).
Four origins, as on a real group's sites:

- `http://127.0.0.1:PORT`: the first title's pages and the bandeau API (one app, one origin);
- `http://localhost:PORT+1`: a fake social network (Telegram channel box, share buttons);
- `http://localhost:PORT+2`: a fake ad network;
- `http://127.0.0.2:PORT+3`: the group's second title, whose pages use the same bandeau server
  (the API on PORT, one process, one store) under its own policy, which extends the first's.

The third parties use the host name `localhost` so that they are another *site* than the article
(cookies ignore ports, so another port alone would still be the same site); the second title is
on another loopback address for the same reason (where 127.0.0.2 cannot be used, as on macOS
without an alias, it falls back to the first title's host, whose cookies it then sees).
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Final, Literal
from urllib.parse import urlsplit

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from ..keys import KeyRing, site_folder
from ..middleware import BandeauMiddleware
from ..policy import Policy, parse_extended, parse_policy
from ..settings import Settings
from ..store import Store, open_store
from .site import Publisher
from .thirdparty import RequestLog, ThirdPartyRequest, ads_app, social_app

__all__ = [
    "DemoApps",
    "DemoServer",
    "Publisher",
    "RequestLog",
    "ThirdPartyRequest",
    "build_demo",
    "demo_policy",
    "second_host",
    "serve_demo",
]

PACKAGED_ORIGIN: Final = "http://127.0.0.1:8000"
PACKAGED_SOCIAL: Final = "localhost:8001"
PACKAGED_ADS: Final = "localhost:8002"
PACKAGED_SECOND: Final = "http://127.0.0.2:8003"
SECOND_HOST: Final = "127.0.0.2"


def policy_text(name: str = "policy.toml") -> str:
    """A packaged demo policy, as written (origins for port 8000): the first title's, which is
    also the group's base, or with `name="echo.toml"` the second title's."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def tcf_text(vendor_list: str, translations: str = "") -> str:
    """The demo's TCF mode (`tcf.toml`), over the vendor list at `vendor_list`, with the
    purposes' translations at `translations` (`{lang}` for the language; empty: beside the
    vendor list, as the IAB publishes them)."""
    text = resources.files(__package__).joinpath("tcf.toml").read_text(encoding="utf-8")
    text = text.replace("__TRANSLATIONS__", translations.replace("\\", "\\\\"))
    return text.replace("__VENDOR_LIST__", vendor_list.replace("\\", "\\\\"))


def _policies_for(
    origin: str, port: int, second: str, tcf: str = "", translations: str = ""
) -> tuple[Policy, Policy]:
    """The two titles' policies, the first served at `origin`, the second at `second`, with the
    third parties on PORT+1 and PORT+2; with `tcf` (a vendor list), the first title in TCF mode."""
    mapping = {
        PACKAGED_ORIGIN: origin,
        PACKAGED_SOCIAL: f"localhost:{port + 1}",
        PACKAGED_ADS: f"localhost:{port + 2}",
        PACKAGED_SECOND: second,
    }
    pattern = re.compile("|".join(re.escape(k) for k in mapping))
    base, site = (pattern.sub(lambda m: mapping[m.group(0)], policy_text(n)) for n in FILES)
    # the second title extends the group's base as written; only the first gets the TCF mode
    first_text = base + "\n" + tcf_text(tcf, translations) if tcf else base
    first = parse_policy(first_text, "bandeau/demo/policy.toml")
    return first, parse_extended(site, base, "bandeau/demo/echo.toml (extends policy.toml)")


FILES: Final = ("policy.toml", "echo.toml")


def _second_origin(host: str, port: int) -> str:
    return f"http://{second_host(host)}:{port + 3}"


def second_host(host: str) -> str:
    """Where the second title listens: 127.0.0.2, when this machine can use it."""
    try:
        _listen(socket.AF_INET, SECOND_HOST, 0).close()
    except OSError:
        return "127.0.0.1" if host in ("0.0.0.0", "::", "localhost") else host  # noqa: S104
    return SECOND_HOST


def demo_policy(host: str, port: int) -> Policy:
    """The demo policy for a publisher served at http://HOST:PORT, third parties on
    localhost:PORT+1 (social) and localhost:PORT+2 (ads)."""
    return _policies_for(f"http://{host}:{port}", port, _second_origin(host, port))[0]


@dataclass
class DemoApps:
    """The demo's three ASGI apps and what the tests look at."""

    site: ASGIApp  # publisher pages + bandeau API, one origin, behind bandeau's middleware
    api: FastAPI  # the same app without the middleware
    social: ASGIApp  # fake social network
    ads: ASGIApp  # fake ad network
    policy: Policy
    store: Store
    publisher: Publisher
    requests_seen_by_third_parties: RequestLog
    social_origin: str
    ads_origin: str
    second: ASGIApp  # the second title's pages, behind bandeau's middleware (its own keys)
    second_policy: Policy
    second_publisher: Publisher
    second_origin: str


def build_demo(
    settings: Settings, second_origin: str = "", tcf: str = "", translations: str = ""
) -> DemoApps:
    """The demo for `settings` (its base URL: the first title's origin; its port: the third
    parties' base port; the second title at `second_origin`, by default 127.0.0.2:PORT+3): one
    app and store serve both, each with its own keys; with `tcf`, the first one in TCF mode."""
    from ..server import create_app

    parts = urlsplit(settings.base_url)
    port = parts.port or settings.port
    second_origin = second_origin or _second_origin(parts.hostname or settings.host, port)
    policy, second = _policies_for(settings.base_url, port, second_origin, tcf, translations)
    log_keys = KeyRing.open_or_create(settings.keys_dir)
    rings = {
        p.site: KeyRing.open_or_create(site_folder(settings.keys_dir, p.site))
        for p in (policy, second)
    }
    store = open_store(settings.database_url)
    app = create_app(settings, [policy, second], keys=log_keys, store=store, site_keys=rings)
    social_origin = f"http://localhost:{port + 1}"
    ads_origin = f"http://localhost:{port + 2}"
    publishers = [
        Publisher(
            p,
            api=f"{settings.base_url}/v1/sites/{p.site}",
            social_origin=social_origin,
            ads_origin=ads_origin,
        )
        for p in (policy, second)
    ]
    publishers[0].mount(app)
    second_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    publishers[1].mount(second_app)
    log = RequestLog()
    enforced = [
        BandeauMiddleware(
            served,
            policy=p,
            public_keys=rings[p.site].public,
            refresh_cookie=True,
            signing_keys=rings[p.site],
        )
        for served, p in ((app, policy), (second_app, second))
    ]
    return DemoApps(
        site=enforced[0],
        api=app,
        social=social_app(social_origin, log),
        ads=ads_app(ads_origin, log),
        policy=policy,
        store=store,
        publisher=publishers[0],
        requests_seen_by_third_parties=log,
        social_origin=social_origin,
        ads_origin=ads_origin,
        second=enforced[1],
        second_policy=second,
        second_publisher=publishers[1],
        second_origin=second_origin,
    )


def _uvicorn(
    app: ASGIApp, host: str, port: int, lifespan: Literal["on", "off"] = "off"
) -> uvicorn.Server:
    """A server for one of the demo's apps; the bandeau app runs its lifespan (checkpoints)."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        ws="none",
        proxy_headers=False,  # who the client is behind a proxy: `trusted_proxies` decides
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


async def serve_demo(
    host: str, port: int, data_dir: Path, tcf: str = "", translations: str = ""
) -> None:
    """Run the demo until cancelled: publisher on HOST:PORT, social on PORT+1, ads on PORT+2,
    the group's second title on 127.0.0.2:PORT+3.

    The third parties are reached as `localhost`: unless HOST is a wildcard address they
    listen on the loopback addresses (127.0.0.1, and ::1 when it exists).
    """
    settings = Settings(data_dir=data_dir, host=host, port=port)
    apps = build_demo(settings, tcf=tcf, translations=translations)
    groups: list[list[socket.socket]] = []
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        groups.append([_listen(family, host, port)])
        for p in (port + 1, port + 2):
            if host in ("0.0.0.0", "::"):  # noqa: S104
                groups.append([_listen(family, host, p)])
            else:
                group = [_listen(socket.AF_INET, "127.0.0.1", p)]
                if _ipv6_loopback():
                    group.append(_listen(socket.AF_INET6, "::1", p))
                groups.append(group)
        second = urlsplit(apps.second_origin).hostname or SECOND_HOST
        groups.append([_listen(socket.AF_INET, second, port + 3)])
        four: tuple[ASGIApp, ...] = (apps.site, apps.social, apps.ads, apps.second)
        servers = [
            _uvicorn(app, host, port + i, "on" if i == 0 else "off") for i, app in enumerate(four)
        ]
        await asyncio.gather(
            *(srv.serve(sockets=group) for srv, group in zip(servers, groups, strict=True))
        )
    finally:
        for group in groups:
            for sock in group:
                sock.close()
        apps.store.close()


def _listen(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
    except OSError:
        s.close()
        raise
    return s


def _ipv6_loopback() -> bool:
    try:
        _listen(socket.AF_INET6, "::1", 0).close()
    except OSError:
        return False
    return True


def _bind_four(host: str, attempts: int = 40) -> tuple[int, list[list[socket.socket]]]:
    """Find a base port such that PORT, PORT+1 and PORT+2 are free on `host` (and the
    loopbacks), and PORT+3 on the second title's host; return them bound.

    The third parties are reached as `localhost`, which a browser may resolve to ::1 as well as
    127.0.0.1: their ports are bound on both loopbacks (when IPv6 exists), so that no other
    program on ::1 can answer in their place.
    """
    v6 = _ipv6_loopback()
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            base = probe.getsockname()[1]
        if base + 3 > 65535:
            continue
        bound: list[list[socket.socket]] = []
        try:
            bound.append([_listen(socket.AF_INET, host, base)])
            for p in (base + 1, base + 2):
                group = [_listen(socket.AF_INET, host, p)]
                bound.append(group)
                if v6:
                    group.append(_listen(socket.AF_INET6, "::1", p))
            bound.append([_listen(socket.AF_INET, second_host(host), base + 3)])
        except OSError:
            for group in bound:
                for s in group:
                    s.close()
            continue
        return base, bound
    raise RuntimeError("no four consecutive free ports found on " + host)


class DemoServer:
    """The demo served from a background thread, for tests.

    >>> with DemoServer(tmp_path) as demo:
    ...     page.goto(demo.url)
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        rate_limit: int = 0,
        startup_timeout: float = 30.0,
        tcf: str = "",
        translations: str = "",
    ):
        self.data_dir = Path(data_dir)
        self.host = "127.0.0.1"
        self.port, self._sockets = _bind_four(self.host)
        self.settings = Settings(
            data_dir=self.data_dir, host=self.host, port=self.port, rate_limit=rate_limit
        )
        try:
            self.apps = build_demo(self.settings, tcf=tcf, translations=translations)
        except BaseException:
            self._close_sockets()
            raise
        self.url = self.settings.base_url
        self.social_origin = self.apps.social_origin
        self.ads_origin = self.apps.ads_origin
        self.second_url = self.apps.second_origin
        self.startup_timeout = startup_timeout
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._stopped = False

    @property
    def store(self) -> Store:
        return self.apps.store

    @property
    def policy(self) -> Policy:
        return self.apps.policy

    @property
    def publisher(self) -> Publisher:
        return self.apps.publisher

    @property
    def requests_seen_by_third_parties(self) -> RequestLog:
        return self.apps.requests_seen_by_third_parties

    def start(self) -> DemoServer:
        """Serve the four apps; return once each answers over HTTP."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        apps: tuple[ASGIApp, ...] = (
            self.apps.site,
            self.apps.social,
            self.apps.ads,
            self.apps.second,
        )
        self._servers = [
            _uvicorn(app, self.host, group[0].getsockname()[1], "on" if i == 0 else "off")
            for i, (app, group) in enumerate(zip(apps, self._sockets, strict=True))
        ]

        async def main() -> None:
            await asyncio.gather(
                *(
                    srv.serve(sockets=group)
                    for srv, group in zip(self._servers, self._sockets, strict=True)
                )
            )

        def run() -> None:
            try:
                asyncio.run(main())
            except BaseException as e:  # reported by start() / stop()
                self._error = e

        self._thread = threading.Thread(target=run, name="bandeau-demo", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not all(s.started for s in self._servers):
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the demo servers did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the demo servers did not start in time")
            time.sleep(0.02)
        for origin, path in (
            (self.url, "/v1/health"),
            (self.social_origin.replace("localhost", self.host), "/widgets.css"),
            (self.ads_origin.replace("localhost", self.host), "/ad.css"),
            (self.second_url, "/static/demo.css"),
        ):
            with urllib.request.urlopen(origin + path, timeout=10) as r:  # noqa: S310
                if r.status != 200:
                    raise RuntimeError(f"{origin}{path} answered {r.status}")
        # The readiness probes are not requests from a browser.
        self.requests_seen_by_third_parties.clear()

    def stop(self) -> None:
        """Stop the servers, release the ports, close the store. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        for s in self._servers:
            s.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self._close_sockets()
        self.apps.store.close()

    def _close_sockets(self) -> None:
        for group in self._sockets:
            for sock in group:
                sock.close()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
