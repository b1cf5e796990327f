"""What the evidence of the three phases breaks, each finding citing its requirement id
(../shared/spec/standards.md, summarised in docs/scanner.md):

- CNIL-02 (high): a non-exempt cookie, storage key or tracker request before any choice;
- LAW-01 (high): trackers on the page and no consent banner at all;
- CNIL-03 (high): a non-exempt write or tracker request after refusal (after the click, on
  reload or on the next page), or a non-exempt cookie still held after refusal;
- CNIL-01 (high): no refusal reachable, or refusing takes more clicks than accepting;
- EDPB-A (high): the first layer has an accept control and no refuse control;
- CNIL-07: the banner asks again right after a refusal (medium); a CMP consent record asked
  to live over 13 months (low);
- AM-05 (medium): a cookie asked to live over 13 months (`Set-Cookie` header or script);
- CNIL-06 (high): the site's policy declares as necessary a cookie the database or our
  classifier knows as analytics or advertising;
- EDPB-G (medium): a cookie the site's bandeau policy does not declare;
- EDPB-B (high), EDPB-C (high, medium), EDPB-D/E (high, medium), EDPB-H (medium): dark
  patterns a browser sees (pre-ticked switches, a refusal dressed as a link, unreadable or
  outshone, no way back to one's choices after refusal), measured in `design`.

A finding about an item whose purpose is `unknown` is one level lower (not exempt, but not
known to be a tracker either).

A page scanned on several viewports (desktop, mobile) is judged on each viewport's phases
alone; a finding seen on several names each of them (`viewports`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import design
from .classify import Classifier, Verdict, by_features, lifetime_bucket
from .instrument import CookieWrite, RequestSeen, StorageWrite, host_of
from .visit import PhaseResult

THIRTEEN_MONTHS = 395  # days
LOWER = {"high": "medium", "medium": "low", "low": "low"}
RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass
class Finding:
    rule: str
    severity: str
    title: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    viewports: list[str] = field(default_factory=list)
    """the viewports it was seen on (`desktop`, `mobile`)"""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "viewports": self.viewports,
        }


def site_host(url: str) -> str:
    return host_of(url)


def same_site(host: str, site: str) -> bool:
    """Whether two hosts are the same site: equal, or one under the other's registrable part
    (the last two labels; IP addresses and single labels must be equal)."""
    if host == site:
        return True
    if _is_ip(host) or _is_ip(site) or "." not in host or "." not in site:
        return False
    return host.split(".")[-2:] == site.split(".")[-2:]


def _is_ip(host: str) -> bool:
    return host.replace(".", "").isdigit() or ":" in host


@dataclass
class Evidence:
    """The page's items, classified once for every rule."""

    site: str
    classifier: Classifier
    trackers: set[str] = field(default_factory=set)

    def cookie(self, w: CookieWrite) -> Verdict:
        third = not same_site(host_of(w.set_by), self.site) or not same_site(w.domain, self.site)
        return self.classifier.cookie(
            w.name,
            third_party=third,
            lifetime_days=w.lifetime_days,
            value=w.value_sample,
            domain=w.domain,
            lifetime=lifetime_bucket(w.lifetime_days),
        )

    def storage(self, w: StorageWrite) -> Verdict:
        return self.classifier.cookie(w.key, storage=True)

    def tracker_hosts(self, phases: list[PhaseResult]) -> set[str]:
        """Third-party hosts that track: they set a non-exempt cookie (header), their script
        wrote a non-exempt cookie or key, or the cookie database knows them as trackers."""
        hosts: set[str] = set()
        for phase in phases:
            rec = phase.recording
            for c in rec.cookie_writes:
                h = host_of(c.set_by)
                if not same_site(h, self.site) and not self.cookie(c).exempt:
                    hosts.add(h)
            for s in rec.storage_writes:
                h = host_of(s.set_by)
                if not same_site(h, self.site) and not self.storage(s).exempt:
                    hosts.add(h)
            for r in rec.requests:
                h = host_of(r.url)
                if not same_site(h, self.site) and self.classifier.host(h) in (
                    "analytics",
                    "advertising",
                ):
                    hosts.add(h)
        self.trackers = hosts
        return hosts


def cookie_evidence(phase: str, w: CookieWrite, v: Verdict) -> dict[str, Any]:
    return {
        "kind": "cookie",
        "phase": phase,
        "stage": w.stage,
        "name": w.name,
        "domain": w.domain,
        "via": w.via,
        "set_by": w.set_by,
        "lifetime_days": None if w.lifetime_days is None else round(w.lifetime_days, 1),
        "raw": w.raw,
        **v.to_json(),
    }


def storage_evidence(phase: str, w: StorageWrite, v: Verdict) -> dict[str, Any]:
    return {
        "kind": "storage",
        "phase": phase,
        "stage": w.stage,
        "origin": w.origin,
        "area": w.area,
        "key": w.key,
        "set_by": w.set_by,
        **v.to_json(),
    }


def request_evidence(phase: str, r: RequestSeen) -> dict[str, Any]:
    return {
        "kind": "request",
        "phase": phase,
        "stage": r.stage,
        "url": r.url,
        "type": r.type,
        "frame": r.frame,
        "initiator": r.initiator,
    }


def _severity(base: str, v: Verdict | None) -> str:
    return LOWER[base] if v is not None and v.purpose == "unknown" else base


def banner_seen(phases: dict[str, PhaseResult]) -> bool:
    """A banner on screen in some phase, for our detector or bandeau's API, or a CMP's popup
    open for autoconsent (before any choice, or when it answered)."""
    before = phases.get("before")
    popups = before is not None and before.autoconsent is not None and before.autoconsent.popups
    return any(p.banner_found for p in phases.values()) or bool(popups)


def evaluate_views(
    views: dict[str, dict[str, PhaseResult]], ev: Evidence, declared: bool = False
) -> list[Finding]:
    """Every finding of one page, each viewport judged on its own phases (a host that tracks
    on one viewport is a tracker on all), then one finding per rule and title naming every
    viewport it was seen on. Screenshot and control evidence names its viewport."""
    ev.tracker_hosts([p for phases in views.values() for p in phases.values()])
    found: list[Finding] = []
    for viewport, phases in views.items():
        for f in evaluate(phases, ev, declared, trackers_known=True):
            f.viewports = [viewport]
            f.evidence = [
                {**e, "viewport": viewport}
                if e.get("kind") in ("screenshot", "control", "banner")
                else e
                for e in f.evidence
            ]
            found.append(f)
    return _merge(found)


def evaluate(
    phases: dict[str, PhaseResult],
    ev: Evidence,
    declared: bool = False,
    trackers_known: bool = False,
) -> list[Finding]:
    """Every finding of one page, from its phases (on one viewport). `trackers_known`: the
    evidence's tracker hosts are already computed (over every viewport)."""
    if not trackers_known:
        ev.tracker_hosts(list(phases.values()))
    found: list[Finding] = []
    before, refuse = phases.get("before"), phases.get("refuse")
    if before is not None:
        found += _writes(before, ev, "CNIL-02", "before any choice", lambda stage: True)
        if not banner_seen(phases) and ev.trackers:
            found.append(
                Finding(
                    "LAW-01",
                    "high",
                    "trackers on the page, and no consent banner asks the reader",
                    [{"kind": "screenshot", "phase": "before", "label": "arrival"}]
                    + [{"kind": "host", "host": h} for h in sorted(ev.trackers)],
                )
            )
    for refused in (refuse, phases.get("necessary")):
        if refused is None or refused.choice is None or not refused.choice.done:
            continue
        what = "after refusal" if refused is refuse else "after necessary only"
        found += _writes(refused, ev, "CNIL-03", what, _after_choice)
        found += _kept(refused, ev)
    refused_once = refuse is not None and refuse.choice is not None and refuse.choice.done
    if refused_once and refuse is not None and refuse.banner_after_reload:
        found.append(
            Finding(
                "CNIL-07",
                "medium",
                "the banner asks again on the next page view after a refusal",
                [{"kind": "screenshot", "phase": "refuse", "label": "after_choice"}],
            )
        )
    found += _effort(phases)
    found += _dark_patterns(phases)
    found += _lifetimes(phases, ev)
    if declared:
        found += _declarations(phases, ev)
    return _merge(found)


def _writes(phase: PhaseResult, ev: Evidence, rule: str, when: str, stage_ok: Any) -> list[Finding]:
    out: list[Finding] = []
    rec = phase.recording
    for c in rec.cookie_writes:
        v = ev.cookie(c)
        if stage_ok(c.stage) and not v.exempt:
            out.append(
                Finding(
                    rule,
                    _severity("high", v),
                    f"cookie {c.name} ({v.purpose}) written {when}",
                    [cookie_evidence(phase.name, c, v)],
                )
            )
    for s in rec.storage_writes:
        v = ev.storage(s)
        if stage_ok(s.stage) and not v.exempt:
            out.append(
                Finding(
                    rule,
                    _severity("high", v),
                    f"storage key {s.key} ({v.purpose}) written {when}",
                    [storage_evidence(phase.name, s, v)],
                )
            )
    for r in rec.requests:
        h = host_of(r.url)
        if stage_ok(r.stage) and h in ev.trackers:
            out.append(
                Finding(
                    rule,
                    "high",
                    f"request to tracker {h} {when}",
                    [request_evidence(phase.name, r)],
                )
            )
    return out


def _after_choice(stage: str) -> bool:
    return stage in ("choice", "reload", "next_page")


def _kept(refuse: PhaseResult, ev: Evidence) -> list[Finding]:
    """Non-exempt cookies still held on the last page view after refusal (placed before it)."""
    snaps = refuse.recording.snapshots
    if not snaps:
        return []
    out = []
    # classified as its write was (lifetime, value, domain), so one cookie gets one purpose
    writes = {(w.name, w.domain): w for w in refuse.recording.cookie_writes}
    for c in snaps[-1].cookies:
        write = writes.get((c["name"], c["domain"]))
        third = not same_site(c["domain"], ev.site)
        v = (
            ev.cookie(write)
            if write is not None
            else ev.classifier.cookie(c["name"], third_party=third, domain=c["domain"])
        )
        if not v.exempt:
            out.append(
                Finding(
                    "CNIL-03",
                    _severity("high", v),
                    f"cookie {c['name']} ({v.purpose}) still held after refusal",
                    [{"kind": "cookie", "phase": "refuse", "stage": snaps[-1].stage, **c}],
                )
            )
    return out


def _effort(phases: dict[str, PhaseResult]) -> list[Finding]:
    refuse, accept = phases.get("refuse"), phases.get("accept")
    if refuse is None or not refuse.banner_found or refuse.choice is None:
        return []
    out = []
    shot = {"kind": "screenshot", "phase": "refuse", "label": "arrival"}
    r, a = refuse.choice, accept.choice if accept else None
    roles = set(r.first_layer_roles)
    if "accept" in roles and "refuse" not in roles:
        out.append(Finding("EDPB-A", "high", "the first layer can accept but not refuse", [shot]))
    if not r.done or (r.by_autoconsent and roles):
        # our detector saw the banner's controls and could not refuse by them (none was a
        # refusal, or using it left the banner up): that autoconsent's rule refused through
        # the CMP's own code gives the reader no way (the note says what our path met)
        what = "did not work" if not r.done else f"worked only through {r.by}"
        out.append(Finding("CNIL-01", "high", f"refusing {what}: {r.note}", [shot, r.to_json()]))
    elif a is not None and r.measured_clicks and a.measured_clicks and r.clicks > a.clicks:
        out.append(
            Finding(
                "CNIL-01",
                "high",
                f"refusing takes {r.clicks} clicks, accepting {a.clicks}",
                [shot, r.to_json(), a.to_json()],
            )
        )
    return out


def _dark_patterns(phases: dict[str, PhaseResult]) -> list[Finding]:
    """EDPB-C and EDPB-D/E on the first layer as measured in `refuse`; EDPB-B on any settings
    layer opened (refusal through it, or necessary only); EDPB-H after a refusal that took."""
    issues: list[design.Issue] = []
    refuse = phases.get("refuse")
    if refuse is not None and refuse.first_layer is not None:
        looks = [design.Look.from_measure(m) for m in refuse.first_layer]
        shot = {"kind": "screenshot", "phase": "refuse", "label": "arrival"}
        issues += design.first_layer_issues(looks, refuse.outside_refusals, shot, refuse.banner_box)
    for name in ("refuse", "necessary"):
        phase = phases.get(name)
        if phase is not None and phase.choice is not None and phase.choice.switches:
            label = "settings" if "settings" in phase.screenshots else "arrival"
            shot = {"kind": "screenshot", "phase": name, "label": label}
            issues += design.preticked_issues(phase.choice.switches, shot)
        if phase is not None and phase.choice is not None and phase.choice.vendor_switches:
            label = "vendors" if "vendors" in phase.screenshots else "arrival"
            shot = {"kind": "screenshot", "phase": name, "label": label}
            issues += design.preticked_issues(phase.choice.vendor_switches, shot, "the vendor list")
    refused = refuse is not None and refuse.choice is not None and refuse.choice.done
    if refused and refuse is not None and not refuse.banner_after_reload and refuse.persistent:
        shot = {"kind": "screenshot", "phase": "refuse", "label": "after_choice"}
        issues += design.withdrawal_issues(refuse.persistent, shot)
    return [Finding(i.rule, i.severity, i.title, i.evidence) for i in issues]


def _lifetimes(phases: dict[str, PhaseResult], ev: Evidence) -> list[Finding]:
    out = []
    seen: set[tuple[str, str]] = set()
    for phase in phases.values():
        for c in phase.recording.cookie_writes:
            if c.lifetime_days is None or c.lifetime_days <= THIRTEEN_MONTHS:
                continue
            if (c.name, c.domain) in seen:
                continue
            seen.add((c.name, c.domain))
            v = ev.cookie(c)
            if v.purpose == "consent":
                rule, sev, what = "CNIL-07", "low", "consent record"
            elif v.purpose == "necessary":
                continue
            else:
                rule, sev, what = "AM-05", "medium", "cookie"
            out.append(
                Finding(
                    rule,
                    sev,
                    f"{what} {c.name} asks to live {round(c.lifetime_days)} days (over 13 months)",
                    [cookie_evidence(phase.name, c, v)],
                )
            )
    return out


def _declarations(phases: dict[str, PhaseResult], ev: Evidence) -> list[Finding]:
    """For a bandeau site: cookies it does not declare (EDPB-G), and cookies it declares as
    necessary that look like trackers (CNIL-06)."""
    out = []
    seen: set[str] = set()
    policy = ev.classifier.policy
    if policy is None:
        return []
    for phase in phases.values():
        for c in phase.recording.cookie_writes:
            if c.name in seen:
                continue
            seen.add(c.name)
            v = policy.verdict(c.name)
            if v is None:
                out.append(
                    Finding(
                        "EDPB-G",
                        "medium",
                        f"cookie {c.name} is not declared in the site's policy",
                        [cookie_evidence(phase.name, c, ev.cookie(c))],
                    )
                )
            elif v.purpose == "necessary":
                other = Classifier(None, ev.classifier.db).cookie(c.name)
                guess = other.purpose if other.source != "unknown" else by_features(c.name)
                if guess in ("analytics", "advertising"):
                    out.append(
                        Finding(
                            "CNIL-06",
                            "high",
                            f"cookie {c.name} is declared necessary but looks like {guess}",
                            [cookie_evidence(phase.name, c, v)],
                        )
                    )
    return out


def _merge(found: list[Finding]) -> list[Finding]:
    """One finding per rule and title, its evidence gathered (at most 5 items) and its
    viewports."""
    merged: dict[tuple[str, str], Finding] = {}
    for f in found:
        key = (f.rule, f.title)
        if key in merged:
            kept = merged[key]
            kept.evidence.extend(e for e in f.evidence if e not in kept.evidence)
            kept.evidence = kept.evidence[:5]
            kept.viewports += [v for v in f.viewports if v not in kept.viewports]
            if RANK[f.severity] > RANK[kept.severity]:
                kept.severity = f.severity
        else:
            merged[key] = f
    return sorted(merged.values(), key=lambda f: (-RANK[f.severity], f.rule, f.title))
