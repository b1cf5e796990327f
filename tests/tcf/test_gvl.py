"""The Global Vendor List: the shared 30-vendor test list loads; what TCF-09 forbids is named."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bandeau.errors import BandeauError
from bandeau.tcf.gvl import VendorListError, load_vendor_list, parse_vendor_list


@pytest.fixture
def fixture(vectors: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(vectors["gvlFixture"])


def test_the_test_list_loads_from_a_file(fixture: dict[str, Any], tmp_path: Path) -> None:
    """TCF-09: the shared test GVL (30 vendors, one deleted, one special-purpose only)."""
    path = tmp_path / "vendor-list.json"
    path.write_text(json.dumps(fixture))
    gvl = load_vendor_list(path)
    assert (gvl.gvlSpecificationVersion, gvl.vendorListVersion, gvl.tcfPolicyVersion) == (3, 120, 4)
    assert len(gvl.vendors) == 30 and sorted(gvl.purposes) == list(range(1, 12))
    assert gvl.vendors[60].deleted_by(datetime(2026, 1, 1, tzinfo=UTC))
    assert not gvl.vendors[25].deleted_by(datetime(2026, 1, 1, tzinfo=UTC))
    only_special = gvl.vendors[50]
    assert only_special.specialPurposes and not only_special.purposes
    assert not only_special.legIntPurposes


def test_narrowed_to_the_publishers_vendors(fixture: dict[str, Any]) -> None:
    """TCF-09: the publisher shows only the vendors it declares, by GVL id."""
    gvl = parse_vendor_list(fixture)
    assert sorted(gvl.narrowed({1, 25, 91}).vendors) == [1, 25, 91]
    with pytest.raises(VendorListError, match=r"vendors: \[4242\] are not in it"):
        gvl.narrowed({1, 4242})


def test_every_broken_rule_is_named(fixture: dict[str, Any]) -> None:
    """TCF-09: a purpose is consent or legitimate interest, not both; flexible purposes are
    declared; everything a vendor or stack names is defined; ids are their keys; >= 1 URL."""
    vendors = fixture["vendors"]
    consent = vendors["25"]["purposes"]
    vendors["25"]["legIntPurposes"] = [consent[0]]
    vendors["25"]["flexiblePurposes"] = [11]
    vendors["28"]["features"] = [9]
    vendors["1"]["urls"] = []
    fixture["purposes"]["2"]["id"] = 3
    fixture["stacks"]["1"]["specialFeatures"] = [7]
    with pytest.raises(VendorListError) as caught:
        parse_vendor_list(fixture, "site/vendor-list.json")
    error = caught.value
    assert isinstance(error, BandeauError) and error.code == "invalid_vendor_list"
    assert error.problems == [
        "purposes.2.id: is 3, not its key 2",
        "stacks.1.specialFeatures: [7] are not among the list's specialFeatures",
        "vendors.1.urls: at least one language's privacy URL",
        f"vendors.25.legIntPurposes: [{consent[0]}] are also consent purposes",
        "vendors.25.flexiblePurposes: [11] are declared in neither basis",
        "vendors.28.features: [9] are not among the list's features",
    ]
    assert str(error).startswith("site/vendor-list.json: purposes.2.id")


def test_shape_errors_name_their_place(fixture: dict[str, Any], tmp_path: Path) -> None:
    """TCF-09: specification version 3; every vendor has its declarations."""
    fixture["gvlSpecificationVersion"] = 2
    del fixture["vendors"]["2"]["legIntPurposes"]
    fixture["vendors"]["3"]["overflow"] = {"httpGetLimit": 64}
    with pytest.raises(VendorListError) as caught:
        parse_vendor_list(fixture)
    places = [p.split(":")[0] for p in caught.value.problems]
    assert places == [
        "gvlSpecificationVersion",
        "vendors.2.legIntPurposes",
        "vendors.3.overflow.httpGetLimit",
    ]
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    with pytest.raises(VendorListError, match="cannot read it as JSON"):
        load_vendor_list(bad)
