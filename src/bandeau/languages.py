"""Which texts a policy still lacks in each of its languages, and the skeleton to fill in.

The banner's own words are built in (`bandeau.texts`, every EU and EEA language); the purposes'
texts are the publisher's. `language_gaps` reads the policy file as written (before validation,
so that every gap is listed at once, each with its file, line and field); `draft` prints the
TOML a translator fills in for one language (`bandeau check --draft LANG POLICY`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from .texts import BUILTIN, LOCALES, UI_KEYS

__all__ = ["draft", "language_gaps", "required_text_fields"]

DEFAULT_LANGUAGES: Final = ("fr", "en")


def required_text_fields(kind: object) -> tuple[str, ...]:
    """The fields of `[purposes.text.LANG]` a purpose of `kind` needs in every language
    (`short` is optional; `refusal` is required for consent purposes, S7)."""
    return ("name", "description", "refusal") if kind == "consent" else ("name", "description")


def declared_languages(data: Mapping[str, Any]) -> list[str]:
    langs = data.get("languages", DEFAULT_LANGUAGES)
    if not isinstance(langs, (list, tuple)):
        return []
    return [x for x in langs if isinstance(x, str)]


def _purposes(data: Mapping[str, Any]) -> Iterator[tuple[int, Mapping[str, Any]]]:
    purposes = data.get("purposes", [])
    if isinstance(purposes, list):
        for i, p in enumerate(purposes):
            if isinstance(p, Mapping):
                yield i, p


def _texts(purpose: Mapping[str, Any]) -> Mapping[str, Any]:
    text = purpose.get("text", {})
    return text if isinstance(text, Mapping) else {}


def language_gaps(  # long: one pass over purposes, URLs and banner words, each a few lines
    data: Mapping[str, Any], name: str, line_of: Callable[[str], int | None]
) -> list[str]:
    """One line per text a declared language lacks: `FILE:LINE: FIELD: ...`, like every
    policy problem (`bandeau.policy.parse_policy` reports them with the others). `line_of`
    gives the line of a field path such as `purposes[2].text.de`."""
    gaps: list[str] = []

    def at(path: str, field: str, msg: str) -> None:
        line = line_of(path)
        gaps.append(f"{name}:{line}: {field}: {msg}" if line else f"{name}: {field}: {msg}")

    langs = declared_languages(data)
    for i, p in _purposes(data):
        label = f"purposes[{i}] ({p.get('key', '?')})"
        needed = required_text_fields(p.get("kind"))
        for lang in langs:
            text = _texts(p).get(lang)
            if not isinstance(text, Mapping):
                at(
                    f"purposes[{i}]",
                    f"{label}.text.{lang}",
                    f"no text in {lang}: add [purposes.text.{lang}] with {', '.join(needed)} "
                    f"(`bandeau check --draft {lang} {name}` prints it)",
                )
                continue
            for field in needed:
                if not text.get(field):
                    at(
                        f"purposes[{i}].text.{lang}",
                        f"{label}.text.{lang}.{field}",
                        f"missing in {lang}: {_why(field)}",
                    )
    url = data.get("privacy_policy_url")
    if isinstance(url, Mapping):
        for lang in langs:
            if lang not in url:
                at("privacy_policy_url", "privacy_policy_url", f"no URL for {lang}: add {lang} = …")
    ui = data.get("ui", {})
    for lang in langs:
        if lang in BUILTIN:
            continue
        given = ui.get(lang, {}) if isinstance(ui, Mapping) else {}
        absent = [k for k in UI_KEYS if not (isinstance(given, Mapping) and given.get(k))]
        if absent:
            at(
                f"ui.{lang}" if lang in ui else "languages",
                f"ui.{lang}",
                f"bandeau has no built-in words in {lang}: add [ui.{lang}] with "
                f"{', '.join(absent)}",
            )
    return gaps


def _why(field: str) -> str:
    return {
        "name": "the purpose's name, as the banner shows it",
        "description": "what the purpose does, shown in the preferences and the privacy page",
        "refusal": "what refusing changes for the reader (S7)",
    }.get(field, "required")


def draft(text: str, data: Mapping[str, Any], name: str, lang: str) -> str:
    """The TOML to add to the policy `name` for `lang`: each purpose's texts with the default
    language's wording beside each field, where to insert it, and the other entries `lang`
    needs (its place in `languages`, its privacy-page URL, the banner's words when bandeau has
    none in `lang`)."""
    source = data.get("default_language", "fr")
    source = source if isinstance(source, str) else "fr"
    rows = text.splitlines()
    out = [
        f"# Texts to write in {lang} for {name}; above each field, its {source} text.",
        "# Line numbers are the file's as it is now: paste from the last purpose up.",
    ]
    langs = declared_languages(data)
    if lang not in langs:
        out.append(f'# Add "{lang}" to `languages`:')
        out.append("languages = [" + ", ".join(f'"{x}"' for x in [*langs, lang]) + "]")
    url = data.get("privacy_policy_url")
    if isinstance(url, Mapping) and lang not in url:
        out.append(f"# Add {lang} to privacy_policy_url (one URL per language):")
        out.append(f'#   privacy_policy_url = {{ ..., {lang} = "" }}')
    for i, p in _purposes(data):
        out += _purpose_draft(rows, i, p, lang, source)
    out += _ui_draft(data, lang)
    return "\n".join(out) + "\n"


def _purpose_draft(
    rows: Sequence[str], index: int, purpose: Mapping[str, Any], lang: str, source: str
) -> list[str]:
    texts = _texts(purpose)
    present = _table(texts.get(lang))
    fields = ("name", "short", *required_text_fields(purpose.get("kind"))[1:])
    missing = [f for f in fields if not (present and present.get(f))]
    if not missing:
        return []
    key = purpose.get("key", "?")
    reference = _table(texts.get(source)) or {}
    where = (
        f"add to its [purposes.text.{lang}]"
        if present
        else f"insert before line {_end_of_texts(rows, index)}"
    )
    out = ["", f"# purpose {key}: {where}", f"[purposes.text.{lang}]"]
    for field in missing:
        said = str(reference.get(field, "")).replace("\n", " ")
        if said:
            out.append(f"# {source}: {said}")
        out.append(f'{field} = ""')
    return out


def _table(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _end_of_texts(rows: Sequence[str], index: int) -> int:
    """The line (1-based) where purpose `index`'s own tables end: its first `[[…]]` (services,
    or the next purpose) after its `[[purposes]]` header, or the end of the file."""
    seen = -1
    for number, row in enumerate(rows, start=1):
        stripped = row.strip()
        if stripped.startswith("[[") and stripped.replace(" ", "").startswith("[[purposes]]"):
            seen += 1
            if seen == index + 1:
                return number
            continue
        if seen == index and stripped.startswith("[["):
            return number
    return len(rows) + 1


def _ui_draft(data: Mapping[str, Any], lang: str) -> list[str]:
    if lang in BUILTIN:
        return [
            "",
            f"# The banner's own words are built in for {lang}; add [ui.{lang}] only to change "
            "some of them.",
        ]
    ui = data.get("ui", {})
    given = ui.get(lang, {}) if isinstance(ui, Mapping) else {}
    english = LOCALES["en"].banner
    out = ["", f"# bandeau has no built-in words in {lang}: the banner's words.", f"[ui.{lang}]"]
    for key in UI_KEYS:
        if isinstance(given, Mapping) and given.get(key):
            continue
        out.append(f"# en: {english[key]}")
        out.append(f'{key} = ""')
    return out
