"""What a TC string says, as a model, and that model as JSON.

The field names are those of the IAB's reference library `@iabtcf/core` (its TCModel), on
purpose and against Python's habit: the model, its JSON (`bandeau tcf decode`) and the reference
library then name every field the same way, which is what people comparing them need. Id sets
are frozensets (sorted arrays in JSON); dates are timezone-aware UTC datetimes (ISO 8601 in
JSON, to the millisecond, as the reference's `Date.toISOString()` prints them).

Two fields are not TCModel properties: `numCustomPurposes` is a getter there (here a field, so
a string keeps its exact length), and `segments` lists the segments the string carries, in their
order (the reference takes it as an encoding option; the names are its `Segment` values).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from .errors import TCStringError

CORE, VENDORS_DISCLOSED, VENDORS_ALLOWED, PUBLISHER_TC = (
    "core",
    "vendorsDisclosed",
    "vendorsAllowed",  # segment type 2: the deprecated AllowedVendors (global scope only)
    "publisherTC",
)
SEGMENTS = (CORE, VENDORS_DISCLOSED, VENDORS_ALLOWED, PUBLISHER_TC)

# Publisher restriction types (TCF-04); 3 is undefined.
NOT_ALLOWED, REQUIRE_CONSENT, REQUIRE_LEGITIMATE_INTEREST = 0, 1, 2


@dataclass(frozen=True)
class PublisherRestriction:
    """The publisher restricts `purposeId` for `vendorIds` (TCF-04): 0 not allowed, 1 require
    consent, 2 require legitimate interest."""

    purposeId: int
    restrictionType: int
    vendorIds: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "vendorIds", frozenset(self.vendorIds))


ID_SETS = (
    "specialFeatureOptins",
    "purposeConsents",
    "purposeLegitimateInterests",
    "vendorConsents",
    "vendorLegitimateInterests",
    "vendorsDisclosed",
    "vendorsAllowed",
    "publisherConsents",
    "publisherLegitimateInterests",
    "publisherCustomConsents",
    "publisherCustomLegitimateInterests",
)
PUBLISHER_FIELDS = (
    "publisherConsents",
    "publisherLegitimateInterests",
    "publisherCustomConsents",
    "publisherCustomLegitimateInterests",
)


@dataclass(frozen=True)
class TCModel:
    """A TC string's content (TCF-02, TCF-05, TCF-06). Encode with `bandeau.tcf.encode`,
    check the TCF's rules with `bandeau.tcf.validate`."""

    created: datetime
    lastUpdated: datetime
    cmpId: int
    cmpVersion: int
    consentScreen: int
    consentLanguage: str
    vendorListVersion: int
    publisherCountryCode: str
    version: int = 2
    policyVersion: int = 4
    isServiceSpecific: bool = True
    useNonStandardTexts: bool = False
    purposeOneTreatment: bool = False
    specialFeatureOptins: frozenset[int] = frozenset()
    purposeConsents: frozenset[int] = frozenset()
    purposeLegitimateInterests: frozenset[int] = frozenset()
    vendorConsents: frozenset[int] = frozenset()
    vendorLegitimateInterests: frozenset[int] = frozenset()
    vendorsDisclosed: frozenset[int] = frozenset()
    vendorsAllowed: frozenset[int] = frozenset()
    publisherConsents: frozenset[int] = frozenset()
    publisherLegitimateInterests: frozenset[int] = frozenset()
    numCustomPurposes: int = 0
    publisherCustomConsents: frozenset[int] = frozenset()
    publisherCustomLegitimateInterests: frozenset[int] = frozenset()
    publisherRestrictions: tuple[PublisherRestriction, ...] = ()
    segments: tuple[str, ...] = (CORE, VENDORS_DISCLOSED)

    def __post_init__(self) -> None:
        # sets and lists given by a caller become the frozensets and tuples the model is made of
        for name in ID_SETS:
            value = getattr(self, name)
            if type(value) is not frozenset:  # the decoder's are already (a hot path)
                object.__setattr__(self, name, frozenset(value))
        if type(self.publisherRestrictions) is not tuple:
            object.__setattr__(self, "publisherRestrictions", tuple(self.publisherRestrictions))
        if type(self.segments) is not tuple:
            object.__setattr__(self, "segments", tuple(self.segments))


def iso_date(moment: datetime) -> str:
    """`2026-01-15T00:00:00.000Z`: UTC, milliseconds, as `Date.toISOString()`."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


# The JSON's field order: the reference TCModel's, as issue 11 lists it, then the two extras.
JSON_ORDER = (
    "version",
    "created",
    "lastUpdated",
    "cmpId",
    "cmpVersion",
    "consentScreen",
    "consentLanguage",
    "vendorListVersion",
    "policyVersion",
    "isServiceSpecific",
    "useNonStandardTexts",
    "purposeOneTreatment",
    "publisherCountryCode",
    "specialFeatureOptins",
    "purposeConsents",
    "purposeLegitimateInterests",
    "vendorConsents",
    "vendorLegitimateInterests",
    "vendorsDisclosed",
    "vendorsAllowed",
    "publisherConsents",
    "publisherLegitimateInterests",
    "numCustomPurposes",
    "publisherCustomConsents",
    "publisherCustomLegitimateInterests",
    "publisherRestrictions",
    "segments",
)


def model_to_json(model: TCModel) -> dict[str, Any]:
    """The model as JSON values (id sets as sorted arrays, dates as ISO 8601 UTC strings)."""
    out: dict[str, Any] = {}
    for name in JSON_ORDER:
        value = getattr(model, name)
        if isinstance(value, datetime):
            value = iso_date(value)
        elif isinstance(value, frozenset):
            value = sorted(value)
        elif name == "publisherRestrictions":
            value = [
                {
                    "purposeId": r.purposeId,
                    "restrictionType": r.restrictionType,
                    "vendorIds": sorted(r.vendorIds),
                }
                for r in value
            ]
        elif name == "segments":
            value = list(value)
        out[name] = value
    return out


def read_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TCStringError(name, f"expected an integer, got {json.dumps(value)}")
    return value


def read_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TCStringError(name, f"expected true or false, got {json.dumps(value)}")
    return value


def read_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TCStringError(name, f"expected a string, got {json.dumps(value)}")
    return value


def read_date(name: str, value: object) -> datetime:
    text = read_text(name, value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TCStringError(name, f"{text!r} is not an ISO 8601 date") from None
    if moment.tzinfo is None:
        raise TCStringError(name, f"{text!r} has no time zone (write Z for UTC)")
    return moment.astimezone(UTC)


def read_ids(name: str, value: object) -> frozenset[int]:
    if not isinstance(value, list):
        raise TCStringError(name, f"expected an array of integers, got {json.dumps(value)}")
    return frozenset(read_int(name, v) for v in value)


def read_restrictions(name: str, value: object) -> tuple[PublisherRestriction, ...]:
    if not isinstance(value, list):
        raise TCStringError(name, f"expected an array, got {json.dumps(value)}")
    keys = {"purposeId", "restrictionType", "vendorIds"}
    out = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != keys:
            raise TCStringError(name, f"each entry has exactly the keys {sorted(keys)}")
        out.append(
            PublisherRestriction(
                read_int(f"{name}.purposeId", entry["purposeId"]),
                read_int(f"{name}.restrictionType", entry["restrictionType"]),
                read_ids(f"{name}.vendorIds", entry["vendorIds"]),
            )
        )
    return tuple(out)


def read_segments(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TCStringError(name, f"expected an array of segment names, got {json.dumps(value)}")
    return tuple(read_text(name, v) for v in value)


READERS: dict[str, Callable[[str, object], Any]] = {
    **dict.fromkeys(ID_SETS, read_ids),
    **dict.fromkeys(("created", "lastUpdated"), read_date),
    **dict.fromkeys(("consentLanguage", "publisherCountryCode"), read_text),
    **dict.fromkeys(("isServiceSpecific", "useNonStandardTexts", "purposeOneTreatment"), read_flag),
    "publisherRestrictions": read_restrictions,
    "segments": read_segments,
}


def model_from_json(data: object) -> TCModel:
    """A model from JSON values as `model_to_json` writes them. Unknown keys are refused (a
    misspelt field would otherwise be silently left out of the string). Left out,
    `numCustomPurposes` is the highest custom purpose id, and `segments` is core,
    vendorsDisclosed, then vendorsAllowed and publisherTC when they have something to say."""
    if not isinstance(data, dict):
        raise TCStringError("model", "expected a JSON object")
    known = {f.name: f for f in fields(TCModel)}
    for key in data:
        if key not in known:
            raise TCStringError(key, "unknown field (the names are @iabtcf/core's TCModel's)")
    values = {name: READERS.get(name, read_int)(name, v) for name, v in data.items()}
    for name, f in known.items():
        if f.default is MISSING and name not in values:
            raise TCStringError(name, "missing")
    custom = values.get("publisherCustomConsents", frozenset()) | values.get(
        "publisherCustomLegitimateInterests", frozenset()
    )
    values.setdefault("numCustomPurposes", max(custom, default=0))
    values.setdefault("segments", default_segments(values))
    return TCModel(**values)


def default_segments(values: dict[str, Any]) -> tuple[str, ...]:
    chosen = [CORE, VENDORS_DISCLOSED]
    if values.get("vendorsAllowed"):
        chosen.append(VENDORS_ALLOWED)
    if any(values.get(name) for name in (*PUBLISHER_FIELDS, "numCustomPurposes")):
        chosen.append(PUBLISHER_TC)
    return tuple(chosen)
