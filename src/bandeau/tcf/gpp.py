"""IAB GPP strings, the basics (GPP-01 to GPP-03): the header, its sections, the EU TCF section
and the US national section with its GPC sub-section. Written from the GPP specification.

A GPP string is `header~section~section…`: the header lists the ids of the sections that
follow, in their order. The EU TCF v2 section (id 2) is the TC string itself, character for
character (GPP-02), so `tc_string()` hands it to `bandeau.tcf.decode`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import BandeauError
from .bits import BitReader, BitWriter, base64url
from .errors import TCStringError

# GPP-02: section ids and their API prefixes (3 is the header itself).
SECTIONS = {
    1: "tcfeuv1",
    2: "tcfeuv2",
    3: "header",
    4: "signalintegrity",
    5: "tcfcav1",
    6: "uspv1",
    7: "usnat",
    8: "usca",
    9: "usva",
    10: "usco",
    11: "usut",
    12: "usct",
    13: "usfl",
    14: "usmt",
    15: "usor",
    16: "ustx",
    17: "usde",
    18: "usia",
    19: "usne",
    20: "usnh",
    21: "usnj",
    22: "ustn",
    23: "usmn",
}
TCF_EU_V2, USNAT = 2, 7
HEADER_TYPE, GPP_VERSION = 3, 1


class GppStringError(BandeauError):
    """A GPP string cannot be read or written; `field` names where."""

    code = "invalid_gpp_string"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


def gpp_text(bits: str) -> str:
    """Bits as GPP writes them: zero-filled to whole bytes, then to whole characters, as
    @iabgpp/cmpapi does (the spec's own header examples fill only to whole characters; reading
    accepts both)."""
    return base64url(bits + "0" * (-len(bits) % 8), multiple=6)


# --- Fibonacci coding (GPP-01) ----------------------------------------------------------------


def fibonacci_code(n: int) -> str:
    """`n` >= 1 as its Zeckendorf digits, lowest first (1, 2, 3, 5, 8…), then a closing 1."""
    if n < 1:
        raise GppStringError("sectionIds", f"{n}: Fibonacci codes start at 1")
    fibs = [1, 2]
    while fibs[-1] <= n:
        fibs.append(fibs[-1] + fibs[-2])
    digits = ["0"] * (len(fibs) - 1)
    for i in range(len(fibs) - 2, -1, -1):
        if fibs[i] <= n:
            digits[i] = "1"
            n -= fibs[i]
    return "".join(digits).rstrip("0") + "1"


def read_fibonacci(r: BitReader, field: str) -> int:
    """Digits until two 1s in a row; the second 1 only closes the number."""
    value, fibs, previous = 0, [1, 2], "0"
    for position in range(64):
        bit = r.take(1, field)
        if bit == "1" and previous == "1":
            return value
        if position >= len(fibs):
            fibs.append(fibs[-1] + fibs[-2])
        if bit == "1":
            value += fibs[position]
        previous = bit
    raise GppStringError(field, "a Fibonacci code that does not end")


# --- header and sections ----------------------------------------------------------------------


def encode_header(section_ids: Iterable[int]) -> str:
    """Type 3, version 1, then the section ids as a Fibonacci range: runs of two or more
    neighbours as one group (start offset, then length - 1), others one by one."""
    ids = sorted(set(section_ids))
    groups: list[tuple[int, int]] = []
    for i in ids:
        if groups and groups[-1][1] == i - 1:
            groups[-1] = (groups[-1][0], i)
        else:
            groups.append((i, i))
    w = BitWriter()
    w.uint(HEADER_TYPE, 6, "type")
    w.uint(GPP_VERSION, 6, "version")
    w.uint(len(groups), 12, "sectionIds")
    previous = 0
    for first, last in groups:
        w.flag(last > first)
        w.raw(fibonacci_code(first - previous))
        if last > first:
            w.raw(fibonacci_code(last - first))
        previous = last
    return gpp_text(w.bits())


def decode_header(text: str) -> list[int]:
    """The section ids a header lists, in order (GPP-01)."""
    try:
        r = BitReader(text, "header")
        if (kind := r.uint(6, "type")) != HEADER_TYPE:
            raise GppStringError("type", f"{kind}: a GPP header has type 3")
        if (version := r.uint(6, "version")) != GPP_VERSION:
            raise GppStringError("version", f"{version}: bandeau reads GPP version 1")
        ids: list[int] = []
        for _ in range(r.uint(12, "sectionIds")):
            is_group = r.flag("sectionIds")
            first = (ids[-1] if ids else 0) + read_fibonacci(r, "sectionIds")
            last = first + (read_fibonacci(r, "sectionIds") if is_group else 0)
            ids.extend(range(first, last + 1))
        r.finish("header")
    except TCStringError as e:  # the bit reader's error, renamed for GPP
        raise GppStringError(e.field, e.message.split(": ", 1)[-1]) from None
    return ids


@dataclass(frozen=True)
class GppString:
    """The sections of a GPP string by id, in the header's order."""

    sections: dict[int, str]

    def encode(self) -> str:
        return "~".join([encode_header(self.sections), *self.sections.values()])

    def tc_string(self) -> str | None:
        """The EU TCF v2 section: a TC string as it is (GPP-02)."""
        return self.sections.get(TCF_EU_V2)


def decode_gpp(text: str) -> GppString:
    header, *sections = text.split("~")
    ids = decode_header(header)
    if len(ids) != len(sections):
        raise GppStringError(
            "sections", f"the header lists {len(ids)} sections and {len(sections)} follow"
        )
    return GppString(dict(zip(ids, sections, strict=True)))


# --- usnat (GPP-03) ---------------------------------------------------------------------------

# usnat version 2: each field's name (the GPP library's) and its 2-bit values (or count of them)
USNAT_FIELDS = (
    ("SharingNotice", 1),
    ("SaleOptOutNotice", 1),
    ("SharingOptOutNotice", 1),
    ("TargetedAdvertisingOptOutNotice", 1),
    ("SensitiveDataProcessingOptOutNotice", 1),
    ("SensitiveDataLimitUseNotice", 1),
    ("SaleOptOut", 1),
    ("SharingOptOut", 1),
    ("TargetedAdvertisingOptOut", 1),
    ("SensitiveDataProcessing", 16),
    ("KnownChildSensitiveDataConsents", 3),
    ("PersonalDataConsents", 1),
    ("MspaCoveredTransaction", 1),
    ("MspaOptOutOptionMode", 1),
    ("MspaServiceProviderMode", 1),
)


def decode_usnat(section: str) -> dict[str, object]:
    """The usnat section's fields (0 not applicable, 1 yes/opted out, 2 no), and `Gpc` when
    the GPC sub-section is there (GPP-03)."""
    core, *subsections = section.split(".")
    try:
        r = BitReader(core, "usnat")
        fields: dict[str, object] = {"Version": r.uint(6, "Version")}
        if fields["Version"] != 2:
            raise GppStringError("Version", f"usnat version {fields['Version']}: bandeau reads 2")
        for name, count in USNAT_FIELDS:
            values = [r.uint(2, name) for _ in range(count)]
            fields[name] = values if count > 1 else values[0]
        for sub in subsections:
            s = BitReader(sub, "usnat.gpc")
            if (kind := s.uint(2, "GpcSegmentType")) != 1:
                raise GppStringError("GpcSegmentType", f"{kind}: only the GPC sub-section is 1")
            fields["GpcSegmentType"] = kind
            fields["Gpc"] = s.flag("Gpc")
    except TCStringError as e:
        raise GppStringError(e.field, e.message.split(": ", 1)[-1]) from None
    return fields


def encode_usnat(fields: dict[str, object]) -> str:
    """The usnat section of `fields` as `decode_usnat` gives them (GPC sub-section if `Gpc`)."""
    w = BitWriter()
    w.uint(2, 6, "Version")
    for name, count in USNAT_FIELDS:
        value = fields[name]
        values = [
            v
            for v in (value if isinstance(value, list) else [value])
            if type(v) is int and 0 <= v <= 3
        ]
        if len(values) != count:
            raise GppStringError(name, f"expected {count} value(s) from 0 to 3")
        for v in values:
            w.uint(v, 2, name)
    out = gpp_text(w.bits())
    if "Gpc" in fields:
        sub = BitWriter()
        sub.uint(1, 2, "GpcSegmentType")
        sub.flag(bool(fields["Gpc"]))
        out += "." + gpp_text(sub.bits())
    return out
