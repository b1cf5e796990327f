"""Exempt audience measurement: the conditions under which it needs no consent, checked on the
policy, and the self-assessment a publisher keeps (AM-01…06, CNIL-06).

The CNIL exempts audience measurement from consent only when it serves the publisher alone
(AM-01), gives anonymous statistics (AM-02), is neither combined with other processing nor
passed on (AM-03), does not follow readers across sites (AM-04), and keeps its trackers at most
13 months and its data at most 25 (AM-05); since 2026 the publisher shows this by a
self-assessment of its actual configuration (AM-06). `Purpose` already refuses cookies over 13
months, cross-site cookies and GPC on such a purpose; `measurement_problems` adds what needs
the whole policy:

- a measurement service that loads from a platform on `NOT_EXEMPTABLE` (advertising or analytics
  platforms that use the data for their own ends or cannot be set up to meet the conditions), or
  sets one of their cookies (`NOT_EXEMPTABLE_COOKIES`);
- no `retention_months` (the data's retention must be stated, at most 25 months);
- a host, cookie, storage key or service shared with another purpose: the same data would then
  serve that purpose too (AM-03).

`self_assessment(policy)` is the AM-06 grid for `bandeau check --self-assessment`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .policy import Policy, Purpose, Service

__all__ = [
    "MAX_COOKIE_DAYS",
    "MAX_RETENTION_MONTHS",
    "NOT_EXEMPTABLE",
    "NOT_EXEMPTABLE_COOKIES",
    "measurement_problems",
    "self_assessment",
]

MAX_RETENTION_MONTHS: Final = 25
MAX_COOKIE_DAYS: Final = 395  # 13 months

# Domains (and their subdomains) of platforms that cannot carry exempt measurement.
NOT_EXEMPTABLE: Final[dict[str, str]] = {
    "google-analytics.com": "Google Analytics",
    "analytics.google.com": "Google Analytics",
    "googletagmanager.com": "Google Tag Manager / Google Analytics",
    "doubleclick.net": "Google advertising",
    "googlesyndication.com": "Google advertising",
    "googleadservices.com": "Google advertising",
    "facebook.com": "the Meta pixel",
    "facebook.net": "the Meta pixel",
    "instagram.com": "Meta",
    "clarity.ms": "Microsoft Clarity",
    "bat.bing.com": "Microsoft Advertising (UET)",
    "hotjar.com": "Hotjar (session recording)",
    "hotjar.io": "Hotjar (session recording)",
    "mc.yandex.ru": "Yandex Metrica",
    "mc.yandex.com": "Yandex Metrica",
    "analytics.tiktok.com": "the TikTok pixel",
    "snap.licdn.com": "the LinkedIn Insight Tag",
    "px.ads.linkedin.com": "the LinkedIn Insight Tag",
    "static.ads-twitter.com": "the X (Twitter) pixel",
    "ct.pinterest.com": "the Pinterest tag",
    "tr.snapchat.com": "the Snap pixel",
}
# Cookie names (or prefixes, ending in `*`) those platforms set.
NOT_EXEMPTABLE_COOKIES: Final[dict[str, str]] = {
    "_ga*": "Google Analytics",
    "_gid": "Google Analytics",
    "_gat*": "Google Analytics",
    "_gcl_*": "Google advertising",
    "_fbp": "the Meta pixel",
    "_fbc": "the Meta pixel",
    "_clck": "Microsoft Clarity",
    "_clsk": "Microsoft Clarity",
    "_hj*": "Hotjar (session recording)",
    "_ym_*": "Yandex Metrica",
}

Problem = tuple[tuple[str | int, ...], str]
_FIX: Final = (
    'use a tool you or a processor run for you alone, or make this purpose kind = "consent"'
)


def platform_of_host(host: str) -> str | None:
    """The platform `host` (`a.b.c`, `*.b.c`, `host:port`) belongs to, if it is listed."""
    name = host.removeprefix("*.").split(":")[0].lower()
    for domain, platform in NOT_EXEMPTABLE.items():
        if name == domain or name.endswith("." + domain):
            return platform
    return None


def platform_of_cookie(name: str) -> str | None:
    """The platform a cookie name (or pattern) of the list belongs to, if any: a declared
    pattern counts when it and a listed name or pattern can name the same cookie."""
    mine = name.rstrip("*")
    for listed, platform in NOT_EXEMPTABLE_COOKIES.items():
        theirs = listed.rstrip("*")
        if mine == theirs or (
            (listed.endswith("*") and mine.startswith(theirs))
            or (name.endswith("*") and theirs.startswith(mine))
        ):
            return platform
    return None


def measurement_problems(policy: Policy) -> list[Problem]:
    """What keeps each exempt audience measurement purpose of `policy` from the exemption:
    (where in the file, what is wrong and the fix)."""
    found: list[Problem] = []
    for i, purpose in enumerate(policy.purposes):
        if purpose.kind != "exempt_audience_measurement":
            continue
        at: tuple[str | int, ...] = ("purposes", i)
        if purpose.retention_months is None:
            found.append(
                (
                    (*at, "retention_months"),
                    "exempt audience measurement must say how long its data are kept, at most "
                    f"{MAX_RETENTION_MONTHS} months (AM-05): add retention_months = 25 or less",
                )
            )
        found += _platforms(purpose, at)
        found += _shared(policy, purpose, at)
    return found


def _platforms(purpose: Purpose, at: tuple[str | int, ...]) -> list[Problem]:
    found: list[Problem] = []
    for j, service in enumerate(purpose.services):
        for k, host in enumerate(service.hosts):
            platform = platform_of_host(host)
            if platform:
                found.append(
                    (
                        (*at, "services", j, "hosts", k),
                        f"{host!r} is {platform}, which cannot be exempt audience measurement: "
                        f"it uses the data for its own ends (AM-01, AM-03, CNIL-06): {_FIX}",
                    )
                )
        for k, cookie in enumerate(service.cookies):
            platform = platform_of_cookie(cookie.name)
            if platform:
                found.append(
                    (
                        (*at, "services", j, "cookies", k, "name"),
                        f"cookie {cookie.name!r} is set by {platform}, which cannot be exempt "
                        f"audience measurement (AM-01, AM-03, CNIL-06): {_FIX}",
                    )
                )
    return found


def _shared(policy: Policy, purpose: Purpose, at: tuple[str | int, ...]) -> list[Problem]:
    """A service, host, cookie or storage key the measurement shares with another purpose."""
    others: dict[str, str] = {}
    for other in policy.purposes:
        if other.key == purpose.key:
            continue
        for s in other.services:
            for mark in _marks(s):
                others.setdefault(mark, other.key)
    found: list[Problem] = []
    for j, s in enumerate(purpose.services):
        for mark in _marks(s):
            if mark in others:
                found.append(
                    (
                        (*at, "services", j),
                        f"{mark} also serves purpose {others[mark]!r}: exempt audience "
                        "measurement data must not be shared with other purposes (AM-03): give "
                        f"the measurement its own, or make purpose {purpose.key!r} a consent "
                        "purpose",
                    )
                )
    return found


def _marks(service: Service) -> list[str]:
    """What identifies a service's data: its name, hosts, cookies and storage keys."""
    marks = [f"service {service.name}", *(f"host {h}" for h in service.hosts)]
    marks += [f"cookie {c.name}" for c in service.cookies]
    return marks + [f"storage key {k}" for k in service.storage]


def self_assessment(policy: Policy, source: str) -> str:
    """The AM-06 self-assessment of `policy` (read from `source`): for each exempt audience
    measurement purpose, each condition with what the file shows, `met` when the file proves
    it, `attest` when only the publisher can (their tool's settings and contracts)."""
    lines = [
        f"Self-assessment of exempt audience measurement (AM-06), {source}, site {policy.site}, "
        f"policy version {policy.version}",
        f"Controller: {policy.controller.name}",
    ]
    measured = [p for p in policy.purposes if p.kind == "exempt_audience_measurement"]
    if not measured:
        lines.append("No exempt audience measurement: every measurement asks for consent.")
        return "\n".join(lines) + "\n"
    for purpose in measured:
        lines += ["", f"Purpose {purpose.key!r} ({purpose.text[policy.default_language].name})"]
        lines += [f"  [{status:<6}] {item}" for status, item in _grid(policy, purpose)]
    lines += [
        "",
        "met: the policy file shows it, and bandeau enforces it (the policy would not load "
        "otherwise).",
        "attest: only you can show it: keep the evidence (tool settings, contracts) with this "
        "grid and review it at least once a year.",
    ]
    return "\n".join(lines) + "\n"


def _grid(policy: Policy, purpose: Purpose) -> list[tuple[str, str]]:
    hosts = [h for s in purpose.services for h in s.hosts]
    cookies = purpose.all_cookies()
    longest = max((c.lifetime or 0 for c in cookies), default=0)
    where = ", ".join(hosts) if hosts else "no outside host: served by the site itself"
    services = ", ".join(
        f"{s.name} ({s.provider or 'provider not named'})" for s in purpose.services
    )
    return [
        ("met", f"AM-01 purpose limited to audience measurement: kind {purpose.kind}; "
                f"services: {services or 'none declared'}"),
        ("attest", "AM-01 the results serve the publisher alone (no use by the provider for "
                   "itself; processor contract)"),
        ("attest", "AM-02 only anonymous aggregate statistics are produced"),
        ("met", f"AM-03 no advertising or analytics platform of bandeau's list; hosts: {where}"),
        ("met", "AM-03 no host, cookie, storage key or service shared with another purpose"),
        ("attest", "AM-03 data neither combined with other processing (CRM, subscribers, ads) "
                   "nor passed on"),
        ("met", f"AM-04 no cookie shared across sites ({len(cookies)} cookie(s) declared)"),
        ("attest", "AM-04 the identifier is specific to this site (no cross-site reach)"),
        ("met", f"AM-05 cookie lifetime at most 13 months: longest declared {longest} days"),
        ("attest", "AM-05 the cookie's expiry is counted from its first placement and never "
                   "extended by later visits"),
        ("met", f"AM-05 data kept at most {MAX_RETENTION_MONTHS} months: "
                f"retention_months = {purpose.retention_months}"),
        ("met", "readers can object: the purpose has its own switch in the preferences, and "
                "Global Privacy Control does not apply to it"),
        ("attest", "readers are told in the privacy policy (bandeau's generated page states the "
                   "terms when you use it)"),
    ]
