"""Finding a consent banner and answering it, by the shortest path a reader has.

Two sources: bandeau's own banner, through its JavaScript API and its documented controls
(docs/banner.md); any other banner, through a detector of our own. The detector looks, in every
frame and inside open shadow roots, for a visible container that is fixed, sticky, a dialog or
stacked high (z-index), whose text speaks of cookies or consent, and whose buttons are named
like accept / refuse / settings in one of the EU languages (`words`). The reader's effort is
counted on the detector's path: each click is one, each layer opened is one more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .words import normalise, role_of, speaks_of_consent

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

log = logging.getLogger("bandeau.scanner")

# Lists candidate containers of the frame (deep through open shadow roots) and their
# clickable controls; tags each control with data-bdscan so that Playwright can click it.
CANDIDATES = """(args) => {
  const [inFrame, round] = args;
  const out = [];
  const shadowOf = (el) => el.shadowRoot
    || (window.__bdscanShadowOf ? window.__bdscanShadowOf(el) : null);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none" && parseFloat(s.opacity || "1") > 0.05;
  };
  const all = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      all.push(el);
      if (shadowOf(el)) walk(shadowOf(el));
    }
  };
  walk(document);
  const deepText = (el) => {
    let t = el.innerText || "";
    const inner = [];
    const dig = (root) => {
      for (const e of root.querySelectorAll("*")) if (shadowOf(e)) {
        const parts = Array.from(shadowOf(e).children, (c) => c.innerText || c.textContent || "");
        inner.push(parts.join(" "));
        dig(shadowOf(e));
      }
    };
    if (shadowOf(el)) dig({querySelectorAll: () => [el]});
    dig(el);
    return (t + " " + inner.join(" ")).slice(0, 4000);
  };
  const controls = (el) => {
    const found = [];
    const seen = new Set();
    const look = (root, closed) => {
      const clickable = "button, a, [role=button], input[type=button], input[type=submit], "
        + "[onclick], [tabindex]";
      for (const c of root.querySelectorAll(clickable)) {
        if (seen.has(c) || !visible(c)) continue;
        seen.add(c);
        const label = ((c.innerText || c.value || "") + "").trim()
          || c.getAttribute("aria-label") || c.getAttribute("title") || "";
        if (!label || label.length > 80) continue;
        const id = "r" + round + "-" + out.length + "-" + found.length;
        c.setAttribute("data-bdscan", id);
        found.push({id, label, tag: c.tagName.toLowerCase(), closed});
      }
      for (const e of root.querySelectorAll("*")) {
        const inner = shadowOf(e);
        if (inner) look(inner, closed || inner !== e.shadowRoot);
      }
    };
    const own = shadowOf(el);
    if (own) look(own, own !== el.shadowRoot);
    look(el, false);
    return found;
  };
  let order = 0;
  for (const el of all) {
    order++;
    const s = getComputedStyle(el);
    const z = parseInt(s.zIndex, 10) || 0;
    const modal = (el.tagName === "DIALOG" && el.open) || el.getAttribute("aria-modal") === "true";
    const role = el.getAttribute("role");
    const dialog = modal || role === "dialog" || role === "alertdialog";
    const placed = s.position === "fixed" || s.position === "sticky"
      || (z >= 100 && s.position !== "static");
    if (!(placed || dialog) || !visible(el)) continue;
    const text = deepText(el);
    if (text.trim().length < 15) continue;
    const box = "b" + round + "-" + out.length;
    el.setAttribute("data-bdscan-box", box);
    out.push({text, z, modal, order, box, buttons: controls(el)});
  }
  if (inFrame && document.body && visible(document.body)) {
    const body = document.body;
    const box = "b" + round + "-" + out.length;
    body.setAttribute("data-bdscan-box", box);
    out.push({text: deepText(body), z: 0, modal: false, order: 0, box, buttons: controls(body)});
  }
  return out;
}"""


@dataclass
class Control:
    id: str
    label: str
    role: str | None
    closed: bool = False
    """inside a closed shadow root, which Playwright's selectors cannot reach"""


@dataclass
class Found:
    """A banner on screen: the frame it lives in and its controls by role."""

    frame: Frame
    text: str
    controls: list[Control]
    in_frame: bool
    shadow: bool = False
    box: str = ""
    """the container's data-bdscan-box id (design.py's scripts find it by it)"""

    def first(self, role: str) -> Control | None:
        return next((c for c in self.controls if c.role == role), None)

    def roles(self) -> set[str]:
        return {c.role for c in self.controls if c.role}


@dataclass
class Choice:
    """How answering the banner went."""

    action: str  # "refuse" | "accept"
    clicks: int = 0
    layers: int = 0
    done: bool = False
    """the control was found and clicked, and the banner went away"""
    path: list[str] = field(default_factory=list)
    """the labels clicked, in order"""
    first_layer_roles: list[str] = field(default_factory=list)
    note: str = ""
    by: str = "detector"
    """who answered: `bandeau` (its API), `detector` (ours), `autoconsent:<rule>`"""
    switches: list[dict[str, Any]] | None = None
    """the settings layer's switches as first opened (label, selector, checked, disabled);
    None when no settings layer was opened (EDPB-B)"""
    settings_shot: bytes | None = field(default=None, repr=False)
    """a screenshot of the settings layer, taken only when a switch was on (the evidence)"""
    vendor_switches: list[dict[str, Any]] | None = None
    """the switches of a vendor list opened from the settings layer (a third layer, as TCF
    CMPs show), read as first opened; None when the settings layer offered none (EDPB-B)"""
    vendors_shot: bytes | None = field(default=None, repr=False)
    """a screenshot of the vendor list, taken only when a switch was on"""

    @property
    def by_autoconsent(self) -> bool:
        return self.by.startswith("autoconsent:")

    @property
    def measured_clicks(self) -> int | None:
        """The reader's effort, counted on our own path only (None when autoconsent answered
        or when the choice did not take)."""
        return self.clicks if self.done and not self.by_autoconsent else None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "by": self.by,
            "clicks": self.measured_clicks,
            "layers": self.layers,
            "done": self.done,
            "path": self.path,
            "first_layer_roles": self.first_layer_roles,
            "note": self.note,
            "switches": self.switches,
            "vendor_switches": self.vendor_switches,
        }


_round = 0


async def find(page: Page, wording: bool = True) -> Found | None:
    """The consent banner on screen now, in the page or any frame; None when there is none.
    `wording` False: a layer opened from the banner (its settings), which need not speak of
    cookies or consent again (Klaro's "Services we would like to use")."""
    global _round
    for frame in page.frames:
        in_frame = frame != page.main_frame
        if in_frame and not await _frame_shown(frame):
            continue
        _round += 1
        try:
            candidates: list[dict[str, Any]] = await frame.evaluate(CANDIDATES, [in_frame, _round])
        except Exception as e:  # a frame that navigates away while we look
            log.info("frame %s not searched: %s", frame.url, str(e).splitlines()[0])
            continue
        best = _best(candidates, wording)
        if best is not None:
            controls = [
                Control(b["id"], b["label"], role_of(b["label"]), bool(b.get("closed")))
                for b in best["buttons"]
            ]
            return Found(frame, best["text"], controls, in_frame, box=best.get("box", ""))
    return None


def _best(candidates: list[dict[str, Any]], wording: bool = True) -> dict[str, Any] | None:
    """The banner among the candidates: speaks of consent and offers a choice; a modal layer
    first, then the one stacked highest, then the last in the document."""
    good = []
    for c in candidates:
        roles = {role_of(b["label"]) for b in c["buttons"]}
        if wording and not speaks_of_consent(c["text"]):
            continue
        if not roles & {"accept", "refuse", "settings", "acknowledge", "save"}:
            continue
        good.append(c)
    if not good:
        return None
    return max(good, key=lambda c: (c["modal"], c["z"], c["order"]))


async def appear(page: Page, tries: int = 6, wording: bool = True) -> Found | None:
    """The banner, looking a few times 250 ms apart: CMPs often show it a moment after load,
    and a banner in a frame needs the frame painted."""
    import asyncio

    for attempt in range(tries):
        found = await find(page, wording)
        if found is not None or attempt == tries - 1:
            return found
        await asyncio.sleep(0.25)
    return None


async def gone(page: Page, tries: int = 6, wording: bool = True) -> bool:
    """Whether the banner has left the screen (it may fade out: a few looks, 250 ms apart)."""
    import asyncio

    for _ in range(tries):
        if await find(page, wording) is None:
            return True
        await asyncio.sleep(0.25)
    return False


async def _frame_shown(frame: Frame) -> bool:
    try:
        element = await frame.frame_element()
        box = await element.bounding_box()
    except Exception as e:
        log.info("frame %s not measured: %s", frame.url, str(e).splitlines()[0])
        return False
    return bool(box and box["width"] > 10 and box["height"] > 10)


async def click(found: Found, control: Control) -> None:
    """Click as a reader would; when the control never becomes clickable for Playwright (still
    moving, covered by a transparent layer, a loaded machine), activate it as a script would."""
    from playwright.async_api import Error as PlaywrightError

    if control.closed:
        await _click_in_closed_root(found, control)
        return
    target = found.frame.locator(f'[data-bdscan="{control.id}"]').first
    try:
        await target.click(timeout=5_000)
    except PlaywrightError as e:
        log.info("click on %r fell back to a script click: %s", control.label, str(e)[:80])
        await target.evaluate("(el) => el.click()", timeout=5_000)


# The page-side search for the control tagged `data-bdscan=id`, through open and closed shadow
# roots (the init script keeps each closed root): the start of every script that finds such a
# control again, given `id` and leaving it in `el`, or returning null when it is gone.
FIND_TAGGED_DEEP = """
  const shadowOf = (el) => el.shadowRoot
    || (window.__bdscanShadowOf ? window.__bdscanShadowOf(el) : null);
  const search = (root) => {
    const hit = root.querySelector('[data-bdscan="' + id + '"]');
    if (hit) return hit;
    for (const e of root.querySelectorAll("*")) {
      const inner = shadowOf(e);
      const deep = inner && search(inner);
      if (deep) return deep;
    }
    return null;
  };
  const el = search(document);
  if (!el) return null;
"""

# Finds a control tagged by CANDIDATES, through open and closed shadow roots, brings it into
# view and returns the centre of its box in the frame's viewport (null when it is gone).
LOCATE_DEEP = (
    "([id, activate]) => {"
    + FIND_TAGGED_DEEP
    + """  if (activate) { el.click(); return {x: 0, y: 0}; }
  el.scrollIntoView({block: "center"});
  const r = el.getBoundingClientRect();
  return {x: r.left + r.width / 2, y: r.top + r.height / 2};
}"""
)


async def _click_in_closed_root(found: Found, control: Control) -> None:
    """A control in a closed shadow root: clicked with the mouse at the centre of its box (the
    hit lands inside the root, as a reader's click does); in an iframe, whose offset the page's
    mouse would need, activated as a script would."""
    frame = found.frame
    in_page = frame == frame.page.main_frame
    point = await frame.evaluate(LOCATE_DEEP, [control.id, not in_page])
    if point is None:
        log.info("control %r left its closed shadow root before the click", control.label)
    elif in_page:
        await frame.page.mouse.click(point["x"], point["y"])


# Runs in every frame before the page's scripts: keeps a reference to each closed shadow root
# (which `element.shadowRoot` hides) so that the detector can search banners built in one.
SHADOW_HOOK = """
(() => {
  if (window.__bdscanShadowOf) return;
  const closed = new WeakMap();
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    if (init && init.mode === "closed") closed.set(this, root);
    return root;
  };
  Object.defineProperty(window, "__bdscanShadowOf", {value: (el) => closed.get(el) || null});
})();
"""


async def answer(page: Page, action: str, settle: Any) -> Choice:
    """Refuse or accept by the shortest path the banner offers: the control on the first
    layer; else open the settings and use the control there (refuse: `refuse`, else `save` with
    every optional switch off). Up to three layers."""
    choice = Choice(action)
    opened_settings = False
    for layer in range(1, 4):
        found = await appear(page, wording=layer == 1)
        if found is None:
            choice.note = "no banner on screen" if layer == 1 else "the banner went away"
            return choice
        if layer == 1:
            choice.first_layer_roles = sorted(found.roles())
        elif choice.switches is None:
            await _read_switches(found, choice)
            found = await _inspect_vendors(page, found, choice, settle)
        choice.layers = layer
        target = found.first(action)
        if target is None and action == "accept" and layer == 1:
            target = found.first("acknowledge")
        if target is None and layer > 1 and action == "refuse" and found.first("save"):
            await _switches_off(found)
            target = found.first("save")
        if target is not None:
            await click(found, target)
            choice.clicks += 1
            choice.path.append(target.label.strip())
            await settle()
            choice.done = await gone(page, wording=layer == 1)
            after = await find(page, wording=False) if not choice.done and layer > 1 else None
            closer = after and (after.first("close") or after.first("save"))
            if after and closer:  # a settings panel that stays open after the choice
                await click(after, closer)
                choice.clicks += 1
                choice.path.append(closer.label.strip())
                await settle()
                choice.done = await gone(page, wording=False)
            if not choice.done:
                choice.note = "the banner stayed on screen after the click"
            return choice
        more = found.first("settings")
        if more is None or (opened_settings and layer > 2):
            choice.note = f"no {action} control on layer {layer}"
            return choice
        await click(found, more)
        opened_settings = True
        choice.clicks += 1
        choice.path.append(more.label.strip())
        await settle()
    choice.note = f"no {action} control within three layers"
    return choice


async def answer_through_settings(page: Page, settle: Any) -> Choice:
    """Necessary only: open the settings, untick every optional switch, save (or refuse there
    when the layer has no save control)."""
    choice = Choice("necessary")
    found = await appear(page)
    more = found.first("settings") if found else None
    if found is None or more is None:
        choice.note = "no settings control on the first layer"
        return choice
    await click(found, more)
    choice.clicks, choice.layers = 1, 2
    choice.path.append(more.label.strip())
    await settle()
    layer2 = await appear(page, wording=False)
    if layer2 is None:
        choice.note = "the settings layer was not found"
        return choice
    await _read_switches(layer2, choice)
    layer2 = await _inspect_vendors(page, layer2, choice, settle)
    await _switches_off(layer2)
    target = layer2.first("save") or layer2.first("refuse")
    if target is None:
        choice.note = "no save or refuse control on the settings layer"
        return choice
    await click(layer2, target)
    choice.clicks += 1
    choice.path.append(target.label.strip())
    await settle()
    choice.done = await gone(page, wording=False)
    return choice


async def switches(found: Found, whole_frame: bool = False) -> list[dict[str, Any]]:
    """The switches of a settings layer (or of its whole frame) as the reader finds them
    (EDPB-B), before we untick anything; [] when they cannot be read."""
    from .design import SWITCHES

    try:
        box = None if whole_frame else found.box
        states: list[dict[str, Any]] = await found.frame.evaluate(SWITCHES, box)
    except Exception as e:  # a layer that navigates or re-renders while we read it
        log.info("switches not read: %s", str(e).splitlines()[0])
        return []
    return states


async def _read_switches(found: Found, choice: Choice) -> None:
    """Keep the settings layer's switches; a screenshot of the layer when one is on."""
    choice.switches = await switches(found)
    if any(s["checked"] and not s["disabled"] for s in choice.switches):
        choice.settings_shot = await found.frame.page.screenshot(type="jpeg", quality=60)


VENDORS = (
    "vendor",
    "partner",
    "partenaire",
    "fournisseur",
    "anbieter",
    "proveedor",
    "socios",
    "fornitor",
    "leverancier",
    "partnerzy",
    "parceiro",
    "leverantör",
    "leverandør",
    "kumppan",
    "dodavatel",
    "partnerei",
    "furnizor",
    "доставчи",
    "συνεργάτ",
    "dobavitelj",
    "tiekėj",
    "piegādātāj",
    "tarnija",
)
"""words of a control that opens a list of vendors or partners (TCF's third layer)"""

BACK = (" back ", "retour", "zurück", "volver", "indietro", "voltar", "terug", "wstecz", "tillbaka")
"""words of a control that goes back from a layer to the one that opened it"""


def _names(label: str, words: tuple[str, ...]) -> bool:
    text = normalise(label)
    return len(text) <= 62 and any(w in text for w in words)


# Which of the given controls (data-bdscan ids) reveals switches that are hidden now: its
# `aria-controls` names a hidden element holding two or more, or it is the summary of a
# closed <details> holding them (a list that unfolds, whatever its label says).
REVEALS_SWITCHES = (
    "(ids) => {"
    + """
  const SWITCH = "input[type=checkbox], [role=switch], [aria-checked], [aria-pressed]";
  const hidden = (el) => {
    const s = getComputedStyle(el);
    return s.display === "none" || s.visibility === "hidden" || el.hidden
      || el.getClientRects().length === 0;
  };
  for (const id of ids) {
"""
    + FIND_TAGGED_DEEP.replace("if (!el) return null;", "if (!el) continue;")
    + r"""    const root = el.getRootNode();
    const targets = (el.getAttribute("aria-controls") || "").split(/\s+/).filter(Boolean)
      .map((t) => (root.getElementById ? root : document).getElementById(t)).filter(Boolean);
    const details = el.tagName === "SUMMARY" ? el.parentElement : null;
    if (details && details.tagName === "DETAILS" && !details.open) targets.push(details);
    for (const t of targets) {
      const inside = Array.from(t.querySelectorAll(SWITCH));
      if (inside.length >= 2 && (t === details || hidden(t))) return id;
    }
  }
  return null;
}"""
)


async def _vendor_control(found: Found) -> Control | None:
    """The settings layer's control that opens a vendor list: named for vendors or partners
    in an EU language, else one that reveals a hidden list of switches (REVEALS_SWITCHES)."""
    unnamed = [c for c in found.controls if c.role is None]
    named = next((c for c in unnamed if _names(c.label, VENDORS)), None)
    if named is not None or not unnamed:
        return named
    try:
        hit = await found.frame.evaluate(REVEALS_SWITCHES, [c.id for c in unnamed])
    except Exception as e:  # the layer re-rendered while we read it
        log.info("hidden switches not looked for: %s", str(e).splitlines()[0])
        return None
    return next((c for c in unnamed if c.id == hit), None)


async def _inspect_vendors(page: Page, found: Found, choice: Choice, settle: Any) -> Found:
    """A settings layer that opens a vendor list (EDPB-B in a third layer): open it, read its
    switches as first shown, then come back by its "back" control (the layer to go on with
    is returned; the vendor list itself when it has no way back). These clicks are an
    auditor's detour: the reader's effort does not count them."""
    more = await _vendor_control(found)
    if more is None:
        return found
    known = {(s["label"], s["selector"]) for s in choice.switches or []}
    await click(found, more)
    await settle()
    listed = await appear(page, tries=2, wording=False)
    if listed is None:
        choice.vendor_switches = []
        return found
    states = await switches(listed) if listed.text != found.text else []
    if not states:  # the list opened inside the settings layer: its new switches on screen
        states = [
            s
            for s in await switches(listed, whole_frame=True)
            if s.get("shown") and (s["label"], s["selector"]) not in known
        ]
    choice.vendor_switches = states
    if any(s["checked"] and not s["disabled"] for s in states):
        choice.vendors_shot = await page.screenshot(type="jpeg", quality=60)
    back = next((c for c in listed.controls if c.role is None and _names(c.label, BACK)), None)
    if back is None or listed.text == found.text:
        return listed
    await click(listed, back)
    await settle()
    return await appear(page, tries=2, wording=False) or found


async def _switches_off(found: Found) -> None:
    """Untick every optional switch of a settings layer (a pre-ticked one would otherwise be
    saved as consent)."""
    await found.frame.evaluate(
        """() => {
          const walk = (root) => {
            for (const el of root.querySelectorAll('input[type=checkbox]')) {
              if (el.checked && !el.disabled) el.click();
            }
            for (const e of root.querySelectorAll('*')) {
              const inner = e.shadowRoot
                || (window.__bdscanShadowOf ? window.__bdscanShadowOf(e) : null);
              if (inner) walk(inner);
            }
          };
          walk(document);
        }"""
    )


# ---------------------------------------------------------------------- bandeau's own banner

BANDEAU_STATE = """() => {
  if (!window.bandeau) return null;
  const c = window.bandeau.consent();
  return {decided: c.decided, pending: c.pending, purposes: c.purposes,
          script: (document.querySelector('script[src*="/banner.js"]') || {}).src || null};
}"""

# Other CMPs known by the global they define (facts of their public APIs).
CMP_GLOBALS = """() => {
  const known = [["bandeau", "bandeau"], ["CookieConsent", "vanilla-cookieconsent"],
    ["klaro", "klaro"], ["tarteaucitron", "tarteaucitron"], ["Didomi", "didomi"],
    ["OneTrust", "onetrust"], ["Cookiebot", "cookiebot"], ["axeptioSDK", "axeptio"],
    ["__tcfapi", "tcf"]];
  for (const [name, cmp] of known) if (window[name] !== undefined) return cmp;
  return null;
}"""


async def cmp_name(page: Page) -> str | None:
    """The CMP the page runs, by the global it defines; None for a homemade banner."""
    try:
        found: str | None = await page.evaluate(CMP_GLOBALS)
    except Exception as e:
        log.info("CMP globals not read: %s", str(e).splitlines()[0])
        return None
    return found


async def bandeau_state(page: Page) -> dict[str, Any] | None:
    """bandeau's `consent()` and its script URL when the page runs bandeau, else None."""
    try:
        state: dict[str, Any] | None = await page.evaluate(BANDEAU_STATE)
    except Exception as e:
        log.info("bandeau API not read: %s", str(e).splitlines()[0])
        return None
    return state


async def answer_bandeau(page: Page, action: str, settle: Any) -> Choice:
    """Answer bandeau's banner with its documented first-layer control (`refuse_all` or
    `accept_all`), then check through `bandeau.consent()` that the decision took."""
    choice = Choice(action, layers=1, by="bandeau")
    state = await bandeau_state(page)
    if state is None or not state["pending"]:
        choice.note = "bandeau asks nothing on this page"
        return choice
    choice.first_layer_roles = ["accept", "refuse", "settings"]
    control = "refuse_all" if action == "refuse" else "accept_all"
    button = page.locator(f'#bandeau .bd-l1 [data-bandeau-action="{control}"]')
    await button.click(timeout=10_000)
    choice.clicks = 1
    choice.path.append(control)
    await settle()
    after = await bandeau_state(page)
    choice.done = bool(after and after["decided"])
    if not choice.done:
        choice.note = "bandeau.consent() shows no decision after the click"
    return choice
