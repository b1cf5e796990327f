"""The banner a site serves: `banner.js` with the site config inlined, and `banner.css`.

`render(config)` builds one site's bundle. The sources ship in this package and are read once.
Minification is deliberately simple and safe: the JavaScript loses comment lines (lines that
start with `//`), indentation and blank lines; the CSS loses comments and spaces around
punctuation. Nothing inside a statement is rewritten, so the code that runs is the code in
the repository. `build_hash()` identifies those sources: the ledger records it with each
decision as the "banner build", so a record says which banner code asked the question.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Bundle", "build_hash", "render", "render_settings"]

TOKEN = "__BANDEAU_CONFIG__"  # noqa: S105 (a placeholder, not a secret)
DETAILS_TOKEN = "__BANDEAU_DETAILS__"  # noqa: S105


@dataclass(frozen=True)
class Bundle:
    """One site's banner assets."""

    js: bytes
    """banner.js with the site config inlined"""
    css: bytes
    """banner.css, minified"""
    build: str
    """the banner build hash (`build_hash()`), the same for every site"""
    etag: str
    """strong ETag over both assets, quoted"""


@cache
def _read(name: str, token: str = "") -> str:
    text = (resources.files(__name__) / name).read_text(encoding="utf-8")
    if token and text.count(token) != 1:
        raise RuntimeError(f"{name} must contain the token {token} exactly once")
    return text


def _sources() -> tuple[str, str]:
    return _read("banner.js", TOKEN), _read("banner.css")


@cache
def build_hash() -> str:
    """Hex SHA-256 (first 16 digits) of the banner's sources (banner.js, banner.css,
    settings.js, settings.css), concatenated: the "banner build" a record names."""
    text = "".join(_read(n) for n in ("banner.js", "banner.css", "settings.js", "settings.css"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _minify_js(source: str) -> str:
    """Drop comment-only lines, blank lines and indentation; keep every line break."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_SPACE = re.compile(r"\s*([{};,>])\s*")


def _minify_css(source: str) -> str:
    """Drop comments, line breaks and the spaces around `{ } ; , >`."""
    css = " ".join(_CSS_COMMENT.sub("", source).split())
    css = _CSS_SPACE.sub(r"\1", css).replace(";}", "}")
    return css + "\n"


@cache
def _minified() -> tuple[str, bytes]:
    js, css = _sources()
    return _minify_js(js), _minify_css(css).encode("utf-8")


def _config_json(config: Mapping[str, object]) -> str:
    """`config` as a JSON literal that is safe to inline in a script, even inside HTML."""
    text = json.dumps(dict(config), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_settings(details: Mapping[str, object]) -> Bundle:
    """The second layer for one site and language: settings.js with the `details` (as
    `bandeau.banner.config.details_for` builds them) inlined, and settings.css."""
    js = (
        _minify_js(_read("settings.js", DETAILS_TOKEN))
        .replace(DETAILS_TOKEN, _config_json(details))
        .encode("utf-8")
    )
    css = _minify_css(_read("settings.css")).encode("utf-8")
    etag = '"' + hashlib.sha256(js + b"\0" + css).hexdigest()[:20] + '"'
    return Bundle(js=js, css=css, build=build_hash(), etag=etag)


def render(config: Mapping[str, object]) -> Bundle:
    """The bundle for one site: its `config` (as the server builds it) inlined in banner.js."""
    build = build_hash()
    js_source, css = _minified()
    js = js_source.replace(TOKEN, _config_json({**config, "build": build})).encode("utf-8")
    etag = '"' + hashlib.sha256(js + b"\0" + css).hexdigest()[:20] + '"'
    return Bundle(js=js, css=css, build=build, etag=etag)
