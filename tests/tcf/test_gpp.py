"""GPP basics (GPP-01 to GPP-03) against the shared GPP vectors: the header's Fibonacci-coded
section ids, the EU TCF section that is the TC string itself, usnat with its GPC sub-section.

How re-encoding is compared: strings written by @iabgpp/cmpapi come back character for
character. The spec's own header examples (DBABM, DBACNY) are zero-filled to whole characters
only, where the library (and bandeau) fill to whole bytes first: bandeau's header for them is
the same string followed by zero characters (`A`), and reads back to the same ids."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandeau.errors import BandeauError
from bandeau.tcf import decode
from bandeau.tcf.gpp import (
    GppString,
    GppStringError,
    decode_gpp,
    decode_header,
    decode_usnat,
    encode_header,
    encode_usnat,
    fibonacci_code,
)

from .conftest import vector_params


@pytest.mark.parametrize("vector", vector_params("gppVectors"))
def test_header_vectors(vector: dict[str, Any]) -> None:
    """GPP-01: type 3, version 1, the section ids; written back as described above."""
    header = vector["gppString"].split("~")[0]
    ids = decode_header(header)
    assert ids == vector["headerDecodedIndependently"]["sectionIds"]
    ours = encode_header(ids)
    assert ours.startswith(header) and set(ours[len(header) :]) <= {"A"}
    assert decode_header(ours) == ids


def test_the_eu_tcf_section_is_the_tc_string(vectors: dict[str, Any]) -> None:
    """GPP-02: section 2 (tcfeuv2) is the TC string, byte for byte."""
    [vector] = [v for v in vectors["gppVectors"] if v["id"].startswith("gpp-tcfeuv2")]
    gpp = decode_gpp(vector["gppString"])
    text = gpp.tc_string()
    assert text is not None and text == vector["gppString"].split("~")[1]
    model = decode(text)
    expected = vector["decodedTcfeuv2Subset"]
    assert model.cmpId == expected["CmpId"] and model.policyVersion == expected["PolicyVersion"]
    assert sorted(model.vendorsDisclosed) == expected["VendorsDisclosed"]
    assert GppString({2: text}).encode() == "DBABMA~" + text


def test_usnat_with_gpc(vectors: dict[str, Any]) -> None:
    """GPP-03: usnat v2 fields and the GPC sub-section, written back character for character."""
    [vector] = [v for v in vectors["gppVectors"] if "usnat" in v["id"]]
    gpp = decode_gpp(vector["gppString"])
    assert list(gpp.sections) == [7]
    fields = decode_usnat(gpp.sections[7])
    assert fields == vector["decoded"]["usnat"]
    assert encode_usnat(fields) == gpp.sections[7]
    assert gpp.encode() == vector["gppString"]
    without_gpc = {k: v for k, v in fields.items() if k not in {"Gpc", "GpcSegmentType"}}
    assert "." not in encode_usnat(without_gpc)


def test_fibonacci_codes() -> None:
    """GPP-01: Zeckendorf digits from 1, 2, 3, 5…, lowest first, closed by a 1."""
    assert [fibonacci_code(n) for n in (1, 2, 3, 4, 5, 7, 12)] == [
        "11",
        "011",
        "0011",
        "1011",
        "00011",
        "01011",
        "101011",
    ]


@given(st.sets(st.integers(1, 200), max_size=40))
def test_header_round_trip(ids: set[int]) -> None:
    """GPP-01: any set of section ids comes back, sorted, with groups for neighbours."""
    assert decode_header(encode_header(ids)) == sorted(ids)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("CBABM", "type"),
        ("DCABM", "version"),
        ("DBA", "sectionIds"),
        ("DBABM~x~y", "sections"),
        ("DB*", "header"),
    ],
)
def test_bad_gpp_strings_name_the_field(text: str, field: str) -> None:
    """GPP-01: a wrong type or version, a cut header, sections the header does not list."""
    with pytest.raises(GppStringError) as caught:
        decode_gpp(text)
    assert caught.value.field == field and isinstance(caught.value, BandeauError)
    assert caught.value.code == "invalid_gpp_string"
