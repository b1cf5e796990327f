"""bandeau's own words, per language, read from one TOML file per language in `locales/`.

Each file (`de.toml`, `fr.toml`…) has three tables a translator fills in:

- `[banner]`: the banner's controls and the sentences around them (`UI_KEYS`): the first layer,
  the placeholders, the persistent entry, the status messages and the preferences;
- `[lifetime]`: how a cookie's lifetime reads (`session`, and `day` and `month` as plural tables);
- `[privacy]`: the sentences of the generated privacy page (`bandeau.privacy`);
- `[tcf]`: the words of the TCF mode (`bandeau.tcf.bundle`, docs/tcf.md).

A value with a count is a plural table keyed by the language's CLDR plural categories
(`one`, `few`, `many`, `other`…, see `plural_category`), each a template with `{count}`.
Typography is written in the files as the language wants it (French narrow no-break spaces
before `:` and inside « », German „quotes“…), as `\\u202F`-style escapes where invisible.

Purpose texts come from the publisher's policy, never from here; a policy may override any
banner word under [ui.<lang>].
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

__all__ = [
    "BUILTIN",
    "DETAIL_KEYS",
    "FIRST_LAYER_KEYS",
    "LANGUAGES",
    "LIFETIME_KEYS",
    "LOCALES",
    "LOCALES_DIR",
    "UI_KEYS",
    "Locale",
    "days_label",
    "lifetime_label",
    "plural_categories",
    "plural_category",
]

LOCALES_DIR: Final = Path(__file__).parent / "locales"

# Words only the preferences (the banner's second layer) use: served with their details
# (`details_for`), not in the first layer's bundle.
DETAIL_KEYS: Final = (
    "settings_title",
    "save",
    "close",
    "allowed",
    "refused",
    "always_on",
    "services",
    "lifetime",
    "refusal_label",
    "receipt",
    "object",
    "exempt_state",
    "objected",
    "provider_policy",
)

# Words of the first layer, the placeholders, the persistent entry and the status messages.
FIRST_LAYER_KEYS: Final = (
    "title",
    "intro",
    "withdraw",
    "accept_all",
    "refuse_all",
    "customise",
    "privacy_link",
    "manage",
    "placeholder",
    "placeholder_button",
    "saved",
    "controller",
    "offline",
    "exempt",
    "partners",
    "gpc_notice",
)

UI_KEYS: Final = FIRST_LAYER_KEYS + DETAIL_KEYS
LIFETIME_KEYS: Final = ("session", "day", "month")


# ---- plural rules: CLDR's cardinal rules for whole numbers, per language.
def _one_other(n: int) -> str:
    return "one" if n == 1 else "other"


def _zero_one_other(n: int) -> str:  # fr, pt: 0 and 1 take the singular
    return "one" if n in (0, 1) else "other"


def _ends_in_one(n: int) -> str:  # is: 1, 21, 31… but not 11
    return "one" if n % 10 == 1 and n % 100 != 11 else "other"


def _czech_slovak(n: int) -> str:
    return "one" if n == 1 else "few" if 2 <= n <= 4 else "other"


def _polish(n: int) -> str:
    if n == 1:
        return "one"
    return "few" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "many"


def _croatian(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    return "few" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "other"


def _slovenian(n: int) -> str:
    return {1: "one", 2: "two", 3: "few", 4: "few"}.get(n % 100, "other")


def _lithuanian(n: int) -> str:
    if 11 <= n % 100 <= 19:
        return "other"
    return "one" if n % 10 == 1 else "few" if n % 10 >= 2 else "other"


def _latvian(n: int) -> str:
    if n % 10 == 0 or 11 <= n % 100 <= 19:
        return "zero"
    return "one" if n % 10 == 1 else "other"


def _romanian(n: int) -> str:
    if n == 1:
        return "one"
    return "few" if n == 0 or 2 <= n % 100 <= 19 else "other"


def _irish(n: int) -> str:
    if n in (1, 2):
        return "one" if n == 1 else "two"
    return "few" if 3 <= n <= 6 else "many" if 7 <= n <= 10 else "other"


def _maltese(n: int) -> str:
    if n in (1, 2):
        return "one" if n == 1 else "two"
    if n == 0 or 3 <= n % 100 <= 10:
        return "few"
    return "many" if 11 <= n % 100 <= 19 else "other"


_PLURAL_RULES: Final[dict[str, Callable[[int], str]]] = {
    "cs": _czech_slovak,
    "sk": _czech_slovak,
    "pl": _polish,
    "hr": _croatian,
    "sl": _slovenian,
    "lt": _lithuanian,
    "lv": _latvian,
    "ro": _romanian,
    "ga": _irish,
    "mt": _maltese,
    "fr": _zero_one_other,
    "pt": _zero_one_other,
    "is": _ends_in_one,
}


def plural_category(lang: str, n: int) -> str:
    """The CLDR plural category of the whole number `n` in `lang` ("one", "few", "other"…)."""
    return _PLURAL_RULES.get(lang, _one_other)(n)


def plural_categories(lang: str) -> frozenset[str]:
    """Every category `lang` uses for whole numbers: what each of its plural tables must hold."""
    return frozenset(plural_category(lang, n) for n in range(0, 1000))


# ---- the files
Plural = Mapping[str, str]


@dataclass(frozen=True)
class Locale:
    """One language's built-in words, as its file states them."""

    lang: str
    banner: Mapping[str, str]
    lifetime: Mapping[str, str | Plural]
    privacy: Mapping[str, str | Plural]
    tcf: Mapping[str, str] = field(default_factory=dict)  # the TCF mode's words (docs/tcf.md)

    def counted(self, value: str | Plural, count: int) -> str:
        """A text with a count: the plural form `count` takes in this language, filled in."""
        form = value if isinstance(value, str) else value[plural_category(self.lang, count)]
        return form.format(count=count)

    def privacy_words(self) -> dict[str, str]:
        """The privacy page's plain sentences (those without a count)."""
        return {k: v for k, v in self.privacy.items() if isinstance(v, str)}


def load_locale(path: Path) -> Locale:
    """Read one language's file; a missing table is an error the tests name."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Locale(
        lang=path.stem,
        banner=dict(data["banner"]),
        lifetime=dict(data["lifetime"]),
        privacy=dict(data["privacy"]),
        tcf=dict(data.get("tcf", {})),
    )


LOCALES: Final[dict[str, Locale]] = {
    path.stem: load_locale(path) for path in sorted(LOCALES_DIR.glob("*.toml"))
}
LANGUAGES: Final = tuple(LOCALES)
BUILTIN: Final[dict[str, dict[str, str]]] = {
    lang: dict(locale.banner) for lang, locale in LOCALES.items()
}


def lifetime_label(days: int | None, lang: str) -> str:
    """Human text for a cookie lifetime: months when the figure is a whole number of months."""
    locale = LOCALES.get(lang, LOCALES["en"])
    if days is None:
        session = locale.lifetime["session"]
        return session if isinstance(session, str) else session["other"]
    for n in range(1, 61):
        if days in _month_span(n):
            return locale.counted(locale.lifetime["month"], n)
    return days_label(days, lang)


def days_label(days: int, lang: str) -> str:
    """`days` as a count of days, in the plural form `lang` gives it."""
    locale = LOCALES.get(lang, LOCALES["en"])
    return locale.counted(locale.lifetime["day"], days)


def _month_span(n: int) -> range:
    """Day counts that people call `n` months (28..31 days a month)."""
    return range(28 * n + (n // 2), 31 * n + 1)
