"""The middleware's options, checked once, and the per-response choice of rewriting a page.

Shared by the ASGI and WSGI adapters, so both behave the same way for the same options.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..banner.config import asset_version
from ..errors import SettingsError
from ..keys import KeyRing, PublicKey
from ..policy import Policy
from .enforce import Enforcer, Reading
from .rewrite import HostRules, HtmlRewriter, banner_snippet, csp_nonce

__all__ = ["Options", "Page"]

_NO_BODY_STATUS = frozenset({204, 205, 304})


@dataclass
class Page:
    """An HTML response being rewritten."""

    rewriter: HtmlRewriter


class Options:
    """Everything `BandeauMiddleware` and `BandeauWSGIMiddleware` take, validated."""

    def __init__(
        self,
        policy: Policy,
        public_keys: PublicKey | Mapping[str, PublicKey],
        *,
        strict: bool = False,
        rewrite_html: bool = False,
        insert_banner: bool = False,
        banner_url: str = "",
        refresh_cookie: bool = False,
        signing_keys: KeyRing | None = None,
        secure: bool | None = None,
        max_buffer: int = 1 << 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.enforcer = Enforcer(
            policy,
            public_keys,
            strict=strict,
            refresh_cookie=refresh_cookie,
            signing_keys=signing_keys,
            secure=secure,
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
        self.rewrite_html = rewrite_html
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
        self.rewriting = insert_banner or (rewrite_html and bool(self.hosts))
        self._snippet = functools.lru_cache(maxsize=64)(
            functools.partial(banner_snippet, banner_url, asset_version(policy))
        )

    def page(
        self,
        reading: Reading,
        *,
        status: int,
        content_type: str,
        content_encoding: str,
        csp: str,
    ) -> Page | None:
        """A rewriter for this response, or None when it is left as it is: not HTML, compressed
        (passed through untouched), in UTF-16/32, without a body, or nothing to change."""
        if not self.rewriting or status < 200 or status in _NO_BODY_STATUS:
            return None
        media, _, params = content_type.partition(";")
        if media.strip().lower() not in ("text/html", "application/xhtml+xml"):
            return None
        if "utf-16" in params.lower() or "utf-32" in params.lower():
            return None
        if content_encoding.strip().lower() not in ("", "identity"):
            return None
        allowed = reading.allowed
        gating = self.rewrite_html and not self._hosted <= allowed
        if not gating and not self.insert_banner:
            return None
        head = body = b""
        if self.insert_banner:
            head, body = self._snippet(csp_nonce(csp) if csp else "")
        hosts = self.hosts

        def gate(url: str) -> str:
            if not gating:
                return ""
            purposes = hosts.purposes(url)
            if not purposes or all(p in allowed for p in purposes):
                return ""
            return " ".join(purposes)

        return Page(HtmlRewriter(gate, head=head, body=body))
