"""The colour behind a control's text read from the screen's pixels, for a background that
computed styles cannot give as one colour (a gradient, an image: EDPB-D/E).

The control's box is captured twice: as painted, then with its text made transparent. The
pixels that differ are the glyphs; the second capture holds, at those places, the background
the text is read on. The text's computed colour is compared with each of those pixels (WCAG 2
contrast) and the figure kept is the low end: the 5th percentile, so that a few stray pixels of
a photograph do not decide alone, while a part of the label on the light end of a gradient
does.
"""

from __future__ import annotations

import logging
import struct
import zlib
from typing import TYPE_CHECKING, Any

from .banners import FIND_TAGGED_DEEP
from .design import Colour, contrast, over, parse_colour

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

log = logging.getLogger("bandeau.scanner")

LOW_END = 0.05
"""the share of glyph pixels left out at the low end of the contrast figures"""

GLYPH_DIFFERENCE = 24
"""summed RGB difference (0-765) from which a pixel counts as painted by the text"""

Pixels = tuple[int, int, list[tuple[int, int, int]]]
"""width, height and the rows' pixels, left to right, top to bottom"""


def decode_png(data: bytes) -> Pixels:
    """An 8-bit, non-interlaced PNG (grey, grey with alpha, RGB or RGBA, as Chromium's
    screenshots are) as opaque RGB pixels; alpha is dropped (a screenshot is opaque)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = kind = 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or kind not in (0, 2, 4, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, type {kind})")
        elif tag == b"IDAT":
            idat += body
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[kind]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, channels)
        rows.append(row)
        prev = row
    out = []
    for row in rows:
        for x in range(width):
            p = row[x * channels : (x + 1) * channels]
            out.append((p[0], p[0], p[0]) if channels < 3 else (p[0], p[1], p[2]))
    return width, height, out


def _unfilter(method: int, row: bytearray, prev: bytearray, bpp: int) -> bytearray:
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if method == 1:
            row[i] = (row[i] + a) & 0xFF
        elif method == 2:
            row[i] = (row[i] + b) & 0xFF
        elif method == 3:
            row[i] = (row[i] + (a + b) // 2) & 0xFF
        elif method == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return row


def text_contrast(text: Colour, painted: Pixels, bare: Pixels) -> dict[str, Any] | None:
    """The text's contrast on the pixels behind its glyphs: `painted` is the box as shown,
    `bare` the same box with the text transparent. None when the captures do not match in
    size; when no pixel differs (text the colour of its background), every pixel of the box
    counts."""
    if painted[:2] != bare[:2] or not bare[2]:
        return None
    behind = [
        b
        for p, b in zip(painted[2], bare[2], strict=True)
        if abs(p[0] - b[0]) + abs(p[1] - b[1]) + abs(p[2] - b[2]) >= GLYPH_DIFFERENCE
    ]
    glyphs = len(behind)
    behind = behind or bare[2]
    ratios = []
    for r, g, b in behind:
        ground: Colour = (float(r), float(g), float(b), 1.0)
        ratios.append((contrast(over(text, ground), ground), ground))
    ratios.sort(key=lambda x: x[0])
    ratio, ground = ratios[min(len(ratios) - 1, int(len(ratios) * LOW_END))]
    return {
        "contrast": ratio,
        "background": [round(v) for v in ground[:3]],
        "glyph_pixels": glyphs,
        "median_contrast": ratios[len(ratios) // 2][0],
    }


# Finds a control tagged data-bdscan (through open and closed shadow roots) and, with `hide`
# true, makes its text and its descendants' transparent (kept aside to be put back); with
# `hide` false, puts the text back. Returns the control's box in the frame's viewport.
HIDE_TEXT = (
    "([id, hide]) => {"
    + FIND_TAGGED_DEEP
    + """  const props = ["color", "-webkit-text-fill-color", "text-shadow", "transition",
    "text-decoration-color"];
  if (hide) {
    const kept = [];
    for (const e of [el, ...el.querySelectorAll("*")]) {
      kept.push([e, props.map((p) => [e.style.getPropertyValue(p),
        e.style.getPropertyPriority(p)])]);
      e.style.setProperty("transition", "none", "important");
      e.style.setProperty("color", "transparent", "important");
      e.style.setProperty("-webkit-text-fill-color", "transparent", "important");
      e.style.setProperty("text-shadow", "none", "important");
      e.style.setProperty("text-decoration-color", "transparent", "important");
    }
    window.__bdscanKept = kept;
  } else {
    for (const [e, values] of window.__bdscanKept || []) {
      props.forEach((p, i) => e.style.setProperty(p, values[i][0], values[i][1]));
    }
    window.__bdscanKept = null;
  }
  const r = el.getBoundingClientRect();
  return {x: r.left, y: r.top, width: r.width, height: r.height,
    vw: window.innerWidth, vh: window.innerHeight};
}"""
)


async def sample_text_background(frame: Frame, measured: dict[str, Any]) -> dict[str, Any] | None:
    """The refusal's text contrast from the screen's pixels (see the module's docstring);
    None when its box is not on screen (nothing to capture) or the capture failed."""
    text = parse_colour(measured.get("color")) or (0.0, 0.0, 0.0, 1.0)
    page = frame.page
    try:
        offset = {"x": 0.0, "y": 0.0}
        if frame != page.main_frame:
            box = await (await frame.frame_element()).bounding_box()
            if box is None:
                return None
            offset = {"x": box["x"], "y": box["y"]}
        rect = await frame.evaluate(HIDE_TEXT, [measured["id"], False])
        if rect is None:
            return None
        clip = _clip(rect, offset)
        if clip is None:
            log.info("refusal %r off screen: its background is not sampled", measured["label"])
            return None
        painted = await _capture(page, clip)
        await frame.evaluate(HIDE_TEXT, [measured["id"], True])
        try:
            bare = await _capture(page, clip)
        finally:
            await frame.evaluate(HIDE_TEXT, [measured["id"], False])
        return text_contrast(text, decode_png(painted), decode_png(bare))
    except Exception as e:  # the banner re-rendered, or its frame went away
        log.info("refusal's background not sampled: %s", str(e).splitlines()[0])
        return None


async def _capture(page: Page, clip: dict[str, float]) -> bytes:
    """The box, in CSS pixels, animations stopped."""
    shot = await page.screenshot(
        type="png",
        clip=clip,  # type: ignore[arg-type]
        scale="css",
        animations="disabled",
    )
    return shot


def _clip(rect: dict[str, float], offset: dict[str, float]) -> dict[str, float] | None:
    """The part of the control's box inside its frame's viewport, in page coordinates."""
    left, top = max(rect["x"], 0.0), max(rect["y"], 0.0)
    right = min(rect["x"] + rect["width"], rect["vw"])
    bottom = min(rect["y"] + rect["height"], rect["vh"])
    if right - left < 1 or bottom - top < 1:
        return None
    return {
        "x": left + offset["x"],
        "y": top + offset["y"],
        "width": right - left,
        "height": bottom - top,
    }
