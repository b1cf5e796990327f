"""TCF benchmark: the TC string codec against the IAB's reference library, and the TCF mode's
script (tcf.js) on the wire and on the main thread.

    .venv/bin/python bench/tcf.py [--seconds 3] [--runs 7] [--throttle 4] [--json]

- Codec: 200 TC strings over the shared 30-vendor test list (../shared/tcf/vectors.json, read in
  place; BANDEAU_TCF_VECTORS names another place), random choices from a fixed seed, core and
  DisclosedVendors segments. bandeau (`bandeau.tcf.decode` / `encode`, Python) and
  `@iabtcf/core` (bench/tcf.mjs, Node) each decode the strings, then encode their models, in a
  loop for `--seconds`, one after the other on the same machine: strings per second, and the
  ratio, which is what compares (absolute figures depend on the machine and its load).
- Script: tcf.js as the server sends it for the demo in TCF mode (its config and the narrowed
  vendor list inlined), in bytes: raw, gzip -9, and on the wire (Brotli, as Chromium gets it).
- Main thread: the same small page with the banner, without and with tcf.js, in fresh Chromium
  contexts, CPU throttled `--throttle` times through CDP, rounds interleaved; main-thread task
  and script time (CDP Performance metrics in thread ticks) after load; medians, and the
  difference, which is what tcf.js costs.

With `--trace`, the main thread is instead measured from a Chrome trace of each visit
(bench/trace.py's categories and per-event self times, in the thread's CPU time, `tdur`, which
a busy machine does not inflate): the medians of each trace event, with tcf.js minus without,
largest first, and the script time split by file. That is the figure to compare before and after
a change of tcf.js on a shared machine. `--trace --without-cdp` records the same trace with
Chromium's own startup tracing (`--trace-startup`), no DevTools client attached and no
throttling: Playwright's instrumentation of every new frame (an execution context and its
scripts) makes the locator frames look several times costlier than they are.

This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent / "src") not in sys.path:
    sys.path.insert(0, str(HERE.parent / "src"))  # a checkout without `pip install -e .`

from bandeau.tcf import TCModel, decode, encode  # noqa: E402
from banner import serving  # noqa: E402 (bench/banner.py: uvicorn in a thread)

VECTORS = Path(os.environ.get("BANDEAU_TCF_VECTORS", "/work/shared/tcf/vectors.json"))
CHROMIUM = Path("/usr/bin/chromium")
STRINGS = 200


def test_list() -> dict[str, Any]:
    if not VECTORS.is_file():
        sys.exit(f"bench/tcf.py: no TCF vectors at {VECTORS} (set BANDEAU_TCF_VECTORS)")
    gvl: dict[str, Any] = json.loads(VECTORS.read_text(encoding="utf-8"))["gvlFixture"]
    return gvl


def strings_for(gvl: dict[str, Any], n: int = STRINGS, seed: int = 11) -> list[str]:
    """`n` strings of random choices over the list's live vendors (fixed seed)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    vendors = sorted(int(k) for k, v in gvl["vendors"].items() if not v.get("deletedDate"))
    day = datetime(2026, 11, 30, tzinfo=UTC)
    out = []
    for _ in range(n):
        consents = {v for v in vendors if rng.random() < 0.5}
        out.append(
            encode(
                TCModel(
                    created=day,
                    lastUpdated=day,
                    cmpId=999,
                    cmpVersion=1,
                    consentScreen=1,
                    consentLanguage="FR",
                    vendorListVersion=gvl["vendorListVersion"],
                    publisherCountryCode="FR",
                    purposeConsents={p for p in range(1, 12) if rng.random() < 0.5},
                    purposeLegitimateInterests={
                        p for p in (2, 7, 8, 9, 10, 11) if rng.random() < 0.5
                    },
                    specialFeatureOptins={f for f in (1, 2) if rng.random() < 0.5},
                    vendorConsents=consents,
                    vendorLegitimateInterests={v for v in vendors if rng.random() < 0.3},
                    vendorsDisclosed=vendors,
                )
            )
        )
    return out


def per_second(strings: list[str], seconds: float, work: Any) -> float:
    """Strings handled per second, cycling through `strings` for about `seconds`."""
    done = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        work(strings[done % len(strings)])
        done += 1
        if done % 16 == 0 and time.perf_counter() >= end:
            return done / (time.perf_counter() - start)


def codec(seconds: float) -> dict[str, Any]:
    gvl = test_list()
    strings = strings_for(gvl)
    models = {s: decode(s) for s in strings}
    python = {
        "decode_per_s": per_second(strings, seconds, decode),
        "encode_per_s": per_second(strings, seconds, lambda s: encode(models[s])),
    }
    node: dict[str, Any] | None = None
    request = json.dumps({"strings": strings, "gvl": gvl, "seconds": seconds})
    try:
        done = subprocess.run(
            ["node", str(HERE / "tcf.mjs")],
            input=request,
            capture_output=True,
            text=True,
            check=True,
            timeout=120 + 4 * seconds,
            cwd=HERE.parent,
        )
        node = json.loads(done.stdout)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"@iabtcf/core not measured: {e}", file=sys.stderr)
    return {"strings": len(strings), "bandeau": python, "iabtcf_core": node}


# ---------------------------------------------------------------- the script


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Article</title>
{head}<link rel="stylesheet" href="{api}/banner.css"></head><body><main><h1>Le Rhône en crue</h1>
{paragraphs}</main><script src="{api}/banner.js"></script></body></html>"""


def build_app(port: int, data_dir: Path) -> tuple[Any, dict[str, str], bytes]:
    """The demo in TCF mode (bandeau app) with two pages: the banner alone, and with tcf.js."""
    from fastapi.responses import HTMLResponse

    from bandeau.demo import build_demo
    from bandeau.settings import Settings

    settings = Settings(data_dir=data_dir, port=port, rate_limit=0)
    apps = build_demo(settings, tcf=f"{VECTORS}#gvlFixture")
    api = f"{settings.base_url}/v1/sites/{apps.policy.site}"
    text = "".join(
        f"<p>Paragraphe {i} de l'article, assez long pour une ligne.</p>" for i in range(12)
    )
    pages = {
        "plain": PAGE.format(head="", api=api, paragraphs=text),
        "tcf": PAGE.format(head=f'<script src="{api}/tcf.js"></script>', api=api, paragraphs=text),
    }

    async def page(key: str) -> HTMLResponse:
        return HTMLResponse(pages[key], headers={"Cache-Control": "no-store"})

    apps.api.add_api_route("/bench/{key}", page, methods=["GET"], include_in_schema=False)
    site = apps.api.state.bandeau.sites[apps.policy.site]
    from bandeau.tcf.bundle import tcf_config, tcf_script

    script = tcf_script(tcf_config(site.policy, site.tcf, site.api, "fr"))
    return apps.api, pages, script


def sizes(script: bytes) -> dict[str, int]:
    from bandeau.server.compression import encoded

    wire = encoded(script).pick("gzip, deflate, br, zstd")
    return {
        "raw": len(script),
        "gzip9": len(gzip.compress(script, 9)),
        "wire": len(wire.body),
        "wire_encoding": wire.encoding,  # type: ignore[dict-item]
    }


def main_thread(base: str, runs: int, throttle: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    samples: dict[str, list[dict[str, float]]] = {"plain": [], "tcf": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        try:
            for _ in range(runs):
                for key in ("plain", "tcf"):
                    context = browser.new_context(locale="fr-FR")
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
                    cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
                    page.goto(f"{base}/bench/{key}", wait_until="load")
                    page.wait_for_selector("#bandeau .bd-l1")
                    page.evaluate("() => new Promise((r) => setTimeout(r, 300))")
                    metrics = {
                        m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]
                    }
                    samples[key].append(
                        {
                            "task_ms": metrics["TaskDuration"] * 1000,
                            "script_ms": metrics["ScriptDuration"] * 1000,
                        }
                    )
                    context.close()
        finally:
            browser.close()
    out: dict[str, Any] = {}
    for key, rows in samples.items():
        out[key] = {m: statistics.median(r[m] for r in rows) for m in ("task_ms", "script_ms")}
    out["tcf_js"] = {m: out["tcf"][m] - out["plain"][m] for m in ("task_ms", "script_ms")}
    return out


def bench_trace() -> Any:
    """bench/trace.py, by its path (the standard library has a `trace` module too)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_trace", HERE / "trace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cdp_trace(browser: Any, url: str, throttle: float, categories: list[str]) -> Any:
    """One visit in a fresh context, CPU throttled through CDP, traced through Playwright."""
    context = browser.new_context(locale="fr-FR")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        browser.start_tracing(page=page, categories=categories)
        page.goto(url, wait_until="load")
        page.wait_for_selector("#bandeau .bd-l1")
        page.evaluate("() => new Promise((r) => setTimeout(r, 300))")
        return json.loads(browser.stop_tracing())["traceEvents"]
    finally:
        context.close()


def startup_trace(url: str, folder: Path, categories: list[str]) -> Any:
    """One visit by a Chromium of its own, traced from its start (`--trace-startup`) with no
    DevTools client attached: Playwright's instrumentation (an execution context and its
    scripts in every new frame) is not there to inflate the cost of frames. Not throttled."""
    out = folder / "startup-trace.json"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--lang=fr-FR",
            "--trace-startup=" + ",".join(categories),
            f"--trace-startup-file={out}",
            "--trace-startup-format=json",
            "--trace-startup-duration=5",
            "--virtual-time-budget=4000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    return data["traceEvents"] if isinstance(data, dict) else data


def traced(base: str, runs: int, throttle: float, cdp: bool = True) -> dict[str, dict[str, float]]:
    """Median self time (ms of thread CPU) per trace event on the main thread, per page."""
    from playwright.sync_api import sync_playwright

    module = bench_trace()
    rows: dict[str, list[dict[str, float]]] = {"plain": [], "tcf": []}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"]
        )
        try:
            for i in range(runs + 1):  # the first round warms up, unmeasured
                for key in ("plain", "tcf"):
                    url = f"{base}/bench/{key}"
                    if cdp:
                        events = cdp_trace(browser, url, throttle, module.CATEGORIES)
                    else:
                        events = startup_trace(url, Path(folder), module.CATEGORIES)
                    if i:
                        rows[key].append(module.self_times(events, "tdur", url))
        finally:
            browser.close()
    out: dict[str, dict[str, float]] = {}
    for key, found in rows.items():
        names = {n for r in found for n in r}
        out[key] = {n: statistics.median(r.get(n, 0.0) for r in found) for n in names}
    return out


def format_trace(medians: dict[str, dict[str, float]], throttle: float, runs: int) -> str:
    plain, tcf = medians["plain"], medians["tcf"]
    names = sorted(set(plain) | set(tcf), key=lambda n: -(tcf.get(n, 0) - plain.get(n, 0)))
    how = f"CPU x{throttle:g}" if throttle else "no DevTools client, not throttled"
    lines = [
        f"main thread CPU (trace tdur), {how}, median of {runs} (ms)",
        f"{'event':44}{'banner':>10}{'+tcf.js':>10}{'tcf.js':>9}",
    ]
    for n in names:
        a, b = plain.get(n, 0.0), tcf.get(n, 0.0)
        if max(a, b) >= 0.5 or n == "task":
            lines.append(f"{n[:44]:44}{a:10.1f}{b:10.1f}{b - a:+9.1f}")
    return "\n".join(lines)


def run(
    seconds: float, runs: int, throttle: float, trace: bool = False, cdp: bool = True
) -> dict[str, Any]:
    result: dict[str, Any] = {} if trace else {"codec": codec(seconds)}
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        app, _, script = build_app(port, Path(data))
        result["script_bytes"] = sizes(script)
        if CHROMIUM.exists():
            with serving(app, port) as base:
                if trace:
                    result["trace"] = traced(base, runs, throttle, cdp)
                else:
                    result["main_thread"] = main_thread(base, runs, throttle)
        result["throttle"] = throttle if cdp else 0
    return result


def format_table(r: dict[str, Any]) -> str:
    if "trace" in r:
        b = r["script_bytes"]
        return (
            f"tcf.js (demo, TCF mode): {b['raw']:,} B raw, {b['gzip9']:,} B gzip -9, "
            f"{b['wire']:,} B on the wire ({b['wire_encoding']})\n"
            + format_trace(r["trace"], r["throttle"], r["runs"])
        )
    c = r["codec"]
    lines = [f"TC string codec, {c['strings']} strings over the 30-vendor test list (per second)"]
    ref = c["iabtcf_core"] or {}
    for op in ("decode", "encode"):
        ours, theirs = c["bandeau"][f"{op}_per_s"], ref.get(f"{op}_per_s")
        ratio = f"{ours / theirs:.2f}x" if theirs else "n/a"
        lines.append(
            f"  {op}: bandeau (Python) {ours:,.0f}  @iabtcf/core (Node) {theirs or 0:,.0f}"
            f"  bandeau/reference {ratio}"
        )
    b = r["script_bytes"]
    lines.append(
        f"tcf.js (demo, TCF mode): {b['raw']:,} B raw, {b['gzip9']:,} B gzip -9, "
        f"{b['wire']:,} B on the wire ({b['wire_encoding']})"
    )
    m = r.get("main_thread")
    if m:
        plain, tcf, cost = m["plain"], m["tcf"], m["tcf_js"]
        lines.append(
            f"main thread, CPU x{r['throttle']:g}, medians (task / script ms): banner alone "
            f"{plain['task_ms']:.1f} / {plain['script_ms']:.1f}; with tcf.js "
            f"{tcf['task_ms']:.1f} / {tcf['script_ms']:.1f}; tcf.js adds "
            f"{cost['task_ms']:.1f} / {cost['script_ms']:.1f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per codec loop")
    parser.add_argument("--runs", type=int, default=7, help="page visits per column")
    parser.add_argument("--throttle", type=float, default=4.0, help="CPU slowdown through CDP")
    parser.add_argument("--json", action="store_true", help="print everything as JSON")
    parser.add_argument(
        "--trace", action="store_true", help="only tcf.js: bytes, and a trace per visit"
    )
    parser.add_argument(
        "--without-cdp",
        action="store_true",
        help="with --trace: Chromium's own startup trace, no DevTools client, no throttling",
    )
    args = parser.parse_args(argv)
    result = run(args.seconds, args.runs, args.throttle, args.trace, not args.without_cdp)
    result["runs"] = args.runs
    print(json.dumps(result, indent=2) if args.json else format_table(result))


if __name__ == "__main__":
    main()
