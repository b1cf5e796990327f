"""The model as JSON: the reference TCModel's field names, sorted id arrays, ISO 8601 UTC dates;
read back strictly (an unknown or ill-typed field is named)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from bandeau.tcf import TCModel, TCStringError, model_from_json, model_to_json
from bandeau.tcf.model import JSON_ORDER

from .strategies import models
from .test_codec import BASE


@given(models())
def test_json_round_trip(model: TCModel) -> None:
    """The JSON `bandeau tcf decode` prints reads back to the same model."""
    data = json.loads(json.dumps(model_to_json(model)))
    assert model_from_json(data) == model


def test_field_names_and_shapes() -> None:
    """Issue 11's list of @iabtcf/core TCModel names, then numCustomPurposes and segments."""
    data = model_to_json(BASE)
    assert tuple(data) == JSON_ORDER
    assert JSON_ORDER[:3] == ("version", "created", "lastUpdated")
    assert data["created"] == "2026-01-15T00:00:00.000Z"
    assert data["vendorsDisclosed"] == [1, 2, 3]
    assert data["segments"] == ["core", "vendorsDisclosed"]


def minimal() -> dict[str, Any]:
    return {
        "created": "2026-01-15T00:00:00Z",
        "lastUpdated": "2026-01-15T01:00:00+01:00",
        "cmpId": 999,
        "cmpVersion": 7,
        "consentScreen": 1,
        "consentLanguage": "FR",
        "vendorListVersion": 120,
        "publisherCountryCode": "FR",
    }


def test_defaults_when_left_out() -> None:
    """Left out: version 2, policy 4, service-specific, and the segments that have something to
    say (DisclosedVendors always: TCF-05)."""
    model = model_from_json(minimal())
    assert model.created == model.lastUpdated
    assert (model.version, model.policyVersion, model.isServiceSpecific) == (2, 4, True)
    assert model.segments == ("core", "vendorsDisclosed")
    custom = model_from_json({**minimal(), "publisherCustomLegitimateInterests": [3]})
    assert custom.numCustomPurposes == 3
    assert custom.segments == ("core", "vendorsDisclosed", "publisherTC")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"purposeConsent": [1]}, "purposeConsent", "unknown field"),
        ({"cmpId": True}, "cmpId", "expected an integer, got true"),
        ({"cmpId": "999"}, "cmpId", "expected an integer"),
        ({"isServiceSpecific": 1}, "isServiceSpecific", "expected true or false"),
        ({"vendorConsents": [1, "2"]}, "vendorConsents", "expected an integer"),
        ({"vendorConsents": 3}, "vendorConsents", "expected an array"),
        ({"created": "15/01/2026"}, "created", "not an ISO 8601 date"),
        ({"created": "2026-01-15T00:00:00"}, "created", "no time zone"),
        ({"publisherRestrictions": [{"purposeId": 2}]}, "publisherRestrictions", "exactly"),
        ({"segments": "core"}, "segments", "expected an array"),
    ],
)
def test_bad_json_names_the_field(change: dict[str, Any], field: str, message: str) -> None:
    """TCF-02: `bandeau tcf encode` names the field of ill-typed or unknown JSON."""
    with pytest.raises(TCStringError) as caught:
        model_from_json({**minimal(), **change})
    assert caught.value.field == field and message in str(caught.value)


def test_missing_fields_and_non_objects() -> None:
    data = minimal()
    del data["cmpId"]
    with pytest.raises(TCStringError, match="cmpId: missing"):
        model_from_json(data)
    with pytest.raises(TCStringError, match="model: expected a JSON object"):
        model_from_json([1])


def test_public_api_of_bandeau_tcf() -> None:
    """What `bandeau.tcf` offers is what its `__all__` lists (STYLE 4)."""
    import types

    import bandeau.tcf

    public = {
        n
        for n in dir(bandeau.tcf)
        if not n.startswith("_") and not isinstance(getattr(bandeau.tcf, n), types.ModuleType)
    } - {"annotations"}
    assert public == set(bandeau.tcf.__all__)
    assert {"TCModel", "decode", "encode", "validate", "load_vendor_list"} <= public
