"""`bandeau scan` behind its click options: run the scan, write the reports, choose the exit
code (0: no finding reaches --fail-on; 1: one does; 2: the browser or an input failed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import PolicyError
from .errors import ScanError


def run_scan(
    urls: list[str],
    given: dict[str, Any],
    *,
    chromium: Path,
    reports: tuple[Path | None, Path | None, Path | None],
    fail_on: str,
) -> int:
    missing = [m for m in ("playwright", "rich") if importlib.util.find_spec(m) is None]
    if missing:
        click.echo(
            f"bandeau: error: the scanner needs its extra ({', '.join(missing)} missing): "
            "pip install 'bandeau[scanner]'",
            err=True,
        )
        return 2
    from . import report
    from .browser import BrowserOptions
    from .crawl import ScanOptions
    from .progress import run_with_progress

    options = ScanOptions(**given, browser=BrowserOptions(executable=chromium))
    try:
        pages = run_with_progress(urls, options)
    except (ScanError, PolicyError) as e:
        click.echo(f"bandeau: error: {e}", err=True)
        return 2
    json_file, html_file, draft_policy = reports
    if json_file:
        report.write_json(pages, json_file)
    if html_file:
        report.write_html(pages, html_file)
    if draft_policy:
        draft_policy.write_text(report.draft_policy(pages))
    report.print_summary(pages)
    sys.stdout.flush()
    return 1 if report.worst(pages) >= report.severity_rank(fail_on) else 0
