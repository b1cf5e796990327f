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
    paths = {r.path for r in app.routes if getattr(r, "include_in_schema", False)}  # type: ignore[attr-defined]
    for path in paths:
        assert path in DOCS, path


def test_every_error_code_documented() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for c in cls.__subclasses__() for s in subclasses(c))]

    import bandeau.ledger
    import bandeau.server  # noqa: F401  (they define HTTP-only error classes)

    http_codes = {c.code for c in subclasses(BandeauError) if 400 <= c.status < 500}
    http_codes -= {"invalid_policy", "invalid_settings", "invalid_token", "invalid_receipt"}
    http_codes -= {"bandeau_error"}
    for code in http_codes:
        assert f"`{code}`" in DOCS, code


def test_readme_has_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
