"""Where the banner's main-thread time goes: a Chrome performance trace, page alone vs bandeau.

    .venv/bin/python bench/trace.py [--runs 3] [--throttle 4] [--keep DIR]

Serves the same article pages as bench/banner.py (the page alone and bandeau with the
recommended snippet), visits each `--runs` times in a fresh context with the CPU slowed through
CDP, and records a trace (Tracing, category `devtools.timeline` and its disabled-by-default
companion, `v8.execute`) from navigation until the page has settled. For each visit it sums, on
the renderer's main thread, the self time of every trace event by name (EvaluateScript,
FunctionCall, v8.compile, ParseHTML, ParseAuthorStyleSheet, UpdateLayoutTree (style),
Layout, Paint, ...), and the time of every top-level task; then prints the medians of bandeau
minus the medians of the page alone, largest first. Script time is also split by the URL that
ran it. `--keep DIR` writes each raw trace (open it in Chrome's Performance panel).

This is a profiling tool that prints; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import banner as bench  # noqa: E402  (bench/banner.py: the pages, the server, the probe)

CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8.execute",
    "blink.user_timing",
    "toplevel",
]
TOP = "RunTask"  # a main-thread task (the unit long tasks are made of)


def main_thread(events: list[dict[str, Any]], url: str = "") -> tuple[int, int] | None:
    """(pid, tid) of the page's renderer main thread: the thread named CrRendererMain that ran
    the most ParseHTML (the page), or None. With `url`, only a thread that parsed a document at
    that URL counts: Chromium's own pages (its new tab page's WebUI) may parse more HTML."""
    names = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
    }
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for e in events:
        key = (e.get("pid"), e.get("tid"))
        if key in names and e.get("name") == "ParseHTML":
            counts[key] += 1
    if url:
        parsed = {
            (e.get("pid"), e.get("tid"))
            for e in events
            if e.get("name") == "ParseHTML"
            and str(((e.get("args") or {}).get("beginData") or {}).get("url", "")).startswith(url)
        }
        counts = defaultdict(int, {k: n for k, n in counts.items() if k in parsed})
    return max(counts, key=lambda k: counts[k]) if counts else None


def self_times(events: list[dict[str, Any]], clock: str = "dur", url: str = "") -> dict[str, float]:
    """Self time (ms) per event name on the main thread, complete ('X') events nested by time;
    'task' is the sum of top-level RunTask durations. Script events are also keyed by URL.
    `clock`: "dur" for wall-clock time, "tdur" for the thread's CPU time (not inflated by
    waiting for a CPU on a busy machine); `url`: the page's, to find its thread."""
    thread = main_thread(events, url)
    if thread is None:
        return {}
    spans = sorted(
        (
            e
            for e in events
            if (e.get("pid"), e.get("tid")) == thread
            and e.get("ph") == "X"
            and "dur" in e
            and clock in e
        ),
        key=lambda e: (e["ts"], -e["dur"]),
    )
    out: dict[str, float] = defaultdict(float)
    stack: list[list[Any]] = []  # [end, name, child time, url]

    def close(entry: list[Any]) -> None:
        _end, name, child, url, dur = entry
        own = (dur - child) / 1000
        out[name] += own
        if url:
            out[f"script: {url}"] += own

    for e in spans:
        while stack and stack[-1][0] <= e["ts"]:
            close(stack.pop())
        if stack:
            stack[-1][2] += e[clock]
        data = (e.get("args") or {}).get("data") or {}
        url = ""
        if e["name"] in ("EvaluateScript", "FunctionCall", "v8.compile", "v8.run"):
            url = str(data.get("url") or (e.get("args") or {}).get("fileName") or "")
            url = url.split("?")[0].rsplit("/", 2)[-1] if url else ""
        if e["name"] == TOP and not stack:
            out["task"] += e[clock] / 1000
        stack.append([e["ts"] + e["dur"], e["name"], 0, url, e[clock]])
    while stack:
        close(stack.pop())
    return dict(out)


def traced_visit(browser: Any, base: str, cmp: bench.Cmp, throttle: float) -> dict[str, Any]:
    """One first visit with a trace; returns the raw trace events."""
    context = browser.new_context(locale="fr-FR", viewport=bench.VIEWPORT)
    try:
        context.add_init_script(bench.PROBE.replace("__SHOWN__", json.dumps(cmp.shown)))
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        browser.start_tracing(page=page, categories=CATEGORIES)
        page.goto(f"{base}/article/{cmp.key}", wait_until="load", timeout=60000)
        state = page.evaluate(
            bench.SETTLE, [cmp is not bench.BASELINE, bench.SETTLE_MS, bench.SHOW_TIMEOUT_MS]
        )
        raw = browser.stop_tracing()
        events = json.loads(raw)["traceEvents"]
        return {"settled": state == "settled", "events": events}
    finally:
        context.close()


def run(runs: int, throttle: float, keep: Path | None) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    per: dict[str, list[dict[str, float]]] = {bench.BASELINE.key: [], bench.BANDEAU.key: []}
    with tempfile.TemporaryDirectory(prefix="bandeau-bench-trace-") as tmp:
        port = bench.free_port()
        (Path(tmp) / "data").mkdir()
        app = bench.build_app(port, Path(tmp) / "data", None)
        with bench.serving(app, port) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bench.CHROMIUM, args=bench.CHROMIUM_ARGS)
            try:
                for cmp in (bench.BASELINE, bench.BANDEAU):  # warm-up, not measured
                    traced_visit(browser, base, cmp, throttle)
                for i in range(runs):
                    for cmp in bench._rotated([bench.BASELINE, bench.BANDEAU], i):
                        visit = traced_visit(browser, base, cmp, throttle)
                        if keep is not None:
                            keep.mkdir(parents=True, exist_ok=True)
                            (keep / f"{cmp.key}-{i}.json").write_text(
                                json.dumps({"traceEvents": visit["events"]})
                            )
                        per[cmp.key].append(self_times(visit["events"]))
            finally:
                browser.close()
    medians: dict[str, dict[str, float]] = {}
    for key, rows in per.items():
        names = {n for r in rows for n in r}
        medians[key] = {n: statistics.median([r.get(n, 0.0) for r in rows]) for n in names}
    return medians


def format_report(medians: dict[str, dict[str, float]], throttle: float, runs: int) -> str:
    base, ours = medians[bench.BASELINE.key], medians[bench.BANDEAU.key]
    names = set(base) | set(ours)
    rows = sorted(names, key=lambda n: -(ours.get(n, 0) - base.get(n, 0)))
    lines = [
        f"main-thread self time by trace event, CPU x{throttle:g}, median of {runs} (ms)",
        f"{'event':44}{'page alone':>12}{'bandeau':>10}{'above':>9}",
    ]
    for n in rows:
        a, b = base.get(n, 0.0), ours.get(n, 0.0)
        if max(a, b) < 0.5 and n != "task":
            continue
        lines.append(f"{n[:44]:44}{a:12.1f}{b:10.1f}{b - a:+9.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/trace.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="visits per page (median; default 3)")
    parser.add_argument("--throttle", type=float, default=4, help="CPU slowdown (default 4)")
    parser.add_argument("--keep", type=Path, default=None, help="write each raw trace to DIR")
    args = parser.parse_args(argv)
    medians = run(args.runs, args.throttle, args.keep)
    print(format_report(medians, args.throttle, args.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
