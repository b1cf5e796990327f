"""Contrast read from a screen's pixels (a refusal on a gradient or an image: EDPB-D/E): the
PNG decoder on images written here, with each of PNG's row filters, and the figure kept from
the pixels behind the glyphs, without a browser."""

from __future__ import annotations

import struct
import zlib

import pytest

from bandeau.scanner.pixels import Pixels, decode_png, text_contrast

WHITE = (255, 255, 255)


def _chunk(tag: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(tag + body)
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)


def _filtered(method: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """One row as an encoder writes it with PNG filter `method` (the inverse of decoding)."""
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if method == 0:
            pred = 0
        elif method == 1:
            pred = a
        elif method == 2:
            pred = b
        elif method == 3:
            pred = (a + b) // 2
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
        out.append((x - pred) & 0xFF)
    return bytes(out)


def png(width: int, rows: list[list[tuple[int, ...]]], kind: int = 2) -> bytes:
    """An 8-bit PNG (type 2: RGB, 6: RGBA), row y written with filter y % 5."""
    bpp = {2: 3, 6: 4}[kind]
    raw, prev = b"", bytes(width * bpp)
    for y, row in enumerate(rows):
        data = b"".join(bytes(p) for p in row)
        raw += bytes([y % 5]) + _filtered(y % 5, data, prev, bpp)
        prev = data
    header = struct.pack(">IIBBBBB", width, len(rows), 8, kind, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("kind", [2, 6])
def test_png_rows_decode_with_every_filter(kind: int) -> None:
    """Five rows, one per filter type (none, sub, up, average, Paeth), of varied pixels."""
    rows = [
        [
            ((x * 37 + y * 11) % 256, (x * 5 + y * 90) % 256, (x * y * 13) % 256, 255)
            for x in range(7)
        ]
        for y in range(5)
    ]
    given = [[p[: 3 if kind == 2 else 4] for p in row] for row in rows]
    width, height, pixels = decode_png(png(7, given, kind))
    assert (width, height) == (7, 5)
    assert pixels == [p[:3] for row in rows for p in row]


def test_not_a_png_is_refused() -> None:
    with pytest.raises(ValueError):
        decode_png(b"GIF89a")


def box(pixels: list[tuple[int, int, int]], width: int) -> Pixels:
    return (width, len(pixels) // width, pixels)


def test_glyphs_are_the_pixels_that_change_when_the_text_goes() -> None:
    """Pale grey text (#ccc) on a box half white, half dark: the glyph pixels over the white
    half make the low end (1.6:1), those over the dark half the rest."""
    light, dark, ink = WHITE, (20, 30, 60), (204, 204, 204)
    bare = [light] * 50 + [dark] * 50
    painted = [ink if i % 5 == 0 else p for i, p in enumerate(bare)]
    found = text_contrast((204.0, 204.0, 204.0, 1.0), box(painted, 10), box(bare, 10))
    assert found is not None
    assert found["glyph_pixels"] == 20
    assert found["contrast"] == pytest.approx(1.61, abs=0.01)
    assert found["background"] == [255, 255, 255]
    assert found["median_contrast"] > 9  # half the glyphs sit on the dark half


def test_a_few_stray_pixels_do_not_decide_alone() -> None:
    """Dark text on white, but one glyph pixel in 40 sits on a stray near-black pixel of a
    photograph: the figure kept (the low 5 % left out) is the white's."""
    bare = [(10, 10, 10) if i == 0 else WHITE for i in range(400)]
    painted = [(0, 0, 0) if i % 10 == 0 else p for i, p in enumerate(bare)]
    found = text_contrast((0.0, 0.0, 0.0, 1.0), box(painted, 20), box(bare, 20))
    assert found is not None and found["contrast"] == pytest.approx(21.0, abs=0.01)


def test_text_the_colour_of_its_background_reads_every_pixel() -> None:
    """No pixel changes when the text goes (text white on white): the whole box counts."""
    found = text_contrast((255.0, 255.0, 255.0, 1.0), box([WHITE] * 16, 4), box([WHITE] * 16, 4))
    assert found is not None and found["contrast"] == 1.0 and found["glyph_pixels"] == 0
    assert text_contrast((0.0, 0.0, 0.0, 1.0), box([WHITE] * 16, 4), box([WHITE] * 8, 4)) is None
