"""Server-side enforcement of the reader's choice, inside the publisher's own Python app.

`BandeauMiddleware` (ASGI) and `BandeauWSGIMiddleware` (WSGI) read the signed consent cookie
with the public key alone, expose the reader's consent to the app, drop `Set-Cookie` headers of
purposes the reader did not allow and expire such cookies the browser still sends (CNIL-03),
honour `Sec-GPC: 1` (GPC-01, GPC-03), and optionally gate refused third-party scripts and
iframes in HTML pages and insert the banner. Guide: docs/middleware.md.
"""

from __future__ import annotations

from .asgi import BandeauMiddleware
from .enforce import Enforcer, Reading
from .rewrite import HtmlRewriter
from .view import ConsentView, consent_view
from .wsgi import BandeauWSGIMiddleware

__all__ = [
    "BandeauMiddleware",
    "BandeauWSGIMiddleware",
    "ConsentView",
    "Enforcer",
    "HtmlRewriter",
    "Reading",
    "consent_view",
]
