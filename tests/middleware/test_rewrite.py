"""The streaming HTML rewriter: gated markup for refused hosts (LAW-01, CNIL-03 (c)), banner
insertion, byte fidelity, and the same output wherever the chunk boundaries fall."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bandeau.consent import holds
from bandeau.middleware.rewrite import HostRules, HtmlRewriter, banner_snippet, csp_nonce, url_host

PAGES = Path(__file__).parent / "pages"
# In the expected page, <LINK> and <SCRIPT> stand for the banner snippet.
RULES = HostRules(
    [
        ("localhost:8001", "social"),
        ("localhost:8002", "advertising"),
        ("*.ads.example", "advertising"),
        ("cdn.both.example", "social"),
        ("cdn.both.example", "advertising"),
    ]
)


def gate(url: str) -> str:
    return " ".join(RULES.purposes(url))


def never(url: str) -> str:
    return ""


def rewrite(chunks: Iterable[bytes], head: bytes = b"", body: bytes = b"", **kw: int) -> bytes:
    r = HtmlRewriter(gate, head=head, body=body, **kw)
    return b"".join(r.feed(c) for c in chunks) + r.close()


PAGE = (PAGES / "article.html").read_bytes()

EXPECTED = (PAGES / "article.expected.html").read_bytes()


def test_whole_page() -> None:
    """Refused third-party scripts and iframes become gated markup; nothing else changes."""
    assert rewrite([PAGE], b"<LINK>", b"<SCRIPT>") == EXPECTED


def test_a_tag_split_across_any_chunk_boundary_is_still_rewritten() -> None:
    """Split the page at every position: the output is the same as for the whole page."""
    for k in range(len(PAGE) + 1):
        assert rewrite([PAGE[:k], PAGE[k:]], b"<LINK>", b"<SCRIPT>") == EXPECTED, k


def test_every_pair_of_boundaries_in_a_small_page() -> None:
    doc = (
        b'<head></head><body><!-- c --><script src="//localhost:8001/a.js"></script>'
        b"<iframe src=http://localhost:8002/b></iframe></body>"
    )
    whole = rewrite([doc], b"H", b"B")
    assert b"data-bandeau-src=http://localhost:8002/b" in whole
    for i in range(len(doc) + 1):
        for j in range(i, len(doc) + 1):
            assert rewrite([doc[:i], doc[i:j], doc[j:]], b"H", b"B") == whole, (i, j)


def test_byte_by_byte_feeding() -> None:
    assert rewrite([PAGE[i : i + 1] for i in range(len(PAGE))], b"<LINK>", b"<SCRIPT>") == EXPECTED


def test_output_is_streamed_not_held() -> None:
    """Each chunk's text comes out as soon as no unfinished construct holds it back."""
    r = HtmlRewriter(gate)
    assert r.feed(b"<p>hello</p> world ") == b"<p>hello</p> world "
    assert r.feed(b'<script src="http://local') == b""
    assert r.feed(b'host:8001/a.js">') == (
        b'<script type="text/plain" data-bandeau="social" src="http://localhost:8001/a.js">'
    )
    assert r.feed(b"x=1;</scr") == b"x=1;"
    assert r.feed(b"ipt> tail") == b"</script> tail"
    assert r.close() == b""


def test_without_refused_hosts_the_document_is_unchanged() -> None:
    r = HtmlRewriter(never)
    assert r.feed(PAGE) + r.close() == PAGE


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (
            b'<script type="text/javascript" src=http://localhost:8001/a.js defer>',
            b'<script type="text/plain" data-bandeau="social" data-type="text/javascript" '
            b"src=http://localhost:8001/a.js defer>",
        ),
        (  # an unquoted value runs to the next space: this script has no src
            b"<script/type=module/src=http://localhost:8001/a.js>",
            b"<script/type=module/src=http://localhost:8001/a.js>",
        ),
        (  # the original type is kept quoted, so it cannot run into what follows
            b"<script/type=module src=http://localhost:8001/a.js>",
            b'<script type="text/plain" data-bandeau="social" data-type="module"'
            b" src=http://localhost:8001/a.js>",
        ),
        (
            b'<script/type="module"/src=http://localhost:8001/a.js>',
            b'<script type="text/plain" data-bandeau="social" data-type="module"'
            b"/src=http://localhost:8001/a.js>",
        ),
        (  # the first of duplicate attributes counts, as in browsers
            b'<script src="/mine.js" src="http://localhost:8001/a.js">',
            b'<script src="/mine.js" src="http://localhost:8001/a.js">',
        ),
        (
            b'<iframe src="http://localhost:8001/a" src="/b" title=t>',
            b'<iframe data-bandeau="social" data-bandeau-src="http://localhost:8001/a" title=t>',
        ),
        (
            b"<iframe\nsrc = 'http://LOCALHOST:8001/a'\n>",
            b"<iframe data-bandeau=\"social\"\ndata-bandeau-src='http://LOCALHOST:8001/a'\n>",
        ),
        (
            b'<script src="http://localhost:8003/a.js">',
            b'<script src="http://localhost:8003/a.js">',
        ),
        (b'<script src="https://ads.example/a.js">', b'<script src="https://ads.example/a.js">'),
        (
            b'<script src="https://a.b.ads.example:444/a.js">',
            b'<script type="text/plain" data-bandeau="advertising" '
            b'src="https://a.b.ads.example:444/a.js">',
        ),
        (
            b'<script src="https:\\\\x.ads.example/a.js">',
            b'<script type="text/plain" data-bandeau="advertising" '
            b'src="https:\\\\x.ads.example/a.js">',
        ),
        (
            b'<script src="http&#58;//localhost:8001/a.js">',
            b'<script type="text/plain" data-bandeau="social" '
            b'src="http&#58;//localhost:8001/a.js">',
        ),
        (b'<script src="data:text/javascript,1">', b'<script src="data:text/javascript,1">'),
        (b"<script src>", b"<script src>"),
        (b"<iframe src>", b"<iframe src>"),
        (  # LAW-08: a tracking pixel
            b"<img src=http://localhost:8002/p.gif alt=''>",
            b'<img data-bandeau="advertising" '
            b"data-bandeau-src=http://localhost:8002/p.gif alt=''>",
        ),
        (b'<img src="/photo.jpg" alt="">', b'<img src="/photo.jpg" alt="">'),
        (  # every candidate of a srcset counts, and the srcset waits too
            b'<img src="/a.jpg" srcset="/a2.jpg 2x, https://x.ads.example/b.jpg 3x">',
            b'<img data-bandeau="advertising" data-bandeau-src="/a.jpg" '
            b'data-bandeau-srcset="/a2.jpg 2x, https://x.ads.example/b.jpg 3x">',
        ),
        (
            b'<link rel="stylesheet" href="http://localhost:8001/w.css">',
            b'<link data-bandeau="social" rel="stylesheet" data-bandeau-src="http://localhost:8001/w.css">',
        ),
        (
            b'<link rel=prefetch href="//localhost:8002/next.js">',
            b'<link data-bandeau="advertising" rel=prefetch '
            b'data-bandeau-src="//localhost:8002/next.js">',
        ),
        (b'<link rel="stylesheet" href="/site.css">', b'<link rel="stylesheet" href="/site.css">'),
        (
            b'<object data="http://localhost:8001/o.swf" type="x"></object>',
            b'<object data-bandeau="social" data-bandeau-src="http://localhost:8001/o.swf" '
            b'type="x"></object>',
        ),
        (
            b'<embed src="http://localhost:8001/e">',
            b'<embed data-bandeau="social" data-bandeau-src="http://localhost:8001/e">',
        ),
        (
            b'<video src="http://localhost:8001/v.webm" poster="http://localhost:8001/p.png" '
            b"controls>",
            b'<video data-bandeau="social" data-bandeau-src="http://localhost:8001/v.webm" '
            b'data-bandeau-poster="http://localhost:8001/p.png" controls>',
        ),
        (
            b'<audio src="http://localhost:8002/a.mp3">',
            b'<audio data-bandeau="advertising" data-bandeau-src="http://localhost:8002/a.mp3">',
        ),
        (
            b'<source src="http://localhost:8001/v.mp4" type="video/mp4">',
            b'<source data-bandeau="social" data-bandeau-src="http://localhost:8001/v.mp4" '
            b'type="video/mp4">',
        ),
        (
            b'<track src="http://localhost:8001/t.vtt">',
            b'<track data-bandeau="social" data-bandeau-src="http://localhost:8001/t.vtt">',
        ),
    ],
)
def test_tag_rewrites(tag: bytes, expected: bytes) -> None:
    assert rewrite([tag]) == expected
    assert rewrite([tag[:9], tag[9:]]) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        (  # an inline script marked for a refused purpose is made inert
            b'<script data-bandeau="social">track()</script>',
            b'<script type="text/plain" data-bandeau="social">track()</script>',
        ),
        (
            b'<script type=module data-bandeau="advertising social">x()</script>',
            b'<script type="text/plain" data-type="module" data-bandeau="advertising social">'
            b"x()</script>",
        ),
        (  # allowed, negated or already inert: left as it is
            b'<script data-bandeau="audience">count()</script>',
            b'<script data-bandeau="audience">count()</script>',
        ),
        (
            b'<script data-bandeau="!social">fallback()</script>',
            b'<script data-bandeau="!social">fallback()</script>',
        ),
        (
            b'<script type="text/plain" data-bandeau="social">x()</script>',
            b'<script type="text/plain" data-bandeau="social">x()</script>',
        ),
        (  # a gated element of another kind is the publisher's markup: left as it is
            b'<img data-bandeau="social" data-bandeau-src="http://localhost:8001/p.gif">',
            b'<img data-bandeau="social" data-bandeau-src="http://localhost:8001/p.gif">',
        ),
    ],
)
def test_inline_scripts_marked_for_a_refused_purpose(tag: bytes, expected: bytes) -> None:
    """LAW-08: `<script data-bandeau>` without `type="text/plain"` would run before the banner
    could stop it; the rewriter makes it inert unless its expression holds."""
    allowed = frozenset({"audience"})
    r = HtmlRewriter(gate, holds=lambda e: holds(e, allowed))
    assert r.feed(tag) + r.close() == expected


def test_banner_goes_into_head_and_first_in_body() -> None:
    link, script = banner_snippet("https://cmp.example/v1/sites/lq/", "v1", "n0nce")
    assert link == (
        b'<link rel="preload" as="script" href="https://cmp.example/v1/sites/lq/banner.js?v=v1" '
        b'nonce="n0nce">'
    )
    assert script == (
        b'<script nonce="n0nce" defer src="https://cmp.example/v1/sites/lq/banner.js?v=v1">'
        b"</script>"
    )
    doc = b"<html><head><title>t</title></head><body id=b><p>x</p></body></html>"
    assert rewrite([doc], b"[L]", b"[S]") == (
        b"<html><head><title>t</title>[L]</head><body id=b>[S]<p>x</p></body></html>"
    )


def test_banner_without_head_end_tag_goes_before_body() -> None:
    doc = b"<title>t</title><body><p>x</p>"
    assert rewrite([doc], b"[L]", b"[S]") == b"<title>t</title>[L]<body>[S]<p>x</p>"
    assert rewrite([b"<p>no body</p>"], b"[L]", b"[S]") == b"<p>no body</p>"
    # inserted once, even if the page has two bodies
    assert rewrite([b"<body><body>"], b"[L]", b"[S]") == b"[L]<body>[S]<body>"


def test_csp_nonce() -> None:
    assert csp_nonce("default-src 'self'; script-src 'nonce-abc+/=' 'self'") == "abc+/="
    assert csp_nonce("default-src 'self'") == ""


@pytest.mark.parametrize(
    "doc",
    [
        b"<!---->",
        b"<!-->",
        b"<!--->",
        b"<!-- a --!> b",
        b"<!-- a -- > still comment --> <p>",
        b"<?xml version='1.0'?>",
        b"</>",
        b"</ p>",
        b"<!doctype html>",
        b"<![CDATA[ x ]]>",
        b"a < b",
        b"<",
        b"<a",
        b'<a href="unterminated',
        b"<script>never closed",
        b"<plaintext><script src=http://localhost:8001/a.js>",
        b"<a b=c d='e' f=\"g\" h i/=j k = l>",
    ],
)
def test_odd_markup_passes_through(doc: bytes) -> None:
    r = HtmlRewriter(never)
    assert b"".join(r.feed(doc[i : i + 1]) for i in range(len(doc))) + r.close() == doc
    assert rewrite([doc]) == doc


def test_comments_raw_text_and_plaintext_are_not_rewritten() -> None:
    src = b'<script src="http://localhost:8001/a.js">'
    for wrapper in (
        b"<!--%s-->",
        b"<title>%s</title>",
        b"<noscript>%s</noscript>",
        b"<plaintext>%s",
    ):
        doc = wrapper.replace(b"%s", src)
        assert rewrite([doc]) == doc
    assert b"text/plain" in rewrite([b"<!-- x -->" + src])
    assert b"text/plain" in rewrite([b"<title>" + src + b"</TITLE >" + src]).split(b"</TITLE >")[1]


def test_an_overlong_tag_is_copied_through() -> None:
    big = (
        b"<img alt='"
        + b"x>" * 50
        + b"' src=http://localhost:8001/a>"
        + b"<script src=http://localhost:8001/b.js>"
    )
    out = rewrite([big[i : i + 7] for i in range(0, len(big), 7)], max_tag=48)
    assert out.startswith(big[:120])
    assert out.endswith(
        b'<script type="text/plain" data-bandeau="social" src=http://localhost:8001/b.js>'
    )
    long_script = (
        b"<script data-x='" + b">" * 40 + b"' src=http://localhost:8001/a.js>x</script><p>"
    )
    chunks = [long_script[i : i + 5] for i in range(0, len(long_script), 5)]
    assert rewrite(chunks, max_tag=16) == long_script  # more than max_tag held: passed through
    assert b"text/plain" in rewrite([long_script], max_tag=16)  # complete at once: rewritten


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://Example.COM./a", ("example.com", 80)),
        ("https://example.com:8443/a", ("example.com", 8443)),
        ("//example.com/a", ("example.com", None)),
        ("  \thttps://user:pw@example.com/a", ("example.com", 443)),
        ("https:///example.com/a", ("example.com", 443)),
        ("HTTPS:\\\\example.com\\a", ("example.com", 443)),
        ("http://[::1]:8001/a", ("::1", 8001)),
        ("http://example.com:bad/", ("example.com", -1)),
        ("/relative.js", None),
        ("relative.js", None),
        ("javascript:alert(1)", None),
        ("data:text/javascript,1", None),
        ("https://", None),
    ],
)
def test_url_host(url: str, expected: tuple[str, int | None] | None) -> None:
    assert url_host(url) == expected


def test_host_rules_ports_and_wildcards() -> None:
    rules = HostRules([("cdn.example.net", "a"), ("*.example.org", "b"), ("localhost:8001", "c")])
    assert rules.purposes("https://cdn.example.net:9999/x") == ("a",)
    assert rules.purposes("https://example.org/x") == ()
    assert rules.purposes("https://www.example.org/x") == ("b",)
    assert rules.purposes("http://localhost:8001/x") == ("c",)
    assert rules.purposes("http://localhost/x") == ()
    assert rules.purposes("//localhost:8001/x") == ("c",)
    assert not HostRules([])


# ------------------------------------------------------------------ properties

FRAGMENTS = st.sampled_from(
    [
        b"<p>",
        b"</p>",
        b"text ",
        b"<",
        b">",
        b'"',
        b"'",
        b"=",
        b"-->",
        b"<!--",
        b"<!",
        b"</",
        b"<script>",
        b"</script>",
        b"</script ",
        b'<script src="http://localhost:8001/a.js">',
        b"<script src=//x.ads.example/a.js async>",
        b"<iframe src='http://localhost:8002/f'>",
        b"</iframe>",
        b"<title>",
        b"</title>",
        b"<style>",
        b"</STYLE>",
        b"<head>",
        b"</head>",
        b"<body>",
        b'<a href="x>y">',
        b"<img alt='<script src=http://localhost:8001/b.js>'>",
        b"<plaintext>",
        b"\xc3\xa9",
        b"\x00",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=40), st.lists(st.integers(0, 2000), max_size=6))
def test_chunking_never_changes_the_output(parts: list[bytes], cuts: list[int]) -> None:
    """Property: for any document and any chunking, the streamed output equals the output for
    the whole document."""
    doc = b"".join(parts)
    points = sorted({min(c, len(doc)) for c in cuts})
    chunks = [doc[a:b] for a, b in zip([0, *points], [*points, len(doc)], strict=True)]
    assert rewrite(chunks, b"[L]", b"[S]") == rewrite([doc], b"[L]", b"[S]")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=4))
def test_arbitrary_bytes_pass_through_unchanged(doc: bytes, cuts: list[int]) -> None:
    """Property: with nothing to gate and nothing to insert, any byte string, however it is
    chunked, comes out exactly as it went in."""
    points = sorted({min(c, len(doc)) for c in cuts})
    chunks = [doc[a:b] for a, b in zip([0, *points], [*points, len(doc)], strict=True)]
    r = HtmlRewriter(never)
    assert b"".join(r.feed(c) for c in chunks) + r.close() == doc


class Plain(HtmlRewriter):
    """The scanner alone, a loop turn per construct: the reference for the fast path."""

    fast = False


MARKUP = st.sampled_from(
    [
        *FRAGMENTS.elements,
        b"<!-->",
        b"<!--->",
        b"<!-- a --!>",
        b"<!---",
        b"--!>",
        b"<!-",
        b"<?x>",
        b"</ x>",
        b"<!doctype html>",
        b"<HEAD>",
        b"</HEAD >",
        b"</head/>",
        b"<Body class=x>",
        b"<bodyx>",
        b"<scriptx>",
        b"<SCRIPT SRC=//localhost:8001/c.js>",
        b"<div title='<script src=http://localhost:8001/d.js>'>",
        b"<p class=\"a\" data-x='b' c=d e>",
        b"<img src=http://x.ads.example/p.gif srcset='//localhost:8001/a 1x, /b 2x'>",
        b"<link rel=stylesheet href=https://cdn.both.example/s.css>",
        b"<video poster=//localhost:8001/p.jpg>",
        b"<script data-bandeau=social>f()</script>",
        b"<textarea>",
        b"</textarea>",
        b"<noscript>",
        b"</noscript>",
        b"< p>",
        b"<1>",
        b"\t",
        b"/",
    ]
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(MARKUP, max_size=40),
    st.lists(st.integers(0, 2000), max_size=5),
    st.sampled_from([gate, never, None]),
    st.booleans(),
    st.sampled_from([(b"", b"", b""), (b"[L]", b"[S]", b""), (b"[L]", b"[S]", b"[E]")]),
)
def test_the_fast_path_matches_the_scanner_alone(
    parts: list[bytes],
    cuts: list[int],
    gating: Callable[[str], str] | None,
    inline: bool,
    insert: tuple[bytes, bytes, bytes],
) -> None:
    """Property: skipping what needs nothing in one pattern, and copying the rest once nothing
    is left to do, gives the output of the scanner's own loop, for any document and chunking,
    and a shared cache of rewritten tags changes nothing either."""
    doc = b"".join(parts)
    points = sorted({min(c, len(doc)) for c in cuts})
    chunks = [doc[a:b] for a, b in zip([0, *points], [*points, len(doc)], strict=True)]
    head, body, early = insert
    tags: dict[bytes, bytes] = {}
    outputs = []
    for kind, shared in (
        (Plain, None),
        (HtmlRewriter, None),
        (HtmlRewriter, tags),
        (HtmlRewriter, tags),
    ):
        r = kind(
            gating,
            holds=(lambda e: holds(e, frozenset({"necessary"}))) if inline else None,
            head=head,
            body=body,
            early=early,
            tags=shared,
        )
        outputs.append(b"".join(r.feed(c) for c in chunks) + r.close())
    assert outputs[1:] == [outputs[0]] * 3


@pytest.mark.parametrize(
    "doc",
    [
        b"<!---><script src=//localhost:8001/a.js>x</script>-->",
        b"<!--><script src=//localhost:8001/a.js>x</script>-->",
        b"<!-- a --!><script src=//localhost:8001/a.js></script>-->",
        b"<!-x><script src=//localhost:8001/a.js></script>",
        b"<? <script src=//localhost:8001/a.js> ?><script src=//localhost:8001/b.js>",
        b"</ <script src=//localhost:8001/a.js>><script src=//localhost:8001/b.js>",
        b"<div title='<script src=//localhost:8001/a.js>'><SCRIPT src=//localhost:8001/b.js>",
        b"<HEAD><p></HEAD><BODY>x<iframe src=http://localhost:8002/f></iframe>",
        b"<head/><bodyx><body/><img src=http://localhost:8002/p.gif>",
        b"< script src=//localhost:8001/a.js><1><img srcset='//localhost:8001/a 1x'>",
        b"<style>a</STYLE><script src=//localhost:8001/a.js></script><style>b</style>",
        b"<title>a</titlex><img src=//localhost:8002/p.gif></title><img src=//localhost:8001/q>",
        b"<noscript><iframe src=//localhost:8002/f></noscript ><iframe src=//localhost:8002/g>",
        b"<textarea x='</textarea>'>a</textarea/><script src=//localhost:8001/a.js>",
        b"<xmp><body></xmp><body><style></style",
    ],
)
def test_the_fast_path_on_edge_cases(doc: bytes) -> None:
    """Comments, bogus comments, look-alike names and quoted `<`: at every split, the fast path
    gives the scanner's own output."""

    def split(kind: type[HtmlRewriter], k: int) -> bytes:
        r = kind(gate, head=b"[L]", body=b"[S]", early=b"[E]")
        return r.feed(doc[:k]) + r.feed(doc[k:]) + r.close()

    for k in range(len(doc) + 1):
        assert split(HtmlRewriter, k) == split(Plain, k), k


@settings(max_examples=300, deadline=None)
@given(
    st.lists(MARKUP, max_size=40),
    st.lists(st.integers(0, 2000), max_size=3),
    st.sampled_from([gate, never, None]),
    st.sampled_from([(b"", b"", b""), (b"[L]", b"[S]", b""), (b"[L]", b"[S]", b"[E]")]),
)
def test_whole_and_fresh_give_the_streamed_output(
    parts: list[bytes],
    cuts: list[int],
    gating: Callable[[str], str] | None,
    insert: tuple[bytes, bytes, bytes],
) -> None:
    """Property: `whole(last)` after any earlier chunks gives what `feed(last) + close()` gives,
    and a rewriter made by `fresh()` from one that rewrote a page before starts anew, with the
    options of the one it copies."""
    doc = b"".join(parts)
    points = sorted({min(c, len(doc)) for c in cuts})
    chunks = [doc[a:b] for a, b in zip([0, *points], [*points, len(doc)], strict=True)]
    head, body, early = insert

    def made() -> HtmlRewriter:
        return HtmlRewriter(gating, head=head, body=body, early=early)

    streamed = made()
    expected = b"".join(streamed.feed(c) for c in chunks) + streamed.close()
    once = made()
    assert b"".join(once.feed(c) for c in chunks[:-1]) + once.whole(chunks[-1]) == expected
    template = made()
    assert template.fresh().whole(doc) == rewrite_with(gating, doc, insert)
    for _ in range(2):  # a copy never sees what an earlier copy, or its template, was fed
        copy = template.fresh()
        assert b"".join(copy.feed(c) for c in chunks) + copy.close() == expected


def rewrite_with(
    gating: Callable[[str], str] | None, doc: bytes, insert: tuple[bytes, ...]
) -> bytes:
    head, body, early = insert
    r = HtmlRewriter(gating, head=head, body=body, early=early)
    return r.feed(doc) + r.close()
