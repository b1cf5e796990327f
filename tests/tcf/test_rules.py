"""The validator: each thing the TCF forbids in a well-formed string is named, rule and field."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bandeau.errors import BandeauError
from bandeau.tcf import PublisherRestriction, TCRuleError, decode, validate, violations

from .test_codec import BASE, REJECT_ALL


def broken(**change: object) -> list[tuple[str, str]]:
    model = dataclasses.replace(BASE, **change)  # type: ignore[arg-type]
    return [(v.rule, v.field) for v in violations(model)]


def test_a_valid_model_breaks_nothing() -> None:
    """TCF-07: the shared vector fr-reject-all, and a model with consents of shown vendors."""
    assert violations(decode(REJECT_ALL)) == []
    assert broken(vendorConsents={1, 2}, vendorLegitimateInterests={3}) == []
    assert validate(BASE) is BASE


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": 1}, [("TCF-07", "version")]),
        ({"isServiceSpecific": False}, [("TCF-07", "isServiceSpecific")]),
        ({"policyVersion": 2}, [("TCF-07", "policyVersion")]),
        ({"purposeLegitimateInterests": {1}}, [("TCF-07", "purposeLegitimateInterests")]),
        ({"purposeLegitimateInterests": {2, 3, 7}}, [("TCF-07", "purposeLegitimateInterests")]),
        ({"publisherLegitimateInterests": {6}}, [("TCF-07", "publisherLegitimateInterests")]),
        ({"segments": ("core",), "vendorsDisclosed": set()}, [("TCF-05", "vendorsDisclosed")]),
        ({"vendorConsents": {1, 9}}, [("TCF-05", "vendorConsents")]),
        ({"vendorLegitimateInterests": {4}}, [("TCF-05", "vendorLegitimateInterests")]),
    ],
)
def test_each_rule_is_named(change: dict[str, object], expected: list[tuple[str, str]]) -> None:
    """TCF-07 (TCF-05 for the disclosed vendors): one violation per broken rule."""
    assert broken(**change) == expected


def test_dates_are_the_same_midnight() -> None:
    """TCF-02, TCF-07: Created = LastUpdated, both at midnight UTC."""
    later = BASE.created + timedelta(hours=13)
    assert broken(created=later, lastUpdated=later) == [
        ("TCF-07", "created"),
        ("TCF-07", "lastUpdated"),
    ]
    assert broken(lastUpdated=BASE.created + timedelta(days=1)) == [("TCF-07", "lastUpdated")]


def test_restrictions_of_an_undefined_type_or_on_purpose_one() -> None:
    """TCF-04: type 3 is undefined; purpose 1 is never flexible (only type 0 applies)."""
    where = "publisherRestrictions (purpose 1)"
    assert broken(publisherRestrictions=[PublisherRestriction(1, 1, frozenset({1}))]) == [
        ("TCF-04", where)
    ]
    assert broken(publisherRestrictions=[PublisherRestriction(1, 0, frozenset({1}))]) == []
    assert broken(publisherRestrictions=[PublisherRestriction(2, 3, frozenset({1}))]) == [
        ("TCF-04", "publisherRestrictions (purpose 2)")
    ]


def test_validate_raises_one_error_naming_every_violation() -> None:
    """TCF-07: a BandeauError whose field is the first broken one; every violation listed."""
    model = dataclasses.replace(BASE, isServiceSpecific=False, policyVersion=2)
    with pytest.raises(TCRuleError) as caught:
        validate(model)
    error = caught.value
    assert isinstance(error, BandeauError) and error.code == "tc_rule_broken"
    assert error.field == "policyVersion"
    assert [v.field for v in error.violations] == ["policyVersion", "isServiceSpecific"]
    assert "TCF-07 isServiceSpecific: global scope" in str(error)
