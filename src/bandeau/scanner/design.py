"""Dark patterns a browser can see (EDPB taskforce report, types B, C, D/E and H in the
standards list): how the first layer's refusal looks beside acceptance, switches ticked before
the reader touches them, and whether a way to change one's mind stays on the page.

The browser measures (computed styles, boxes, states: the scripts below); the rules here are
plain Python on those measurements, so that they are tested without a browser.

Thresholds, and why:

- contrast of the refusal's text on its effective background: below 4.5:1 (WCAG 2 AA for body
  text, the figure the standards list asks for) is medium; below 3:1 (under WCAG's floor even
  for large text: practically unreadable, which the taskforce calls manifestly misleading) is
  high;
- target size: a refusal smaller than 24 x 24 CSS px (WCAG 2.2 target size minimum) as shown
  is medium; "as shown" is the layout size times the visual viewport's scale, which a phone
  sets to about a third for a page without a viewport meta tag (laid out 980 px wide);
- text size: the refusal's text shown under 12 px (the smallest size a phone's browser and
  Lighthouse hold legible) while acceptance's is not is medium;
- prominence: acceptance a filled or bordered button while refusal is plain text, or
  acceptance's box more than twice refusal's area, is medium (the taskforce assesses it case
  by case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .words import normalise, role_of, speaks_of_consent

CONTRAST_MIN = 4.5
CONTRAST_UNREADABLE = 3.0
TARGET_MIN = 24.0  # CSS px, each side
TEXT_MIN = 12.0  # CSS px of the screen: legible text on a phone
AREA_RATIO_MAX = 2.0
WHITE = (255.0, 255.0, 255.0, 1.0)

Colour = tuple[float, float, float, float]

_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")


def parse_colour(text: str | None) -> Colour | None:
    """A computed CSS colour (`rgb(r, g, b)`, `rgba(r, g, b, a)`, `rgb(r g b / a)`, or
    `transparent`) as (r, g, b, alpha); None for what a computed style cannot give as sRGB
    (`color(display-p3 ...)`, empty)."""
    if not text:
        return None
    text = text.strip().lower()
    if text == "transparent":
        return (0.0, 0.0, 0.0, 0.0)
    m = _RGB.fullmatch(text)
    if m is None:
        return None
    r, g, b, a = m.groups()
    alpha = 1.0 if a is None else (float(a[:-1]) / 100 if a.endswith("%") else float(a))
    return (float(r), float(g), float(b), min(max(alpha, 0.0), 1.0))


def over(top: Colour, below: Colour) -> Colour:
    """`top` painted over an opaque `below` (source-over compositing)."""
    a = top[3]
    return (
        top[0] * a + below[0] * (1 - a),
        top[1] * a + below[1] * (1 - a),
        top[2] * a + below[2] * (1 - a),
        1.0,
    )


def effective_background(chain: list[str]) -> Colour:
    """The colour behind an element, from its own background up through its ancestors' (the
    chain as the browser gives it, nearest first): translucent layers are painted over what
    is below them, and a page with no opaque background is white (the canvas default)."""
    colour = WHITE
    for text in reversed(chain):
        layer = parse_colour(text)
        if layer is not None and layer[3] > 0:
            colour = over(layer, colour)
    return colour


def luminance(c: Colour) -> float:
    """WCAG 2 relative luminance of an opaque sRGB colour."""

    def channel(v: float) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])


def contrast(a: Colour, b: Colour) -> float:
    """WCAG 2 contrast ratio of two opaque colours, 1 to 21."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


@dataclass
class Look:
    """How one control of the first layer looks, from MEASURE."""

    role: str
    label: str
    selector: str
    tag: str
    width: float
    height: float
    text: Colour
    background: Colour
    """the effective background behind its text (its own, else its ancestors')"""
    behind: Colour
    """the background behind the control itself (its ancestors')"""
    own_background: Colour | None
    border: float
    """visible border width (px), 0 without one"""
    border_colour: Colour | None
    in_paragraph: bool
    gradient: bool
    """an ancestor or the control paints a background image or gradient"""
    sampled: dict[str, Any] | None = None
    """with a background image or gradient: the contrast read from the screen's pixels
    (pixels.text_contrast), which then stands for the computed one"""
    reachable: bool | None = None
    """its centre is on screen and on top, as found or once scrolled into view by what a
    reader can scroll (not a container whose overflow is hidden); None when not measured"""
    viewport_width: float | None = None
    scale: float = 1.0
    """the visual viewport's scale: a page without a viewport meta tag is laid out 980 px wide
    on a phone and shown at its screen's width over 980 (about 0.33 at 320 px)"""
    font_size: float | None = None
    """its text's computed size, in layout px (None when not measured)"""

    @classmethod
    def from_measure(cls, m: dict[str, Any]) -> Look:
        chain = list(m.get("backgrounds") or [])
        background = effective_background(chain)
        behind = effective_background(chain[1:])
        text = parse_colour(m.get("color")) or (0.0, 0.0, 0.0, 1.0)
        border = (
            float(m.get("border_width") or 0)
            if m.get("border_style")
            not in (
                None,
                "none",
                "hidden",
            )
            else 0.0
        )
        sampled = m.get("sampled")
        if sampled:
            r, g, b = sampled["background"]
            background = (float(r), float(g), float(b), 1.0)
        return cls(
            role=m.get("role") or "",
            label=m.get("label", ""),
            selector=m.get("selector", ""),
            tag=m.get("tag", ""),
            width=float(m.get("width") or 0),
            height=float(m.get("height") or 0),
            text=over(text, background),
            background=background,
            behind=behind,
            own_background=parse_colour(chain[0]) if chain else None,
            border=border,
            border_colour=parse_colour(m.get("border_color")),
            in_paragraph=bool(m.get("in_paragraph")),
            gradient=bool(m.get("gradient")),
            sampled=sampled or None,
            reachable=m.get("reachable"),
            viewport_width=m.get("viewport_width"),
            scale=float(m.get("scale") or 1.0),
            font_size=m.get("font_size"),
        )

    @property
    def shown_width(self) -> float:
        """its width as the reader sees it (layout px times the visual scale)"""
        return self.width * self.scale

    @property
    def shown_height(self) -> float:
        return self.height * self.scale

    @property
    def shown_text(self) -> float | None:
        """its text's size as the reader sees it"""
        return None if self.font_size is None else float(self.font_size) * self.scale

    @property
    def contrast(self) -> float:
        if self.sampled:
            return float(self.sampled["contrast"])
        return contrast(self.text, self.background)

    @property
    def filled(self) -> bool:
        """Its own background stands out from what is behind it (a filled button)."""
        own = self.own_background
        if own is None or own[3] < 0.5:
            return False
        return contrast(over(own, self.behind), self.behind) >= 1.2 or self.gradient

    @property
    def bordered(self) -> bool:
        c = self.border_colour
        if self.border < 1 or c is None or c[3] < 0.5:
            return False
        return contrast(over(c, self.behind), self.behind) >= 1.5

    @property
    def button_like(self) -> bool:
        return self.filled or self.bordered

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_json(self) -> dict[str, Any]:
        def css(c: Colour | None) -> str | None:
            if c is None:
                return None
            return f"rgb({round(c[0])}, {round(c[1])}, {round(c[2])})"

        return {
            "kind": "control",
            "role": self.role,
            "label": self.label,
            "selector": self.selector,
            "tag": self.tag,
            "width": round(self.width, 1),
            "height": round(self.height, 1),
            "color": css(self.text),
            "background": css(self.background),
            "contrast": round(self.contrast, 2),
            "style": "button" if self.button_like else "text",
            "in_paragraph": self.in_paragraph,
            "background_from": "pixels" if self.sampled else "styles",
            "reachable": self.reachable,
            "scale": round(self.scale, 3),
            "shown_width": round(self.shown_width, 1),
            "shown_height": round(self.shown_height, 1),
            "text_size": None if self.shown_text is None else round(self.shown_text, 1),
        }


@dataclass
class Issue:
    """One dark pattern: its rule, severity, title and evidence (findings.Finding's fields)."""

    rule: str
    severity: str
    title: str
    evidence: list[dict[str, Any]]


def first_layer_issues(
    looks: list[Look],
    outside_refusals: list[dict[str, Any]],
    shot: dict[str, Any],
    banner: dict[str, Any] | None = None,
) -> list[Issue]:
    """EDPB-C and EDPB-D/E on the first layer's measured controls. `looks` holds the layer's
    refuse, accept and acknowledge controls, the ones our detector would click first first;
    `outside_refusals` the refusal-named controls elsewhere in the page when it has none;
    `banner` the banner's box as measured (BANNER_BOX), evidence of an unreachable refusal."""
    refusals = [x for x in looks if x.role == "refuse"]
    # acceptance as our detector would click it: "accept", else "acknowledge" ("That's ok")
    accepts = [x for x in looks if x.role == "accept"] or [
        x for x in looks if x.role == "acknowledge"
    ]
    if not refusals:
        if accepts and outside_refusals:
            return [
                Issue(
                    "EDPB-C",
                    "high",
                    "the only refusal is outside the banner",
                    [shot, *outside_refusals[:2]],
                )
            ]
        return []
    out = _unreachable(refusals, accepts, shot, banner)
    out += _link_design(refusals, accepts[0] if accepts else None, shot)
    refuse = refusals[0]
    out += _contrast(refuse, shot)
    if accepts:
        out += _prominence(accepts[0], refuse, shot)
        out += _text_size(accepts[0], refuse, shot)
    return out


def _unreachable(
    refusals: list[Look], accepts: list[Look], shot: dict[str, Any], banner: dict[str, Any] | None
) -> list[Issue]:
    """EDPB-C: no refusal of the layer can be reached on this screen (off screen, out of a
    container the reader cannot scroll, or covered), while acceptance can."""
    if not all(x.reachable is False for x in refusals):
        return []
    if not any(x.reachable for x in accepts):
        return []
    r = refusals[0]
    width = f" {r.viewport_width:.0f} px wide" if r.viewport_width else ""
    title = f"the refusal cannot be reached on a{width} screen (off screen or covered)"
    evidence = [shot, r.to_json(), accepts[0].to_json()]
    if banner:
        evidence.append({"kind": "banner", **banner})
    return [Issue("EDPB-C", "high", title, evidence)]


def _link_design(refusals: list[Look], accept: Look | None, shot: dict[str, Any]) -> list[Issue]:
    """EDPB-C: every refusal of the layer is a link in the body text, or too small to hit
    while acceptance is not (or while it is plain text). Two equally small buttons are an
    accessibility matter (WCAG 2.5.8), not a design that steers the reader: not reported."""
    if all(x.in_paragraph and not x.button_like for x in refusals):
        what = "a link-styled element inside a paragraph of text"
        evidence = [shot, refusals[0].to_json()]
        return [Issue("EDPB-C", "high", f"the only refusal is {what}", evidence)]
    accept_fits = accept is not None and not _small(accept)
    if all(_small(x) and (accept_fits or not x.button_like) for x in refusals):
        r = refusals[0]
        size = f"{r.shown_width:.0f} x {r.shown_height:.0f}"
        zoom = f", zoomed out to {r.scale:.2f}" if r.scale < 1 else ""
        title = f"the refusal is smaller than 24 x 24 px as shown ({size}{zoom})"
        evidence = [shot, r.to_json()] + ([accept.to_json()] if accept else [])
        return [Issue("EDPB-C", "medium", title, evidence)]
    return []


def _small(look: Look) -> bool:
    """Smaller than the minimum target as the reader sees it (a zoomed-out page shrinks it)."""
    return look.shown_width < TARGET_MIN or look.shown_height < TARGET_MIN


def _text_size(accept: Look, refuse: Look, shot: dict[str, Any]) -> list[Issue]:
    """EDPB-D/E: the refusal's text too small to read as shown while acceptance's is not (a
    desktop page zoomed out on a phone keeps a large "accept" legible and a small "refuse"
    not). Both too small favours neither answer: not reported."""
    refused, accepted = refuse.shown_text, accept.shown_text
    if refused is None or accepted is None or refused >= TEXT_MIN or accepted < TEXT_MIN:
        return []
    zoom = f", zoomed out to {refuse.scale:.2f}" if refuse.scale < 1 else ""
    title = f"the refusal's text is shown at {refused:.1f} px, acceptance's at {accepted:.1f}{zoom}"
    return [Issue("EDPB-D/E", "medium", title, [shot, accept.to_json(), refuse.to_json()])]


def _contrast(refuse: Look, shot: dict[str, Any]) -> list[Issue]:
    """EDPB-D/E: refusal's text hard (medium) or practically impossible (high) to read."""
    ratio = refuse.contrast
    if ratio >= CONTRAST_MIN:
        return []
    severity = "high" if ratio < CONTRAST_UNREADABLE else "medium"
    title = f"the refusal's text contrast is {ratio:.2f}:1 (under 4.5:1)"
    return [Issue("EDPB-D/E", severity, title, [shot, refuse.to_json()])]


def _prominence(accept: Look, refuse: Look, shot: dict[str, Any]) -> list[Issue]:
    """EDPB-D/E: acceptance made much more prominent than refusal."""
    evidence = [shot, accept.to_json(), refuse.to_json()]
    if accept.button_like and not refuse.button_like:
        title = "acceptance is a button, refusal plain text"
        return [Issue("EDPB-D/E", "medium", title, evidence)]
    if refuse.area > 0 and accept.area / refuse.area > AREA_RATIO_MAX:
        ratio = accept.area / refuse.area
        title = f"acceptance's button is {ratio:.1f} times refusal's area"
        return [Issue("EDPB-D/E", "medium", title, evidence)]
    return []


def preticked_issues(
    switches: list[dict[str, Any]], shot: dict[str, Any], layer: str = "the settings layer"
) -> list[Issue]:
    """EDPB-B: switches of the settings layer (or of the vendor list it opens) on before the
    reader touched them, leaving out those the reader cannot change (disabled or read-only:
    strictly necessary)."""
    on = [s for s in switches if s.get("checked") and not s.get("disabled")]
    if not on:
        return []
    names = ", ".join(repr(s.get("label") or s.get("selector")) for s in on[:3])
    title = f"{len(on)} switch(es) of {layer} on before any choice: {names}"
    evidence = [shot] + [{"kind": "switch", **s} for s in on[:4]]
    return [Issue("EDPB-B", "high", title, evidence)]


POLICY_ONLY = (
    "policy",
    "notice",
    "politique",
    "datenschutzerklärung",
    "richtlinie",
    "política",
    "informativa",
    "beleid",
    "polityka",
)
"""a link to a privacy or cookie policy is not a way to change one's choice"""


def manages_consent(label: str, floating: bool) -> bool:
    """Whether a control is a way back to one's consent choices: its label speaks of cookies
    or consent (and is not a link to a policy), or it floats on the page with a settings label
    ("Manage preferences"). Short labels only: a paragraph is not a control."""
    text = normalise(label)
    if len(text) > 62:
        return False
    if speaks_of_consent(label) and not any(w in text for w in POLICY_ONLY):
        return True
    return floating and role_of(label) == "settings"


def way_back(control: dict[str, Any]) -> bool:
    """Whether a control read by PERSISTENT leads back to the choices: one on screen by its
    label (manages_consent); an unnamed floating icon or a link in a closed menu only once
    trying it brought the banner back (`reopens`, set by the visit)."""
    if control.get("how") in ("icon", "menu"):
        return bool(control.get("reopens"))
    return manages_consent(control.get("label", ""), bool(control.get("floating")))


def to_try(control: dict[str, Any]) -> bool:
    """A control worth trying as a way back: a floating icon that speaks of cookies by its
    markup, or a link in a closed menu whose label does."""
    how = control.get("how")
    return how == "icon" or (how == "menu" and manages_consent(control.get("label", ""), False))


def withdrawal_issues(
    looks_by_stage: dict[str, list[dict[str, Any]]], shot: dict[str, Any]
) -> list[Issue]:
    """EDPB-H: a page view after refusal (reload, next page) with no control to change the
    choice: no floating button, no link named for cookies or consent, no icon or menu link
    that brought the banner back when tried."""
    bare = [stage for stage, controls in looks_by_stage.items() if not any(map(way_back, controls))]
    if not bare:
        return []
    title = "after refusal, no visible way to change the choice (" + ", ".join(bare) + ")"
    return [Issue("EDPB-H", "medium", title, [shot])]


# ------------------------------------------------------------------ what the browser measures

# Shared by the scripts below: deep search through open and closed shadow roots, an element's
# parent across a shadow boundary, and a short CSS selector for the evidence.
_DEEP = """
  const shadowOf = (el) => el.shadowRoot
    || (window.__bdscanShadowOf ? window.__bdscanShadowOf(el) : null);
  const deepAll = (root, sel, out = []) => {
    for (const e of root.querySelectorAll(sel)) out.push(e);
    for (const e of root.querySelectorAll("*")) if (shadowOf(e)) deepAll(shadowOf(e), sel, out);
    return out;
  };
  const parentOf = (el) => el.parentElement
    || (el.getRootNode && el.getRootNode() !== document ? el.getRootNode().host : null);
  const selector = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) return s + "#" + el.id;
    const cls = (el.getAttribute("class") || "").trim().split(/\\s+/).filter(Boolean);
    return s + cls.slice(0, 3).map((c) => "." + c).join("");
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none";
  };
"""

# Whether a reader can reach a control: its centre on screen and the element found there (on
# top), as it is or once scrolled into view; scrolling a container whose overflow is hidden or
# clip (which only a script can scroll) does not count. Scroll positions are put back.
_REACH = """
  const centre = (r) => [r.left + r.width / 2, r.top + r.height / 2];
  const onScreen = (r) => {
    const [x, y] = centre(r);
    return x >= 0 && y >= 0 && x < window.innerWidth && y < window.innerHeight;
  };
  const onTop = (el, r) => {
    const [x, y] = centre(r);
    const root = el.getRootNode();
    const hit = (root.elementFromPoint ? root : document).elementFromPoint(x, y);
    return !!hit && (hit === el || el.contains(hit));
  };
  const reach = (el) => {
    const r0 = el.getBoundingClientRect();
    if (onScreen(r0) && onTop(el, r0)) return true;
    const kept = [];
    for (let e = parentOf(el); e && e.nodeType === 1; e = parentOf(e)) {
      kept.push([e, e.scrollLeft, e.scrollTop]);
    }
    const [sx, sy] = [window.scrollX, window.scrollY];
    el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
    const r1 = el.getBoundingClientRect();
    const forced = kept.some(([e, l, t]) => (e.scrollLeft !== l || e.scrollTop !== t)
      && /hidden|clip/.test(getComputedStyle(e).overflowX + getComputedStyle(e).overflowY));
    const ok = !forced && onScreen(r1) && onTop(el, r1);
    for (const [e, l, t] of kept) { e.scrollLeft = l; e.scrollTop = t; }
    window.scrollTo({left: sx, top: sy, behavior: "instant"});
    return ok;
  };
  // a banner that slides or fades in is measured where it comes to rest (1.5 s at most)
  const settled = () => Promise.race([
    Promise.all(document.getAnimations()
      .filter((a) => a.playState === "running"
        && Number.isFinite(a.effect && a.effect.getComputedTiming().endTime))
      .map((a) => a.finished.catch(() => null))),
    new Promise((done) => setTimeout(done, 1500)),
  ]);
"""

# The first layer's controls by their data-bdscan ids: box, colours (the background chain up
# to the first opaque one), border, whether inside a paragraph with over 20 characters of
# body text besides its controls, whether a reader can reach it on this screen.
MEASURE = (
    """async (ids) => {"""
    + _DEEP
    + _REACH
    + """
  await settled();
  const opaque = (c) => /^rgb\\(/.test(c) || /,\\s*1\\)$/.test(c);
  const out = [];
  for (const id of ids) {
    const el = deepAll(document, '[data-bdscan="' + id + '"]')[0];
    if (!el) continue;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const backgrounds = [];
    let gradient = false;
    for (let e = el; e && e.nodeType === 1; e = parentOf(e)) {
      const es = getComputedStyle(e);
      backgrounds.push(es.backgroundColor);
      if (es.backgroundImage && es.backgroundImage !== "none") gradient = true;
      if (opaque(es.backgroundColor)) break;
    }
    const label = ((el.innerText || el.value || "") + "").trim().slice(0, 80);
    // body text around it: the paragraph's text without its controls' (a <p> that only
    // wraps the buttons is an action area, not a paragraph)
    const p = el.closest ? el.closest("p") : null;
    let rest = p ? (p.innerText || "").trim().length : 0;
    if (p) for (const c of p.querySelectorAll("a, button, [role=button]")) {
      rest -= ((c.innerText || "") + "").trim().length;
    }
    out.push({id, label, tag: el.tagName.toLowerCase(), selector: selector(el),
      width: r.width, height: r.height, color: s.color, backgrounds, gradient,
      border_width: parseFloat(s.borderBottomWidth) || 0, border_style: s.borderBottomStyle,
      border_color: s.borderBottomColor, in_paragraph: !!p && rest > 20,
      reachable: reach(el), viewport_width: window.innerWidth,
      scale: window.visualViewport ? window.visualViewport.scale : 1,
      font_size: parseFloat(s.fontSize) || null});
  }
  return out;
}"""
)

# The banner's container (data-bdscan-box): its box, the viewport's size, and the share of the
# viewport it covers.
BANNER_BOX = (
    """(box) => {"""
    + _DEEP
    + """
  const el = box ? deepAll(document, '[data-bdscan-box="' + box + '"]')[0] : null;
  if (!el) return null;
  const r = el.getBoundingClientRect();
  const [vw, vh] = [window.innerWidth, window.innerHeight];
  const w = Math.max(0, Math.min(r.right, vw) - Math.max(r.left, 0));
  const h = Math.max(0, Math.min(r.bottom, vh) - Math.max(r.top, 0));
  return {selector: selector(el), x: r.left, y: r.top, width: r.width, height: r.height,
    viewport_width: vw, viewport_height: vh, covers: (w * h) / (vw * vh)};
}"""
)

# Clickable controls of the page outside the banner's container (data-bdscan-box): where a
# refusal placed outside the banner would be.
OUTSIDE = (
    """(box) => {"""
    + _DEEP
    + """
  const container = box ? deepAll(document, '[data-bdscan-box="' + box + '"]')[0] : null;
  const out = [];
  for (const c of deepAll(document, "a, button, [role=button], [onclick]")) {
    if (container && container.contains(c)) continue;
    if (!shown(c)) continue;
    const label = ((c.innerText || "") + "").trim() || c.getAttribute("aria-label") || "";
    if (label && label.length <= 80) out.push({kind: "control", label, selector: selector(c)});
    if (out.length >= 300) break;
  }
  return out;
}"""
)

# Switches of a settings layer (its container, or the whole frame) and whether each is on
# before the reader touched it: checkboxes, role=switch/checkbox, aria-checked, aria-pressed.
SWITCHES = (
    """(box) => {"""
    + _DEEP
    + """
  const container = box ? deepAll(document, '[data-bdscan-box="' + box + '"]')[0] : null;
  const sel = "input[type=checkbox], [role=switch], [role=checkbox], [aria-checked], "
    + "[aria-pressed]";
  const out = [];
  for (const el of deepAll(container || document, sel)) {
    const input = el.tagName === "INPUT";
    const checked = input ? el.checked
      : (el.getAttribute("aria-checked") === "true" || el.getAttribute("aria-pressed") === "true");
    const disabled = !!el.disabled || el.getAttribute("aria-disabled") === "true"
      || el.getAttribute("aria-readonly") === "true" || el.hasAttribute("readonly");
    const named = (input && el.labels && el.labels[0]) ? el.labels[0].innerText : "";
    const around = parentOf(el) ? (parentOf(el).innerText || "") : "";
    const label = (named || el.getAttribute("aria-label") || el.innerText || around || "")
      .trim().split("\\n")[0].slice(0, 80);
    out.push({label, selector: selector(el), checked: !!checked, disabled, shown: shown(el)});
  }
  return out;
}"""
)

# Controls of the page a reader could use to come back to the consent choices, and whether
# each floats (fixed or sticky, itself or an ancestor):
# - `shown`: links, buttons, icons on screen, named by text, aria-label, title or an image's alt;
# - `icon`: an unnamed control that floats, at most 96 x 96 px, whose id, class, or an inner
#   element's id, class, link or svg <title> speaks of cookies or consent (tagged
#   data-bdscan-back, to be tried);
# - `menu`: a named control hidden in a menu that a control on screen opens (a <details>'s
#   summary, the control whose aria-controls names an ancestor, or an aria-expanded=false one
#   beside the menu), both tagged (data-bdscan-back, data-bdscan-toggle), to be tried.
PERSISTENT = (
    """() => {"""
    + _DEEP
    + """
  const out = [];
  const sel = "a, button, [role=button], [onclick], summary";
  const HINT = /cookie|consent|gdpr|rgpd|dsgvo|privacy|datenschutz|tarteaucitron/i;
  const icons = ["cookie", "consent", "gdpr", "rgpd", "privacy"]
    .map((w) => "[class*=" + w + " i], [id*=" + w + " i]").join(", ");
  const floats = (c) => {
    for (let e = c; e && e.nodeType === 1; e = parentOf(e)) {
      const p = getComputedStyle(e).position;
      if (p === "fixed" || p === "sticky") return true;
    }
    return false;
  };
  const hintOf = (c) => {
    const parts = [c.id, c.getAttribute("class")];
    for (const e of c.querySelectorAll("*")) {
      parts.push(e.id, e.getAttribute("class"), e.getAttribute("href"),
        e.getAttribute("xlink:href"), e.getAttribute("src"));
      if (e.tagName.toLowerCase() === "title") parts.push(e.textContent);
    }
    const m = parts.filter((x) => typeof x === "string").join(" ").match(HINT);
    return m ? m[0].toLowerCase() : "";
  };
  const toggleOf = (c) => {
    const details = c.closest ? c.closest("details") : null;
    if (details && !details.open) return details.querySelector("summary");
    for (let e = c.parentElement; e; e = e.parentElement) {
      if (!e.id) continue;
      const t = document.querySelector('[aria-controls~="' + CSS.escape(e.id) + '"]');
      if (t && shown(t)) return t;
    }
    const menu = c.closest ? c.closest("nav, [role=navigation], [role=menu], menu") : null;
    const scope = menu && menu.parentElement;
    return scope ? Array.from(scope.querySelectorAll("[aria-expanded=false]")).find(shown) : null;
  };
  const seen = new Set();
  let tried = 0;
  for (const c of deepAll(document, sel + ", " + icons)) {
    if (seen.has(c)) continue;
    seen.add(c);
    const img = c.querySelector ? c.querySelector("img[alt]") : null;
    const label = (((c.innerText || "") + "").trim() || c.getAttribute("aria-label")
      || c.getAttribute("title") || (img ? img.getAttribute("alt") : "") || "").trim();
    if (label.length > 80) continue;
    const control = c.matches(sel);
    if (shown(c) && label && control) {
      out.push({label, selector: selector(c), floating: floats(c), how: "shown"});
    } else if (shown(c) && !label && tried < 20) {
      const r = c.getBoundingClientRect();
      const hint = hintOf(c);
      if (hint && r.width <= 96 && r.height <= 96 && floats(c)) {
        const id = "w" + tried++;
        c.setAttribute("data-bdscan-back", id);
        out.push({label, hint, selector: selector(c), floating: true, how: "icon", id});
      }
    } else if (!shown(c) && label && control && tried < 20) {
      const toggle = toggleOf(c);
      if (toggle) {
        const id = "w" + tried++;
        c.setAttribute("data-bdscan-back", id);
        toggle.setAttribute("data-bdscan-toggle", id);
        out.push({label, selector: selector(c), floating: false, how: "menu", id});
      }
    }
    if (out.length >= 500) break;
  }
  // icons with nothing in their markup that says cookie: small, floating by their own
  // position, with a pointer cursor, no text, no name; tried after the named ones
  for (const c of deepAll(document, "div, span, img, svg, i")) {
    if (tried >= 20 || out.length >= 500) break;
    if (seen.has(c)) continue;
    const st = getComputedStyle(c);
    if (!/fixed|sticky/.test(st.position) || st.cursor !== "pointer" || !shown(c)) continue;
    const r = c.getBoundingClientRect();
    if (r.width > 96 || r.height > 96 || ((c.innerText || "") + "").trim()) continue;
    if (c.getAttribute("aria-label") || c.getAttribute("title")) continue;
    const id = "w" + tried++;
    c.setAttribute("data-bdscan-back", id);
    out.push({label: "", hint: "", selector: selector(c), floating: true, how: "icon", id});
  }
  return out;
}"""
)

# Finds a way back tagged `data-bdscan-back=id` (PERSISTENT), through open and closed shadow
# roots, brings it into view and returns the centre of its box (null when it is gone): an
# icon is clicked there with the mouse, as a reader taps it, wherever its markup lives.
LOCATE_BACK = (
    """(id) => {"""
    + _DEEP
    + """
  const el = deepAll(document, '[data-bdscan-back="' + id + '"]')[0];
  if (!el) return null;
  el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
}"""
)
