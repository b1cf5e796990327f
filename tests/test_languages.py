"""A policy's languages: `bandeau check` lists every text a declared language lacks (file, line,
field), and `bandeau check --draft LANG POLICY` prints the skeleton that, filled in, completes
the policy (CNIL-14: the notice in the reader's language)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bandeau.errors import PolicyError
from bandeau.policy import parse_policy

from .conftest import DEMO_POLICY

# The demo speaks fr, en and de: these tests add Italian, which bandeau has built-in words for.
ADD_ITALIAN = ('languages = ["fr", "en", "de"]', 'languages = ["fr", "en", "de", "it"]')
URLS = ('de = "/de/datenschutz" }', 'de = "/de/datenschutz", it = "/it/privacy" }')


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "site.toml")
    return info.value.problems


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bandeau", "check", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_every_missing_text_is_one_line_naming_file_line_and_field(policy_text: str) -> None:
    """Validation stops at its first problem; the language gaps are all listed at once."""
    text = policy_text.replace(*ADD_ITALIAN)
    problems = problems_of(text)
    keys = ["necessary", "audience", "social", "advertising"]
    for i, key in enumerate(keys):
        header = _line_of(text, "[[purposes]]", i + 1)
        assert any(
            p.startswith(f"site.toml:{header}: purposes[{i}] ({key}).text.it: no text in it")
            for p in problems
        ), problems
    assert any("privacy_policy_url: no URL for it" in p for p in problems)
    # Italian has built-in banner words: no [ui.it] is asked for.
    assert not any("ui.it" in p for p in problems)
    assert len(problems) == 5, problems


def test_a_half_written_language_names_each_missing_field(policy_text: str) -> None:
    text = policy_text.replace(*ADD_ITALIAN).replace(*URLS)
    social = text.index('key = "social"')
    services = text.index("[[purposes.services]]", social)
    text = text[:services] + '[purposes.text.it]\nname = "Social network"\n\n' + text[services:]
    problems = [p for p in problems_of(text) if "(social)" in p]
    table = _line_of(text, "[purposes.text.it]")
    assert problems == [
        f"site.toml:{table}: purposes[2] (social).text.it.description: missing in it: what the "
        "purpose does, shown in the preferences and the privacy page",
        f"site.toml:{table}: purposes[2] (social).text.it.refusal: missing in it: what refusing "
        "changes for the reader (S7)",
    ]


def test_a_language_without_built_in_words_needs_the_banners_words(policy_text: str) -> None:
    text = policy_text.replace(*ADD_ITALIAN).replace('"it"]', '"tr"]')
    [ui] = [p for p in problems_of(text) if "ui.tr" in p]
    assert "bandeau has no built-in words in tr: add [ui.tr] with title, intro" in ui


def test_other_problems_are_still_listed_beside_the_gaps(policy_text: str) -> None:
    text = policy_text.replace(*ADD_ITALIAN).replace(
        "reprompt_after_days = 183", "reprompt_after_days = 500"
    )
    problems = problems_of(text)
    assert any("reprompt_after_days" in p for p in problems)
    assert any("text.it: no text in it" in p for p in problems)


def test_check_prints_the_gaps(tmp_path: Path, policy_text: str) -> None:
    site = tmp_path / "site.toml"
    site.write_text(policy_text.replace(*ADD_ITALIAN))
    r = check(str(site))
    assert r.returncode == 1 and r.stdout == ""
    assert f"{site}:18: purposes[0] (necessary).text.it: no text in it" in r.stderr
    assert f"`bandeau check --draft it {site}` prints it" in r.stderr


def test_draft_filled_in_completes_the_policy(tmp_path: Path, policy_text: str) -> None:
    """The skeleton, each field filled in and each table pasted where it says, makes a policy
    that loads with German everywhere."""
    site = tmp_path / "site.toml"
    site.write_text(policy_text)
    r = check("--draft", "it", str(site))
    assert r.returncode == 0, r.stderr
    skeleton = r.stdout
    assert (
        "# fr: Réseaux sociaux" in skeleton and 'languages = ["fr", "en", "de", "it"]' in skeleton
    )
    assert "\n[ui.it]" not in skeleton  # Italian words are built in
    rows = policy_text.splitlines()
    chunks = re.findall(
        r"# purpose (\w+): insert before line (\d+)\n(.*?)(?=\n\n|\Z)", skeleton, re.S
    )
    assert [key for key, _, _ in chunks] == ["necessary", "audience", "social", "advertising"]
    for _, line, chunk in reversed(chunks):
        filled = chunk.replace('= ""', '= "Italiano"')
        rows[int(line) - 1 : int(line) - 1] = [*filled.splitlines(), ""]
    text = "\n".join(rows).replace(*ADD_ITALIAN).replace(*URLS)
    policy = parse_policy(text, "site.toml")
    assert "it" in policy.languages
    assert all(p.text["it"].name == "Italiano" for p in policy.purposes)


def test_draft_for_a_language_without_built_in_words(tmp_path: Path) -> None:
    r = check("--draft", "tr", str(DEMO_POLICY))
    assert r.returncode == 0, r.stderr
    assert '[ui.tr]\n# en: Your choices about cookies\ntitle = ""' in r.stdout


def test_draft_asks_only_for_what_is_missing(policy_text: str, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(policy_text)
    r = check("--draft", "en", str(site))
    assert r.returncode == 0 and "[purposes.text.en]" not in r.stdout
    bad = check("--draft", "German", str(site))
    assert bad.returncode == 2 and "is not a language code" in bad.stderr


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == needle:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)
