"""The wheel ships every file the package reads, and pyproject names no folder that is gone."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "bandeau"


def test_package_data_covers_every_data_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["bandeau"]
    shipped: set[Path] = set()
    for pattern in globs:
        matched = {p for p in PACKAGE.glob(pattern) if p.is_file()}
        assert matched, f"package data {pattern!r} matches no file"
        shipped |= matched
    data = {
        p
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert data - shipped == set(), "files the package reads but the wheel would not ship"
