"""What the TCF forbids in a well-formed TC string (TCF-07, with TCF-02, TCF-04 and TCF-05).

A string is judged as TCF 2.3 asks of a string written today: policy version 4 or later and a
DisclosedVendors segment, whatever its creation date. Two rules of TCF-07 cannot be read from a
string and are left to the caller: consent bits only after a clear affirmative action, and a CMP
id that the IAB's CMP list has not deleted.
"""

from __future__ import annotations

from datetime import UTC, time

from .errors import TCRuleError, Violation
from .model import (
    NOT_ALLOWED,
    REQUIRE_CONSENT,
    REQUIRE_LEGITIMATE_INTEREST,
    VENDORS_DISCLOSED,
    TCModel,
)

# Purposes for which nobody may rely on legitimate interest: 1 (device access, consent only)
# and, since TCF 2.2, 3 to 6 (profiles for ads and content).
CONSENT_ONLY_PURPOSES = frozenset({1, 3, 4, 5, 6})
RESTRICTION_TYPES = (NOT_ALLOWED, REQUIRE_CONSENT, REQUIRE_LEGITIMATE_INTEREST)


def violations(model: TCModel) -> list[Violation]:
    """Every rule `model` breaks, in field order; empty when the TCF allows it."""
    found: list[Violation] = []
    if model.version != 2:
        found.append(Violation("TCF-07", "version", f"must be 2, not {model.version}"))
    found += date_violations(model)
    if model.policyVersion < 4:
        found.append(
            Violation("TCF-07", "policyVersion", f"{model.policyVersion} is below 4 (TCF 2.2+)")
        )
    if not model.isServiceSpecific:
        found.append(
            Violation("TCF-07", "isServiceSpecific", "global scope is invalid since 2021-09-01")
        )
    for name in ("purposeLegitimateInterests", "publisherLegitimateInterests"):
        forbidden = sorted(getattr(model, name) & CONSENT_ONLY_PURPOSES)
        if forbidden:
            found.append(
                Violation(
                    "TCF-07", name, f"purposes {forbidden} allow no legitimate interest (1, 3-6)"
                )
            )
    found += disclosure_violations(model)
    found += restriction_violations(model)
    return found


def date_violations(model: TCModel) -> list[Violation]:
    """Created equals LastUpdated, both at midnight UTC (TCF-02)."""
    found = []
    for name in ("created", "lastUpdated"):
        moment = getattr(model, name).astimezone(UTC)
        if moment.time() != time(0):
            found.append(Violation("TCF-07", name, f"{moment:%H:%M:%S} is not midnight UTC"))
    if model.created != model.lastUpdated:
        found.append(Violation("TCF-07", "lastUpdated", "must equal created (same day)"))
    return found


def disclosure_violations(model: TCModel) -> list[Violation]:
    """DisclosedVendors is present (TCF 2.3), and lists every vendor the string gives a legal
    basis to: no one consents to, or is told about the legitimate interest of, a vendor never
    shown (TCF-05)."""
    if VENDORS_DISCLOSED not in model.segments:
        return [Violation("TCF-05", "vendorsDisclosed", "the segment is mandatory in TCF 2.3")]
    found = []
    for name in ("vendorConsents", "vendorLegitimateInterests"):
        hidden = sorted(getattr(model, name) - model.vendorsDisclosed)
        if hidden:
            found.append(Violation("TCF-05", name, f"vendors {hidden} are not in vendorsDisclosed"))
    return found


def restriction_violations(model: TCModel) -> list[Violation]:
    """Restriction types 0-2 only, and none that makes purpose 1 flexible (TCF-04)."""
    found = []
    for r in model.publisherRestrictions:
        where = f"publisherRestrictions (purpose {r.purposeId})"
        if r.restrictionType not in RESTRICTION_TYPES:
            found.append(Violation("TCF-04", where, f"type {r.restrictionType} is undefined"))
        if r.purposeId == 1 and r.restrictionType != NOT_ALLOWED:
            found.append(Violation("TCF-04", where, "purpose 1 is never flexible"))
        if r.purposeId < 1:
            found.append(Violation("TCF-04", where, "purpose ids start at 1"))
    return found


def validate(model: TCModel) -> TCModel:
    """`model` itself when the TCF allows it; else a `TCRuleError` with every violation."""
    found = violations(model)
    if found:
        raise TCRuleError(found)
    return model
