"""One corpus server and one scan of the whole corpus per session (the browser work is the
slow part: every test of the corpus reads the same results)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bandeau.demo import DemoServer
from bandeau.scanner.crawl import PageResult, ScanOptions, scan

from .corpus import FIXTURES, Corpus, serving_corpus

CHROMIUM = Path("/usr/bin/chromium")
AUTOCONSENT = Path(__file__).parents[2] / "node_modules" / "@duckduckgo" / "autoconsent"


@pytest.fixture(scope="session")
def corpus() -> Iterator[Corpus]:
    with serving_corpus() as c:
        yield c


@pytest.fixture(scope="session")
def scanned(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, PageResult]:
    """Every fixture and bandeau's demo, scanned once: {fixture name: result}."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing at /usr/bin/chromium: apt-get install -y chromium")
    with DemoServer(tmp_path_factory.mktemp("demo")) as demo:
        urls = {f: corpus.url(f) for f in FIXTURES} | {"demo": demo.url + "/"}
        options = ScanOptions(concurrency=3, autoconsent=AUTOCONSENT)
        pages = asyncio.run(scan(list(urls.values()), options))
    return dict(zip(urls, pages, strict=True))
