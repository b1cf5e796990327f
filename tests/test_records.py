"""Records survive their canonical form unchanged, whatever their text (Hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bandeau.store import Record

text = st.text(max_size=40)
flags = st.dictionaries(st.text(min_size=1, max_size=12), st.booleans(), max_size=5)

records = st.builds(
    Record,
    decision_id=st.uuids().map(str),
    consent_id=text,
    site=text,
    occurred_at=st.integers(min_value=0, max_value=2**53),
    event=st.sampled_from(["accept_all", "refuse_all", "save_custom", "withdraw", "grant_one"]),
    layer=st.sampled_from(["first", "settings", "placeholder"]),
    control=text,
    language=st.sampled_from(["fr", "en"]),
    page=text,
    policy_version=text,
    build=text,
    shown=st.dictionaries(st.text(min_size=1, max_size=12), text, max_size=5),
    choices=flags,
    services=flags,
    signals=flags,
    ua_class=text,
    client_time=st.none() | st.integers(min_value=0, max_value=2**53),
)


@given(records)
def test_canonical_round_trip(record: Record) -> None:
    text = record.canonical()
    back = Record.from_json(text)
    assert back == record
    assert back.canonical() == text


@given(records)
def test_canonical_form_is_sorted_and_compact(record: Record) -> None:
    text = record.canonical()
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "seq" not in data
