"""The article's first paint when the consent server is fast, slow or down (issue 9, item 3).

    .venv/bin/python bench/firstpaint.py [--runs 5] [--throttle 4] [--delay 3]

One article page (bench/pages/article.html) is served by a real bandeau app on 127.0.0.1, and
visited in fresh Chromium contexts, CPU slowed through CDP, with the banner's snippet pointing
at a consent server that is:

- fast: the same bandeau app;
- slow: a proxy in front of it that accepts each connection at once and answers only after
  `--delay` seconds (3 by default), as a hung or overloaded server would;
- down: a port on which nothing listens (the connection is refused).

Each case is measured with the recommended snippet (`bandeau snippet`: a preload in <head>, the
script last in <body>) and, for comparison, with the earlier one that also linked banner.css in
<head> (a render-blocking stylesheet). Figures are medians of first contentful paint (paint
timing, ms after navigation start) and their difference from the page alone; the verdict says
whether each recommended case is within noise: its median is no later than the slowest run of
the page alone (the spread of the page alone is the noise of the run). It also reports when the
banner showed after the first contentful paint in the fast case (budget: the same frame or the
next, 16.7 ms). Nothing here asserts on time; tests/browser/test_consent_server_unreachable.py
checks what must hold whatever the timing (the article paints while the consent server has not
answered, nothing gated runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import banner as bench  # noqa: E402  (bench/banner.py: the article, the server, the probe)

FRAME_MS = 1000 / 60
SNIPPETS = {
    # the recommended snippet (docs/banner.md, `bandeau snippet`)
    "recommended": (
        '<link rel="preload" as="script" href="{api}/banner.js">',
        '<script src="{api}/banner.js"></script>',
    ),
    # the earlier one: the same, plus a render-blocking stylesheet from the consent server
    "with banner.css": (
        '<link rel="stylesheet" href="{api}/banner.css">\n'
        '<link rel="preload" as="script" href="{api}/banner.js">',
        '<script src="{api}/banner.js"></script>',
    ),
}
CASES = ("fast", "slow", "down")


class SlowProxy:
    """Accepts each connection at once, reads the request, waits `delay` seconds, then relays
    it to `upstream` (host, port) and sends back the whole answer: a consent server that hangs."""

    def __init__(self, upstream: tuple[str, int], delay: float) -> None:
        self.upstream = upstream
        self.delay = delay
        self.port = bench.free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(self.delay)
            lines = [
                line
                for line in head.split(b"\r\n")
                if line and not line.lower().startswith(b"connection:")
            ]
            request = b"\r\n".join([*lines, b"Connection: close", b"", b""])
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            up_writer.write(request)
            await up_writer.drain()
            writer.write(await up_reader.read())
            await writer.drain()
            up_writer.close()
        except (OSError, asyncio.IncompleteReadError):
            pass  # the browser went away (the visit ended): nothing to answer
        finally:
            writer.close()

    @contextmanager
    def running(self) -> Iterator[str]:
        self._thread.start()
        start = asyncio.start_server(self._handle, "127.0.0.1", self.port)
        server = asyncio.run_coroutine_threadsafe(start, self._loop).result(10)
        try:
            yield f"http://127.0.0.1:{self.port}"
        finally:
            asyncio.run_coroutine_threadsafe(self._shutdown(server), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    @staticmethod
    async def _shutdown(server: asyncio.Server) -> None:
        """Stop listening and end the connections still held (their visits are over)."""
        server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def page_html(snippet: str | None, api: str) -> str:
    """The article with a snippet whose URLs point at `api` (None: the page alone)."""
    head, body_end = SNIPPETS[snippet] if snippet else ("", "")
    cmp = bench.Cmp(
        key="fp",
        label="",
        files=(),
        head=head,
        body_start="",
        body_end=body_end,
        shown=bench.BANDEAU.shown,
        refuse="",
        npm=False,
    )
    return bench.article(cmp, api)


def visit(browser: Any, url: str, throttle: float, wait_banner: bool) -> dict[str, Any]:
    """One first visit: first contentful paint, and (fast server) the banner's first frame."""
    context = browser.new_context(locale="fr-FR", viewport=bench.VIEWPORT)
    try:
        context.add_init_script(bench.PROBE.replace("__SHOWN__", json.dumps(bench.BANDEAU.shown)))
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        page.goto(url, wait_until="commit", timeout=60000)
        page.wait_for_function("() => window.__bench && window.__bench.fcp !== null", timeout=60000)
        if wait_banner:
            page.wait_for_function("() => window.__bench.shown !== null", timeout=60000)
        probe = page.evaluate("() => window.__bench")
        return {"fcp": probe["fcp"], "shown": probe["shown"]}
    finally:
        context.close()


def run(runs: int, throttle: float, delay: float) -> dict[str, Any]:
    from fastapi.responses import HTMLResponse
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="bandeau-bench-fp-") as tmp:
        port = bench.free_port()
        (Path(tmp) / "data").mkdir()
        app = bench.build_app(port, Path(tmp) / "data", None)
        origin = f"http://127.0.0.1:{port}"
        slow = SlowProxy(("127.0.0.1", port), delay)
        down = f"http://127.0.0.1:{bench.free_port()}"  # nothing listens there
        apis = {
            "fast": origin,
            "slow": f"http://127.0.0.1:{slow.port}",
            "down": down,
        }
        pages = {"alone": page_html(None, "")}
        for name in SNIPPETS:
            for case in CASES:
                pages[f"{name}|{case}"] = page_html(name, f"{apis[case]}/v1/sites/{bench.SITE}")
        keys = list(pages)
        html = {str(i): pages[k] for i, k in enumerate(keys)}

        async def serve(i: str) -> HTMLResponse:
            return HTMLResponse(html[i], headers={"Cache-Control": "no-store"})

        app.add_api_route("/fp/{i}", serve, methods=["GET"], include_in_schema=False)
        results: dict[str, list[dict[str, Any]]] = {k: [] for k in keys}
        started = time.monotonic()
        with bench.serving(app, port) as base, slow.running(), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bench.CHROMIUM, args=bench.CHROMIUM_ARGS)
            try:
                for i in range(runs + 1):  # the first round warms up and is not kept
                    for k in keys[i % len(keys) :] + keys[: i % len(keys)]:
                        url = f"{base}/fp/{keys.index(k)}"
                        row = visit(browser, url, throttle, k.endswith("|fast"))
                        if i:
                            results[k].append(row)
            finally:
                browser.close()
    return {
        "runs": runs,
        "throttle": throttle,
        "delay": delay,
        "results": results,
        "seconds": round(time.monotonic() - started),
    }


def _median(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def format_report(result: dict[str, Any]) -> str:
    res = result["results"]
    alone = [r["fcp"] for r in res["alone"]]
    base = statistics.median(alone)
    noise = max(alone) - base
    lines = [
        f"first contentful paint with the consent server fast / slow (answers after "
        f"{result['delay']:g} s) / down, CPU x{result['throttle']:g}, median of {result['runs']}",
        f"{'page':40}{'FCP ms':>9}{'vs alone':>10}{'runs':>16}",
        f"{'page alone':40}{base:9.0f}{'':>10}{min(alone):8.0f}-{max(alone):<7.0f}",
    ]
    verdicts = []
    for name in SNIPPETS:
        for case in CASES:
            rows = res[f"{name}|{case}"]
            fcps = [r["fcp"] for r in rows]
            m = statistics.median(fcps)
            lines.append(
                f"{name + ', server ' + case:40}{m:9.0f}{m - base:+10.0f}"
                f"{min(fcps):8.0f}-{max(fcps):<7.0f}"
            )
            if name == "recommended":
                ok = m - base <= noise
                verdicts.append(f"{case} {'ok' if ok else 'OVER'} ({m - base:+.0f} ms)")
    fast = res["recommended|fast"]
    after = _median([r["shown"] - r["fcp"] for r in fast if r["shown"] is not None])
    lines.append("")
    lines.append(
        f"noise: the page alone's slowest run is {noise:.0f} ms after its median; budget: each "
        "recommended case's median FCP within that of the page alone's"
    )
    lines.append("recommended snippet vs budget (FCP within noise): " + ", ".join(verdicts))
    if after is not None:
        lines.append(
            f"banner shown after FCP, server fast: {after:+.1f} ms (budget <= {FRAME_MS:.1f}: "
            f"{'ok' if after <= FRAME_MS else 'OVER'})"
        )
    lines.append(f"took {result['seconds']} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/firstpaint.py",
        description="The article's first paint with the consent server fast, slow or down.",
    )
    parser.add_argument("--runs", type=int, default=5, help="visits per page (median; default 5)")
    parser.add_argument("--throttle", type=float, default=4, help="CPU slowdown (default 4)")
    parser.add_argument(
        "--delay", type=float, default=3, help="seconds the slow server waits (default 3)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(list(argv) if argv is not None else [])
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(bench.CHROMIUM).exists():
        print(f"bench/firstpaint.py: {bench.CHROMIUM} is missing", file=sys.stderr)
        return 1
    result = run(args.runs, args.throttle, args.delay)
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
