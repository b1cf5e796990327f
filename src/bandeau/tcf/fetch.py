"""The Global Vendor List on the server (TCF-10): read from a file or fetched from a URL,
cached for exactly the `max-age` its response gives, revalidated with its `ETag` or
`Last-Modified`, and archived: every version the server uses is kept, so a decision's record can
name the exact list its reader was shown (`ArchivedList.reference`).

The IAB's translations of the purposes (`purposes-{lang}.json`, `bandeau.tcf.translations`) are
fetched, cached and archived by the same code (`JsonSource`). Browsers never fetch a vendor list
or a translation from the IAB: they get the server's narrowed copy, in their language.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

import brotli

from .gvl import VendorList, VendorListError, parse_vendor_list

__all__ = [
    "ArchivedList",
    "JsonSource",
    "Loaded",
    "MissingDocument",
    "VendorListArchive",
    "VendorListSource",
]

T = TypeVar("T")

logger = logging.getLogger(__name__)

ACCEPT_ENCODING: Final = "gzip, deflate, br"
MAX_AGE_RE: Final = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
TIMEOUT_SECONDS: Final = 10.0


class MissingDocument(VendorListError):
    """There is nothing at the place named: no such file, or a 404 (a translation the IAB does
    not publish is no error: the texts stay in English)."""


@dataclass(frozen=True)
class ArchivedList:
    """One version of the vendor list as the server used it: its version, the SHA-256 of its
    canonical JSON (sorted keys, no spaces) and where the archive keeps it."""

    version: int
    sha256: str
    path: Path | None
    kind: str = "gvl"  # or `purposes-fr`, a translation (bandeau.tcf.translations)

    @property
    def reference(self) -> str:
        """What a record or a notice archive names it by: `gvl-v120-sha256:…`,
        `purposes-fr-v120-sha256:…`."""
        return f"{self.kind}-v{self.version}-sha256:{self.sha256}"


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class VendorListArchive:
    """A folder holding each vendor list version used, as `vendor-list-v{N}-{sha256[:16]}.json`
    (canonical JSON). A version is written once; the IAB never changes a published version, and
    a copy that differs gets its own file, named by its own digest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def keep(self, data: Any, version: int, kind: str = "gvl") -> ArchivedList:
        """Archive `data` (a vendor list, or with `kind` `purposes-fr` a translation, kept as
        `purposes-fr-v{N}-{sha256[:16]}.json`)."""
        text = canonical(data)
        digest = hashlib.sha256(text).hexdigest()
        stem = "vendor-list" if kind == "gvl" else kind
        path = self.folder / f"{stem}-v{version}-{digest[:16]}.json"
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_bytes(text)
            partial.replace(path)
            logger.info("%s v%d archived as %s", kind, version, path.name)
        return ArchivedList(version, digest, path, kind)

    def versions(self) -> list[ArchivedList]:
        """Every archived list, by version then digest."""
        found = []
        for path in sorted(self.folder.glob("vendor-list-v*-*.json")):
            text = path.read_bytes()
            version = int(path.name.split("-")[2].removeprefix("v"))
            found.append(ArchivedList(version, hashlib.sha256(text).hexdigest(), path))
        return sorted(found, key=lambda a: (a.version, a.sha256))


@dataclass(frozen=True)
class Loaded(Generic[T]):
    value: T  # the checked document: a VendorList, a Translation
    archived: ArchivedList
    expires: float  # monotonic seconds
    validators: dict[str, str]  # If-None-Match / If-Modified-Since for the next request

    @property
    def gvl(self) -> T:
        return self.value


class JsonSource(Generic[T]):
    """The JSON document at `where` (a file path, with an optional `#key` to pick a key of a
    JSON file, or an http(s) URL), checked by `parse`. `get()` returns the current one: a URL
    is fetched again only once the `max-age` of its last response has passed (no `max-age`:
    every `refresh_seconds`), conditionally; a file is read again when it changes. A failed
    refresh keeps the last good one and logs the problem; with none yet, it raises
    `VendorListError`. Subclasses say how to check a document and which version it is."""

    kind = "gvl"  # the archive's name for what this source reads
    what = "a vendor list"  # its name in messages

    def __init__(
        self,
        where: str,
        archive: VendorListArchive | None = None,
        *,
        refresh_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.where = where
        self.archive = archive
        self.refresh_seconds = refresh_seconds
        self.clock = clock
        self.requests = 0  # upstream HTTP requests made (TCF-10: one per max-age window)
        self._loaded: Loaded[T] | None = None
        self._previous: Loaded[T] | None = None
        self._lock = threading.Lock()

    def parse(self, data: Any) -> T:
        raise NotImplementedError

    def version(self, value: T) -> int:
        raise NotImplementedError

    def get(self) -> T:
        return self.current().value

    def current(self, *, refresh: bool = True) -> Loaded[T]:
        """The list in use; with `refresh`, loaded again first when its cache expired."""
        with self._lock:
            loaded = self._loaded
            if loaded is not None and (not refresh or self.clock() < loaded.expires):
                return loaded
            try:
                fresh = self._load(loaded)
            except VendorListError:
                if loaded is None:
                    raise
                logger.exception(
                    "%s %s: keeping version %d", self.kind, self.where, loaded.archived.version
                )
                fresh = Loaded(loaded.value, loaded.archived, self.clock() + 60, loaded.validators)
            if loaded is not None and fresh.archived.version != loaded.archived.version:
                self._previous = loaded
            self._loaded = fresh
            return fresh

    def previous(self) -> Loaded[T] | None:
        """The list used before the current one (TCF-08 tolerates the penultimate)."""
        return self._previous

    def _load(self, loaded: Loaded[T] | None) -> Loaded[T]:
        if self.where.startswith(("https://", "http://")):
            return self._fetch(loaded)
        path, _, key = self.where.partition("#")
        try:
            stat = Path(path).stat()
            validators = {"file": f"{stat.st_mtime_ns}:{stat.st_size}"}
            if loaded is not None and loaded.validators == validators:
                return Loaded(loaded.value, loaded.archived, self.clock() + 1, validators)
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            if key:
                data = data[key]
        except FileNotFoundError as e:
            raise MissingDocument(
                self.where, [f"file: cannot read it as {self.what} (no such file)"]
            ) from e
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise VendorListError(
                self.where, [f"file: cannot read it as {self.what} ({e!r})"]
            ) from e
        return self._parsed(data, validators, self.clock() + 1)

    def _fetch(self, loaded: Loaded[T] | None) -> Loaded[T]:
        headers = {"Accept-Encoding": ACCEPT_ENCODING, "Accept": "application/json"}
        if loaded is not None:
            headers.update(loaded.validators)
        request = urllib.request.Request(self.where, headers=headers)  # noqa: S310 (http(s) only)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                body = decoded(response.read(), response.headers.get("Content-Encoding", ""))
                answer = response.headers
        except urllib.error.HTTPError as e:
            if e.code == 304 and loaded is not None:
                return Loaded(
                    loaded.value, loaded.archived, self._expiry(e.headers), loaded.validators
                )
            error = MissingDocument if e.code in (404, 410) else VendorListError
            raise error(self.where, [f"url: the server answered {e.code}"]) from e
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise VendorListError(self.where, [f"url: cannot fetch it ({e})"]) from e
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise VendorListError(self.where, [f"url: the answer is not JSON ({e})"]) from e
        validators = {}
        if answer.get("ETag"):
            validators["If-None-Match"] = answer["ETag"]
        if answer.get("Last-Modified"):
            validators["If-Modified-Since"] = answer["Last-Modified"]
        return self._parsed(data, validators, self._expiry(answer))

    def _expiry(self, headers: Any) -> float:
        found = MAX_AGE_RE.search(headers.get("Cache-Control", "") or "")
        return self.clock() + (int(found.group(1)) if found else self.refresh_seconds)

    def _parsed(self, data: Any, validators: dict[str, str], expires: float) -> Loaded[T]:
        value = self.parse(data)
        version = self.version(value)
        if self.archive is not None:
            archived = self.archive.keep(data, version, self.kind)
        else:
            digest = hashlib.sha256(canonical(data)).hexdigest()
            archived = ArchivedList(version, digest, None, self.kind)
        logger.info("%s %s: version %d", self.kind, self.where, version)
        return Loaded(value, archived, expires, validators)


class VendorListSource(JsonSource[VendorList]):
    """The vendor list at `where`, checked against TCF-09 (`parse_vendor_list`)."""

    def parse(self, data: Any) -> VendorList:
        return parse_vendor_list(data, self.where)

    def version(self, value: VendorList) -> int:
        return value.vendorListVersion


def decoded(body: bytes, encoding: str) -> bytes:
    """A response body in its Content-Encoding (gzip, deflate or br), decoded."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)  # raw deflate, as some servers send
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding in ("", "identity"):
        return body
    raise ValueError(f"unknown Content-Encoding {encoding!r}")
