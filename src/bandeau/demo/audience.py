"""The demo's first-party, exempt audience measurement (AM-01..05).

`/static/mesure.js`, gated on the exempt `audience` purpose, posts the page's path; the server
counts views per path and distinct visitors by a site-only random identifier. No IP address is
kept, the query string is dropped, and the identifier's cookie is set once, never extended.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from ..middleware import consent_view
from ..policy import Policy

__all__ = ["MEASURE_COOKIE", "Audience", "AudienceCounts"]

MEASURE_COOKIE: Final = "_lq_mesure"
DEFAULT_DAYS: Final = 395  # 13 months, when the policy does not say (AM-05)


@dataclass
class AudienceCounts:
    """Anonymous aggregate counts per path (AM-02): views, and distinct first-party ids."""

    views: dict[str, int] = field(default_factory=dict)
    visitors: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str, visitor: str) -> None:
        with self.lock:
            self.views[path] = self.views.get(path, 0) + 1
            self.visitors.setdefault(path, set()).add(visitor)

    def table(self) -> list[tuple[str, int, int]]:
        """(path, views, distinct visitors), most viewed first."""
        with self.lock:
            return sorted(
                ((p, n, len(self.visitors.get(p, ()))) for p, n in self.views.items()),
                key=lambda row: (-row[1], row[0]),
            )


class Audience:
    """The measurement's two endpoints: count a view, publish the counts."""

    def __init__(self, policy: Policy) -> None:
        self.counts = AudienceCounts()
        self.cookie_days = next(
            (
                c.lifetime
                for c in policy.purpose("audience").all_cookies()
                if c.matches(MEASURE_COOKIE) and c.lifetime
            ),
            DEFAULT_DAYS,
        )

    async def hit(self, request: Request) -> Response:
        """Count one page view: path only, a site-only id, no IP kept.

        The id cookie is set once with its declared lifetime and never re-set, so its expiry
        does not move on later visits (AM-05). A reader who objected sends nothing (the script
        is gated on the audience purpose); the middleware's reading is checked again here.
        """
        if not consent_view(request).allows("audience"):
            return Response(status_code=204)
        path = _posted_path(await request.body())
        if path is None:
            return Response(status_code=204)
        visitor = request.cookies.get(MEASURE_COOKIE, "")
        fresh = not (8 <= len(visitor) <= 64 and visitor.replace("-", "").isalnum())
        if fresh:
            visitor = secrets.token_hex(8)
        self.counts.count(path, visitor)
        response = Response(status_code=204, headers={"Cache-Control": "no-store"})
        if fresh:
            response.set_cookie(
                MEASURE_COOKIE,
                visitor,
                max_age=self.cookie_days * 86400,
                path="/",
                httponly=True,
                samesite="lax",
            )
        return response

    async def published(self, request: Request) -> Response:
        """The counts as JSON: {"pages": [{"path", "views", "visitors"}]}."""
        rows = [{"path": p, "views": v, "visitors": u} for p, v, u in self.counts.table()]
        return Response(
            json.dumps({"pages": rows}),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )


def _posted_path(body: bytes) -> str | None:
    """The site path in a posted `{"path": "/…"}`, without its query; None if there is none."""
    try:
        data = json.loads(body[:2048] or b"{}")
    except ValueError:
        return None
    path = data.get("path") if isinstance(data, dict) else None
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 200:
        return None
    return urlsplit(path).path
