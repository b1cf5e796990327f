"""The bandeau HTTP server: each site's banner assets, decisions, and proof of consent.

`create_app` (in `app`) assembles the routes; each group of routes lives in its own module and
reads what it needs from the application state (`context`). Input is validated against the
site's policy; every error, 4xx or 5xx, leaves as one JSON shape (`edge`).
"""

from __future__ import annotations

from .app import app_from_settings, create_app
from .context import API, Context, Site

__all__ = ["API", "Context", "Site", "app_from_settings", "create_app"]
