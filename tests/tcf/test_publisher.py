"""The publisher's TCF setup: the `[tcf]` and `[consent_mode]` policy sections, the vendor list
narrowed to the vendors declared, the restrictions their accepted bases imply, and the TC string
each decision makes, written again from the record alone and read by `@iabtcf/core`."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bandeau.errors import InvalidRequest, PolicyError
from bandeau.policy import parse_policy
from bandeau.settings import Settings
from bandeau.tcf import decode, violations
from bandeau.tcf.gvl import VendorListError
from bandeau.tcf.publisher import TcfChoices, TcfSite, needs_reprompt, tc_string_of, tcf_site

from .conftest import tcf_section, vectors_path
from .test_reference import reference

NOW_MS = int(time.time() * 1000)


@pytest.fixture
def site(tcf_policy_text: str, tmp_path: Path) -> TcfSite:
    found = tcf_site(parse_policy(tcf_policy_text), Settings(data_dir=tmp_path))
    assert found is not None
    return found


def choices(**given: list[int]) -> TcfChoices:
    return TcfChoices(vendorListVersion=120, **given)


def test_narrowed_to_the_declared_vendors(site: TcfSite, tmp_path: Path) -> None:
    """TCF-09: only the vendors the policy declares; the full list used is archived, and so
    is the translation of its purposes (TCF-10)."""
    snapshot = site.snapshot()
    assert sorted(snapshot.gvl.vendors) == [1, 25, 50, 52, 91, 755]
    assert snapshot.reference.startswith("gvl-v120-sha256:")
    archived = sorted(p.name for p in (tmp_path / "vendor-lists").iterdir())
    assert [name.rsplit("-", 1)[0] for name in archived] == ["purposes-fr-v120", "vendor-list-v120"]


def test_accepted_bases_become_publisher_restrictions(site: TcfSite) -> None:
    """TCF-04: a declared purpose the publisher does not accept is not allowed (755, purpose
    4); a flexible purpose accepted on consent requires consent (52, purpose 8)."""
    found = {
        (r.purposeId, r.restrictionType, tuple(sorted(r.vendorIds)))
        for r in site.snapshot().restrictions
    }
    assert found == {(4, 0, (755,)), (8, 1, (52,))}


def test_accept_all_allows_everything_offered(site: TcfSite) -> None:
    offered = {k: sorted(v) for k, v in site.snapshot().everything().items()}
    part = site.decision_part(choices(**offered), "accept_all", "fr", NOW_MS)
    model = decode(part["tcString"])
    assert not violations(model)
    assert sorted(model.purposeConsents) == list(range(1, 12))
    assert sorted(model.purposeLegitimateInterests) == [2, 7, 9, 10, 11]
    assert sorted(model.vendorConsents) == [1, 25, 52, 91, 755]
    assert sorted(model.vendorsDisclosed) == [1, 25, 50, 52, 91, 755]
    assert (model.cmpId, model.cmpVersion, model.consentLanguage) == (999, 3, "FR")
    assert model.created == model.lastUpdated and model.created.hour == 0


def test_refuse_all_objects_to_every_legitimate_interest(site: TcfSite) -> None:
    """EDPB-F, TCF-07: refuse all sets every consent and every legitimate interest bit to 0."""
    part = site.decision_part(choices(), "refuse_all", "fr", NOW_MS)
    model = decode(part["tcString"])
    assert not model.purposeConsents and not model.purposeLegitimateInterests
    assert not model.vendorConsents and not model.vendorLegitimateInterests
    assert not model.specialFeatureOptins and sorted(model.vendorsDisclosed)
    with pytest.raises(InvalidRequest, match="refuse_all must allow no choice") as e:
        site.decision_part(choices(purposeLegitimateInterests=[2]), "refuse_all", "fr", NOW_MS)
    assert e.value.field == "tcf.purposeLegitimateInterests"
    with pytest.raises(InvalidRequest, match="accept_all must allow every choice"):
        site.decision_part(choices(purposeConsents=[1]), "accept_all", "fr", NOW_MS)


def test_only_what_is_offered(site: TcfSite) -> None:
    """A vendor not shown, or legitimate interest on purpose 1, is refused with its field."""
    with pytest.raises(InvalidRequest, match=r"\[32\] are not offered") as e:
        site.decision_part(choices(vendorConsents=[32]), "save", "fr", NOW_MS)
    assert e.value.field == "tcf.vendorConsents"
    with pytest.raises(InvalidRequest, match=r"\[1\] are not offered"):
        site.decision_part(choices(purposeLegitimateInterests=[1]), "save", "fr", NOW_MS)
    with pytest.raises(InvalidRequest, match="vendor list version 7"):
        site.decision_part(TcfChoices(vendorListVersion=7), "save", "fr", NOW_MS)
    with pytest.raises(InvalidRequest, match="carries its tcf choices"):
        site.decision_part(None, "save", "fr", NOW_MS)


def test_the_record_writes_the_same_string_again(site: TcfSite) -> None:
    """The TC string is reproducible from the record's TCF part alone."""
    part = site.decision_part(
        choices(purposeConsents=[1, 3], vendorConsents=[1, 755], vendorLegitimateInterests=[52]),
        "save",
        "en",
        NOW_MS,
    )
    stored = {k: v for k, v in part.items() if k != "tcString"}
    assert tc_string_of(stored) == part["tcString"]
    assert part["vendorList"] == site.snapshot().reference


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is not installed")
def test_the_reference_library_reads_the_strings(site: TcfSite) -> None:
    """TCF-02, TCF-05: @iabtcf/core decodes each string to the choices made."""
    offered = {k: sorted(v) for k, v in site.snapshot().everything().items()}
    parts = [
        site.decision_part(choices(**offered), "accept_all", "fr", NOW_MS),
        site.decision_part(choices(), "refuse_all", "fr", NOW_MS),
        site.decision_part(choices(purposeConsents=[1], vendorConsents=[25]), "save", "en", NOW_MS),
    ]
    models = reference({"decode": [p["tcString"] for p in parts]})
    for part, model in zip(parts, models, strict=True):
        for name in ("purposeConsents", "purposeLegitimateInterests", "vendorConsents"):
            assert model[name] == part[name], name
        assert model["vendorsDisclosed"] == part["vendorsDisclosed"]
        assert model["cmpId"] == 999 and model["isServiceSpecific"] is True
        restrictions = [
            [r["purposeId"], r["restrictionType"], r["vendorIds"]]
            for r in model["publisherRestrictions"]
        ]
        assert sorted(restrictions) == part["publisherRestrictions"]


@pytest.mark.parametrize(
    ("vendors", "message"),
    [
        ("[[tcf.vendors]]\nid = 1\nlegitimate_interest_purposes = [1]\n", r"need consent \(TCF-07"),
        (
            "[[tcf.vendors]]\nid = 1\nconsent_purposes = [2]\nlegitimate_interest_purposes = [2]\n",
            "on both bases",
        ),
        ("[[tcf.vendors]]\nid = 1\n[[tcf.vendors]]\nid = 1\n", "declared twice"),
        ("[[tcf.vendors]]\nid = 1\nconsent_purposes = [12]\n", "not TCF purposes"),
    ],
)
def test_the_policy_section_names_each_mistake(
    policy_text: str, vendors: str, message: str
) -> None:
    text = policy_text + '\n[tcf]\ncmp_id = 999\nvendor_list = "x.json"\n' + vendors
    with pytest.raises(PolicyError, match=message):
        parse_policy(text)


def test_declarations_the_vendor_list_does_not_allow(policy_text: str, tmp_path: Path) -> None:
    """A vendor absent from the list, or a basis a vendor does not declare: the server does not
    start, and says which."""
    where = f"{vectors_path()}#gvlFixture"
    text = policy_text + f'\n[tcf]\ncmp_id = 999\nvendor_list = "{where}"\n'
    text += (
        "[[tcf.vendors]]\nid = 4242\n[[tcf.vendors]]\nid = 25\nlegitimate_interest_purposes = [7]\n"
    )
    with pytest.raises(VendorListError) as e:
        tcf_site(parse_policy(text), Settings(data_dir=tmp_path))
    assert e.value.problems == [
        "tcf.vendors[0] (id 4242): not in vendor list v120",
        "tcf.vendors[1] (id 25).legitimate_interest_purposes: Test Vendor 25 does not declare"
        " [7] on this basis",
    ]


def test_consent_mode_mapping(policy_text: str, vectors: dict[str, Any]) -> None:
    """GCM-05: TCF defaults; without TCF the ad signals must be mapped to policy purposes."""
    with_tcf = parse_policy(policy_text + tcf_section(f"{vectors_path()}#gvlFixture"))
    assert with_tcf.consent_mode is not None
    signals = with_tcf.consent_mode.signals(tcf=True)
    assert signals["ad_storage"] == ("tcf:1", "tcf:3", "tcf:4")
    assert signals["security_storage"] == ()
    with pytest.raises(PolicyError, match="map ad_storage, ad_user_data"):
        parse_policy(policy_text + "\n[consent_mode]\n")
    mapped = (
        '\n[consent_mode]\nmode = "advanced"\n[consent_mode.mapping]\n'
        + "\n".join(
            f'{s} = ["advertising"]' for s in ("ad_storage", "ad_user_data", "ad_personalization")
        )
        + '\nanalytics_storage = ["audience"]\n'
    )
    parsed = parse_policy(policy_text + mapped).consent_mode
    assert parsed is not None and parsed.mode == "advanced" and parsed.ads_data_redaction
    with pytest.raises(PolicyError, match="no purpose 'ads' in the policy"):
        parse_policy(
            policy_text + mapped.replace('ad_storage = ["advertising"]', 'ad_storage = ["ads"]')
        )
    with pytest.raises(PolicyError, match="needs a \\[tcf\\] section"):
        parse_policy(policy_text + mapped.replace('["audience"]', '["tcf:8"]'))


def test_needs_reprompt(site: TcfSite) -> None:
    """TCF-08: another TCF policy version in the latest list means asking again from scratch;
    so does a string older than the re-prompt horizon; a new list version alone does not."""
    part = site.decision_part(choices(), "refuse_all", "fr", NOW_MS)
    model = decode(part["tcString"])
    gvl = site.snapshot().gvl
    now = model.lastUpdated + timedelta(days=10)
    assert not needs_reprompt(model, gvl, now, days=183)
    assert not needs_reprompt(
        model, gvl.model_copy(update={"vendorListVersion": 121}), now, days=183
    )
    assert needs_reprompt(model, gvl.model_copy(update={"tcfPolicyVersion": 5}), now, days=183)
    assert needs_reprompt(model, gvl, model.lastUpdated + timedelta(days=184), days=183)


def test_basic_mode_keeps_google_tags_behind_consent(policy_text: str) -> None:
    """GCM-03: in basic mode a Google tag host under a purpose without consent is refused."""
    mapped = "\n[consent_mode]\n[consent_mode.mapping]\n" + "\n".join(
        f'{s} = ["advertising"]' for s in ("ad_storage", "ad_user_data", "ad_personalization")
    )
    exempt = policy_text.replace('key = "audience"', 'key = "audience"\n# measured by Google\n', 1)
    google = 'hosts = ["www.googletagmanager.com"]\n'
    start = exempt.index('key = "audience"')
    services = exempt.index("[[purposes.services]]", start)
    name_end = exempt.index("\n", exempt.index("name = ", services)) + 1
    text = exempt[:name_end] + google + exempt[name_end:]
    with pytest.raises(PolicyError, match=r"www\.googletagmanager\.com is a Google tag host"):
        parse_policy(text + mapped)
    advanced_mode = mapped.replace("[consent_mode]\n", '[consent_mode]\nmode = "advanced"\n')
    # advanced mode lets Google tags load with everything denied, but never as exempt audience
    # measurement: Google Analytics uses the data for its own ends (AM-01, AM-03)
    with pytest.raises(PolicyError, match="cannot be exempt audience measurement") as refused:
        parse_policy(text + advanced_mode)
    assert "is a Google tag host" not in str(refused.value)
    advanced = parse_policy(policy_text + advanced_mode)
    assert advanced.consent_mode is not None and advanced.consent_mode.mode == "advanced"
