"""Bytes on the wire. Each banner asset and page is compressed once, with gzip at level 9 and
Brotli at quality 11, and served in the best encoding the browser accepts (`Accept-Encoding`,
with `Vary`); every other text response over `MIN_SIZE` bytes is gzipped as it is sent
(Starlette's `GZipMiddleware`). The answers of the decision route are smaller than that, so the
hot path does not pay for compression."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from typing import Final

import brotli
from starlette.requests import Request
from starlette.responses import Response

from .edge import etag_matches

__all__ = ["MIN_SIZE", "Encoded", "Representation", "accepted", "encoded", "negotiated"]

MIN_SIZE: Final = 1024  # below this, compression saves less than a packet: not worth the CPU
PREFERENCE: Final = ("br", "gzip", "identity")  # best first, on equal quality values
ETAG_SUFFIX: Final = {"br": "-br", "gzip": "-gz", "identity": ""}


@dataclass(frozen=True)
class Representation:
    """One encoding of a body, with the ETag of exactly these bytes."""

    encoding: str
    body: bytes
    etag: str


@dataclass(frozen=True)
class Encoded:
    """A body and its compressed forms, made once."""

    etag: str
    forms: dict[str, bytes]

    def pick(self, accept_encoding: str) -> Representation:
        """The representation for a request's `Accept-Encoding` header value."""
        quality = accepted(accept_encoding)
        best = max(PREFERENCE, key=lambda name: (quality[name], -PREFERENCE.index(name)))
        if quality[best] <= 0:  # nothing acceptable: RFC 9110 says send identity anyway
            best = "identity"
        tag = self.etag[:-1] + ETAG_SUFFIX[best] + '"'
        return Representation(best, self.forms[best], tag)


def accepted(header: str) -> dict[str, float]:
    """The quality value of each encoding we have, from an `Accept-Encoding` value (RFC 9110
    §12.5.3): a listed coding has its `q` (1 by default), an unlisted one takes `*`'s, and
    identity is acceptable unless refused by name or by `*;q=0`."""
    listed: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0  # a malformed weight is no acceptance
        listed[name] = max(q, listed.get(name, 0.0))
    star = listed.get("*")
    out = {name: listed.get(name, star if star is not None else 0.0) for name in ("br", "gzip")}
    out["identity"] = listed.get("identity", star if star is not None and star == 0 else 1.0)
    return out


@functools.lru_cache(maxsize=512)
def encoded(body: bytes) -> Encoded:
    """`body` with its strong ETag (a digest of its own bytes) and its gzip and Brotli forms,
    made once: the banner's bundles and pages are long-lived bytes objects, whose hash Python
    keeps, so looking one up again is cheap."""
    return Encoded(
        '"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        {
            "identity": body,
            "gzip": gzip.compress(body, compresslevel=9, mtime=0),
            "br": brotli.compress(body, quality=11, mode=brotli.MODE_TEXT),
        },
    )


def negotiated(
    request: Request, body: bytes, media: str, headers: dict[str, str], vary: str = ""
) -> Response:
    """`body` as a response in the encoding the request accepts, with that representation's
    ETag (a 304 when the browser has it) and `Vary: Accept-Encoding` for caches (followed by
    `vary`, the other request headers `body` was chosen by)."""
    chosen = encoded(body).pick(request.headers.get("accept-encoding", ""))
    vary = "Accept-Encoding" + (", " + vary if vary else "")
    headers = {**headers, "ETag": chosen.etag, "Vary": vary}
    if etag_matches(request.headers.get("if-none-match", ""), chosen.etag):
        return Response(status_code=304, headers=headers)
    if chosen.encoding != "identity":
        headers["Content-Encoding"] = chosen.encoding
    return Response(chosen.body, media_type=media, headers=headers)
