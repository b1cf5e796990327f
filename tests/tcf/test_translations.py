"""The purposes in the reader's language (TCF-09, TCF-10 and the test note of §6.2: names and
descriptions from the IAB's `purposes-{lang}.json` unless UseNonStandardTexts, which bandeau
never sets): read beside the vendor list or where the policy says, fetched and cached as the
vendor list, checked against it, archived, shown, named in the notice and the record; English
with a warning where there is none, and `consentLanguage` saying the language shown. And the
stacks the first layer presents (TCF-UI-01). The French texts are bandeau's own test fixture
(tests/tcf/fixtures/purposes-fr.json), not the IAB's."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bandeau.notices import notice_for
from bandeau.policy import PolicyError, parse_policy
from bandeau.settings import Settings
from bandeau.tcf import decode
from bandeau.tcf.bundle import tcf_config
from bandeau.tcf.fetch import VendorListArchive
from bandeau.tcf.gvl import VendorListError
from bandeau.tcf.publisher import TcfChoices, TcfSite, tc_string_of, tcf_site
from bandeau.tcf.translations import (
    TranslationSource,
    parse_translation,
    translation_problems,
    translation_where,
)

from .conftest import FIXTURES, TRANSLATIONS, tcf_section, vectors_path
from .test_fetch import Clock, Upstream

NOW_MS = 1_780_000_000_000
API = "http://127.0.0.1:8000/v1/sites/lequotidien"


def fixture_fr() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "purposes-fr.json").read_text("utf-8"))
    return data


def site_for(policy_text: str, tmp_path: Path, **section: Any) -> tuple[Any, TcfSite]:
    text = policy_text + tcf_section(f"{vectors_path()}#gvlFixture", **section)
    policy = parse_policy(text)
    found = tcf_site(policy, Settings(data_dir=tmp_path))
    assert found is not None
    return policy, found


@pytest.fixture
def french(policy_text: str, vectors: dict[str, Any], tmp_path: Path) -> tuple[Any, TcfSite]:
    return site_for(policy_text, tmp_path)


def test_where_a_translation_is() -> None:
    """TCF-10: the IAB publishes purposes-{lang}.json beside the vendor list."""
    url = "https://cmp.example.fr/v3/vendor-list.json"
    assert translation_where("", url, "fr") == "https://cmp.example.fr/v3/purposes-fr.json"
    assert translation_where("", "/srv/gvl/list.json#gvl", "de") == "/srv/gvl/purposes-de.json"
    assert translation_where("/t/p-{lang}.json", url, "it") == "/t/p-it.json"


def test_the_fixture_fits_the_test_list(vectors: dict[str, Any]) -> None:
    from bandeau.tcf import parse_vendor_list

    gvl = parse_vendor_list(vectors["gvlFixture"])
    assert translation_problems(parse_translation(fixture_fr(), "fr"), gvl) == []


def test_a_translation_that_does_not_fit_names_each_problem(vectors: dict[str, Any]) -> None:
    """TCF-09: the same ids as the list, each keyed by itself, texts and illustrations."""
    from bandeau.tcf import parse_vendor_list

    gvl = parse_vendor_list(vectors["gvlFixture"])
    data = fixture_fr()
    del data["purposes"]["11"]
    data["features"]["9"] = {"id": 9, "name": "De trop", "description": "x"}
    data["specialFeatures"]["2"]["id"] = 3
    data["purposes"]["3"]["description"] = " "
    data["purposes"]["4"]["illustrations"] = ["Un exemple"]
    del data["stacks"]["2"]
    assert translation_problems(parse_translation(data, "fr"), gvl) == [
        "purposes: [11] are not translated",
        "purposes.3.description: empty",
        "purposes.4.illustrations: 1, the list has 0",
        "features: [9] are not in vendor list v120",
        "specialFeatures.2.id: is 3, not its key 2",
        "stacks: [2] are not translated",
    ]
    with pytest.raises(VendorListError, match=r"purposes\.1\.name"):
        parse_translation({**data, "purposes": {"1": {"id": 1, "name": ""}}}, "fr")


def test_a_french_reader_sees_french_purposes(french: tuple[Any, TcfSite]) -> None:
    """§6.2 test note: the purposes' names and descriptions (and the special features', the
    stacks', the data categories') come from the translation; the strings say FR."""
    policy, site = french
    config = tcf_config(policy, site, API, "fr")["tcf"]
    assert config["language"] == "fr"
    assert config["purposes"][1] == [
        "Enregistrer des informations sur votre appareil ou y accéder",
        "Des cookies ou d'autres traceurs peuvent être déposés sur votre appareil et y être lus.",
    ]
    assert config["specialFeatures"][1][0] == "Utiliser une géolocalisation précise"
    assert config["dataCategories"][1] == ["Adresses IP"]
    assert decode(config["initial"]).consentLanguage == "FR"
    english = tcf_config(policy, site, API, "en")["tcf"]
    assert english["language"] == "en"
    assert english["purposes"][1][0] == "Store and/or access information on a device"
    part = site.decision_part(TcfChoices(vendorListVersion=120), "refuse_all", "fr", NOW_MS)
    assert part["consentLanguage"] == "FR"
    assert part["purposeTexts"].startswith("purposes-fr-v120-sha256:")
    assert tc_string_of(part) == part["tcString"]


def test_without_a_translation_english_and_a_warning(
    french: tuple[Any, TcfSite], caplog: pytest.LogCaptureFixture
) -> None:
    """No purposes-de.json: a German reader sees the list's English texts, and the string
    says EN, the language of the texts shown (the banner's own words stay German)."""
    policy, site = french
    assert "de" in policy.languages and "de" not in site.translations
    config = tcf_config(policy, site, API, "de")
    assert config["tcf"]["language"] == "en"
    assert config["tcf"]["purposes"][1][0] == "Store and/or access information on a device"
    assert decode(config["tcf"]["initial"]).consentLanguage == "EN"
    part = site.decision_part(TcfChoices(vendorListVersion=120), "refuse_all", "de", NOW_MS)
    assert part["consentLanguage"] == "EN" and "purposeTexts" not in part
    caplog.set_level(logging.WARNING, "bandeau.tcf.publisher")
    tcf_site(policy, Settings(data_dir=Path(site.source.archive.folder).parent))  # type: ignore[union-attr]
    assert any("no translation of the purposes into 'de'" in r.getMessage() for r in caplog.records)


def test_a_broken_translation_stops_the_server(
    policy_text: str, vectors: dict[str, Any], tmp_path: Path
) -> None:
    """Malformed, or not fitting the list: the server does not start, naming file and field."""
    data = fixture_fr()
    del data["purposes"]["11"]
    (tmp_path / "purposes-fr.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(VendorListError) as e:
        site_for(policy_text, tmp_path / "data", translations=f"{tmp_path}/purposes-{{lang}}.json")
    assert str(tmp_path / "purposes-fr.json") in str(e.value)
    assert e.value.problems == ["purposes: [11] are not translated"]
    (tmp_path / "purposes-fr.json").write_text("{not json", "utf-8")
    with pytest.raises(VendorListError, match="cannot read it as a translation of the purposes"):
        site_for(policy_text, tmp_path / "data", translations=f"{tmp_path}/purposes-{{lang}}.json")


def test_a_translation_is_fetched_cached_and_archived_as_the_list(tmp_path: Path) -> None:
    """TCF-10: compressed content asked for, one request per max-age, archived once."""
    clock = Clock()
    with Upstream(fixture_fr(), max_age=600) as upstream:
        source = TranslationSource(upstream.url, "fr", VendorListArchive(tmp_path), clock=clock)
        loaded = source.current()
        clock.now += 599
        source.current()
        assert source.requests == 1
        assert upstream.requests[0]["Accept-Encoding"] == "gzip, deflate, br"
        clock.now += 2
        source.current()
        assert source.requests == 2 and upstream.requests[1]["If-None-Match"]
    assert loaded.archived.reference.startswith("purposes-fr-v120-sha256:")
    assert [p.name[:17] for p in tmp_path.iterdir()] == ["purposes-fr-v120-"]
    assert loaded.value.purposes[8].name == "Mesurer l'audience des contenus"


def test_the_notice_archives_the_texts_shown(
    french: tuple[Any, TcfSite], policy_text: str, tmp_path: Path
) -> None:
    """PROOF-02: the notice of a TCF site keeps the purposes' texts as shown in its language,
    with the translation they come from; another translation is another notice."""
    policy, site = french
    notice = json.loads(notice_for(policy, "fr", tcf=site).content)["tcf"]["purposes"]
    assert notice["language"] == "fr"
    assert notice["translation"].startswith("purposes-fr-v120-sha256:")
    assert notice["texts"]["purposes"]["8"][0] == "Mesurer l'audience des contenus"
    german = json.loads(notice_for(policy, "de", tcf=site).content)["tcf"]["purposes"]
    assert german["language"] == "en" and german["translation"] == ""
    data = fixture_fr()
    data["purposes"]["8"]["name"] = "Mesurer la lecture des contenus"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "purposes-fr.json").write_text(json.dumps(data), "utf-8")
    _, changed = site_for(
        policy_text, tmp_path / "data2", translations=f"{tmp_path}/other/purposes-{{lang}}.json"
    )
    assert notice_for(policy, "fr", tcf=changed).id != notice_for(policy, "fr", tcf=site).id


def test_stacks_on_the_first_layer(
    policy_text: str, vectors: dict[str, Any], tmp_path: Path
) -> None:
    """TCF-UI-01: a stack the policy chooses is presented with its name and description (in
    the reader's language), with its purposes."""
    text = policy_text + tcf_section(f"{vectors_path()}#gvlFixture").replace(
        "[[tcf.vendors]]", "stacks = [2]\n\n[[tcf.vendors]]", 1
    )
    policy = parse_policy(text)
    site = tcf_site(policy, Settings(data_dir=tmp_path))
    [stack] = tcf_config(policy, site, API, "fr")["tcf"]["stacks"]
    assert stack == [
        "Publicité à partir de données limitées et mesure publicitaire",
        "Publicités choisies sur peu de données, et leur mesure.",
        [2, 7],
        [],
    ]


def test_a_stack_must_be_in_the_list(
    policy_text: str, vectors: dict[str, Any], tmp_path: Path
) -> None:
    text = policy_text + tcf_section(f"{vectors_path()}#gvlFixture").replace(
        "[[tcf.vendors]]", "stacks = [7]\n\n[[tcf.vendors]]", 1
    )
    with pytest.raises(VendorListError) as e:
        tcf_site(parse_policy(text), Settings(data_dir=tmp_path))
    assert e.value.problems == [
        "tcf.stacks[0] (stack 7): not in vendor list v120; use one of [1, 2] or remove it"
    ]


def test_a_stack_presents_only_what_is_asked_and_nothing_twice(vectors: dict[str, Any]) -> None:
    """A stack presents only purposes and special features the publisher's vendors use, and
    two stacks sharing a purpose would present it twice (TCF-UI-01)."""
    from bandeau.tcf import parse_vendor_list
    from bandeau.tcf.publisher import narrowed_snapshot, stack_problems
    from bandeau.tcf.section import TcfSection

    gvl_data = copy.deepcopy(vectors["gvlFixture"])
    gvl_data["stacks"]["3"] = {
        "id": 3,
        "name": "Three",
        "description": "d",
        "purposes": [7, 8],
        "specialFeatures": [],
    }
    gvl_data["stacks"]["4"] = {
        "id": 4,
        "name": "Four",
        "description": "d",
        "purposes": [9, 10],
        "specialFeatures": [],
    }
    gvl = parse_vendor_list(gvl_data)
    section = TcfSection(
        cmp_id=999,
        vendor_list="x",
        stacks=(2, 3, 4),
        vendors=[{"id": 52, "consent_purposes": [1, 2, 7, 8]}],  # type: ignore[list-item]
    )
    snapshot = narrowed_snapshot(section, gvl, "gvl-v120-sha256:x")
    assert stack_problems(section, snapshot) == [
        "tcf.stacks[1] (stack 3).purposes: 7 (also in stack 2): a stack shares none with "
        "another; keep one of the two",
        "tcf.stacks[2] (stack 4).purposes: [9, 10] are used by none of tcf.vendors; remove the "
        "stack, or accept them for a vendor that declares them",
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("stacks = [2, 2]", "stacks [2] are listed twice: list each once"),
        ('translations = "gvl/purposes-fr.json"', "put {lang} where the language goes"),
    ],
)
def test_the_policy_names_the_fix(policy_text: str, line: str, message: str) -> None:
    """Policy mistakes name the file, the line and the field, and say what to do."""
    text = policy_text + tcf_section("gvl.json", translations="").replace('translations = ""', line)
    with pytest.raises(PolicyError) as e:
        parse_policy(text, "policy.toml")
    assert message in str(e.value) and "policy.toml:" in str(e.value)


def test_a_relative_translation_is_read_beside_the_policy(tmp_path: Path, policy_text: str) -> None:
    from bandeau.policy import load_policy

    (tmp_path / "policy.toml").write_text(
        policy_text + tcf_section("gvl.json", translations="tr/purposes-{lang}.json"), "utf-8"
    )
    tcf = load_policy(tmp_path / "policy.toml").tcf
    assert tcf is not None
    assert tcf.translations == f"{tmp_path.resolve()}/tr/purposes-{{lang}}.json"
    assert TRANSLATIONS.endswith("purposes-{lang}.json")


def test_bandeau_check_names_the_file_the_field_and_the_fix(
    policy_text: str, vectors: dict[str, Any], tmp_path: Path
) -> None:
    """`bandeau check` reads the vendor list and the translations as the server would, and
    names the policy file, the field and what to do."""
    from click.testing import CliRunner

    from bandeau.cli import cli

    section = tcf_section(f"{vectors_path()}#gvlFixture")
    good = tmp_path / "policy.toml"
    good.write_text(
        policy_text + section.replace("[[tcf.vendors]]", "stacks = [2]\n\n[[tcf.vendors]]", 1),
        "utf-8",
    )
    assert CliRunner().invoke(cli, ["check", str(good)]).exit_code == 0
    bad = tmp_path / "stacks.toml"
    # without vendor 91, no vendor declares special feature 2, which stack 1 presents
    without_91 = section.replace(
        "[[tcf.vendors]]\nid = 91\nconsent_purposes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n", ""
    )
    stacked = without_91.replace("[[tcf.vendors]]", "stacks = [1]\n\n[[tcf.vendors]]", 1)
    bad.write_text(policy_text + stacked, "utf-8")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 1, result.output
    assert f"{bad}: policy [tcf] against" in result.output
    assert (
        "tcf.stacks[0] (stack 1).specialFeatures: [2] are used by none of tcf.vendors; remove "
        "the stack, or accept them for a vendor that declares them" in result.output
    )


def test_a_translation_that_stops_fitting_falls_back_to_english(
    french: tuple[Any, TcfSite], vectors: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A later vendor list with a purpose the translation lacks: the server keeps running, in
    English for that language, and says why in its log (once per list version)."""
    from bandeau.tcf import parse_vendor_list
    from bandeau.tcf.publisher import narrowed_snapshot

    _, site = french
    data = copy.deepcopy(vectors["gvlFixture"])
    data["vendorListVersion"] = 121
    data["purposes"]["12"] = {"id": 12, "name": "Twelve", "description": "A new purpose."}
    later = narrowed_snapshot(site.section, parse_vendor_list(data), "gvl-v121-sha256:x")
    caplog.set_level(logging.ERROR, "bandeau.tcf.publisher")
    texts = site.texts("fr", later)
    assert texts.language == "en" and texts.name("purposes", 12) == "Twelve"
    assert site.texts("fr", later) is texts
    [logged] = [r.getMessage() for r in caplog.records]
    assert "purposes: [12] are not translated" in logged
    assert site.texts("fr", site.snapshot()).language == "fr"
