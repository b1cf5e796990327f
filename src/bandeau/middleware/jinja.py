"""Jinja2 templates: a `bandeau` global. `{% if bandeau("social") %}` is whether a purpose is
allowed; `bandeau()` is the whole `ConsentView` (`bandeau().features.comments`, `.gpc`).

It reads the `request` of the template's context: Flask puts it there, Starlette's
`Jinja2Templates` requires it. `install(env)` adds the global (docs/integrations/flask.md).
"""

from __future__ import annotations

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from .view import ConsentView, consent_view

__all__ = ["bandeau", "install"]


@pass_context
def bandeau(context: Context, purpose: str | None = None) -> ConsentView | bool:
    view = consent_view(context.get("request"))
    return view if purpose is None else view.allows(purpose)


def install(env: Environment, name: str = "bandeau") -> Environment:
    """Add the `bandeau` global to a Jinja2 environment (Flask: `app.jinja_env`; Starlette:
    `templates.env`)."""
    env.globals[name] = bandeau
    return env
