"""`create_app`: the server assembled from its parts and its groups of routes, and the
housekeeping that runs beside it (retention, signed checkpoints)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect

from .. import __version__
from ..errors import BandeauError, SettingsError
from ..keys import KeyRing, site_folder
from ..ledger import Ledger
from ..policy import Policy
from ..ratelimit import RateLimiter
from ..settings import Settings
from ..store import Store
from ..store.writer import BatchWriter
from ..tcf.publisher import tcf_site
from . import assets, consents, meta, notices, pages, proof, tcf
from .compression import MIN_SIZE
from .context import API, Context, Site
from .edge import install_error_handlers
from .openapi import install_openapi
from .timeouts import client_gone, drain_on_signals
from .writerprocess import ProcessWriter, SiteDesk

__all__ = ["app_from_settings", "create_app", "housekeeping", "log_config"]

logger = logging.getLogger(__name__)

PARENT_POLL = 0.5
"""Seconds between a worker's checks that its parent is alive."""


def create_app(
    settings: Settings,
    policies: list[Policy],
    *,
    keys: KeyRing,
    store: Store,
    site_keys: Mapping[str, KeyRing] | None = None,
) -> FastAPI:
    """The bandeau HTTP API for `policies`, recording into `store`; `keys` sign the log's
    checkpoints, `site_keys[site]` each site's tokens and receipts.

    A server of one site may leave `site_keys` out: its site signs with `keys`. Several sites
    each need their own ring (a `SettingsError` otherwise), so that what one site signed never
    verifies on another."""
    ledger = Ledger(store, keys, published=settings.checkpoint_log)
    rings = site_rings(policies, keys, site_keys or {})
    app = FastAPI(
        lifespan=lifespan,
        title="bandeau",
        version=__version__,
        description="Consent banner, decisions and proof of consent.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    sites = {
        p.site: Site(
            p, f"{settings.base_url}{API}/sites/{p.site}", rings[p.site], tcf_site(p, settings)
        )
        for p in policies
    }
    for site in sites.values():
        site.archive_notices(store)  # now, so that no request does it (PROOF-02)
    app.state.bandeau = Context(
        settings=settings,
        sites=sites,
        keys=keys,
        store=store,
        ledger=ledger,
        writer=BatchWriter(ledger),
        limiter=RateLimiter.from_settings(settings),
    )
    for group in (meta, assets, pages, consents, proof, notices, tcf):
        group.install(app)
    install_error_handlers(app)
    app.add_exception_handler(ClientDisconnect, client_gone)
    install_openapi(app)
    # every other text response over MIN_SIZE (the OpenAPI document, checkpoints, receipts,
    # histories) is gzipped as it is sent; assets and pages arrive already encoded
    app.add_middleware(GZipMiddleware, minimum_size=MIN_SIZE, compresslevel=9)
    return app


def site_rings(
    policies: list[Policy], keys: KeyRing, given: Mapping[str, KeyRing]
) -> dict[str, KeyRing]:
    """Each site's ring: as given, or `keys` for the only site of a server given none; a
    `SettingsError` when a site has none or two sites share one."""
    if len(policies) == 1 and not given:
        return {policies[0].site: keys}
    missing = [p.site for p in policies if p.site not in given]
    if missing:
        raise SettingsError(
            f"no signing keys for site(s) {', '.join(missing)}",
            hint="each site of a server has its own key ring (keys.site_folder); "
            "`bandeau serve` makes them",
        )
    if len({given[p.site].current.key_id for p in policies}) < len(policies):
        raise SettingsError(
            "two sites of this server sign with the same key",
            hint="give each site a ring of its own (keys.site_folder), so that what one site "
            "signed never verifies on another",
        )
    return {p.site: given[p.site] for p in policies}


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Housekeeping runs while the server serves; at shutdown the writer drains its queue and
    a last checkpoint covers every decision acknowledged."""
    ctx: Context = app.state.bandeau
    drain_on_signals()  # uvicorn's signal handlers are in place by now
    await start_writer_process(ctx)
    task = asyncio.create_task(housekeeping_loop(ctx), name="bandeau-housekeeping")
    watcher = None
    if ctx.settings.workers > 1:  # a worker of `bandeau serve`: its parent supervises it
        watcher = asyncio.create_task(watch_parent(os.getppid()), name="bandeau-parent")
    try:
        yield
    finally:
        task.cancel()
        if watcher is not None:
            watcher.cancel()
        await close_writer(ctx)
        ctx.limiter.close()
        try:
            await run_in_threadpool(ctx.ledger.checkpoint)
        except BandeauError as e:
            logger.error("no checkpoint at shutdown: %s", e)


async def start_writer_process(ctx: Context) -> None:
    """Hand the decisions to a log writer process of this server process's own
    (`writerprocess`) when the settings ask for it and another process can open the store;
    else they stay with the thread `create_app` started (`log_writer = "thread"`, or an
    in-memory database)."""
    url = ctx.store.url
    if ctx.settings.log_writer != "process" or not url:
        return
    if not sys.executable:  # an embedded interpreter: no Python to start
        logger.warning("no Python interpreter to run a log writer process: using a thread")
        return
    desks = {
        name: SiteDesk(
            site.policy,
            *site.keys.raw(),
            site.served_notices(),
            {lang: site.notice(lang).id for lang in site.policy.languages},
        )
        for name, site in ctx.sites.items()
    }
    desk = ProcessWriter(url, desks, ctx.settings.log_level)
    desk.start()
    ctx.desk = desk
    # idle: nothing reached it before startup, and from now on every decision goes to `desk`
    await run_in_threadpool(ctx.writer.close)


async def close_writer(ctx: Context) -> None:
    """Let the writer finish what it holds (every decision it acknowledges is committed)."""
    if ctx.desk is not None:
        await ctx.desk.close()
    await run_in_threadpool(ctx.writer.close)


async def watch_parent(parent: int) -> None:
    """Stop this worker, as SIGTERM would (finishing what it is answering), once the process
    that started it is gone: a supervisor killed with SIGKILL cannot stop its workers, and
    they would go on serving, holding the port, with nothing to restart or stop them."""
    while os.getppid() == parent:
        await asyncio.sleep(PARENT_POLL)
    logger.error("the server's main process %d is gone: this worker stops", parent)
    os.kill(os.getpid(), signal.SIGTERM)


async def housekeeping_loop(ctx: Context) -> None:
    """`housekeeping` every `checkpoint_interval` seconds, for as long as the server runs.

    One failed round (the database is down, say) is logged and the loop goes on: the next
    round catches up once the database is back. Anything else is a bug, logged with its
    traceback; the loop goes on too, since stopping would silently end all checkpoints."""
    while True:
        await asyncio.sleep(ctx.settings.checkpoint_interval)
        try:
            await run_in_threadpool(housekeeping, ctx)
        except BandeauError as e:
            logger.error("housekeeping failed, will retry: %s", e)
        except Exception:
            logger.exception("housekeeping crashed, will retry")


def housekeeping(ctx: Context) -> None:
    """Redact what retention says is too old, then sign a checkpoint if the log grew."""
    ctx.ledger.apply_retention(ctx.settings.retention_days)
    ctx.ledger.checkpoint()


def app_from_settings(settings: Settings) -> FastAPI:
    """The app of one `bandeau serve` worker, for validated `settings` (passed to each worker
    process by `bandeau serve`). The keys must exist: `serve` makes them before workers start."""
    from ..policy import load_policy
    from ..store import open_store

    policies = [load_policy(p) for p in settings.policy]
    return create_app(
        settings,
        policies,
        keys=KeyRing.open(settings.keys_dir),
        store=open_store(settings.database_url),
        site_keys={p.site: KeyRing.open(site_folder(settings.keys_dir, p.site)) for p in policies},
    )


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration, with bandeau's loggers (`bandeau.*`, one per module)
    beside uvicorn's own, at `level`, on stderr in uvicorn's format plus the logger's name."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["bandeau"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
    }
    config["handlers"]["bandeau"] = {
        "formatter": "bandeau",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["bandeau"] = {
        "handlers": ["bandeau"],
        "level": level.upper(),
        "propagate": False,
    }
    return config
