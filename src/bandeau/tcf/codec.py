"""TC string <-> TCModel (TCF-01 to TCF-06), written from the IAB's TC string specification.

`encode` checks only that each value fits its field (a `TCStringError` names the field);
whether the model is allowed by the TCF is `validate`'s question (rules.py). Vendor sections are
written as a bitfield or as ranges, whichever is shorter (TCF-03; a bitfield on a tie).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from itertools import compress, count
from typing import Any

from .bits import BitReader, BitWriter, base64url
from .errors import TCStringError
from .model import (
    CORE,
    PUBLISHER_FIELDS,
    PUBLISHER_TC,
    SEGMENTS,
    VENDORS_ALLOWED,
    VENDORS_DISCLOSED,
    PublisherRestriction,
    TCModel,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DECISECOND = timedelta(milliseconds=100)
SEGMENT_TYPES = {VENDORS_DISCLOSED: 1, VENDORS_ALLOWED: 2, PUBLISHER_TC: 3}
MAX_VENDOR_ID = (1 << 16) - 1
MAX_ENTRIES = (1 << 12) - 1
ONE = "1".__eq__


# --- encoding ---------------------------------------------------------------------------------


def encode(model: TCModel) -> str:
    """The TC string of `model`: its segments, in the order `model.segments` gives."""
    return ".".join(base64url(bits) for bits in segment_bits(model))


def segment_bits(model: TCModel) -> list[str]:
    """The bits of each segment of `model`, before the zero fill."""
    check_segments(model)
    writers: dict[str, Callable[[TCModel], str]] = {
        CORE: core_segment,
        VENDORS_DISCLOSED: lambda m: vendor_segment(VENDORS_DISCLOSED, m.vendorsDisclosed),
        VENDORS_ALLOWED: lambda m: vendor_segment(VENDORS_ALLOWED, m.vendorsAllowed),
        PUBLISHER_TC: publisher_segment,
    }
    return [writers[name](model) for name in model.segments]


def check_segments(model: TCModel) -> None:
    segments = model.segments
    if not segments or segments[0] != CORE:
        raise TCStringError("segments", "the core segment comes first")
    for name in segments:
        if name not in SEGMENTS:
            raise TCStringError("segments", f"{name!r} is not one of {', '.join(SEGMENTS)}")
    if len(set(segments)) != len(segments):
        raise TCStringError("segments", "a segment appears twice")
    for name in (VENDORS_DISCLOSED, VENDORS_ALLOWED):
        if getattr(model, name) and name not in segments:
            raise TCStringError("segments", f"{name} is set but its segment is not in segments")
    for name in (*PUBLISHER_FIELDS, "numCustomPurposes"):
        if getattr(model, name) and PUBLISHER_TC not in segments:
            raise TCStringError("segments", f"{name} is set but publisherTC is not in segments")


def core_segment(m: TCModel) -> str:
    """The core segment, field by field in the order of TCF-02's table."""
    if m.version != 2:
        raise TCStringError("version", f"bandeau writes version 2 strings, not {m.version}")
    w = BitWriter()
    w.uint(m.version, 6, "version")
    w.uint(deciseconds(m.created, "created"), 36, "created")
    w.uint(deciseconds(m.lastUpdated, "lastUpdated"), 36, "lastUpdated")
    w.uint(m.cmpId, 12, "cmpId")
    w.uint(m.cmpVersion, 12, "cmpVersion")
    w.uint(m.consentScreen, 6, "consentScreen")
    w.raw(letters(m.consentLanguage, "consentLanguage"))
    w.uint(m.vendorListVersion, 12, "vendorListVersion")
    w.uint(m.policyVersion, 6, "policyVersion")
    w.flag(m.isServiceSpecific)
    w.flag(m.useNonStandardTexts)
    w.raw(fixed_bitfield(m.specialFeatureOptins, 12, "specialFeatureOptins"))
    w.raw(fixed_bitfield(m.purposeConsents, 24, "purposeConsents"))
    w.raw(fixed_bitfield(m.purposeLegitimateInterests, 24, "purposeLegitimateInterests"))
    w.flag(m.purposeOneTreatment)
    w.raw(letters(m.publisherCountryCode, "publisherCountryCode"))
    w.raw(vendor_section(m.vendorConsents, "vendorConsents"))
    w.raw(vendor_section(m.vendorLegitimateInterests, "vendorLegitimateInterests"))
    w.raw(restrictions_section(m.publisherRestrictions))
    return w.bits()


def vendor_segment(name: str, vendor_ids: frozenset[int]) -> str:
    w = BitWriter()
    w.uint(SEGMENT_TYPES[name], 3, "segments")
    w.raw(vendor_section(vendor_ids, name))
    return w.bits()


def publisher_segment(m: TCModel) -> str:
    """PublisherTC (TCF-06): the publisher's own purposes, then its custom purposes."""
    w = BitWriter()
    w.uint(SEGMENT_TYPES[PUBLISHER_TC], 3, "segments")
    w.raw(fixed_bitfield(m.publisherConsents, 24, "publisherConsents"))
    w.raw(fixed_bitfield(m.publisherLegitimateInterests, 24, "publisherLegitimateInterests"))
    w.uint(m.numCustomPurposes, 6, "numCustomPurposes")
    for name in ("publisherCustomConsents", "publisherCustomLegitimateInterests"):
        w.raw(fixed_bitfield(getattr(m, name), m.numCustomPurposes, name))
    return w.bits()


def deciseconds(moment: datetime, field: str) -> int:
    if moment.tzinfo is None:
        raise TCStringError(field, "a date without time zone (give it in UTC)")
    since_epoch = moment - EPOCH
    if since_epoch % DECISECOND:
        raise TCStringError(field, "TC strings keep dates to the tenth of a second")
    return since_epoch // DECISECOND


def letters(code: str, field: str) -> str:
    """Two letters A-Z, six bits each (A = 0)."""
    if len(code) != 2 or not all("A" <= c <= "Z" for c in code):
        raise TCStringError(field, f"{code!r} is not two capital letters A-Z")
    return "".join(format(ord(c) - ord("A"), "06b") for c in code)


def fixed_bitfield(ids: Iterable[int], width: int, field: str) -> str:
    """`width` bits, bit i-1 set for id i."""
    bits = ["0"] * width
    for i in ids:
        if not 1 <= i <= width:
            raise TCStringError(field, f"{i} is not an id from 1 to {width}")
        bits[i - 1] = "1"
    return "".join(bits)


def runs(ids: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted ids as (first, last) runs of consecutive ids."""
    out: list[tuple[int, int]] = []
    for i in sorted(ids):
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def range_entries(ids: Iterable[int], field: str) -> str:
    """NumEntries (12 bits), then each run as IsARange, StartOrOnlyVendorId[, EndVendorId]."""
    found = runs(ids)
    if len(found) > MAX_ENTRIES:
        raise TCStringError(field, f"{len(found)} ranges do not fit (at most {MAX_ENTRIES})")
    parts = [format(len(found), "012b")]
    for first, last in found:
        parts.append(f"1{first:016b}{last:016b}" if last > first else f"0{first:016b}")
    return "".join(parts)


def vendor_section(ids: frozenset[int], field: str) -> str:
    """MaxVendorId, IsRangeEncoding, then a bitfield or ranges, whichever is shorter (TCF-03)."""
    for i in ids:
        if not 1 <= i <= MAX_VENDOR_ID:
            raise TCStringError(field, f"{i} is not a vendor id from 1 to {MAX_VENDOR_ID}")
    max_id = max(ids, default=0)
    header = f"{max_id:016b}"
    found = runs(ids)
    range_length = 12 + sum(33 if last > first else 17 for first, last in found)
    if range_length < max_id and len(found) <= MAX_ENTRIES:
        return header + "1" + range_entries(ids, field)
    return header + "0" + fixed_bitfield(ids, max_id, field)


def restrictions_section(restrictions: tuple[PublisherRestriction, ...]) -> str:
    """NumPubRestrictions, then per restriction PurposeId, RestrictionType and its vendors as
    ranges (TCF-04), in the model's order."""
    field = "publisherRestrictions"
    if len(restrictions) > MAX_ENTRIES:
        raise TCStringError(field, f"more than {MAX_ENTRIES} restrictions")
    w = BitWriter()
    w.uint(len(restrictions), 12, field)
    for r in restrictions:
        w.uint(r.purposeId, 6, f"{field}.purposeId")
        w.uint(r.restrictionType, 2, f"{field}.restrictionType")
        for i in r.vendorIds:
            if not 1 <= i <= MAX_VENDOR_ID:
                raise TCStringError(f"{field}.vendorIds", f"{i} is not a vendor id")
        w.raw(range_entries(r.vendorIds, f"{field}.vendorIds"))
    return w.bits()


# --- decoding ---------------------------------------------------------------------------------


def decode(text: str) -> TCModel:
    """The model of a TC string; a `TCStringError` names the field that cannot be read."""
    if not text:
        raise TCStringError("tcString", "empty string")
    core, *others = text.split(".")
    values = read_core(BitReader(core, CORE))
    segments = [CORE]
    readers, names = SEGMENT_READERS, SEGMENT_NAMES
    for segment in others:
        reader = BitReader(segment, "segments")
        kind = reader.uint(3, "segments")
        if kind not in names:
            raise TCStringError("segments", f"segment type {kind} is not one TCF v2 defines")
        if names[kind] in segments:
            raise TCStringError("segments", f"two {names[kind]} segments")
        values.update(readers[names[kind]](reader))
        reader.finish(names[kind])
        segments.append(names[kind])
    return TCModel(**values, segments=tuple(segments))


SEGMENT_NAMES = {number: name for name, number in SEGMENT_TYPES.items()}


def read_disclosed(r: BitReader) -> dict[str, Any]:
    return {VENDORS_DISCLOSED: read_vendors(r, VENDORS_DISCLOSED)}


def read_allowed(r: BitReader) -> dict[str, Any]:
    return {VENDORS_ALLOWED: read_vendors(r, VENDORS_ALLOWED)}


def read_core(r: BitReader) -> dict[str, Any]:
    """The core segment's fields (TCF-02)."""
    fixed = read_fixed(r) if r.size - r.position >= FIXED_BITS else read_fixed_fields(r)
    values: dict[str, Any] = {
        **fixed,
        "vendorConsents": read_vendors(r, "vendorConsents"),
        "vendorLegitimateInterests": read_vendors(r, "vendorLegitimateInterests"),
        "publisherRestrictions": read_restrictions(r),
    }
    r.finish(CORE)
    return values


FIXED_BITS = 213  # the core's fields of fixed width, Version to PublisherCC (TCF-02)


def read_fixed(r: BitReader) -> dict[str, Any]:
    """The fixed-width fields of a core segment long enough to hold them, sliced at their
    offsets (decoding's hot path; `read_fixed_fields` reads a shorter one field by field, to
    name the field it ends in)."""
    b, p = r.bits, r.position
    version = int(b[p : p + 6], 2)
    if version != 2:
        raise TCStringError("version", f"bandeau reads version 2 strings, not {version}")
    r.position = p + FIXED_BITS
    return {
        "version": version,
        "created": EPOCH + int(b[p + 6 : p + 42], 2) * DECISECOND,
        "lastUpdated": EPOCH + int(b[p + 42 : p + 78], 2) * DECISECOND,
        "cmpId": int(b[p + 78 : p + 90], 2),
        "cmpVersion": int(b[p + 90 : p + 102], 2),
        "consentScreen": int(b[p + 102 : p + 108], 2),
        "consentLanguage": read_letters(b[p + 108 : p + 120], "consentLanguage"),
        "vendorListVersion": int(b[p + 120 : p + 132], 2),
        "policyVersion": int(b[p + 132 : p + 138], 2),
        "isServiceSpecific": b[p + 138] == "1",
        "useNonStandardTexts": b[p + 139] == "1",
        "specialFeatureOptins": ones(b[p + 140 : p + 152]),
        "purposeConsents": ones(b[p + 152 : p + 176]),
        "purposeLegitimateInterests": ones(b[p + 176 : p + 200]),
        "purposeOneTreatment": b[p + 200] == "1",
        "publisherCountryCode": read_letters(b[p + 201 : p + 213], "publisherCountryCode"),
    }


def read_fixed_fields(r: BitReader) -> dict[str, Any]:
    version = r.uint(6, "version")
    if version != 2:
        raise TCStringError("version", f"bandeau reads version 2 strings, not {version}")
    return {
        "version": version,
        "created": EPOCH + r.uint(36, "created") * DECISECOND,
        "lastUpdated": EPOCH + r.uint(36, "lastUpdated") * DECISECOND,
        "cmpId": r.uint(12, "cmpId"),
        "cmpVersion": r.uint(12, "cmpVersion"),
        "consentScreen": r.uint(6, "consentScreen"),
        "consentLanguage": read_letters(r.take(12, "consentLanguage"), "consentLanguage"),
        "vendorListVersion": r.uint(12, "vendorListVersion"),
        "policyVersion": r.uint(6, "policyVersion"),
        "isServiceSpecific": r.flag("isServiceSpecific"),
        "useNonStandardTexts": r.flag("useNonStandardTexts"),
        "specialFeatureOptins": read_bitfield(r, 12, "specialFeatureOptins"),
        "purposeConsents": read_bitfield(r, 24, "purposeConsents"),
        "purposeLegitimateInterests": read_bitfield(r, 24, "purposeLegitimateInterests"),
        "purposeOneTreatment": r.flag("purposeOneTreatment"),
        "publisherCountryCode": read_letters(
            r.take(12, "publisherCountryCode"), "publisherCountryCode"
        ),
    }


def read_publisher(r: BitReader) -> dict[str, Any]:
    values: dict[str, Any] = {
        "publisherConsents": read_bitfield(r, 24, "publisherConsents"),
        "publisherLegitimateInterests": read_bitfield(r, 24, "publisherLegitimateInterests"),
        "numCustomPurposes": r.uint(6, "numCustomPurposes"),
    }
    for name in ("publisherCustomConsents", "publisherCustomLegitimateInterests"):
        values[name] = read_bitfield(r, values["numCustomPurposes"], name)
    return values


def read_letters(bits: str, field: str) -> str:
    """Two letters, six bits each, A = 0."""
    codes = (int(bits[:6], 2), int(bits[6:12], 2))
    if max(codes) > 25:
        raise TCStringError(field, "not two letters A-Z")
    return chr(65 + codes[0]) + chr(65 + codes[1])


def ones(bits: str) -> frozenset[int]:
    # the positions of the 1 bits, counted from 1, in one C-level pass
    return frozenset(compress(count(1), map(ONE, bits)))


def read_bitfield(r: BitReader, width: int, field: str) -> frozenset[int]:
    return ones(r.take(width, field))


def read_ranges(r: BitReader, field: str) -> frozenset[int]:
    """NumEntries, then each entry: IsARange, StartOrOnlyVendorId and, for a range, its
    EndVendorId (TCF-03). The hottest loop of decoding: it slices the bits itself."""
    ids: set[int] = set()
    bits, size = r.bits, r.size
    entries = r.uint(12, field)
    position = r.position
    for _ in range(entries):
        is_range = bits[position : position + 1] == "1"
        end = position + (33 if is_range else 17)
        if end > size:
            raise TCStringError(field, "the segment ends inside this field")
        first = int(bits[position + 1 : position + 17], 2)
        last = int(bits[position + 17 : end], 2) if is_range else first
        position = end
        if first < 1 or last < first:
            raise TCStringError(field, f"range {first}-{last} is not a range of vendor ids")
        if is_range:
            ids.update(range(first, last + 1))
        else:
            ids.add(first)
    r.position = position
    return frozenset(ids)


def read_vendors(r: BitReader, field: str) -> frozenset[int]:
    max_id = r.uint(16, field)
    if not r.flag(field):
        return read_bitfield(r, max_id, field)
    ids = read_ranges(r, field)
    if ids and max(ids) > max_id:
        raise TCStringError(field, f"vendor {max(ids)} is beyond MaxVendorId {max_id}")
    return ids


def read_restrictions(r: BitReader) -> tuple[PublisherRestriction, ...]:
    field = "publisherRestrictions"
    out = []
    for _ in range(r.uint(12, field)):
        purpose = r.uint(6, f"{field}.purposeId")
        kind = r.uint(2, f"{field}.restrictionType")
        out.append(PublisherRestriction(purpose, kind, read_ranges(r, f"{field}.vendorIds")))
    return tuple(out)


SEGMENT_READERS: dict[str, Callable[[BitReader], dict[str, Any]]] = {
    VENDORS_DISCLOSED: read_disclosed,
    VENDORS_ALLOWED: read_allowed,
    PUBLISHER_TC: read_publisher,
}
