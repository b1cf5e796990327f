"""The scan's progress: a Rich display on a terminal, nothing otherwise (CI logs stay clean)."""

from __future__ import annotations

import sys

from .crawl import PageResult, ScanOptions, run


def run_with_progress(urls: list[str], options: ScanOptions) -> list[PageResult]:
    if not sys.stderr.isatty():
        return run(urls, options)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    phases = (4 if options.necessary_only else 3) * max(1, len(options.viewports))
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]scan[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as bar:
        total = len(urls) * options.max_pages * phases
        task = bar.add_task("phases", total=total)

        def step(url: str, what: str) -> None:
            if what.startswith("phase:"):
                bar.update(task, advance=1, description=f"{what[6:]:>8} {url[:60]}")
            elif what == "done":
                console.print(f"scanned {url}")

        return run(urls, options, step)
