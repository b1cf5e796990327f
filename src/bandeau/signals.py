"""Signals a browser sends about its reader: Global Privacy Control, and a coarse UA class."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Final

__all__ = ["gpc_from_headers", "ua_class"]


def gpc_from_headers(values: Iterable[str]) -> bool:
    """GPC-01: `Sec-GPC: 1` is the only value with meaning; among duplicates one `1` suffices."""
    return any(v.strip() == "1" for v in values)


_BROWSERS: Final = (
    ("edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("opera", re.compile(r"OPR/|Opera")),
    ("samsung", re.compile(r"SamsungBrowser/")),
    ("firefox", re.compile(r"Firefox/|FxiOS/")),
    ("chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("safari", re.compile(r"Safari/")),
)
_SYSTEMS: Final = (
    ("android", re.compile(r"Android")),
    ("ios", re.compile(r"iPhone|iPad|iPod")),
    ("windows", re.compile(r"Windows")),
    ("macos", re.compile(r"Mac OS X|Macintosh")),
    ("linux", re.compile(r"Linux|X11")),
)


def ua_class(user_agent: str) -> str:
    """A coarse `browser/system` class, e.g. `firefox/windows`: enough to troubleshoot, too
    coarse to fingerprint (no versions)."""
    return _ua_class(user_agent[:512])


@functools.lru_cache(maxsize=1024)
def _ua_class(ua: str) -> str:
    """`ua_class` of a User-Agent cut to 512 characters; the same few strings come again and
    again, so each is matched once (eleven regular expressions at worst)."""
    browser = next((name for name, rx in _BROWSERS if rx.search(ua)), "other")
    system = next((name for name, rx in _SYSTEMS if rx.search(ua)), "other")
    if "Headless" in ua:
        browser = f"{browser}-headless"
    return f"{browser}/{system}"
