"""Docs stay true: every setting, CLI command, endpoint and error code is documented (STYLE 11)."""

from __future__ import annotations

import re
from pathlib import Path

from bandeau.cli import cli
from bandeau.errors import BandeauError
from bandeau.settings import Settings

ROOT = Path(__file__).parents[1]
DOCS = "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
README = (ROOT / "README.md").read_text()


def test_every_setting_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name}`" in DOCS and f"BANDEAU_{name.upper()}" in DOCS, name


def test_every_command_documented() -> None:
    def walk(group: object, prefix: str) -> list[str]:
        out = []
        for name, cmd in getattr(group, "commands", {}).items():
            out.append(f"{prefix}{name}")
            out.extend(walk(cmd, f"{prefix}{name} "))
        return out

    for command in walk(cli, "bandeau "):
        assert f"`{command}" in DOCS, command


def test_every_endpoint_documented() -> None:
    from bandeau.keys import KeyRing
    from bandeau.server import create_app
    from bandeau.store import open_store

    app = create_app(Settings(), [], keys=KeyRing.generate(), store=open_store(":memory:"))
    # every route, those hidden from the OpenAPI schema included (the decision route, CORS
    # preflight): each method and path is in the API table
    for route in app.routes:
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method == "HEAD":
                continue
            path = getattr(route, "path", "")
            assert f"`{method} {path}" in DOCS, f"{method} {path}"


def test_every_error_code_documented() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for c in cls.__subclasses__() for s in subclasses(c))]

    import bandeau.decisions
    import bandeau.ledger  # noqa: F401  (they define errors of their own)
    from bandeau.server.edge import STATUS

    # every error code the server maps to a status, and every error class the API can raise
    codes = set(STATUS) | {c.code for c in subclasses(BandeauError)}
    codes -= {"invalid_policy", "invalid_settings", "invalid_token", "invalid_receipt"}
    codes -= {"bandeau_error"}
    for code in codes | {"method_not_allowed", "internal_error"}:
        assert f"`{code}`" in DOCS, code
    assert all(STATUS[c.code] for c in subclasses(BandeauError) if c.code in STATUS)


def test_readme_has_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
