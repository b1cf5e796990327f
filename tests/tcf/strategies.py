"""Hypothesis strategies for TC models: every value each field can hold (TCF-02 to TCF-06),
and, for the reference library, models it can encode without silently changing them."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from bandeau.tcf import PublisherRestriction, TCModel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

letters = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=2)
# 36 bits of deciseconds reach the year 2187
dates = st.integers(0, (1 << 36) - 1).map(lambda ds: EPOCH + ds * timedelta(milliseconds=100))


def id_sets(high: int, max_size: int = 30) -> st.SearchStrategy[frozenset[int]]:
    return st.frozensets(st.integers(1, high), max_size=max_size)


# Both shapes of vendor sets, so that both encodings (TCF-03) are exercised: sparse ids up to
# the largest 16-bit id (ranges win), dense low ids (the bitfield wins), runs of neighbours.
vendor_sets = st.one_of(
    id_sets(65535, 12),
    id_sets(120, 120),
    st.lists(st.tuples(st.integers(1, 3000), st.integers(0, 40)), max_size=6).map(
        lambda runs: frozenset(i for start, n in runs for i in range(start, start + n + 1))
    ),
)
restrictions = st.builds(
    PublisherRestriction,
    purposeId=st.integers(0, 63),
    restrictionType=st.integers(0, 3),
    vendorIds=vendor_sets,
)


@st.composite
def models(draw: st.DrawFn) -> TCModel:
    """Any model the string format can carry, its segments in any order after the core."""
    others = draw(st.permutations(["vendorsDisclosed", "vendorsAllowed", "publisherTC"]))
    segments = ("core", *others[: draw(st.integers(0, 3))])
    custom = draw(st.integers(0, 63))
    fields: dict[str, Any] = {
        "created": draw(dates),
        "lastUpdated": draw(dates),
        "cmpId": draw(st.integers(0, 4095)),
        "cmpVersion": draw(st.integers(0, 4095)),
        "consentScreen": draw(st.integers(0, 63)),
        "consentLanguage": draw(letters),
        "vendorListVersion": draw(st.integers(0, 4095)),
        "publisherCountryCode": draw(letters),
        "policyVersion": draw(st.integers(0, 63)),
        "isServiceSpecific": draw(st.booleans()),
        "useNonStandardTexts": draw(st.booleans()),
        "purposeOneTreatment": draw(st.booleans()),
        "specialFeatureOptins": draw(id_sets(12)),
        "purposeConsents": draw(id_sets(24)),
        "purposeLegitimateInterests": draw(id_sets(24)),
        "vendorConsents": draw(vendor_sets),
        "vendorLegitimateInterests": draw(vendor_sets),
        "publisherRestrictions": draw(st.lists(restrictions, max_size=4)),
        "segments": segments,
    }
    if "vendorsDisclosed" in segments:
        fields["vendorsDisclosed"] = draw(vendor_sets)
    if "vendorsAllowed" in segments:
        fields["vendorsAllowed"] = draw(vendor_sets)
    if "publisherTC" in segments:
        fields["publisherConsents"] = draw(id_sets(24))
        fields["publisherLegitimateInterests"] = draw(id_sets(24))
        fields["numCustomPurposes"] = custom
        if custom:
            fields["publisherCustomConsents"] = draw(id_sets(custom))
            fields["publisherCustomLegitimateInterests"] = draw(id_sets(custom))
    return TCModel(**fields)
