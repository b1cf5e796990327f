"""Streaming HTML rewriting: gate everything that loads from a refused third party (`<script>`,
`<iframe>`, `<img>` pixels, `<link>` stylesheets and prefetches, `<object>`, `<embed>`, `<video>`,
`<audio>` and their `<source>`/`<track>`) and inline scripts marked `data-bandeau`; insert the
banner. For apps that cannot edit their templates (DESIGN §3, gated markup; LAW-01, LAW-08,
CNIL-03 (c)).

`HtmlRewriter` copies the document through byte for byte and rewrites only the opening tags
concerned. It is a small incremental tokenizer that follows the HTML tokenizer where it matters:
tags with quoted attributes (a `>` inside quotes does not end a tag), comments, bogus comments
and doctypes, and the raw-text elements (`<script>`, `<style>`, `<textarea>`, `<title>`,
`<iframe>`, `<noscript>`…) whose content is never markup. Between chunks it keeps only the
unfinished construct (a tag cut in two, the last bytes of a comment or of a script), never the
document. A start tag longer than `max_tag` bytes is copied through unchanged.

Not covered, by design: markup inside script strings that the HTML tokenizer's "double
escaped" state would treat as text (`<!-- <script>` inside a script), foreign content's CDATA
sections, and documents in UTF-16 or UTF-32 (the adapters skip those).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import ClassVar, Final

__all__ = ["HostRules", "HtmlRewriter", "banner_snippet", "tcf_snippet", "url_host"]

_WS: Final = rb"[\t\n\f\r\x20]"
_SEP: Final = rb"[\t\n\f\r\x20/]"
_NAME_FIRST: Final = rb"[^\t\n\f\r\x20/>]"
_NAME_REST: Final = rb"[^\t\n\f\r\x20/=>]"
_VALUE: Final = rb"(?:\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r\x20>\"'][^\t\n\f\r\x20>]*+|(?=>))"


def _attr(*, capture: bool) -> bytes:
    """One attribute as the HTML tokenizer reads it: a name, then `= value` unless no `=`
    follows. When `=` follows but its value is not complete yet, nothing matches: the tag is
    unfinished. With `capture`, the name and the value are groups 1 and 2."""
    group = b"(" if capture else b"(?:"
    return (
        _SEP + rb"*+" + group + _NAME_FIRST + _NAME_REST + rb"*+)"
        rb"(?:" + _WS + rb"*+=" + _WS + rb"*+" + group + _VALUE + rb")|(?!" + _WS + rb"*+=))"
    )


_ATTR: Final = _attr(capture=True)
# A whole start or end tag. Possessive and atomic parts keep it linear on unfinished input.
_TAG_RE: Final = re.compile(
    rb"<(/?)([A-Za-z][^\t\n\f\r\x20/>]*+)((?>" + _ATTR + rb")*+)" + _SEP + rb"*+>"
)
_ATTR_RE: Final = re.compile(_ATTR)
_NONCE_RE: Final = re.compile(r"'nonce-([A-Za-z0-9+/_=-]{1,200})'")

RAW_TEXT: Final = frozenset(
    {
        b"script",
        b"style",
        b"textarea",
        b"title",
        b"xmp",
        b"iframe",
        b"noembed",
        b"noframes",
        b"noscript",
    }
)
# The attribute each gated element loads from: in gated markup it becomes `data-bandeau-src`;
# the others of `ALSO_LOADS` become `data-bandeau-NAME` (the banner puts them back).
LOADS_FROM: Final = {
    b"iframe": b"src",
    b"img": b"src",
    b"embed": b"src",
    b"video": b"src",
    b"audio": b"src",
    b"source": b"src",
    b"track": b"src",
    b"link": b"href",
    b"object": b"data",
}
ALSO_LOADS: Final = {b"img": (b"srcset",), b"source": (b"srcset",), b"video": (b"poster",)}
_GATED: Final = frozenset(LOADS_FROM) | {b"script"}
_NOTABLE: Final = RAW_TEXT | _GATED | {b"head", b"body", b"plaintext"}
_DATA, _RAW, _COMMENT, _BOGUS, _PLAINTEXT, _LONG_TAG, _COPY = range(7)
_LETTERS: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_FAST_URL_RE: Final = re.compile(
    r"(?:(https?|HTTPS?):)?//([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([0-9]{1,5}))?(?=[/?#]|$)"
)


TAG_CACHE: Final = 512  # rewritten gated tags remembered by a shared `tags` mapping
_CACHED_TAG: Final = 1024  # longer tags are rewritten each time, not remembered


Scanner = Callable[[bytes, int], re.Match[bytes] | None]


def _nocase(name: bytes) -> bytes:
    """`name` matched without regard to ASCII case, as explicit classes (`[sS][cC]…`): unlike
    `(?i:…)`, an alternative that starts with a class is skipped by one test when its first
    byte differs."""
    return b"".join(
        b"[%c%c]" % (c, c ^ 0x20) if c in _LETTERS else re.escape(bytes([c])) for c in name
    )


def _one_of(names: Iterable[bytes]) -> bytes:
    """A pattern for any of `names` (lowercase, followed by a byte that ends a tag name),
    grouped by first letter so that a name is compared with a handful of alternatives, not
    all of them."""
    groups: dict[bytes, list[bytes]] = {}
    for name in sorted(names):
        groups.setdefault(name[:1], []).append(name[1:])
    alternatives = [
        _nocase(first) + b"(?:" + b"|".join(_nocase(r) for r in rests) + b")"
        for first, rests in groups.items()
    ]
    return b"(?:" + b"|".join(alternatives) + b")"


@functools.cache
def _scanner(
    gating: bool, scripts: bool, early: bool, head: bool, body: bool, fast: bool = True
) -> Scanner:
    """The `match` of a pattern that runs over everything the scanner would copy through
    unchanged while in text: text, tags that do not matter (the same `_TAG_RE`, so a `<` inside
    a quoted value is still not a tag), raw-text elements that do not matter with their text up
    to their end tag, whole comments, doctypes and other bogus comments. It stops at the first
    tag that matters, which it matches too (groups 1, 2 and 3 as in `_TAG_RE`), or at a
    construct that is not complete, which the scanner's own loop takes from there: the output is
    the same with or without it, only faster (one pass in C over the runs of markup that cost a
    loop turn each otherwise).

    Tags that matter: `<plaintext>`; the gated elements when hosts are `gating`; `<script>`
    when they are or `scripts` marked `data-bandeau` are gated; while something is still to
    insert, `<head>` (for `early`), `</head>` (for `head` or `early`) and `<body>`. Not `fast`:
    a pattern that skips nothing."""
    if not fast:
        return re.compile(b"").match
    names = {b"plaintext"}
    if gating:
        names.update(LOADS_FROM)
    if gating or scripts:
        names.add(b"script")
    if early:
        names.add(b"head")
    if early or head or body:
        names.add(b"body")
    ends = rb"[\t\n\f\r\x20/>]"  # what may follow a tag's name
    attrs = rb"(?>%s)*+%s*+>" % (_attr(capture=False), _SEP)
    # a raw-text element that does not matter: its start tag, then its text up to its end tag
    raw = [
        rb"%s(?=%s)%s(?:[^<]++|<(?!/%s%s))*+(?=</)" % (_nocase(n), ends, attrs, _nocase(n), ends)
        for n in sorted(RAW_TEXT - names)
    ]
    tag = rb"[A-Za-z][^\t\n\f\r\x20/>]*+" + attrs
    start_tag = rb"(?!%s%s)%s" % (_one_of(names | RAW_TEXT), ends, tag)
    end_tag = (rb"/(?!%s%s)" % (_nocase(b"head"), ends) if early or head else rb"/") + tag
    # after a '<', one alternative per kind of construct; each starts with a byte class, so
    # the engine tries only those whose first byte fits
    pattern = b"|".join(
        [
            rb"[^<]++",
            rb"<(?=[^A-Za-z!?/])",  # a '<' that starts nothing: text
            rb"<(?:%s)" % b"|".join([start_tag, *raw, end_tag]),
            rb"</>",
            rb"<!--(?:>|->|(?s:.*?)--!?>)",  # a comment, ended by the first '-->' or '--!>'
            rb"<!(?!--)[^>]*+>|<\?[^>]*+>|</[^A-Za-z>][^>]*+>",  # bogus comments
        ]
    )
    return re.compile(rb"(?:%s)*+(?:%s)?" % (pattern, _TAG_RE.pattern)).match


def url_host(value: str) -> tuple[str, int | None] | None:
    """Host and port a `src` value loads from, or None for a relative or non-http(s) URL.

    Read the way a browser reads it: entities decoded, tabs and newlines dropped, `\\` as `/`,
    any number of slashes after `https:`, user info dropped, host lowercased.
    """
    fast = _FAST_URL_RE.match(value)
    if fast is not None:  # the common, clean case: scheme://host[:port]/...
        scheme_text, host, port_text = fast.group(1, 2, 3)
        if port_text is None:
            return host.lower(), _DEFAULT_PORTS.get(scheme_text.lower()) if scheme_text else None
        return host.lower(), int(port_text)
    if "&" in value:
        value = html.unescape(value)
    value = value.strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11"
        "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
    )
    value = value.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    scheme: str | None = None
    if value.startswith("//"):
        rest = value[2:]
    else:
        m = _SCHEME_RE.match(value)
        if m is None:
            return None
        scheme = m.group(1).lower()
        if scheme not in _DEFAULT_PORTS:
            return None
        rest = value[m.end() :].lstrip("/")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    if authority.startswith("["):
        host, _, tail = authority[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = authority.partition(":")
    host = host.lower().rstrip(".")
    if not host:
        return None
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or len(port_text) > 5:
            return (host, -1)
        port = int(port_text)
    elif scheme is not None:
        port = _DEFAULT_PORTS[scheme]
    return host, port


@dataclass(frozen=True)
class _HostRule:
    host: str
    port: int | None
    wildcard: bool
    purpose: str

    def matches(self, host: str, port: int | None) -> bool:
        if self.wildcard:
            if not host.endswith("." + self.host):
                return False
        elif host != self.host:
            return False
        return self.port is None or port is None or port == self.port


class HostRules:
    """Which purposes a URL's host serves, from the policy's `hosts` (`cdn.example.net`,
    `*.example.net`: subdomains only, `localhost:8001`: that port only; no port: any port)."""

    def __init__(self, declared: Iterable[tuple[str, str]]) -> None:
        rules: list[_HostRule] = []
        order: list[str] = []
        for pattern, purpose in declared:
            wildcard = pattern.startswith("*.")
            text = pattern[2:] if wildcard else pattern
            host, _, port = text.partition(":")
            rules.append(_HostRule(host.lower(), int(port) if port else None, wildcard, purpose))
            if purpose not in order:
                order.append(purpose)
        self._rules = tuple(rules)
        self._order = {p: i for i, p in enumerate(order)}

    def __bool__(self) -> bool:
        return bool(self._rules)

    def purposes(self, url: str) -> tuple[str, ...]:
        """Purposes declaring the host `url` loads from, in policy order (empty: none)."""
        found = url_host(url)
        if found is None:
            return ()
        host, port = found
        hits = {r.purpose for r in self._rules if r.matches(host, port)}
        return tuple(sorted(hits, key=self._order.__getitem__))


def banner_snippet(base_url: str, version: str, nonce: str = "") -> tuple[bytes, bytes]:
    """The banner's preload (for the head) and its `<script defer>` (first in the body), as in
    `docs/middleware.md`; `nonce` is the page's CSP nonce when it has one.

    No stylesheet (banner.js carries its styles) and a deferred script: nothing from the
    consent server blocks the article's first paint, even when that server is slow or down,
    and the gated markup stays inert until the script runs (issue 9)."""
    base = html.escape(base_url.rstrip("/"), quote=True)
    query = f"?v={html.escape(version, quote=True)}" if version else ""
    attr = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
    preload = f'<link rel="preload" as="script" href="{base}/banner.js{query}"{attr}>'
    script = f'<script{attr} defer src="{base}/banner.js{query}"></script>'
    return preload.encode(), script.encode()


def tcf_snippet(base_url: str, nonce: str = "") -> bytes:
    """The TCF mode's `<script>`, for right after `<head>` (docs/tcf.md): revalidated on each
    page (no `?v=`), since the vendor list it carries changes without the policy."""
    base = html.escape(base_url.rstrip("/"), quote=True)
    attr = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
    return f'<script{attr} src="{base}/tcf.js"></script>'.encode()


def csp_nonce(policy: str) -> str:
    """The first `'nonce-…'` source of a Content-Security-Policy header value, or ''."""
    m = _NONCE_RE.search(policy)
    return m.group(1) if m else ""


Gate = Callable[[str], str]
"""Maps a `src` URL to the `data-bandeau` expression gating it, or '' to leave it as it is."""
Holds = Callable[[str], bool]
"""Whether a `data-bandeau` expression holds for this reader (`bandeau.consent.holds`)."""


def _unquoted(value: bytes) -> bytes:
    return value[1:-1] if value[:1] in (b'"', b"'") else value


def _urls(name: bytes, value: bytes) -> list[str]:
    """The URLs an attribute value names: one, or each candidate of a `srcset`."""
    text = _unquoted(value).decode("latin-1")
    if name != b"srcset":
        return [text]
    return [c.split()[0] for c in text.split(",") if c.split()]


class HtmlRewriter:
    """Feed the document's bytes chunk by chunk; each `feed` returns what can be sent now, and
    `close` the rest. Concatenated, the output equals the rewrite of the whole document,
    wherever the chunk boundaries fall."""

    fast: ClassVar[bool] = True
    """False: the scanner alone, a loop turn per tag (the reference the fast path is tested
    against): no pattern over the runs that need nothing, no copying once nothing is left."""

    def __init__(
        self,
        gate: Gate | None,
        *,
        holds: Holds | None = None,
        head: bytes = b"",
        body: bytes = b"",
        max_tag: int = 65536,
        early: bytes = b"",
        tags: MutableMapping[bytes, bytes] | None = None,
    ) -> None:
        # `gate` None: no host is gated; `tags`: gated tags already rewritten with this same
        # `gate` and `holds` (a page's scripts and iframes are the same on every page)
        self._gate = gate
        self._tags = tags
        # `early` goes right after <head> (the TCF mode's script: before any ad or Google
        # tag); without a <head> tag, with `head`
        self._early = early
        self._holds = holds
        self._head = head
        self._body = body
        self._max_tag = max_tag
        self._buf = b""
        self._mode = _DATA
        self._raw = b""  # end tag name awaited in _RAW mode
        self._waiting = 0  # no '>' in _buf before this offset: an unfinished tag is still so
        self._long = 0  # state of the quote tracker in _LONG_TAG mode
        self._scan = self._scanner()
        if self._done():
            self._mode = _COPY

    def _scanner(self) -> Scanner:
        """The pattern for what matters now (`_scanner`)."""
        gating = self._gate is not None
        return _scanner(
            gating,
            self._holds is not None,
            bool(self._early),
            bool(self._head),
            bool(self._body),
            self.fast,
        )

    def _done(self) -> bool:
        """Whether nothing is left to change in the rest of the document."""
        pending = self._head or self._body or self._early
        return self.fast and self._gate is None and self._holds is None and not pending

    def fresh(self) -> HtmlRewriter:
        """A copy of this rewriter in its present state: of one never fed, a new rewriter
        with its options, made by one dictionary copy rather than `__init__` (the middleware
        keeps a rewriter per plan and nonce that it never feeds, and starts each page from
        it). The cache of rewritten tags stays shared, as it is meant to be."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def whole(self, data: bytes) -> bytes:
        """`feed(data) + close()` in one call, for a body that comes in one piece."""
        if self._buf or self._waiting:
            return self.feed(data) + self.close()
        out: list[bytes] = []
        stop = self._run(data, out, final=False)
        if stop < len(data):
            self._run(data[stop:], out, final=True)
            self._waiting = 0
        return out[0] if len(out) == 1 else b"".join(out)

    def feed(self, data: bytes) -> bytes:
        buf = self._buf + data if self._buf else data
        if self._waiting and len(buf) <= self._max_tag and buf.find(b">", self._waiting) < 0:
            self._buf = buf
            self._waiting = len(buf)
            return b""
        out: list[bytes] = []
        pos = self._run(buf, out, final=False)
        self._buf = buf[pos:]
        return out[0] if len(out) == 1 else b"".join(out)

    def close(self) -> bytes:
        """The rest of the document: an unfinished construct at the end is copied as it is."""
        if not self._buf:  # nothing kept: nothing to scan
            self._waiting = 0
            return b""
        out: list[bytes] = []
        self._run(self._buf, out, final=True)
        self._buf = b""
        self._waiting = 0
        return b"".join(out)

    # ---------------------------------------------------------------- the scanner

    # long: the tokenizer's one loop over a page's bytes, on the middleware's hot path: its
    # states stay local variables in one frame (a call per token would cost the 5 % budget)
    def _run(self, buf: bytes, out: list[bytes], *, final: bool) -> int:
        """Scan `buf`; append the output to `out`; return where the unfinished tail starts.

        Source bytes are copied in runs: `flush` is the first byte not yet copied, and only a
        rewritten tag or an insertion interrupts a run."""
        i, n, flush = 0, len(buf), 0
        self._waiting = 0
        stop = n  # where the kept tail starts
        while i < n:
            mode = self._mode
            if mode == _DATA:
                found = self._scan(buf, i)  # matches at least the empty string
                if found is not None:
                    if found.lastindex:  # the tag that stopped it: one that matters
                        out.append(buf[flush : found.start(1) - 1])
                        flush = i = self._tag(found, 1, found.group(2).lower(), out)
                        continue
                    i = found.end()
                i = buf.find(b"<", i)  # what stopped it: the scanner's loop takes it from there
                if i < 0:
                    i = n
                    break
                if i + 1 >= n:
                    stop = i
                    break
                c = buf[i + 1]
                if c in _LETTERS or (c == 0x2F and i + 2 < n and buf[i + 2] in _LETTERS):
                    m = _TAG_RE.match(buf, i)
                    if m is None:
                        if final:
                            i = n
                        elif n - i > self._max_tag:
                            i = self._start_long_tag(buf, i)
                            continue
                        else:
                            self._waiting = n - i
                            stop = i
                        break
                    name = m.group(2)
                    if len(name) <= 9:
                        lower = name.lower()
                        if lower in _NOTABLE:
                            out.append(buf[flush:i])
                            flush = i = self._tag(m, 1, lower, out)
                            continue
                    i = m.end()
                elif c == 0x2F:  # "</" then no letter
                    if i + 2 >= n:
                        stop = i
                        break
                    if buf[i + 2] == 0x3E:  # "</>" is dropped by browsers; copy it
                        i += 3
                    else:
                        i += 2
                        self._mode = _BOGUS
                elif c == 0x21:  # "<!"
                    if n - i < 6 and buf[i : i + 4] == b"<!--"[: n - i] and not final:
                        stop = i
                        break
                    if buf.startswith(b"<!--", i):
                        if buf.startswith(b">", i + 4):
                            i += 5
                        elif buf.startswith(b"->", i + 4):
                            i += 6
                        else:
                            i += 4
                            self._mode = _COMMENT
                    else:
                        i += 2
                        self._mode = _BOGUS
                elif c == 0x3F:  # "<?"
                    i += 2
                    self._mode = _BOGUS
                else:
                    i += 1
            elif mode == _COMMENT:
                a, b = buf.find(b"-->", i), buf.find(b"--!>", i)
                if a < 0 and b < 0:
                    stop = n if final else max(i, n - 3)
                    i = n
                    break
                k = a if b < 0 or (0 <= a < b) else b
                i = buf.index(b">", k) + 1
                self._mode = _DATA
            elif mode == _BOGUS:
                j = buf.find(b">", i)
                if j < 0:
                    i = n
                    break
                i = j + 1
                self._mode = _DATA
            elif mode == _RAW:
                i, stop = self._raw_text(buf, i, final=final)
                if self._mode == _RAW:
                    break
            elif mode == _LONG_TAG:
                i = self._long_tag(buf, i)
            else:  # _PLAINTEXT: the rest of the document is text; _COPY: nothing left to do
                i = n
                break
        if final:
            stop = n
        out.append(buf[flush:stop])
        return stop

    def _raw_text(self, buf: bytes, i: int, *, final: bool) -> tuple[int, int]:
        """Skip raw text up to its end tag `</name` followed by space, `/` or `>`; returns the
        position reached and where a kept tail would start."""
        name, n = self._raw, len(buf)
        size = len(name) + 2
        j = buf.find(b"</", i)
        while j >= 0:
            end = j + size
            if end >= n:
                break
            if buf[j + 2 : end].lower() == name and buf[end] in b"\t\n\f\r />":
                self._mode = _DATA
                return j, n
            j = buf.find(b"</", j + 1)
        if final:
            return n, n
        return n, (j if j >= 0 else max(i, n - size))

    def _tag(self, m: re.Match[bytes], g: int, name: bytes, out: list[bytes]) -> int:
        """A tag that matters (head, body, script, iframe, raw text), matched by `m` with its
        `/` and name as groups `g` and `g + 1`: output it, possibly rewritten or with an
        insertion, and return where it ends."""
        start, end = m.start(g) - 1, m.end()
        tag = m.string[start:end]
        if m.end(g) > m.start(g):  # an end tag
            if name == b"head" and (self._head or self._early):
                out.append(self._early + self._head)
                self._head = self._early = b""
                self._scan = self._scanner()
            out.append(tag)
            return end
        if name == b"head" and self._early:
            out.append(tag + self._early)
            self._early = b""
            self._scan = self._scanner()
            return end
        if name == b"body":
            if self._head or self._early:
                out.append(self._early + self._head)
                self._head = self._early = b""
            out.append(tag)
            if self._body:
                out.append(self._body)
                self._body = b""
            self._scan = self._scanner()
            if self._done():
                self._mode = _COPY
        elif name in _GATED:
            out.append(self._gated(name, tag, m.end(g + 1) - start))
        else:
            out.append(tag)
        if name in RAW_TEXT:
            self._mode, self._raw = _RAW, name
        elif name == b"plaintext":
            self._mode = _PLAINTEXT
        return end

    def _gated(self, name: bytes, tag: bytes, name_end: int) -> bytes:
        """The tag, rewritten into gated markup when what it loads comes from a refused host,
        or, for a script already marked `data-bandeau`, when its expression does not hold."""
        tags = self._tags
        if tags is None:
            return self._rewritten(name, tag, name_end)
        out = tags.get(tag)
        if out is None:
            out = self._rewritten(name, tag, name_end)
            if len(tag) <= _CACHED_TAG:
                if len(tags) >= TAG_CACHE:
                    tags.clear()
                tags[tag] = out
        return out

    def _rewritten(self, name: bytes, tag: bytes, name_end: int) -> bytes:
        """`_gated`, uncached: `tag` is the whole tag, its name ends at `name_end`."""
        attrs: dict[bytes, tuple[int, int, bytes]] = {}  # first occurrence: (start, end, value)
        spans: list[tuple[bytes, int, int, int]] = []  # every attribute: name, start, end, v0
        for a in _ATTR_RE.finditer(tag, name_end):
            key = a.group(1).lower()
            value = a.group(2) or b""
            spans.append((key, a.start(), a.end(), a.start(2) if a.group(2) is not None else -1))
            if key not in attrs:
                attrs[key] = (a.start(), a.end(), value)
        head = tag[:name_end]
        if b"data-bandeau" in attrs:
            marked = _unquoted(attrs[b"data-bandeau"][2]).decode("latin-1")
            kind = _unquoted(attrs.get(b"type", (0, 0, b""))[2]).strip().lower()
            if name != b"script" or kind == b"text/plain" or self._holds is None:
                return tag
            if self._holds(html.unescape(marked)):
                return tag
            return self._as_text(tag, head, attrs, spans, b"")
        gate = self._gate
        if gate is None:
            return tag
        main = LOADS_FROM.get(name, b"src")
        loads = [a for a in (main, *ALSO_LOADS.get(name, ())) if a in attrs]
        terms: list[str] = []
        for attribute in loads:
            for url in _urls(attribute, attrs[attribute][2]):
                terms += [t for t in gate(url).split() if t not in terms]
        if not terms:
            return tag
        inserted = f' data-bandeau="{html.escape(" ".join(terms), quote=True)}"'.encode()
        if name == b"script":
            return self._as_text(tag, head, attrs, spans, inserted)
        renamed = {a: b"data-bandeau-" + (b"src" if a == main else a) for a in loads}
        parts: list[bytes] = []
        cursor = len(head)
        seen: set[bytes] = set()
        for key, s, e, v0 in spans:
            if key not in renamed:
                continue
            parts.append(tag[cursor:s])
            if key not in seen:  # the first occurrence is renamed, later duplicates dropped
                seen.add(key)
                attr = tag[s:e]
                parts.append(attr[: len(attr) - len(attr.lstrip(b"\t\n\f\r /"))])
                parts.append(renamed[key] + b"=" + (tag[v0:e] if v0 >= 0 else b'""'))
            cursor = e
        parts.append(tag[cursor:])
        return head + inserted + b"".join(parts)

    @staticmethod
    def _as_text(
        tag: bytes,
        head: bytes,
        attrs: dict[bytes, tuple[int, int, bytes]],
        spans: list[tuple[bytes, int, int, int]],
        inserted: bytes,
    ) -> bytes:
        """A script made inert: `type="text/plain"` and `inserted` after its name, its original
        type kept as `data-type` (the banner restores it when it runs the script)."""
        inserted = b' type="text/plain"' + inserted
        original = attrs.get(b"type")
        if original is not None and original[2]:
            value = _unquoted(original[2])
            # always quoted: an unquoted value could run into what follows the tag name
            inserted += b' data-type="' + value.replace(b'"', b"&quot;") + b'"'
        parts: list[bytes] = []
        cursor = len(head)
        for key, s, e, _ in spans:
            if key == b"type":
                parts.append(tag[cursor:s])
                cursor = e
        parts.append(tag[cursor:])
        return head + inserted + b"".join(parts)

    # ---------------------------------------------------------------- overlong start tags

    def _start_long_tag(self, buf: bytes, i: int) -> int:
        """A tag past `max_tag` bytes: copy it through unchanged, tracking quotes only to find
        where it ends."""
        name_end = i + 2 if buf[i + 1] == 0x2F else i + 1
        while name_end < len(buf) and buf[name_end] not in b"\t\n\f\r />":
            name_end += 1
        name = buf[i + 1 : name_end].lower()
        self._raw = name if name in RAW_TEXT else b""  # an end tag's name starts with '/'
        self._mode, self._long = _LONG_TAG, 0
        return name_end

    def _long_tag(self, buf: bytes, i: int) -> int:
        n = len(buf)
        state = self._long  # 0 in tag, 1 after '=', 2 in "…", 3 in '…', 4 unquoted value
        while i < n:
            c = buf[i]
            if state == 0:
                j = min((k for k in (buf.find(b">", i), buf.find(b"=", i)) if k >= 0), default=-1)
                if j < 0:
                    i = n
                    break
                i = j + 1
                if buf[j] == 0x3E:
                    self._mode = _RAW if self._raw else _DATA
                    return i
                state = 1
            elif state == 1:
                if c in b"\t\n\f\r ":
                    i += 1
                elif c == 0x22:
                    state, i = 2, i + 1
                elif c == 0x27:
                    state, i = 3, i + 1
                else:
                    state = 4 if c != 0x3E else 0
            elif state in (2, 3):
                j = buf.find(b'"' if state == 2 else b"'", i)
                if j < 0:
                    i = n
                    break
                state, i = 0, j + 1
            else:
                while i < n and buf[i] not in b"\t\n\f\r >":
                    i += 1
                if i < n:
                    state = 0
        self._long = state
        return i
