"""The TC string codec on its own: round trips, the shorter vendor encoding, and one error
naming the field for everything that cannot be read or written."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandeau.errors import BandeauError
from bandeau.tcf import PublisherRestriction, TCModel, TCStringError, decode, encode
from bandeau.tcf.bits import ALPHABET, base64url
from bandeau.tcf.codec import runs, segment_bits, vendor_section

from .strategies import models, vendor_sets

MIDNIGHT = datetime(2026, 1, 15, tzinfo=UTC)
BASE = TCModel(
    created=MIDNIGHT,
    lastUpdated=MIDNIGHT,
    cmpId=999,
    cmpVersion=7,
    consentScreen=1,
    consentLanguage="FR",
    vendorListVersion=120,
    publisherCountryCode="FR",
    vendorsDisclosed=frozenset({1, 2, 3}),
)
# fr-reject-all of the shared vectors, written by @iabtcf/core
REJECT_ALL = "CQeEcwAQeEcwAPnAHBFRB4EgAAAAAAAAAAqIAAAAAAAA.IACvgAAA"


@given(models())
def test_model_string_model(model: TCModel) -> None:
    """TCF-01 to TCF-06: whatever the format can carry comes back unchanged."""
    text = encode(model)
    assert set(text) <= set(ALPHABET + ".") and "=" not in text
    assert decode(text) == model


@given(vendor_sets)
def test_vendor_sections_take_the_shorter_form(ids: frozenset[int]) -> None:
    """TCF-03: MaxVendorId and the encoding bit, then a bitfield of MaxVendorId bits or the
    ranges, whichever is shorter."""
    bitfield = max(ids, default=0)
    ranges = 12 + sum(33 if last > first else 17 for first, last in runs(ids))
    bits = vendor_section(ids, "vendorConsents")
    assert len(bits) == 17 + min(bitfield, ranges)
    assert bits[16] == ("1" if ranges < bitfield else "0")


def test_the_empty_vendor_set_is_an_empty_bitfield() -> None:
    """TCF-03: MaxVendorId 0 and a bitfield of no bits."""
    assert vendor_section(frozenset(), "vendorConsents") == "0" * 17


@given(st.text(alphabet=ALPHABET + ".", max_size=80))
def test_any_text_decodes_or_names_a_field(text: str) -> None:
    """A decoder that meets garbage fails with its one error, never another exception; what it
    does read, it writes back to a string that reads the same."""
    try:
        model = decode(text)
    except TCStringError as e:
        assert e.field and isinstance(e, BandeauError)
        return
    assert decode(encode(model)) == model


def test_padding_is_zero_fill_to_whole_groups_of_four_characters() -> None:
    """TCF-01: segments are zero-filled to 24 bits, as the reference library writes them."""
    assert base64url("000010") == "CAAA"
    assert base64url("1" * 25) == "____gAAA"
    # more zero fill than needed is read all the same
    core, disclosed = REJECT_ALL.split(".")
    assert decode(f"{core}AAAA.{disclosed}AAAA") == decode(REJECT_ALL)


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("", "tcString", "empty"),
        ("CQeE*cwA", "core", "'*' is not a base64url character"),
        ("CQeE=", "core", "'=' is not a base64url character"),
        ("CQeEcw", "created", "ends inside"),
        ("BQeEcwAQeEcwAPnAHBFRB4EgAAAAAAAAAAqIAAAAAAAA", "version", "not 1"),
        (REJECT_ALL.replace("AAAAAAAA.", "AAAAAAAB."), "core", "non-zero bits"),
        (REJECT_ALL + ".IACvgAAA", "segments", "two vendorsDisclosed"),
        (REJECT_ALL + ".AAAA", "segments", "segment type 0"),
        (REJECT_ALL + ".", "segments", "empty segment"),
        (REJECT_ALL.split(".")[0] + ".I", "vendorsDisclosed", "ends inside"),
    ],
)
def test_unreadable_strings_name_the_field(text: str, field: str, message: str) -> None:
    """TCF-01: one error, naming the field where reading stopped."""
    with pytest.raises(TCStringError) as caught:
        decode(text)
    assert caught.value.field == field and message in str(caught.value)
    assert caught.value.code == "invalid_tc_string"


def test_a_range_that_runs_backwards_is_refused() -> None:
    """TCF-03: a range entry's end is not below its start."""
    bits = "000010" + "0" * 207  # version 2, every fixed field zero
    bits += "0000000000001010" + "1" + "000000000001" + "1" + f"{9:016b}{3:016b}"
    with pytest.raises(TCStringError, match="range 9-3") as caught:
        decode(base64url(bits))
    assert caught.value.field == "vendorConsents"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"cmpId": 4096}, "cmpId", "does not fit in 12 bits"),
        ({"consentScreen": -1}, "consentScreen", "does not fit"),
        ({"consentLanguage": "fr"}, "consentLanguage", "two capital letters"),
        ({"publisherCountryCode": "FRA"}, "publisherCountryCode", "two capital letters"),
        ({"purposeConsents": {25}}, "purposeConsents", "not an id from 1 to 24"),
        ({"specialFeatureOptins": {0}}, "specialFeatureOptins", "not an id from 1 to 12"),
        ({"vendorConsents": {65536}}, "vendorConsents", "not a vendor id"),
        ({"created": datetime(2026, 1, 15)}, "created", "without time zone"),
        ({"lastUpdated": MIDNIGHT + timedelta(milliseconds=5)}, "lastUpdated", "tenth"),
        ({"version": 1}, "version", "version 2"),
        ({"segments": ("vendorsDisclosed", "core")}, "segments", "core segment comes first"),
        ({"segments": ("core", "core")}, "segments", "twice"),
        ({"segments": ("core", "oob")}, "segments", "'oob' is not one of"),
        ({"segments": ("core",)}, "segments", "vendorsDisclosed is set"),
        ({"publisherConsents": {1}}, "segments", "publisherConsents is set"),
        (
            {
                "publisherCustomConsents": {3},
                "numCustomPurposes": 2,
                "segments": (*BASE.segments, "publisherTC"),
            },
            "publisherCustomConsents",
            "not an id from 1 to 2",
        ),
        (
            {"publisherRestrictions": [PublisherRestriction(2, 4, frozenset({1}))]},
            "publisherRestrictions.restrictionType",
            "does not fit in 2 bits",
        ),
    ],
)
def test_unwritable_models_name_the_field(
    change: dict[str, object], field: str, message: str
) -> None:
    """TCF-02 to TCF-06: a value that does not fit its field is refused, naming the field."""
    with pytest.raises(TCStringError) as caught:
        encode(dataclasses.replace(BASE, **change))  # type: ignore[arg-type]
    assert caught.value.field == field and message in str(caught.value)


def test_a_date_in_another_time_zone_is_the_same_instant() -> None:
    """TCF-02: Created counts deciseconds since the epoch, whatever zone the date is given in."""
    paris = MIDNIGHT.astimezone(timezone(timedelta(hours=1)))
    assert decode(encode(dataclasses.replace(BASE, created=paris))).created == MIDNIGHT


def test_letters_are_six_bits_each_from_a() -> None:
    """TCF-02: ConsentLanguage at offset 108 and PublisherCC at 201; `FR` is 000101 010001."""
    core = segment_bits(BASE)[0]
    assert core[108:120] == core[201:213] == "000101010001"
    for code in ("AA", "ZZ", "EN"):
        model = dataclasses.replace(BASE, consentLanguage=code, publisherCountryCode=code)
        assert decode(encode(model)).publisherCountryCode == code
