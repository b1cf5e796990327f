"""bandeau's built-in words: one TOML file per language of the EU and the EEA (CNIL-14), each
complete, each with the placeholders English has, none left in English."""

from __future__ import annotations

import html
import re
import string
import tomllib

import pytest

from bandeau.policy import parse_policy
from bandeau.privacy import render_privacy_page
from bandeau.texts import (
    LIFETIME_KEYS,
    LOCALES,
    LOCALES_DIR,
    UI_KEYS,
    lifetime_label,
    plural_categories,
    plural_category,
)

from .polyglot import polyglot_policy

# The official languages of the EU, plus Iceland's and Norway's (EEA) and Spain's co-official.
EU_EEA = [
    "bg",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fi",
    "fr",
    "ga",
    "hr",
    "hu",
    "it",
    "lt",
    "lv",
    "mt",
    "nl",
    "pl",
    "pt",
    "ro",
    "sk",
    "sl",
    "sv",
    "is",
    "no",
    "ca",
    "eu",
    "gl",
]

ENGLISH = LOCALES["en"]
PRIVACY_KEYS = tuple(ENGLISH.privacy)

# Values that are genuinely the same word as in English, per language and key.
SAME_AS_ENGLISH = {
    ("fr", "banner", "services"),
    ("fr", "privacy", "exemption"),
    ("de", "privacy", "cookie"),
    ("it", "privacy", "cookie"),
    ("nl", "privacy", "cookie"),
    ("mt", "privacy", "cookie"),
}


def _fields(text: str) -> list[str]:
    return sorted(
        name or "" for _, name, _, _ in string.Formatter().parse(text) if name is not None
    )


def _forms(value: object) -> list[str]:
    return [value] if isinstance(value, str) else list(value.values())  # type: ignore[attr-defined]


def test_every_eu_and_eea_language_has_a_file() -> None:
    """One file per language, nothing else in the folder."""
    assert sorted(LOCALES) == sorted(EU_EEA)
    assert sorted(p.name for p in LOCALES_DIR.iterdir()) == sorted(f"{x}.toml" for x in EU_EEA)


@pytest.mark.parametrize("lang", EU_EEA)
def test_file_is_utf8_toml_with_the_four_tables(lang: str) -> None:
    raw = (LOCALES_DIR / f"{lang}.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))  # strict: invalid UTF-8 raises
    assert set(data) == {"banner", "lifetime", "privacy", "tcf"}


@pytest.mark.parametrize("lang", EU_EEA)
def test_every_key_and_no_other(lang: str) -> None:
    locale = LOCALES[lang]
    assert sorted(locale.banner) == sorted(UI_KEYS)
    assert sorted(locale.lifetime) == sorted(LIFETIME_KEYS)
    assert sorted(locale.privacy) == sorted(PRIVACY_KEYS)
    assert sorted(locale.tcf) == sorted(ENGLISH.tcf)  # the TCF mode's words (docs/tcf.md)


@pytest.mark.parametrize("lang", EU_EEA)
def test_no_placeholder_lost_or_added(lang: str) -> None:
    """Every text keeps English's placeholders. A plural form may spell its number out (Maltese
    "xahar wieħed", "xahrejn"), so only the form most numbers take (that of 100) must keep
    `{count}`."""
    locale = LOCALES[lang]
    for section in ("banner", "lifetime", "privacy", "tcf"):
        english = getattr(ENGLISH, section)
        for key, value in getattr(locale, section).items():
            expected = _fields(_forms(english[key])[0])
            if isinstance(value, str):
                assert _fields(value) == expected, f"{lang}.toml [{section}] {key}: {value!r}"
                continue
            most = plural_category(lang, 100)
            assert _fields(value[most]) == expected, f"{lang}.toml [{section}] {key}.{most}"
            for category, form in value.items():
                loose = [f for f in expected if f != "count"]
                assert [f for f in _fields(form) if f != "count"] == loose, (
                    f"{lang}.toml [{section}] {key}.{category}: {form!r}"
                )


@pytest.mark.parametrize("lang", EU_EEA)
def test_plural_tables_hold_exactly_the_languages_categories(lang: str) -> None:
    """A count takes the form its language's rule gives it (CLDR: Polish 'many', Irish 'two'…)."""
    locale = LOCALES[lang]
    tables = {**locale.lifetime, **locale.privacy}
    for key in ("day", "month", "retention_months"):
        table = tables[key]
        assert isinstance(table, dict), f"{lang}: {key} is a plural table"
        assert set(table) == plural_categories(lang), f"{lang}.toml {key}"


@pytest.mark.parametrize("lang", [x for x in EU_EEA if x != "en"])
def test_nothing_left_in_english(lang: str) -> None:
    locale = LOCALES[lang]
    for section in ("banner", "lifetime", "privacy", "tcf"):
        english = getattr(ENGLISH, section)
        for key, value in getattr(locale, section).items():
            if key in ("colon", "quote") or (lang, section, key) in SAME_AS_ENGLISH:
                continue
            assert _forms(value) != _forms(english[key]), (
                f"{lang}.toml [{section}] {key} is English"
            )


def test_same_as_english_allowlist_is_still_needed() -> None:
    """The allowlist names only values that really are the same as English's."""
    for lang, section, key in SAME_AS_ENGLISH:
        assert getattr(LOCALES[lang], section)[key] == getattr(ENGLISH, section)[key]


@pytest.mark.parametrize(
    ("lang", "n", "category"),
    [
        ("en", 1, "one"),
        ("en", 0, "other"),
        ("fr", 0, "one"),
        ("fr", 2, "other"),
        ("pl", 2, "few"),
        ("pl", 5, "many"),
        ("pl", 12, "many"),
        ("pl", 22, "few"),
        ("cs", 3, "few"),
        ("cs", 13, "other"),
        ("hr", 21, "one"),
        ("hr", 11, "other"),
        ("sl", 102, "two"),
        ("lt", 13, "other"),
        ("lt", 22, "few"),
        ("lv", 10, "zero"),
        ("ro", 13, "few"),
        ("ro", 20, "other"),
        ("ga", 2, "two"),
        ("ga", 7, "many"),
        ("mt", 13, "many"),
        ("mt", 3, "few"),
        ("is", 21, "one"),
        ("is", 11, "other"),
    ],
)
def test_plural_rules(lang: str, n: int, category: str) -> None:
    assert plural_category(lang, n) == category


@pytest.mark.parametrize(
    ("lang", "days", "text"),
    [
        ("de", 395, "13 Monate"),
        ("de", 30, "1 Monat"),
        ("pl", 395, "13 miesięcy"),
        ("pl", 61, "2 miesiące"),
        ("fr", 1, "1 jour"),
        ("cs", 3, "3 dny"),
        ("fi", 395, "13 kuukautta"),
    ],
)
def test_lifetimes_read_in_the_language(lang: str, days: int, text: str) -> None:
    assert lifetime_label(days, lang) == text


def test_typography() -> None:
    """French: a narrow no-break space before ':' and inside « »; German: „…“ quotes."""
    fr, de = LOCALES["fr"], LOCALES["de"]
    assert "\u202f:" in fr.banner["controller"] and " :" not in fr.banner["controller"]
    assert fr.banner["placeholder_button"] == "Autoriser «\u202f{purpose}\u202f»"
    assert de.privacy["quote"] == "„{name}“" and "„" in de.banner["placeholder_button"]


@pytest.mark.parametrize(
    ("lang", "accept", "refuse"),
    [("de", "Alle akzeptieren", "Alle ablehnen"), ("fr", "Tout accepter", "Tout refuser")],
)
def test_accept_and_refuse_are_plain_and_equal(lang: str, accept: str, refuse: str) -> None:
    """CNIL-01: refusing is as plain as accepting; no 'continue' that hides acceptance."""
    assert (LOCALES[lang].banner["accept_all"], LOCALES[lang].banner["refuse_all"]) == (
        accept,
        refuse,
    )


@pytest.mark.parametrize("lang", [x for x in EU_EEA if x != "en"])
def test_privacy_page_in_every_language_has_no_english(lang: str) -> None:
    """The generated privacy page (S8) speaks the reader's language from title to footer."""
    policy = parse_policy(polyglot_policy("http://127.0.0.1:9"))
    page = html.unescape(render_privacy_page(policy, lang))
    assert f'<html lang="{lang}">' in page and LOCALES[lang].privacy["title"] in page
    for key, value in ENGLISH.privacy_words().items():
        if key in ("colon", "quote") or (lang, "privacy", key) in SAME_AS_ENGLISH:
            continue
        for fragment in re.split(r"\{[a-z_]+\}", value):
            if len(fragment.strip()) >= 8:
                assert fragment.strip() not in page, (lang, key, fragment)
    for english in ("months", "days", "browser session"):
        assert english not in page, (lang, english)
