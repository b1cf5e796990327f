"""Policy loading and the rules that make a non-compliant setup impossible to configure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bandeau.errors import PolicyError
from bandeau.policy import Policy, load_policy, parse_lifetime, parse_policy


def problems_of(text: str, name: str = "site.toml") -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, name)
    return info.value.problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


def test_demo_policy_loads(policy: Policy) -> None:
    assert policy.site == "lequotidien"
    assert [p.key for p in policy.purposes] == ["necessary", "audience", "social", "advertising"]
    assert policy.purpose("social").features == ("comments",)
    assert policy.features() == {"stats": ("audience",), "comments": ("social",)}
    assert policy.reprompt_after_days == 183


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(tmp_path / "absent.toml")
    assert "absent.toml" in str(info.value)
    assert "cannot read" in str(info.value)


def test_toml_syntax_error_names_file_and_line(policy_text: str) -> None:
    broken = policy_text.replace('site = "lequotidien"', 'site = "lequotidien')
    [problem] = problems_of(broken)
    assert problem.startswith("site.toml: not valid TOML")
    assert "line" in problem


def test_error_names_file_line_field_and_fix(policy_text: str) -> None:
    """AM-05: an exempt measurement cookie beyond 13 months is refused, at its line."""
    text = policy_text.replace(
        'name = "_lq_mesure", lifetime = "13 months"', 'name = "_lq_mesure", lifetime = "2 years"'
    )
    [problem] = problems_of(text)
    line = line_of(text, "[[purposes]]", occurrence=2)
    assert problem.startswith(f"site.toml:{line}: purposes[1] (audience): ")
    assert "13 months" in problem
    assert 'kind = "consent"' in problem


def test_unknown_field_is_named_with_its_line(policy_text: str) -> None:
    text = policy_text.replace("gpc = true", 'gpc = true\ncolour = "red"')
    [problem] = problems_of(text)
    assert problem.startswith(
        f"site.toml:{line_of(text, 'colour')}: purposes[3] (advertising).colour"
    )
    assert "unknown field `colour`" in problem


def test_wrong_kind_lists_the_allowed_ones(policy_text: str) -> None:
    text = policy_text.replace('kind = "consent"\ngpc', 'kind = "optional"\ngpc')
    [problem] = problems_of(text)
    assert f"site.toml:{line_of(text, 'optional')}: purposes[3] (advertising).kind" in problem
    assert "'strictly_necessary'" in problem and "'consent'" in problem


def test_missing_required_field(policy_text: str) -> None:
    text = policy_text.replace('name = "Le Quotidien du Rhône SAS"\ncontact', "contact")
    [problem] = problems_of(text)
    assert "controller.name" in problem
    assert "is required: add it" in problem


@pytest.mark.parametrize(
    ("knob", "rule"),
    [
        ("default = true", "EDPB-B"),
        ("pre_ticked = true", "EDPB-B"),
        ("dismiss_on_scroll = true", "LAW-02"),
    ],
)
def test_dark_pattern_knobs_are_refused(policy_text: str, knob: str, rule: str) -> None:
    """EDPB-B, LAW-02: no pre-ticked consent purpose, no implied consent."""
    text = policy_text.replace('key = "advertising"', f'key = "advertising"\n{knob}')
    [problem] = problems_of(text)
    assert rule in problem
    assert "purposes[3] (advertising)" in problem


def test_hiding_refuse_all_is_impossible(policy_text: str) -> None:
    """CNIL-01 / EDPB-A: refuse all is always on the first layer."""
    text = "hide_refuse_all = true\n" + policy_text
    [problem] = problems_of(text)
    assert "CNIL-01" in problem


def test_reprompt_at_most_13_months(policy_text: str) -> None:
    """CNIL-07: the choice is asked again at most every 13 months."""
    text = policy_text.replace("reprompt_after_days = 183", "reprompt_after_days = 400")
    [problem] = problems_of(text)
    assert f"site.toml:{line_of(text, 'reprompt_after_days')}: reprompt_after_days" in problem
    assert "395" in problem


def test_reprompt_default_is_about_six_months(policy_text: str) -> None:
    text = policy_text.replace("reprompt_after_days = 183", "")
    assert parse_policy(text).reprompt_after_days == 183


def test_necessary_service_needs_exemption_code(policy_text: str) -> None:
    """CNIL-06 / CNIL-10: a strictly necessary service carries an exemption and justification."""
    text = policy_text.replace('exemption = "consent_storage"\n', "")
    [problem] = problems_of(text)
    assert "CNIL-10" in problem and "purposes[0] (necessary)" in problem


def test_exemption_outside_necessary_is_refused(policy_text: str) -> None:
    text = policy_text.replace(
        'name = "Régie Exemple"', 'name = "Régie Exemple"\nexemption = "auth"'
    )
    [problem] = problems_of(text)
    assert "only for services of a strictly_necessary purpose" in problem


def test_consent_purpose_needs_refusal_consequence(policy_text: str) -> None:
    """S7: each consent purpose says what refusing it changes."""
    start = policy_text.index('refusal = "Les réseaux sociaux')
    end = policy_text.index("\n", start)
    text = policy_text[:start] + policy_text[end + 1 :]
    [problem] = problems_of(text)
    assert "(social).text.fr.refusal: missing in fr" in problem


def test_every_language_needs_texts(policy_text: str) -> None:
    text = policy_text.replace(
        'languages = ["fr", "en", "de"]', 'languages = ["fr", "en", "de", "it"]'
    )
    problems = problems_of(text)
    assert any("(social).text.it: no text in it" in p for p in problems)


def test_duplicate_keys_refused(policy_text: str) -> None:
    text = policy_text.replace('key = "advertising"', 'key = "social"')
    [problem] = problems_of(text)
    assert "declared twice" in problem


def test_bad_origin_and_host(policy_text: str) -> None:
    text = policy_text.replace('origins = ["http://127.0.0.1:8000"]', 'origins = ["127.0.0.1/"]')
    [problem] = problems_of(text)
    assert "is not an origin" in problem and "origins" in problem
    text = policy_text.replace('hosts = ["localhost:8002"]', 'hosts = ["https://ads.example/x"]')
    [problem] = problems_of(text)
    assert "is not a host name" in problem and "(advertising).services[0].hosts" in problem


def test_exempt_cookie_shared_across_sites_is_refused(policy_text: str) -> None:
    """AM-04: an identifier shared across sites excludes the exemption."""
    text = policy_text.replace(
        'name = "_lq_mesure", lifetime = "13 months"',
        'name = "_lq_mesure", lifetime = "13 months", cross_site = true',
    )
    [problem] = problems_of(text)
    assert "AM-04" in problem


def test_all_problems_reported_at_once(policy_text: str) -> None:
    text = policy_text.replace("reprompt_after_days = 183", "reprompt_after_days = 999").replace(
        'contact = "dpo@lequotidien.example"', ""
    )
    problems = problems_of(text)
    assert len(problems) == 2
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "site.toml")
    assert str(info.value).startswith("2 problems:")


def test_digest_changes_only_for_the_edited_purpose(policy: Policy, policy_text: str) -> None:
    """A changed text or service re-asks that purpose only."""
    edited = parse_policy(policy_text.replace("Publicité", "Publicité ciblée"))
    before = {p.key: p.digest for p in policy.purposes}
    after = {p.key: p.digest for p in edited.purposes}
    assert before["advertising"] != after["advertising"]
    assert {k: v for k, v in before.items() if k != "advertising"} == {
        k: v for k, v in after.items() if k != "advertising"
    }
    assert policy.version != edited.version


def test_digest_ignores_formatting(policy: Policy, policy_text: str) -> None:
    reformatted = parse_policy(policy_text.replace(" = ", "=").replace("# ", "#  "))
    assert [p.digest for p in reformatted.purposes] == [p.digest for p in policy.purposes]


def test_service_cookie_change_changes_digest(policy: Policy, policy_text: str) -> None:
    edited = parse_policy(policy_text.replace('"_social_uid"', '"_social_id"'))
    assert edited.purpose("social").digest != policy.purpose("social").digest


def test_cookie_patterns(policy: Policy) -> None:
    [tg] = policy.purpose("social").services[0].cookies
    assert tg.is_pattern and tg.matches("_tg_session") and not tg.matches("tg_session")


@given(st.integers(min_value=0, max_value=10_000))
def test_lifetime_days_round_trip(days: int) -> None:
    assert parse_lifetime(days) == days
    assert parse_lifetime(f"{days} days") == days


@pytest.mark.parametrize(
    ("text", "days"), [("13 months", 395), ("6 months", 182), ("1 year", 365), ("session", None)]
)
def test_lifetime_texts(text: str, days: int | None) -> None:
    assert parse_lifetime(text) == days


@pytest.mark.parametrize("bad", ["forever", "-1 days", True, 1.5])
def test_lifetime_errors(bad: object) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        parse_lifetime(bad)


BAD_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/privacy",
    "/\\evil.example/privacy",
    "https:evil.example",
    "https://",
    "privacy.html",
    "ftp://example.fr/privacy",
]
DEMO_LINK = (
    'privacy_policy_url = { fr = "/confidentialite", en = "/en/privacy", de = "/de/datenschutz" }'
)


@pytest.mark.parametrize("bad", BAD_LINKS)
def test_privacy_policy_url_is_a_web_link(policy_text: str, bad: str) -> None:
    """A link the banner shows runs nothing when clicked (no `javascript:` on a page without
    CSP): an https:// or http:// address, or a path on the site (TOML literal strings below)."""
    for form in (f"'{bad}'", f"{{ fr = '{bad}', en = '/en', de = '/de' }}"):
        text = policy_text.replace(DEMO_LINK, f"privacy_policy_url = {form}")
        [problem] = problems_of(text)
        line = line_of(text, "privacy_policy_url")
        assert problem.startswith(f"site.toml:{line}: privacy_policy_url: ")
        assert "https://" in problem and '"/privacy"' in problem
        assert ("fr: " in problem) == form.startswith("{")


@pytest.mark.parametrize("bad", [*BAD_LINKS, "/privacy"])
def test_service_privacy_policy_is_a_web_address(policy_text: str, bad: str) -> None:
    """A service's policy is another party's page, linked from the privacy page the consent
    server serves: a full https:// or http:// address (a path would point at that server)."""
    given = 'privacy_policy = "http://localhost:8001/privacy"'
    assert given in policy_text
    text = policy_text.replace(given, f"privacy_policy = '{bad}'", 1)
    [problem] = problems_of(text)
    line = line_of(text, "privacy_policy = ")
    assert problem.startswith(f"site.toml:{line}: purposes[2] (social).services[0].privacy_policy")
    assert "https://" in problem


@pytest.mark.parametrize(
    "good", ["https://www.example.fr/privacy", "http://localhost:8000/p?x=1#y", "/confidentialite"]
)
def test_web_links_load(policy_text: str, good: str) -> None:
    text = policy_text.replace(DEMO_LINK, f'privacy_policy_url = "{good}"')
    assert parse_policy(text).privacy_url("fr") == good
    if good.startswith("http"):
        given = 'privacy_policy = "http://localhost:8001/privacy"'
        service = policy_text.replace(given, f'privacy_policy = "{good}"', 1)
        assert parse_policy(service).purpose("social").services[0].privacy_policy == good
