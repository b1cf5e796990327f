"""autoconsent answers when our detector cannot (issue 12, item 3): its rule refuses or
accepts, the report names the rule, and the verdict comes from what the page does afterwards
(cookies, requests), never from autoconsent's word. Here our detector is told not to answer,
so that autoconsent's path is taken on the corpus's real CMPs."""

from __future__ import annotations

import asyncio

import pytest

from bandeau.scanner.crawl import PageResult, ScanOptions, scan

from .conftest import AUTOCONSENT
from .corpus import Corpus

pytestmark = pytest.mark.browser

FIXTURES = ("cc-compliant", "klaro-compliant", "klaro-ignores-refusal", "tac-compliant")
CONSENT_RECORDS = {"cc_cookie", "klaro", "tarteaucitron"}


@pytest.fixture(scope="module")
def by_autoconsent(corpus: Corpus) -> dict[str, PageResult]:
    options = ScanOptions(
        concurrency=3, autoconsent=AUTOCONSENT, detector_answers=False, viewports=("desktop",)
    )
    pages = asyncio.run(scan([corpus.url(f) for f in FIXTURES], options))
    return dict(zip(FIXTURES, pages, strict=True))


@pytest.mark.parametrize("fixture", FIXTURES)
def test_autoconsent_refuses_and_names_its_rule(
    fixture: str, by_autoconsent: dict[str, PageResult]
) -> None:
    """CNIL-03 is judged on behaviour: the page that ignores the refusal is caught, the
    compliant ones are not, whoever clicked."""
    page = by_autoconsent[fixture]
    choice = page.phases["refuse"].choice
    assert choice is not None and choice.done, choice
    assert choice.by.startswith("autoconsent:")
    assert choice.measured_clicks is None  # the reader's effort is counted on our path only
    ignored = any(f.rule == "CNIL-03" for f in page.findings)
    assert ignored == (fixture == "klaro-ignores-refusal"), [f.title for f in page.findings]


@pytest.mark.parametrize("fixture", FIXTURES)
def test_an_acceptance_counts_only_when_the_page_shows_it(
    fixture: str, by_autoconsent: dict[str, PageResult]
) -> None:
    """autoconsent's result message says its steps ran; an acceptance is done only when the
    banner went away, and then the CMP wrote its consent record after the choice."""
    phase = by_autoconsent[fixture].phases["accept"]
    choice = phase.choice
    assert choice is not None and choice.by.startswith("autoconsent:")
    written = {c.name for c in phase.recording.cookie_writes if c.stage != "load"}
    if choice.done:
        assert written & CONSENT_RECORDS
    else:
        assert "stayed on screen" in choice.note
