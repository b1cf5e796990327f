"""How a phase waits for autoconsent's verdict (issue 12, item 3): on its messages, not on a
fixed time. Its messages are fed here as its content script sends them, in order, with no
browser: the verdict depends on what autoconsent said, never on how fast it said it."""

from __future__ import annotations

import asyncio
from typing import Any

from bandeau.scanner.autoconsent import Detection


def _report(lifecycle: str, attempts: int) -> dict[str, Any]:
    return {"type": "report", "state": {"lifecycle": lifecycle, "findCmpAttempts": attempts}}


async def _waiting(detection: Detection, *messages: dict[str, Any]) -> bool:
    """Start waiting (a cap no test reaches), feed the messages one by one letting the wait
    run between them, and say whether the wait has ended."""
    wait = asyncio.create_task(detection.settle(3600))
    for message in messages:
        await asyncio.sleep(0)
        detection.hear(message, top=True)
    for _ in range(3):
        await asyncio.sleep(0)
    ended = wait.done()
    wait.cancel()
    return ended


def test_a_recognised_cmp_is_waited_for_until_its_popup_is_reported() -> None:
    """The flaky case: tarteaucitron's root is in the page (its rule matches) before its popup
    shows. The wait goes on however many reports come, and ends at `popupFound`."""
    detection = Detection()
    recognised = (
        _report("started", 1),
        {"type": "cmpDetected", "cmp": "tarteaucitron.js"},
        _report("cmpDetected", 1),
        _report("cmpDetected", 2),
    )
    assert not asyncio.run(_waiting(detection, *recognised))
    assert not detection.concluded
    detection = Detection()
    shown = {"type": "popupFound", "cmp": "tarteaucitron deny"}
    assert asyncio.run(_waiting(detection, *recognised, shown))
    assert detection.popups == ["tarteaucitron deny"]


def test_a_page_without_a_cmp_ends_the_wait_once_every_rule_was_tried() -> None:
    """A homemade banner or none: the wait ends when the top frame's first search has ended
    (its second attempt starts, or it reports nothing detected), not at the cap."""
    assert not asyncio.run(_waiting(Detection(), _report("initialized", 0), _report("started", 1)))
    assert asyncio.run(_waiting(Detection(), _report("started", 1), _report("started", 2)))
    assert asyncio.run(_waiting(Detection(), _report("nothingDetected", 1)))


def test_a_frame_that_is_not_the_top_one_does_not_end_the_search() -> None:
    """An ad frame's autoconsent finding nothing says nothing about the page's CMP."""
    detection = Detection()
    detection.hear(_report("nothingDetected", 3), top=False)
    assert not detection.searched and not detection.concluded


def test_the_wait_stops_at_its_cap_without_a_verdict() -> None:
    """A CMP recognised whose popup never shows (the site hides it): the cap ends the wait,
    which says it had no verdict."""
    detection = Detection()
    detection.hear({"type": "cmpDetected", "cmp": "cookieconsent3"}, top=True)
    assert asyncio.run(detection.settle(0.01)) is False
    assert detection.cmps == ["cookieconsent3"] and detection.popups == []
