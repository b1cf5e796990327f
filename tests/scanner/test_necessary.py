"""`--necessary-only`: refusal through the settings layer (switches off, save or refuse there)
on the corpus's real CMPs, judged like a refusal (issue 12, item 1; CNIL-03)."""

from __future__ import annotations

import asyncio

import pytest

from bandeau.scanner.crawl import PageResult, ScanOptions, scan

from .corpus import Corpus

pytestmark = pytest.mark.browser

FIXTURES = ("cc-compliant", "klaro-compliant", "klaro-ignores-refusal", "tac-compliant")


@pytest.fixture(scope="module")
def necessary(corpus: Corpus) -> dict[str, PageResult]:
    options = ScanOptions(concurrency=3, necessary_only=True, viewports=("desktop",))
    pages = asyncio.run(scan([corpus.url(f) for f in FIXTURES], options))
    return dict(zip(FIXTURES, pages, strict=True))


@pytest.mark.parametrize("fixture", FIXTURES)
def test_necessary_only_goes_through_the_settings_layer(
    fixture: str, necessary: dict[str, PageResult]
) -> None:
    """The settings layer is found even when it does not speak of cookies again (Klaro's
    "Services we would like to use"), and the choice takes: two clicks, two layers."""
    choice = necessary[fixture].phases["necessary"].choice
    assert choice is not None and choice.done, choice
    assert (choice.clicks, choice.layers, choice.by) == (2, 2, "detector")


@pytest.mark.parametrize("fixture", FIXTURES)
def test_trackers_after_necessary_only_are_cnil_03(
    fixture: str, necessary: dict[str, PageResult]
) -> None:
    titles = [f.title for f in necessary[fixture].findings if f.rule == "CNIL-03"]
    after_necessary = [t for t in titles if "necessary only" in t]
    assert bool(after_necessary) == (fixture == "klaro-ignores-refusal"), titles


def test_preticked_switches_are_found_on_the_necessary_only_path(corpus: Corpus) -> None:
    """EDPB-B through `--necessary-only`: the settings layer it opens is read before its
    switches are unticked, and so is the vendor list it opens (a third layer); the compliant
    CMPs' layers have none on (test above's scan)."""
    options = ScanOptions(concurrency=2, necessary_only=True, viewports=("desktop",))
    urls = [corpus.url("preticked-settings"), corpus.url("preticked-vendors")]
    settings, vendors = asyncio.run(scan(urls, options))
    choice = settings.phases["necessary"].choice
    assert choice is not None and choice.done
    titles = [f.title for f in settings.findings if f.rule == "EDPB-B"]
    assert titles and "Mesure d'audience" in titles[0]
    choice = vendors.phases["necessary"].choice
    assert choice is not None and choice.done and choice.vendor_switches
    assert (choice.clicks, choice.path) == (2, ["Personnaliser", "Enregistrer"])
    titles = [f.title for f in vendors.findings if f.rule == "EDPB-B"]
    assert any("vendor list" in t and "Régie Alpha" in t for t in titles), titles
    assert not any(f.rule == "CNIL-03" for f in vendors.findings)


@pytest.mark.parametrize("fixture", FIXTURES)
def test_compliant_settings_layers_have_nothing_preticked(
    fixture: str, necessary: dict[str, PageResult]
) -> None:
    choice = necessary[fixture].phases["necessary"].choice
    assert choice is not None and choice.switches is not None
    assert not any(f.rule == "EDPB-B" for f in necessary[fixture].findings)
