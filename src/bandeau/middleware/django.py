"""Django templates: `{% if bandeau.social %}`, `{% if bandeau.features.comments %}`.

Add `"bandeau.middleware.django.consent"` to `TEMPLATES[0]["OPTIONS"]["context_processors"]`
and wrap the project's WSGI or ASGI application in the bandeau middleware (docs/integrations/
django.md). Django itself is not imported here.
"""

from __future__ import annotations

from typing import Any

from .view import ConsentView, consent_view

__all__ = ["consent"]


def consent(request: Any) -> dict[str, ConsentView]:
    """Context processor: `bandeau` is the reader's consent (a `ConsentView`)."""
    return {"bandeau": consent_view(request)}
