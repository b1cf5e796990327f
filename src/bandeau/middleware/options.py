"""The middleware's options, declared and checked once, and the per-response choice of rewriting
a page.

Shared by the ASGI and WSGI adapters, so both take the same options (`MiddlewareOptions`) and
behave the same way for them.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, TypedDict, Unpack

from ..banner.config import asset_version
from ..consent import holds
from ..errors import SettingsError
from ..keys import KeyRing, PublicKey
from ..policy import Policy
from .enforce import Enforcer, Reading
from .rewrite import (
    Gate,
    Holds,
    HostRules,
    HtmlRewriter,
    banner_snippet,
    csp_nonce,
    tcf_snippet,
)

__all__ = ["NOTABLE_HEADER_LENGTHS", "MiddlewareOptions", "Options"]

_NO_BODY_STATUS = frozenset({204, 205, 304})
_HTML = frozenset({"text/html", "application/xhtml+xml"})
PLAN_CACHE: Final = 64  # rewriting plans remembered, one per set of allowed purposes
NONCE_CACHE: Final = 64  # rewriters kept per plan, one per CSP nonce
TYPE_CACHE: Final = 256  # Content-Type values remembered as rewritable or not
NOTABLE_HEADER_LENGTHS: Final = frozenset(
    len(name)
    for name in (
        "set-cookie",
        "content-type",
        "content-length",
        "content-encoding",
        "content-security-policy",
    )
)
"""Lengths of the response headers the middleware reads: one of another length is passed on
without being lowercased."""


@dataclass(frozen=True)
class _Plan:
    """How pages are rewritten for readers who allowed the same purposes: the gate of hosts
    (None: no host refused), the test of inline `data-bandeau` marks (None: none gated), the
    gated tags already rewritten for them, and a rewriter never fed per CSP nonce, each page's
    own rewriter starting as a copy of it (`HtmlRewriter.fresh`)."""

    gate: Gate | None
    holds: Holds | None
    tags: dict[bytes, bytes]
    rewriters: dict[str, HtmlRewriter] = field(default_factory=dict)


class _RequiredOptions(TypedDict):
    policy: Policy
    public_keys: PublicKey | Mapping[str, PublicKey]


class MiddlewareOptions(_RequiredOptions, total=False):
    """The keyword options of `BandeauMiddleware` and `BandeauWSGIMiddleware`, in one place.

    `policy` and `public_keys` are required; `Options` gives the others their defaults (the
    table in docs/middleware.md).
    """

    strict: bool
    rewrite_html: bool
    insert_banner: bool
    banner_url: str
    refresh_cookie: bool
    signing_keys: KeyRing | None
    secure: bool | None
    max_buffer: int
    clock: Callable[[], float]


OPTION_NAMES: Final = MiddlewareOptions.__required_keys__ | MiddlewareOptions.__optional_keys__


class Options:
    """Everything `BandeauMiddleware` and `BandeauWSGIMiddleware` take, validated."""

    def __init__(self, **options: Unpack[MiddlewareOptions]) -> None:
        _check_names(options)
        policy = options["policy"]
        insert_banner = options.get("insert_banner", False)
        banner_url = options.get("banner_url", "")
        max_buffer = options.get("max_buffer", 1 << 20)
        clock = options.get("clock", time.time)
        self.enforcer = Enforcer(
            policy,
            options["public_keys"],
            strict=options.get("strict", False),
            refresh_cookie=options.get("refresh_cookie", False),
            signing_keys=options.get("signing_keys"),
            secure=options.get("secure"),
        )
        if insert_banner and not banner_url.startswith(("https://", "http://", "/")):
            raise SettingsError(
                "insert_banner needs banner_url, the URL of the site under the bandeau server",
                hint=f'e.g. banner_url="https://consent.example.fr/v1/sites/{policy.site}"',
            )
        if max_buffer < 0:
            raise SettingsError("max_buffer cannot be negative", hint="e.g. 1048576 (1 MiB)")
        if not callable(clock):
            raise SettingsError("clock must be a function returning unix seconds")
        self.policy = policy
        # the TCF mode (docs/tcf.md): its cookie, read into TcfSignals, and its script
        self.tcf_cookie = policy.cookie_name + "_tc" if policy.tcf else ""
        self.gdpr = policy.tcf.gdpr_applies if policy.tcf else False
        self.rewrite_html = rewrite_html = options.get("rewrite_html", False)
        self.insert_banner = insert_banner
        self.banner_url = banner_url
        self.max_buffer = max_buffer
        self.clock = clock
        self.hosts = HostRules(
            (host, p.key)
            for p in policy.purposes
            if p.kind != "strictly_necessary"
            for s in p.services
            for host in s.hosts
        )
        self._hosted = frozenset(
            p.key
            for p in policy.purposes
            if p.kind != "strictly_necessary" and any(s.hosts for s in p.services)
        )
        # what a reader may refuse: while one is refused, inline `data-bandeau` scripts are gated
        self._refusable = frozenset(
            p.key for p in policy.purposes if p.kind != "strictly_necessary"
        )
        self.rewriting = insert_banner or rewrite_html
        self._plans: dict[frozenset[str], _Plan | None] = {}
        self._types: dict[str, bool] = {}
        self._version = asset_version(policy)

    def page(
        self,
        reading: Reading,
        *,
        status: int,
        content_type: str,
        content_encoding: str,
        csp: str,
    ) -> HtmlRewriter | None:
        """A rewriter for this response, or None when it is left as it is: not HTML, compressed
        (passed through untouched), in UTF-16/32, without a body, or nothing to change."""
        if not self.rewriting or status < 200 or status in _NO_BODY_STATUS:
            return None
        html = self._types.get(content_type)
        if html is None:
            html = _rewritable(content_type)
            if len(self._types) >= TYPE_CACHE:
                self._types.clear()
            self._types[content_type] = html
        if not html:
            return None
        if content_encoding and content_encoding.strip().lower() not in ("", "identity"):
            return None
        allowed = reading.allowed
        plan = self._plans.get(allowed)
        if plan is None:
            if allowed in self._plans:
                return None
            plan = self._plan(allowed)
            if len(self._plans) >= PLAN_CACHE:
                self._plans.clear()
            self._plans[allowed] = plan
            if plan is None:
                return None
        nonce = csp_nonce(csp) if csp and self.insert_banner else ""
        rewriter = plan.rewriters.get(nonce)
        if rewriter is None:
            rewriter = self._rewriter(plan, nonce)
            if len(plan.rewriters) >= NONCE_CACHE:
                plan.rewriters.clear()
            plan.rewriters[nonce] = rewriter
        return rewriter.fresh()

    def _rewriter(self, plan: _Plan, nonce: str) -> HtmlRewriter:
        """The rewriter a page of `plan` starts as, with the banner's snippet for `nonce`."""
        head = body = early = b""
        if self.insert_banner:
            head, body = banner_snippet(self.banner_url, self._version, nonce)
            if self.policy.tcf or self.policy.consent_mode:
                early = tcf_snippet(self.banner_url, nonce)
        return HtmlRewriter(
            plan.gate, holds=plan.holds, head=head, body=body, early=early, tags=plan.tags
        )

    def _plan(self, allowed: frozenset[str]) -> _Plan | None:
        """The plan for readers who allowed `allowed`; None when their pages are left alone."""
        gating = self.rewrite_html and not self._hosted <= allowed
        inline = self.rewrite_html and not self._refusable <= allowed
        if not gating and not inline and not self.insert_banner:
            return None
        hosts = self.hosts

        def gate(url: str) -> str:
            purposes = hosts.purposes(url)
            if not purposes or all(p in allowed for p in purposes):
                return ""
            return " ".join(purposes)

        def marked(expression: str) -> bool:
            return holds(expression, allowed)

        return _Plan(gate if gating else None, marked if inline else None, {})


def _rewritable(content_type: str) -> bool:
    """Whether a `Content-Type` is HTML in an encoding the rewriter reads (not UTF-16/32)."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() not in _HTML:
        return False
    return "utf-16" not in params.lower() and "utf-32" not in params.lower()


def _check_names(options: Mapping[str, object]) -> None:
    """Unknown and missing options are settings errors with a hint, as wrong values are."""
    for name in sorted(set(options) - OPTION_NAMES):
        close = difflib.get_close_matches(name, OPTION_NAMES, n=1)
        raise SettingsError(
            f"the middleware has no option {name!r}",
            hint=f"did you mean {close[0]!r}?"
            if close
            else f"the options are {', '.join(sorted(OPTION_NAMES))} (docs/middleware.md)",
        )
    for name in ("policy", "public_keys"):
        if name not in options:
            raise SettingsError(
                f"the middleware needs {name}",
                hint="e.g. BandeauMiddleware(app, policy=load_policy(PATH), "
                "public_keys=PublicKey.from_text(PEM))",
            )
