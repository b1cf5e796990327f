"""The Global Vendor List (GVL, TCF-09): the IAB's list of vendors and what each declares.

The publisher hosts a copy (bandeau never fetches from consensu.org in a browser, TCF-10);
`load_vendor_list` reads it from a file and checks it: the shape of GVL specification v3, every
id keyed by itself, every purpose, feature, stack and data category a vendor names defined in
the list, no purpose both consent and legitimate interest, flexible purposes declared. A
`VendorListError` lists every problem found, each naming its place (`vendors.25.legIntPurposes`):
all those of shape, or, for a well-shaped list, all those of consistency.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import BandeauError

logger = logging.getLogger(__name__)


class VendorListError(BandeauError):
    """A vendor list cannot be read or breaks TCF-09. Carries every problem found."""

    code = "invalid_vendor_list"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
        super().__init__(f"{source}: {shown}", field=problems[0].split(":")[0])


class Entry(BaseModel):
    """A purpose, special purpose, feature, special feature or data category."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    name: str
    description: str = ""
    illustrations: list[str] = []
    consentable: bool = True
    rightToObject: bool = True


class Stack(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    name: str
    description: str = ""
    purposes: list[int]
    specialFeatures: list[int]


class VendorUrl(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    langId: str
    privacy: str
    legIntClaim: str | None = None


class Retention(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    stdRetention: int | None = None
    purposes: dict[int, int] = {}
    specialPurposes: dict[int, int] = {}


class Overflow(BaseModel):
    model_config = ConfigDict(frozen=True)
    httpGetLimit: Literal[32, 128]


class Vendor(BaseModel):
    """One vendor: its declarations (consent, legitimate interest, flexible purposes...), its
    retention, its URLs and its device storage disclosure (field names of the GVL)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    name: str
    purposes: list[int]
    legIntPurposes: list[int]
    flexiblePurposes: list[int]
    specialPurposes: list[int]
    features: list[int]
    specialFeatures: list[int]
    dataDeclaration: list[int] = []
    dataRetention: Retention | None = None
    urls: list[VendorUrl] = Field(default_factory=list, max_length=40)
    deletedDate: datetime | None = None
    overflow: Overflow | None = None
    usesCookies: bool | None = None
    cookieMaxAgeSeconds: int | None = None
    cookieRefresh: bool | None = None
    usesNonCookieAccess: bool | None = None
    deviceStorageDisclosureUrl: str | None = None

    def deleted_by(self, moment: datetime) -> bool:
        """Deleted vendors are not shown after their deletedDate (TCF-09)."""
        return self.deletedDate is not None and self.deletedDate <= moment


class VendorList(BaseModel):
    """A GVL of specification version 3 (TCF-09)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    gvlSpecificationVersion: Literal[3]
    vendorListVersion: int = Field(ge=1)
    tcfPolicyVersion: int = Field(ge=1)
    lastUpdated: datetime
    purposes: dict[int, Entry]
    specialPurposes: dict[int, Entry]
    features: dict[int, Entry]
    specialFeatures: dict[int, Entry]
    stacks: dict[int, Stack]
    dataCategories: dict[int, Entry] = {}
    vendors: dict[int, Vendor]

    def narrowed(self, vendor_ids: set[int] | frozenset[int]) -> VendorList:
        """The same list with only the vendors the publisher declares (ids it lacks: error)."""
        missing = sorted(set(vendor_ids) - set(self.vendors))
        if missing:
            raise VendorListError(
                f"vendor list v{self.vendorListVersion}", [f"vendors: {missing} are not in it"]
            )
        kept = {i: v for i, v in self.vendors.items() if i in vendor_ids}
        return self.model_copy(update={"vendors": kept})


def load_vendor_list(path: Path) -> VendorList:
    """Read and check a vendor list file; a `VendorListError` lists every problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise VendorListError(str(path), [f"file: cannot read it as JSON ({e})"]) from e
    return parse_vendor_list(data, str(path))


def parse_vendor_list(data: Any, source: str = "vendor list") -> VendorList:
    try:
        gvl = VendorList.model_validate(data)
    except ValidationError as e:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'list'}: {err['msg']}" for err in e.errors()
        ]
        raise VendorListError(source, problems) from None
    problems = consistency_problems(gvl)
    if problems:
        raise VendorListError(source, problems)
    logger.debug("vendor list v%s: %d vendors", gvl.vendorListVersion, len(gvl.vendors))
    return gvl


def consistency_problems(gvl: VendorList) -> list[str]:
    """What TCF-09 asks beyond the shape: ids keyed by themselves, references defined."""
    problems = []
    for kind in ("purposes", "specialPurposes", "features", "specialFeatures", "stacks"):
        for key, entry in getattr(gvl, kind).items():
            if entry.id != key:
                problems.append(f"{kind}.{key}.id: is {entry.id}, not its key {key}")
    for key, stack in gvl.stacks.items():
        problems += undefined(gvl, f"stacks.{key}", "purposes", stack.purposes)
        problems += undefined(gvl, f"stacks.{key}", "specialFeatures", stack.specialFeatures)
    for key, vendor in gvl.vendors.items():
        problems += vendor_problems(gvl, key, vendor)
    return problems


def vendor_problems(gvl: VendorList, key: int, vendor: Vendor) -> list[str]:
    where = f"vendors.{key}"
    problems = [] if vendor.id == key else [f"{where}.id: is {vendor.id}, not its key {key}"]
    both = sorted(set(vendor.purposes) & set(vendor.legIntPurposes))
    if both:
        problems.append(f"{where}.legIntPurposes: {both} are also consent purposes")
    undeclared = sorted(set(vendor.flexiblePurposes) - {*vendor.purposes, *vendor.legIntPurposes})
    if undeclared:
        problems.append(f"{where}.flexiblePurposes: {undeclared} are declared in neither basis")
    if not vendor.urls:
        problems.append(f"{where}.urls: at least one language's privacy URL")
    for field, kind in (
        ("purposes", "purposes"),
        ("legIntPurposes", "purposes"),
        ("flexiblePurposes", "purposes"),
        ("specialPurposes", "specialPurposes"),
        ("features", "features"),
        ("specialFeatures", "specialFeatures"),
        ("dataDeclaration", "dataCategories"),
    ):
        problems += undefined(gvl, where, kind, getattr(vendor, field), field)
    return problems


def undefined(gvl: VendorList, where: str, kind: str, ids: list[int], field: str = "") -> list[str]:
    defined = getattr(gvl, kind)
    missing = sorted(set(ids) - set(defined))
    if not missing:
        return []
    return [f"{where}.{field or kind}: {missing} are not among the list's {kind}"]
