"""The scan's reports: JSON for CI (the contract of docs/scanner.md), HTML for people (the
screenshots inlined, readable offline), and a starting policy from what was found."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from .crawl import PageResult
from .design import Look, way_back
from .findings import (
    RANK,
    Finding,
    banner_seen,
    cookie_evidence,
    request_evidence,
    storage_evidence,
)
from .visit import PhaseResult


def banner_json(page: PageResult, viewport: str | None = None) -> dict[str, Any]:
    """The banner as seen on one viewport (the first scanned when None)."""
    phases = page.views.get(viewport, page.phases) if viewport else page.phases
    refuse, accept = phases.get("refuse"), phases.get("accept")

    def clicks(phase: PhaseResult | None) -> int | None:
        if phase is None or phase.choice is None:
            return None
        return phase.choice.measured_clicks

    def by(phase: PhaseResult | None) -> str | None:
        if phase is None or phase.choice is None or not phase.choice.done:
            return None
        return phase.choice.by

    return {
        "found": banner_seen(phases),
        "cmp": page.cmp,
        "refuse_clicks": clicks(refuse),
        "accept_clicks": clicks(accept),
        "refused_by": by(refuse),
        "accepted_by": by(accept),
    }


def phase_json(page: PageResult, phase: PhaseResult, shots: dict[str, str]) -> dict[str, Any]:
    ev, rec = page.evidence, phase.recording
    third = {r.url for r in rec.requests if r.url.split("/")[2].split(":")[0] in ev.trackers}
    return {
        "url": phase.url,
        "error": phase.error,
        "banner_shown": phase.banner_found,
        "banner_in_frame": phase.banner_in_frame,
        "banner_box": phase.banner_box,
        "choice": phase.choice.to_json() if phase.choice else None,
        "banner_after_reload": phase.banner_after_reload,
        "next_page": phase.next_page,
        "autoconsent": phase.autoconsent.to_json() if phase.autoconsent else None,
        "first_layer": (
            [Look.from_measure(m).to_json() for m in phase.first_layer]
            if phase.first_layer is not None
            else None
        ),
        "ways_back": {
            stage: [c for c in controls if way_back(c)]
            for stage, controls in phase.persistent.items()
        },
        "requests": [
            {**request_evidence(phase.name, r), "tracker": r.url in third} for r in rec.requests
        ],
        "cookies": [cookie_evidence(phase.name, c, ev.cookie(c)) for c in rec.cookie_writes],
        "storage": [storage_evidence(phase.name, s, ev.storage(s)) for s in rec.storage_writes],
        "snapshots": [
            {"stage": s.stage, "cookies": s.cookies, "storage": s.storage} for s in rec.snapshots
        ],
        "screenshots": [
            {"label": label, "file": shots.get(f"{phase.viewport}/{phase.name}/{label}")}
            for label in phase.screenshots
        ],
    }


def to_json(
    pages: list[PageResult], shots: dict[int, dict[str, str]] | None = None
) -> dict[str, Any]:
    shots = shots or {}
    return {"pages": [_page_json(page, shots.get(i, {})) for i, page in enumerate(pages)]}


def _page_json(page: PageResult, shots: dict[str, str]) -> dict[str, Any]:
    """A page: `banner` and `phases` on the first viewport scanned, each other viewport's in
    `other_viewports`."""
    views = page.views or {page.phases[next(iter(page.phases))].viewport: page.phases}
    first = next(iter(views))
    return {
        "url": page.url,
        "viewports": list(views),
        "banner": banner_json(page),
        "phases": {name: phase_json(page, p, shots) for name, p in page.phases.items()},
        "other_viewports": {
            v: {
                "banner": banner_json(page, v),
                "phases": {name: phase_json(page, p, shots) for name, p in phases.items()},
            }
            for v, phases in views.items()
            if v != first
        },
        "findings": [_finding_json(f, shots) for f in page.findings],
    }


def _finding_json(finding: Finding, shots: dict[str, str]) -> dict[str, Any]:
    """A finding, its screenshot evidence given the file written beside the report."""
    out = finding.to_json()
    out["evidence"] = [
        {**x, "file": shots.get(f"{x.get('viewport', 'desktop')}/{x['phase']}/{x['label']}")}
        if x["kind"] == "screenshot"
        else x
        for x in out["evidence"]
    ]
    return out


def write_json(pages: list[PageResult], path: Path) -> None:
    """The JSON report, and its screenshots in a folder beside it (`NAME-screenshots/`)."""
    folder = path.with_name(path.stem + "-screenshots")
    shots: dict[int, dict[str, str]] = {}
    for i, page in enumerate(pages):
        for phase in _all_phases(page):
            for label, data in phase.screenshots.items():
                folder.mkdir(parents=True, exist_ok=True)
                file = folder / f"{i + 1}-{phase.viewport}-{phase.name}-{label}.jpg"
                file.write_bytes(data)
                key = f"{phase.viewport}/{phase.name}/{label}"
                shots.setdefault(i, {})[key] = f"{folder.name}/{file.name}"
    path.write_text(json.dumps(to_json(pages, shots), indent=2, ensure_ascii=False) + "\n")


def _all_phases(page: PageResult) -> list[PhaseResult]:
    """Every phase of every viewport (the first viewport's when the page has no views)."""
    views = page.views or {"": page.phases}
    return [p for phases in views.values() for p in phases.values()]


def worst(pages: list[PageResult]) -> int:
    """The rank of the worst finding (0 when none): compared with `--fail-on`."""
    return max((RANK[f.severity] for p in pages for f in p.findings), default=0)


# ---------------------------------------------------------------------- HTML

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem}
h1{font-size:1.5rem}
h2{font-size:1.2rem;margin-top:2.5rem;border-top:1px solid #ccc;padding-top:1rem}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
.high{color:#a00000;font-weight:bold}.medium{color:#8a4b00;font-weight:bold}.low{color:#444}
figure{display:inline-block;margin:.5rem;width:30%}figure img{width:100%;border:1px solid #999}
code{font-size:.85em;word-break:break-all}
"""


def write_html(pages: list[PageResult], path: Path) -> None:
    """One self-contained file: findings, evidence and screenshots (as data: URLs)."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        "<title>bandeau scan</title>",
        f"<style>{STYLE}</style>",
        f"<h1>bandeau scan: {len(pages)} page(s)</h1>",
    ]
    for page in pages:
        parts.append(f"<h2>{e(page.url)}</h2>")
        for viewport in page.views or [None]:
            b = banner_json(page, viewport)
            parts.append(
                f"<p>{e(viewport or 'desktop')}: banner {'found' if b['found'] else 'none found'}"
                f"{' (' + e(b['cmp']) + ')' if b['cmp'] else ''}; refuse: "
                f"{e(_effort_text(b['refuse_clicks'], b['refused_by'], 'refuse'))}; accept: "
                f"{e(_effort_text(b['accept_clicks'], b['accepted_by'], 'accept'))}.</p>"
            )
        for phase in _all_phases(page):
            if phase.error:
                parts.append(
                    f"<p class='high'>The {e(phase.name)} phase ({e(phase.viewport)}) failed: "
                    f"{e(phase.error)}</p>"
                )
        if page.findings:
            parts.append(
                "<table><tr><th>rule</th><th>severity</th><th>finding</th><th>seen on</th>"
                "<th>evidence</th></tr>"
            )
            for f in page.findings:
                evidence = "<br>".join(
                    f"<code>{e(json.dumps(x, ensure_ascii=False))[:400]}</code>" for x in f.evidence
                )
                parts.append(
                    f"<tr><td>{e(f.rule)}</td><td class='{f.severity}'>{f.severity}</td>"
                    f"<td>{e(f.title)}</td><td>{e(', '.join(f.viewports))}</td>"
                    f"<td>{evidence}</td></tr>"
                )
            parts.append("</table>")
        else:
            parts.append("<p>No finding.</p>")
        for phase in _all_phases(page):
            name, where = phase.name, phase.viewport
            for label, data in phase.screenshots.items():
                src = "data:image/jpeg;base64," + base64.b64encode(data).decode()
                parts.append(
                    f"<figure><img alt='{e(name)}, {e(label)}, {e(where)}' src='{src}'>"
                    f"<figcaption>{e(name)} ({e(where)}): {e(label.replace('_', ' '))}"
                    "</figcaption></figure>"
                )
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------- starting policy


def draft_policy(pages: list[PageResult]) -> str:
    """A starting bandeau policy (TOML) from the cookies found: necessary ones under a
    strictly necessary purpose, the others under consent purposes by their classification.
    Every text and exemption in it is a first guess to review before `bandeau check`."""
    from urllib.parse import urlsplit

    found: dict[str, dict[str, dict[str, int | None]]] = {}
    for page in pages:
        for phase in _all_phases(page):
            for c in phase.recording.cookie_writes:
                v = page.evidence.cookie(c)
                purpose = {"consent": "necessary", "preferences": "necessary"}.get(
                    v.purpose, v.purpose
                )
                if purpose not in ("necessary", "analytics", "advertising"):
                    purpose = "advertising" if not v.exempt else "necessary"
                host = urlsplit(c.set_by).hostname or "site"
                days = None if c.lifetime_days is None else max(1, round(c.lifetime_days))
                found.setdefault(purpose, {}).setdefault(host, {})[c.name] = days
    first = urlsplit(pages[0].url) if pages else urlsplit("http://localhost/")
    origin = f"{first.scheme}://{first.netloc}"
    return _toml(origin, first.hostname or "site", found)


_TEXTS = {
    "necessary": ("strictly_necessary", "Strictly necessary", "What the site needs to work."),
    "analytics": ("consent", "Audience measurement", "Count and analyse visits."),
    "advertising": ("consent", "Advertising", "Show ads and measure them."),
}


def _toml(origin: str, host: str, found: dict[str, dict[str, dict[str, int | None]]]) -> str:
    site = "".join(ch if ch.isalnum() else "_" for ch in host).strip("_").lower() or "site"
    site = site if site[0].isalpha() else f"site_{site}"
    site = site[:32]
    lines = [
        "# Starting policy written by `bandeau scan --draft-policy` from what the scan found.",
        "# Review every purpose, text and exemption, then run `bandeau check` (docs/policy.md).",
        f'site = "{site}"',
        f'origins = ["{origin}"]',
        f'privacy_policy_url = "{origin}/privacy"',
        'languages = ["en"]',
        'default_language = "en"',
        "",
        "[controller]",
        f'name = "{host}"',
        f'contact = "privacy@{host}"',
    ]
    found.setdefault("necessary", {}).setdefault(host, {}).setdefault("bandeau", 183)
    if not (set(found) & {"analytics", "advertising"}):
        found["advertising"] = {}
    for purpose in ("necessary", "analytics", "advertising"):
        if purpose not in found:
            continue
        kind, name, short = _TEXTS[purpose]
        lines += ["", "[[purposes]]", f'key = "{purpose}"', f'kind = "{kind}"', ""]
        lines += ["[purposes.text.en]", f'name = "{name}"', f'short = "{short}"']
        lines.append(f'description = "{short} (found by bandeau scan: describe it for readers)"')
        if kind == "consent":
            lines.append('refusal = "These trackers are not placed."')
        for service_host, cookies in sorted(found[purpose].items()):
            lines += ["", "[[purposes.services]]", f'name = "{service_host}"']
            if service_host != host:
                lines.append(f'hosts = ["{service_host}"]')
            if kind == "strictly_necessary":
                lines.append(
                    'exemption = "consent_storage"'
                    if "bandeau" in cookies
                    else 'exemption = "auth"'
                )
                lines.append(
                    'justification = "Found by bandeau scan before any choice: justify it."'
                )
            entries = ", ".join(
                f'{{ name = "{n}", lifetime = {d if d is not None else 0} }}'
                for n, d in sorted(cookies.items())
            )
            lines.append(f"cookies = [{entries}]")
    return "\n".join(lines) + "\n"


def _effort_text(clicks: int | None, by: str | None, action: str) -> str:
    """`1 click(s)`, `by autoconsent:Klaro (clicks not counted)`, or `could not refuse`."""
    if by is None:
        return f"could not {action}"
    if clicks is None:
        return f"by {by} (clicks not counted)"
    return f"{clicks} click(s)"


def print_summary(pages: list[PageResult]) -> None:
    """One line per page, one per finding: what a person reads in a terminal or a CI log."""
    import click

    for page in pages:
        b = banner_json(page)
        banner = f"banner {b['cmp'] or 'found'}" if b["found"] else "no banner"
        click.echo(
            f"{page.url}: {banner}, refuse: "
            f"{_effort_text(b['refuse_clicks'], b['refused_by'], 'refuse')}, accept: "
            f"{_effort_text(b['accept_clicks'], b['accepted_by'], 'accept')}, "
            f"{len(page.findings)} finding(s)"
        )
        for phase in _all_phases(page):
            if phase.error:
                click.echo(f"  the {phase.name} phase ({phase.viewport}) failed: {phase.error}")
        for f in page.findings:
            where = f" [{', '.join(f.viewports)}]" if f.viewports else ""
            click.echo(f"  {f.severity:<6} {f.rule:<8} {f.title}{where}")


def severity_rank(severity: str) -> int:
    """1 for low, 2 for medium, 3 for high (as `worst` counts)."""
    return RANK[severity]
