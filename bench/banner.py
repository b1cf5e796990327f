"""Banner benchmark: bandeau's banner next to three open-source banners, measured in one run.

    .venv/bin/python bench/banner.py [--runs 5] [--throttle 4] [--json] [--npm-dir DIR]

What is compared (bench/README.md says exactly how each figure is taken, and its limits):

- bandeau: the demo policy's French bundle, served by a real bandeau app (uvicorn, loopback);
- vanilla-cookieconsent 3.1.0, Klaro 0.7.22, tarteaucitron 1.34.0, installed with npm into a
  temporary folder, each set up as its own documentation shows, with the same four purposes;
- the same article page without any banner, as the baseline the others are subtracted from.

Figures: JS+CSS gzip -9 bytes; banner first visible frame vs first contentful paint; main-thread
work and JS heap above the page alone; frames from "refuse all" to the banner gone; layout shift.
All pages are visited in fresh browser contexts, CPU throttled through CDP, in interleaved
rounds so that drift on the machine affects every column alike; then once more per round without
throttling, for main-thread CPU time (steadier than wall-clock time on a busy machine).

This is a benchmark that prints; nothing here asserts on time. `main()` is what `bench/run.py`
calls; `run()` returns the results as a dict and `format_table()` prints them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
if str(HERE.parent / "src") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "src"))  # a checkout without `pip install -e .`

from bandeau.scanner.browser import HEADLESS_ARGS  # noqa: E402  (after the path above)

NPM_PACKAGES = ("vanilla-cookieconsent@3.1.0", "klaro@0.7.22", "tarteaucitronjs@1.34.0")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    *HEADLESS_ARGS,
    # loopback only: any other host name fails to resolve (no packet leaves the machine)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 800}
FRAME_MS = 1000 / 60
SITE = "lequotidien"  # the demo policy's site
PACKAGED_ORIGIN = "http://127.0.0.1:8000"  # the origin written in the demo policy
SETTLE_MS = 1000  # quiet time after load, banner and last resource before measuring
SHOW_TIMEOUT_MS = 15000
GONE_TIMEOUT_MS = 5000

# Budgets from DESIGN.md section 7 and the brief (bandeau's column is judged against them).
BUDGETS: dict[str, float] = {
    "size_gzip": 6144,
    "shown_after_fcp_ms": FRAME_MS,
    "main_thread_ms": 30,
    "heap_mb": 0.3,
    "gone_frames": 1,
    "cls": 0,
}


@dataclass(frozen=True)
class Cmp:
    """One banner as a site sets it up: where its code goes in the page and how to find it."""

    key: str
    label: str
    files: tuple[str, ...]
    """what a site loads, for the size figure (paths under node_modules; bandeau: served)"""
    head: str
    body_start: str
    body_end: str
    shown: str
    """CSS selector of the banner's first layer (visible = it is shown)"""
    refuse: str
    """CSS selector of its "refuse all" control on the first layer"""
    npm: bool = True


BASELINE = Cmp(
    key="baseline",
    label="page alone",
    files=(),
    head="",
    body_start="",
    body_end="",
    shown="#bench-no-banner",  # never matches: the probe does the same work as on the others
    refuse="",
    npm=False,
)

BANDEAU = Cmp(
    key="bandeau",
    label="bandeau",
    files=("banner.js",),
    # the recommended snippet (docs/banner.md): a preload in <head>, the script (which carries
    # its styles) as the last element of <body>
    head='<link rel="preload" as="script" href="{api}/banner.js">',
    body_start="",
    body_end='<script src="{api}/banner.js"></script>',
    # the root #bandeau is a zero-size fixed box that stays (it holds the persistent icon):
    # the first layer is the banner
    shown="#bandeau .bd-l1",
    refuse='#bandeau .bd-l1 [data-bandeau-action="refuse_all"]',
    npm=False,
)

BANDEAU_EARLY = Cmp(
    key="bandeau-early",
    label="bandeau, script first in <body>",
    files=BANDEAU.files,
    head="",
    body_start='<script src="{api}/banner.js"></script>',
    body_end="",
    shown=BANDEAU.shown,
    refuse=BANDEAU.refuse,
    npm=False,
)

VANILLA = Cmp(
    key="vanilla-cc",
    label="vanilla-cookieconsent 3.1.0",
    files=(
        "vanilla-cookieconsent/dist/cookieconsent.umd.js",
        "vanilla-cookieconsent/dist/cookieconsent.css",
    ),
    head='<link rel="stylesheet" href="/npm/vanilla-cookieconsent/dist/cookieconsent.css">',
    body_start="",
    body_end='<script type="module" src="/pages/vanilla-cc-config.js"></script>',
    shown="#cc-main .cm",
    refuse='#cc-main .cm [data-role="necessary"]',
)

KLARO = Cmp(
    key="klaro",
    label="Klaro 0.7.22",
    files=("klaro/dist/klaro.js",),
    head=(
        '<script defer src="/pages/klaro-config.js"></script>\n'
        '<script defer src="/npm/klaro/dist/klaro.js"></script>'
    ),
    body_start="",
    body_end="",
    shown=".klaro .cookie-notice:not(.cookie-notice-hidden)",
    refuse=".klaro .cookie-notice .cn-decline",
)

TARTEAUCITRON = Cmp(
    key="tarteaucitron",
    label="tarteaucitron 1.34.0",
    files=(
        "tarteaucitronjs/tarteaucitron.min.js",
        "tarteaucitronjs/lang/tarteaucitron.fr.min.js",
        "tarteaucitronjs/tarteaucitron.services.min.js",
        "tarteaucitronjs/css/tarteaucitron.min.css",
    ),
    head=(
        '<script src="/npm/tarteaucitronjs/tarteaucitron.min.js"></script>\n'
        "<script>\n{tarteaucitron_init}</script>"
    ),
    body_start="",
    body_end=(
        "<script>\n"
        "tarteaucitron.user.gtagUa = 'G-BENCH0000';\n"
        "(tarteaucitron.job = tarteaucitron.job || []).push('gtag');\n"
        "(tarteaucitron.job = tarteaucitron.job || []).push('addtoanyshare');\n"
        "tarteaucitron.user.googleadsId = 'AW-000000000';\n"
        "(tarteaucitron.job = tarteaucitron.job || []).push('googleads');\n"
        "</script>"
    ),
    shown="#tarteaucitronAlertBig",
    refuse="#tarteaucitronAllDenied2",
)

CMPS = (BANDEAU, BANDEAU_EARLY, VANILLA, KLARO, TARTEAUCITRON)

# Injected before any page script (Playwright add_init_script). It records, with performance.now():
# first contentful paint, every layout shift, the first animation frame in which the banner's
# first layer is in the DOM, has a non-empty box inside the viewport and is visible
# (checkVisibility: not display:none, not visibility:hidden, no opacity 0 on it or an ancestor),
# and after a click, the number of frames until it is not.
# It only asks for frames while a candidate element exists and is not yet visible, or after a
# click until the banner is gone, so it forces no frames on a page that would not draw them.
PROBE = r"""
(() => {
  const SHOWN = __SHOWN__;
  const B = {fcp: null, headline: null, inserted: null, shown: null, shownFrameTs: null,
             clickAt: null, gone: null, goneFrames: null, shifts: [], clickedInside: null};
  Object.defineProperty(window, '__bench', {value: B});
  const watch = (type, f) => {
    try { new PerformanceObserver(l => l.getEntries().forEach(f)).observe({type, buffered: true}); }
    catch (e) {}
  };
  watch('paint', e => { if (e.name === 'first-contentful-paint') B.fcp = e.startTime; });
  watch('layout-shift', e => B.shifts.push([e.startTime, e.value, e.hadRecentInput]));
  watch('element', e => {
    if (e.identifier === 'bench-headline' && B.headline === null) B.headline = e.renderTime;
  });
  const find = () => document.querySelector(SHOWN);
  const visible = el => {
    if (!el || !el.isConnected) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    if (r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
    return el.checkVisibility({opacityProperty: true, visibilityProperty: true});
  };
  let asked = false, after = 0;
  const frame = ts => {
    asked = false;
    const v = visible(find());
    if (B.clickAt === null) {
      if (B.shown !== null) return;
      if (v) { B.shown = performance.now(); B.shownFrameTs = ts; return; }
      if (find()) ask();
    } else if (B.gone === null) {
      after += 1;
      if (!v) { B.gone = performance.now(); B.goneFrames = after; return; }
      ask();
    }
  };
  const ask = () => { if (!asked) { asked = true; requestAnimationFrame(frame); } };
  new MutationObserver(() => {
    if (B.shown !== null) return;
    if (find()) { if (B.inserted === null) B.inserted = performance.now(); ask(); }
  }).observe(document, {childList: true, subtree: true, attributes: true});
  addEventListener('click', e => {
    if (B.clickAt !== null || B.shown === null) return;
    B.clickAt = performance.now();
    B.clickedInside = !!(find() && find().contains(e.target));
    ask();
  }, true);
})();
"""

# Resolves when the page has settled: loaded, the banner shown (if one is expected), no new
# resource for SETTLE_MS, and SETTLE_MS after each of those. One in-page promise, so the wait
# does not add CDP round trips to the main-thread figure.
SETTLE = r"""
async ([expectBanner, quietMs, timeoutMs]) => {
  const B = window.__bench, t0 = performance.now();
  let count = -1, changed = 0;
  for (;;) {
    await new Promise(r => setTimeout(r, 100));
    const t = performance.now(), c = performance.getEntriesByType('resource').length;
    if (c !== count) { count = c; changed = t; }
    const nav = performance.getEntriesByType('navigation')[0];
    const loaded = document.readyState === 'complete' && nav && nav.loadEventEnd > 0;
    const ready = loaded && (!expectBanner || B.shown !== null);
    if (ready && t - changed >= quietMs && t - nav.loadEventEnd >= quietMs
        && (!expectBanner || t - B.shown >= quietMs)) return 'settled';
    if (t - t0 > timeoutMs) return 'timeout';
  }
}
"""

WAIT_GONE = r"""
async ([timeoutMs, quietMs]) => {
  const B = window.__bench, t0 = performance.now();
  while (B.gone === null && performance.now() - t0 < timeoutMs)
    await new Promise(r => setTimeout(r, 50));
  await new Promise(r => setTimeout(r, quietMs));
  return B.gone !== null;
}
"""

REPORT = r"""
() => {
  const B = window.__bench;
  const res = performance.getEntriesByType('resource').map(r => ({
    url: r.name, type: r.initiatorType, bytes: r.encodedBodySize, end: r.responseEnd}));
  return Object.assign({}, B, {resources: res});
}
"""


# ------------------------------------------------------------------ pages and servers


def article(cmp: Cmp, api: str) -> str:
    """The shared article page with one banner set up in it."""
    html = (PAGES / "article.html").read_text(encoding="utf-8")
    init = (PAGES / "tarteaucitron-init.js").read_text(encoding="utf-8")

    def fill(fragment: str) -> str:
        return fragment.replace("{api}", api).replace("{tarteaucitron_init}", init)

    for marker, fragment in (
        ("<!-- bench:head -->", cmp.head),
        ("<!-- bench:body-start -->", cmp.body_start),
        ("<!-- bench:body-end -->", cmp.body_end),
    ):
        if marker not in html:
            raise RuntimeError(f"bench/pages/article.html lost its marker {marker}")
        html = html.replace(marker, fill(fragment))
    return html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_app(port: int, data_dir: Path, node_modules: Path | None) -> Any:
    """A real bandeau app (demo policy, origin rewritten to this port) plus the bench's pages:
    `/article/{key}` for each banner and the baseline, `/pages/` and `/npm/` as static files."""
    from fastapi.responses import HTMLResponse
    from starlette.staticfiles import StaticFiles

    from bandeau.keys import KeyRing
    from bandeau.policy import parse_policy
    from bandeau.server import create_app
    from bandeau.settings import Settings
    from bandeau.store import open_store

    origin = f"http://127.0.0.1:{port}"
    text = resources.files("bandeau.demo").joinpath("policy.toml").read_text(encoding="utf-8")
    policy = parse_policy(text.replace(PACKAGED_ORIGIN, origin), "bandeau/demo/policy.toml")
    settings = Settings(data_dir=data_dir, port=port, rate_limit=0)
    app = create_app(settings, [policy], keys=KeyRing.generate(), store=open_store(":memory:"))
    api = f"{origin}/v1/sites/{policy.site}"
    pages = {c.key: article(c, api) for c in (BASELINE, *CMPS)}

    async def page(key: str) -> HTMLResponse:
        html = pages.get(key)
        if html is None:
            return HTMLResponse("no such page", status_code=404)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    app.add_api_route("/article/{key}", page, methods=["GET"], include_in_schema=False)
    app.mount("/pages", StaticFiles(directory=PAGES), name="bench-pages")
    if node_modules is not None:
        app.add_route("/npm/{path:path}", npm_file(node_modules), include_in_schema=False)
    return app


def npm_file(node_modules: Path) -> Any:
    """The other banners' files, served as bandeau serves its own: compressed once with gzip -9
    and Brotli 11, in the best encoding Chromium accepts, so bytes on the wire compare."""
    from starlette.requests import Request
    from starlette.responses import Response

    from bandeau.server.compression import negotiated

    types = {".js": "text/javascript", ".css": "text/css", ".json": "application/json"}

    async def serve(request: Request) -> Response:
        file = (node_modules / request.path_params["path"]).resolve()
        if not file.is_relative_to(node_modules.resolve()) or not file.is_file():
            return Response("not found", status_code=404)
        media = types.get(file.suffix, "application/octet-stream")
        return negotiated(request, file.read_bytes(), media, {"Cache-Control": "no-store"})

    return serve


@contextmanager
def serving(app: Any, port: int) -> Iterator[str]:
    """uvicorn in a background thread on 127.0.0.1:port; stopped on exit."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="error", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="bench-banner-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the bench server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def npm_install(prefix: Path, log: Callable[[str], None]) -> Path | None:
    """Install the competitors into prefix; their node_modules, or None (with the reason said)."""
    npm = shutil.which("npm")
    if npm is None:
        log("npm is not installed: measuring bandeau only")
        return None
    cmd = [
        npm,
        "install",
        "--prefix",
        str(prefix),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        *NPM_PACKAGES,
    ]
    log(f"npm install {' '.join(NPM_PACKAGES)} (into a temporary folder)")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        log("npm install did not finish within 5 minutes: measuring bandeau only")
        return None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        detail = "\n  ".join(tail)
        log(f"npm install failed (exit {done.returncode}): measuring bandeau only\n  {detail}")
        return None
    return prefix / "node_modules"


# ------------------------------------------------------------------ size


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def sizes(base: str, node_modules: Path | None) -> dict[str, dict[str, Any]]:
    """Per banner: each file a site loads, raw and gzip -9 bytes, and the gzip total."""
    out: dict[str, dict[str, Any]] = {}
    api = f"{base}/v1/sites/{SITE}"
    files: dict[str, bytes] = {}
    for name in BANDEAU.files:
        with urlopen(f"{api}/{name}?lang=fr", timeout=10) as r:  # noqa: S310 (loopback)
            files[name] = r.read()
    out[BANDEAU.key] = out[BANDEAU_EARLY.key] = _size_entry(files)
    for cmp in CMPS:
        if not cmp.npm:
            continue
        if node_modules is None:
            out[cmp.key] = {"error": "not measured (npm install failed or was skipped)"}
            continue
        missing = [f for f in cmp.files if not (node_modules / f).is_file()]
        if missing:
            out[cmp.key] = {"error": f"missing in the npm package: {', '.join(missing)}"}
            continue
        out[cmp.key] = _size_entry({f: (node_modules / f).read_bytes() for f in cmp.files})
    return out


def _size_entry(files: dict[str, bytes]) -> dict[str, Any]:
    per = {name: {"raw": len(b), "gzip9": gz(b)} for name, b in files.items()}
    return {
        "files": per,
        "gzip9": sum(v["gzip9"] for v in per.values()),
        "raw": sum(v["raw"] for v in per.values()),
    }


# ------------------------------------------------------------------ browser


def _metrics(cdp: Any) -> dict[str, float]:
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def visit(
    browser: Any, base: str, cmp: Cmp, throttle: float, *, refuse: bool = True
) -> dict[str, Any]:
    """One first visit of one page in a fresh context: load, banner, then (`refuse`) a click
    on its "refuse all" control."""
    context = browser.new_context(locale="fr-FR", viewport=VIEWPORT)
    try:
        context.add_init_script(PROBE.replace("__SHOWN__", json.dumps(cmp.shown)))
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        cdp.send("Performance.enable")
        # the same counters in main-thread CPU time (a second session, its own time domain)
        cpu = context.new_cdp_session(page)
        cpu.send("Performance.enable", {"timeDomain": "threadTicks"})
        outside: list[str] = []
        page.on(
            "request",
            lambda r: (
                outside.append(r.url)
                if urlsplit(r.url).hostname not in ("127.0.0.1", None)
                else None
            ),
        )
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/article/{cmp.key}", wait_until="load", timeout=60000)
        expect = cmp is not BASELINE
        state = page.evaluate(SETTLE, [expect, SETTLE_MS, SHOW_TIMEOUT_MS])
        before, before_cpu = _metrics(cdp), _metrics(cpu)
        cdp.send("HeapProfiler.collectGarbage")
        heap = _metrics(cdp)["JSHeapUsedSize"]
        result: dict[str, Any] = {
            "settled": state == "settled",
            "task_ms": before["TaskDuration"] * 1000,
            "script_ms": before["ScriptDuration"] * 1000,
            "layout_ms": before["LayoutDuration"] * 1000,
            "style_ms": before["RecalcStyleDuration"] * 1000,
            "cpu_task_ms": before_cpu["TaskDuration"] * 1000,
            "cpu_script_ms": before_cpu["ScriptDuration"] * 1000,
            "cpu_layout_ms": before_cpu["LayoutDuration"] * 1000,
            "cpu_style_ms": before_cpu["RecalcStyleDuration"] * 1000,
            "heap_bytes": heap,
            "gone_ok": None,
        }
        if not refuse:
            pass
        elif expect and state == "settled":
            point = page.evaluate(
                """sel => { const e = document.querySelector(sel);
                   if (!e) return null; const r = e.getBoundingClientRect();
                   return [r.left + r.width / 2, r.top + r.height / 2]; }""",
                cmp.refuse,
            )
            if point is None:
                result["gone_ok"] = False
                errors.append(f"refuse control {cmp.refuse!r} not found")
            else:
                page.mouse.click(point[0], point[1])
                result["gone_ok"] = page.evaluate(WAIT_GONE, [GONE_TIMEOUT_MS, SETTLE_MS])
        else:
            # the same quiet time as after a click, so the whole visit lasts alike
            page.evaluate("ms => new Promise(r => setTimeout(r, ms))", SETTLE_MS)
        probe = page.evaluate(REPORT)
        result.update(probe)
        result["outside_requests"] = outside
        result["errors"] = errors
        return result
    finally:
        context.close()


def _median(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def summarise(
    visits: dict[str, list[dict[str, Any]]],
    cpu_visits: dict[str, list[dict[str, Any]]] | None = None,
    throttle: float = 4,
) -> dict[str, dict[str, Any]]:
    """Per page: each run's figures, their medians, and the figures above the page alone
    (median minus median). `cpu_visits`: the unthrottled visits, for the CPU-time figure."""
    runs = {key: [_per_run(r) for r in rows] for key, rows in visits.items()}
    cpu_keys = ("cpu_task_ms", "cpu_script_ms", "cpu_layout_ms", "cpu_style_ms")
    cpu_runs = {
        key: [{k: r.get(k) for k in cpu_keys} for r in rows]
        for key, rows in (cpu_visits or {}).items()
    }

    def median_of(key: str, metric: str) -> float | None:
        return _median([p[metric] for p in runs.get(key, [])])

    def cpu_median(key: str, metric: str) -> float | None:
        return _median([p[metric] for p in cpu_runs.get(key, [])])

    def minus(a: float | None, b: float | None, scale: float = 1) -> float | None:
        return None if a is None or b is None else (a - b) / scale

    out: dict[str, dict[str, Any]] = {}
    b = BASELINE.key
    for key, rows in visits.items():
        per_run = runs[key]
        s: dict[str, Any] = {
            k: median_of(key, k) for k in (per_run[0] if per_run else {}) if k != "clicked_inside"
        }
        for k in cpu_keys:
            s[f"unthrottled_{k}"] = cpu_median(key, k)
        if key != b:
            s["main_thread_ms"] = minus(s.get("task_ms"), median_of(b, "task_ms"))
            s["script_above_ms"] = minus(s.get("script_ms"), median_of(b, "script_ms"))
            for k in cpu_keys:
                s[f"unthrottled_{k}_above"] = minus(cpu_median(key, k), cpu_median(b, k))
            cpu = s["unthrottled_cpu_task_ms_above"]
            s["cpu_times_throttle_ms"] = None if cpu is None else cpu * throttle
            s["heap_mb"] = minus(s.get("heap_bytes"), median_of(b, "heap_bytes"), 1e6)
            s["fcp_delay_ms"] = minus(s.get("fcp_ms"), median_of(b, "fcp_ms"))
            s["headline_delay_ms"] = minus(s.get("headline_ms"), median_of(b, "headline_ms"))
        spread_keys = ("fcp_ms", "headline_ms", "shown_after_fcp_ms", "task_ms", "heap_bytes")
        s["spread"] = {
            k: [min(v), max(v)]
            for k in spread_keys
            if (v := [p[k] for p in per_run if p[k] is not None])
        }
        if cpu_runs.get(key):
            v = [p["cpu_task_ms"] for p in cpu_runs[key] if p["cpu_task_ms"] is not None]
            if v:
                s["spread"]["unthrottled_cpu_task_ms"] = [min(v), max(v)]
        s["runs"] = per_run
        s["unthrottled_runs"] = cpu_runs.get(key, [])
        s["runs_ok"] = sum(1 for r in rows if r.get("settled"))
        s["outside_requests"] = sorted(
            {u for r in rows + (cpu_visits or {}).get(key, []) for u in r["outside_requests"]}
        )
        s["errors"] = sorted({e for r in rows for e in r.get("errors", [])})
        first = rows[0] if rows else {}
        s["resources"] = [
            {"url": x["url"], "bytes": x["bytes"]} for x in first.get("resources", [])
        ]
        s["wire_bytes"] = wire_bytes(key, s["resources"])
        out[key] = s
    return out


def wire_bytes(key: str, resources: list[dict[str, Any]]) -> int | None:
    """The banner's JS and CSS as Chromium received them on the first visit (Resource Timing's
    encodedBodySize: compressed bytes, headers aside), or None for the page alone."""
    cmp = next((c for c in CMPS if c.key == key), None)
    if cmp is None or not cmp.files:
        return None
    names = tuple("/" + f.rsplit("/", 1)[-1] for f in cmp.files)
    found = [r["bytes"] for r in resources if urlsplit(r["url"]).path.endswith(names)]
    return sum(found) if len(found) >= len(names) else None


def _per_run(r: dict[str, Any]) -> dict[str, Any]:
    """One visit's figures, from what `visit` and the in-page probe recorded."""
    shifts = r.get("shifts") or []
    shown, fcp, gone = r.get("shown"), r.get("fcp"), r.get("gone")
    return {
        "fcp_ms": fcp,
        "headline_ms": r.get("headline"),
        "inserted_ms": r.get("inserted"),
        "shown_ms": shown,
        "shown_after_fcp_ms": shown - fcp if shown is not None and fcp is not None else None,
        "task_ms": r.get("task_ms"),
        "script_ms": r.get("script_ms"),
        "layout_ms": r.get("layout_ms"),
        "style_ms": r.get("style_ms"),
        "cpu_task_ms": r.get("cpu_task_ms"),
        "heap_bytes": r.get("heap_bytes"),
        "gone_frames": r.get("goneFrames"),
        "gone_ms": gone - r["clickAt"] if gone is not None else None,
        "clicked_inside": r.get("clickedInside"),
        "cls_all": sum(x[1] for x in shifts),
        "cls_without_input": sum(x[1] for x in shifts if not x[2]),
    }


# ------------------------------------------------------------------ the run


def run(
    runs: int = 5,
    throttle: float = 4,
    npm_dir: Path | None = None,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> dict[str, Any]:
    """Install the competitors, serve everything on loopback, visit each page `runs` times."""
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    load_before = _loadavg()
    with tempfile.TemporaryDirectory(prefix="bandeau-bench-banner-") as tmp:
        tmpdir = Path(tmp)
        node_modules: Path | None
        if npm_dir is not None:
            node_modules = npm_dir / "node_modules"
            if not node_modules.is_dir():
                log(f"{node_modules} does not exist: measuring bandeau only")
                node_modules = None
        else:
            node_modules = npm_install(tmpdir / "npm", log)
        versions = _installed_versions(node_modules)
        cmps = [c for c in CMPS if not c.npm or node_modules is not None]
        port = free_port()
        (tmpdir / "data").mkdir()
        app = build_app(port, tmpdir / "data", node_modules)
        with serving(app, port) as base:
            size = sizes(base, node_modules)
            visits: dict[str, list[dict[str, Any]]] = {c.key: [] for c in (BASELINE, *cmps)}
            cpu_visits: dict[str, list[dict[str, Any]]] = {k: [] for k in visits}
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    version = browser.version
                    # one unmeasured visit of each page first: browser, server, OS caches warm
                    log("warm-up visits (not measured)")
                    for cmp in (BASELINE, *cmps):
                        visit(browser, base, cmp, throttle)
                    for i in range(runs):
                        log(f"round {i + 1}/{runs}")
                        for cmp in _rotated([BASELINE, *cmps], i):
                            visits[cmp.key].append(visit(browser, base, cmp, throttle))
                    # main-thread CPU time without throttling: little disturbed by other
                    # processes on a busy machine, unlike the wall-clock figure above
                    for i in range(runs):
                        log(f"unthrottled round {i + 1}/{runs}")
                        for cmp in _rotated([BASELINE, *cmps], i):
                            cpu_visits[cmp.key].append(visit(browser, base, cmp, 1, refuse=False))
                finally:
                    browser.close()
    figures = summarise(visits, cpu_visits, throttle)
    for key, entry in size.items():
        figures.setdefault(key, {})["size"] = entry
    return {
        "chromium": version,
        "throttle": throttle,
        "runs": runs,
        "viewport": VIEWPORT,
        "budgets": BUDGETS,
        "npm": versions,
        "columns": [c.key for c in CMPS],
        "labels": {c.key: c.label for c in (BASELINE, *CMPS)},
        "figures": figures,
        "seconds": round(time.monotonic() - started, 1),
        "cpus": os.cpu_count(),
        "loadavg": {"before": load_before, "after": _loadavg()},
    }


def _rotated(items: list[Cmp], i: int) -> list[Cmp]:
    """The pages in a different order each round: none is always first or last."""
    k = i % len(items)
    return items[k:] + items[:k]


def _loadavg() -> float | None:
    """The machine's one-minute load average (other work skews every timing figure)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _installed_versions(node_modules: Path | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if node_modules is None:
        return out
    for spec in NPM_PACKAGES:
        name = spec.rsplit("@", 1)[0]
        try:
            meta = json.loads((node_modules / name / "package.json").read_text(encoding="utf-8"))
            out[name] = str(meta.get("version"))
        except (OSError, ValueError):
            out[name] = "?"
    return out


# ------------------------------------------------------------------ output


ROWS: tuple[tuple[str, str, str, Callable[[Any], str]], ...] = (
    ("JS+CSS on the wire, as served (bytes)", "wire_bytes", "6144", lambda v: f"{v:,}"),
    ("  the same files, gzip -9 (bytes)", "size_gzip", "", lambda v: f"{v:,}"),
    ("first contentful paint (ms)", "fcp_ms", "", lambda v: f"{v:.0f}"),
    ("  later than page alone (ms)", "fcp_delay_ms", "", lambda v: f"{v:+.0f}"),
    ("article headline painted (ms)", "headline_ms", "", lambda v: f"{v:.0f}"),
    ("  later than page alone (ms)", "headline_delay_ms", "", lambda v: f"{v:+.0f}"),
    ("banner first visible frame (ms)", "shown_ms", "", lambda v: f"{v:.0f}"),
    ("banner shown after FCP (ms)", "shown_after_fcp_ms", "≤16.7", lambda v: f"{v:+.1f}"),
    ("main-thread work above page alone (ms)", "main_thread_ms", "30", lambda v: f"{v:.0f}"),
    ("  of which script (ms)", "script_above_ms", "", lambda v: f"{v:.0f}"),
    ("  CPU time, unthrottled (ms)", "unthrottled_cpu_task_ms_above", "", lambda v: f"{v:.1f}"),
    ("  CPU time unthrottled x throttle (ms)", "cpu_times_throttle_ms", "30", lambda v: f"{v:.0f}"),
    ("JS heap above page alone (MB)", "heap_mb", "0.3", lambda v: f"{v:.2f}"),
    ("frames from refuse all to banner gone", "gone_frames", "1", lambda v: f"{v:g}"),
    ("  time from refuse all to gone (ms)", "gone_ms", "", lambda v: f"{v:.0f}"),
    ("cumulative layout shift", "cls_all", "0", lambda v: f"{v:.3f}"),
)


def _value(fig: dict[str, Any], key: str) -> Any:
    if key == "size_gzip":
        return (fig.get("size") or {}).get("gzip9")
    return fig.get(key)


def format_table(result: dict[str, Any]) -> str:
    figs = result["figures"]
    cols = result["columns"]
    major = str(result["chromium"]).split(".")[0]
    title = (
        f"banner bench (Chromium {major}, CPU x{result['throttle']:g}, median of {result['runs']})"
    )
    width = max(len(title), *(len(r[0]) for r in ROWS)) + 2
    heads = ["budget", *cols]
    colw = [max(8, len(h) + 2) for h in heads]
    lines = [title.ljust(width) + "".join(h.rjust(w) for h, w in zip(heads, colw, strict=True))]
    for label, key, budget, fmt in ROWS:
        cells = [budget]
        for c in cols:
            v = _value(figs.get(c, {}), key)
            cells.append("n/a" if v is None else fmt(v))
        lines.append(
            label.ljust(width) + "".join(x.rjust(w) for x, w in zip(cells, colw, strict=True))
        )
    base = figs.get(BASELINE.key, {})
    notes = []
    if base.get("fcp_ms") is not None:
        lo, hi = base["spread"].get("task_ms", [base["task_ms"]] * 2)
        notes.append(
            f"page alone: FCP {base['fcp_ms']:.0f} ms, main-thread work "
            f"{base['task_ms']:.0f} ms (runs {lo:.0f}-{hi:.0f}), JS heap "
            f"{base['heap_bytes'] / 1e6:.2f} MB"
        )
    load = result.get("loadavg") or {}
    if load.get("before") is not None:
        busy = max(load["before"], load.get("after") or 0) > (result.get("cpus") or 1)
        notes.append(
            f"machine: {result.get('cpus')} CPUs, load average {load['before']:.1f} "
            f"before, {load.get('after') or 0:.1f} after"
            + (" - busy: timings are noisy, compare columns, not runs" if busy else "")
        )
    verdict = _verdict(figs.get(BANDEAU.key, {}))
    if verdict:
        notes.append("bandeau vs budgets: " + verdict)
    for c in cols:
        f = figs.get(c, {})
        problems = []
        if "error" in (f.get("size") or {}):
            problems.append(f"size: {f['size']['error']}")
        if f.get("runs") is not None and f.get("runs_ok", 0) < len(f.get("runs", [])):
            problems.append(
                f"banner not shown / page not settled in "
                f"{len(f['runs']) - f['runs_ok']} of {len(f['runs'])} runs"
            )
        missed = sum(1 for r in f.get("runs") or [] if r.get("clicked_inside") is False)
        if missed:
            problems.append(f"the click missed the refuse control in {missed} run(s)")
        if f.get("outside_requests"):
            problems.append(
                f"{len(f['outside_requests'])} non-loopback request(s) attempted (blocked)"
            )
        if f.get("errors"):
            problems.append("page errors: " + "; ".join(f["errors"])[:200])
        if problems:
            notes.append(f"{c}: " + "; ".join(problems))
    if result.get("npm"):
        notes.append("npm: " + ", ".join(f"{k} {v}" for k, v in result["npm"].items()))
    notes.append(f"took {result['seconds']:.0f} s")
    return "\n".join([*lines, "", *notes])


def _verdict(fig: dict[str, Any]) -> str:
    checks = (
        ("size on the wire", fig.get("wire_bytes"), BUDGETS["size_gzip"]),
        ("shown with FCP", fig.get("shown_after_fcp_ms"), BUDGETS["shown_after_fcp_ms"]),
        ("main thread (wall)", fig.get("main_thread_ms"), BUDGETS["main_thread_ms"]),
        ("main thread (CPU)", fig.get("cpu_times_throttle_ms"), BUDGETS["main_thread_ms"]),
        ("heap", fig.get("heap_mb"), BUDGETS["heap_mb"]),
        ("refuse→gone", fig.get("gone_frames"), BUDGETS["gone_frames"]),
        ("layout shift", fig.get("cls_all"), BUDGETS["cls"]),
    )
    return ", ".join(
        f"{name} {'n/a' if v is None else ('ok' if v <= budget else 'OVER')}"
        for name, v, budget in checks
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench/banner.py",
        description="bandeau's banner next to vanilla-cookieconsent, Klaro and tarteaucitron.",
    )
    parser.add_argument("--runs", type=int, default=5, help="visits per page (median; default 5)")
    parser.add_argument("--throttle", type=float, default=4, help="CPU slowdown (default 4)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--npm-dir",
        type=Path,
        default=None,
        help="use the competitors already installed under DIR/node_modules (no npm install)",
    )
    args = parser.parse_args(list(argv) if argv is not None else [])
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(CHROMIUM).exists():
        print(f"bench/banner.py: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    try:
        result = run(runs=args.runs, throttle=args.throttle, npm_dir=args.npm_dir)
    except Exception as e:  # one clear line; the traceback helps nobody reading a bench log
        print(f"bench/banner.py: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
