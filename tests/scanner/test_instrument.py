"""The recorder's network quiet window, driven by simulated DevTools events (no browser)."""

from __future__ import annotations

import asyncio
from typing import Any

from bandeau.scanner.instrument import Recorder


def recorder() -> Recorder:
    return Recorder(context=None, page=None)  # type: ignore[arg-type]  # events only


def request(rec: Recorder, rid: str) -> None:
    rec._on_request({"requestId": rid, "request": {"url": "http://127.0.0.2/t.js"}})


def finished(rec: Recorder, rid: str) -> None:
    rec._on_done({"requestId": rid})


def test_quiet_waits_for_requests_in_flight_and_their_window() -> None:
    """Issue 12, item 1: the network settles when nothing is in flight for the window; a
    request that starts during the window (a tracker loaded by another) extends it."""

    async def scenario() -> list[str]:
        rec, seen = recorder(), []
        request(rec, "1")
        waiting = asyncio.create_task(rec.quiet(cap_ms=30_000, idle_ms=100))
        await asyncio.sleep(0.3)
        seen.append("done" if waiting.done() else "waiting")  # request 1 still in flight
        finished(rec, "1")
        request(rec, "2")  # loaded by the first, as tags load tags
        await asyncio.sleep(0.3)
        seen.append("done" if waiting.done() else "waiting")
        finished(rec, "2")
        await asyncio.wait_for(waiting, 10)
        seen.append("done")
        return seen

    assert asyncio.run(scenario()) == ["waiting", "waiting", "done"]


def test_quiet_after_an_action_starts_its_window_at_the_action() -> None:
    """A network quiet for long before a click says nothing about what the click triggers:
    after an action the wait lasts the grace period at least, and a request started in it
    is waited for."""

    async def scenario() -> tuple[bool, list[Any]]:
        rec = recorder()
        rec._last_activity -= 60  # the network has been quiet for a minute
        plain = asyncio.create_task(rec.quiet(cap_ms=30_000, idle_ms=100))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        returned_at_once = plain.done()
        action = asyncio.create_task(rec.quiet(cap_ms=30_000, after_action_ms=200))
        await asyncio.sleep(0.05)
        request(rec, "1")  # the click's tracker
        await asyncio.sleep(0.5)
        states: list[Any] = [action.done()]
        finished(rec, "1")
        await asyncio.wait_for(action, 10)
        states.append(action.done())
        return returned_at_once, states

    assert asyncio.run(scenario()) == (True, [False, True])
