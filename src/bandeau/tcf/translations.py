"""The purposes in the reader's language (TCF-09, TCF-10): the IAB publishes the names,
descriptions and illustrations of the purposes, special purposes, features, special features,
stacks and data categories in each language as `purposes-{lang}.json`, beside the vendor list
(`https://vendor-list.consensu.org/v3/purposes-fr.json`). A CMP that writes
`useNonStandardTexts = 0` in its strings (bandeau always does) must show those texts.

The server reads each translation the site needs with the vendor list's own fetch, cache and
archive code (`TranslationSource`, a `JsonSource`: `Accept-Encoding`, `max-age`, archived as
`purposes-fr-v{N}-{sha256[:16]}.json`), checks its shape when it arrives and, against the vendor
list in use, that it translates exactly the list's ids (`translation_problems`). English is the
vendor list's own language: it needs no translation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .fetch import JsonSource
from .gvl import VendorList, VendorListError

__all__ = [
    "KINDS",
    "Texts",
    "Translation",
    "TranslationSource",
    "english_texts",
    "translated_texts",
    "translation_problems",
    "translation_where",
]

logger = logging.getLogger(__name__)

# The tables a translation carries, as the vendor list names them.
KINDS: Final = (
    "purposes",
    "specialPurposes",
    "features",
    "specialFeatures",
    "stacks",
    "dataCategories",
)
SOURCE_LANGUAGE: Final = "en"  # the vendor list's own


class TranslatedEntry(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    id: int
    name: str = Field(min_length=1)
    description: str = ""
    illustrations: list[str] = []


class Translation(BaseModel):
    """One `purposes-{lang}.json` (the vendor list's tables, texts only)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    gvlSpecificationVersion: int | None = None
    vendorListVersion: int | None = None
    tcfPolicyVersion: int | None = None
    purposes: dict[int, TranslatedEntry]
    specialPurposes: dict[int, TranslatedEntry]
    features: dict[int, TranslatedEntry]
    specialFeatures: dict[int, TranslatedEntry]
    stacks: dict[int, TranslatedEntry] = {}
    dataCategories: dict[int, TranslatedEntry] = {}


def parse_translation(data: Any, source: str) -> Translation:
    try:
        return Translation.model_validate(data)
    except ValidationError as e:
        problems = [
            f"{'.'.join(str(p) for p in err['loc']) or 'translation'}: {err['msg']}"
            for err in e.errors()
        ]
        raise VendorListError(source, problems) from None


class TranslationSource(JsonSource[Translation]):
    """The translation at `where` for `lang`, fetched, cached and archived as the vendor list."""

    def __init__(self, where: str, lang: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(where, *args, **kwargs)
        self.lang = lang
        self.kind = f"purposes-{lang}"
        self.what = "a translation of the purposes"

    def parse(self, data: Any) -> Translation:
        return parse_translation(data, self.where)

    def version(self, value: Translation) -> int:
        return value.vendorListVersion or 0


def translation_where(template: str, vendor_list: str, lang: str) -> str:
    """Where the translation into `lang` is: the policy's `translations` template with `{lang}`
    filled, or, without one, `purposes-{lang}.json` beside the vendor list (the IAB's layout)."""
    if template:
        return template.replace("{lang}", lang)
    where = vendor_list.partition("#")[0]
    if where.startswith(("https://", "http://")):
        base, _, _ = where.rpartition("/")
        return f"{base}/purposes-{lang}.json"
    return str(PurePosixPath(where).with_name(f"purposes-{lang}.json"))


def translation_problems(translation: Translation, gvl: VendorList) -> list[str]:
    """What keeps `translation` from standing for `gvl`'s texts: ids it lacks or adds, ids not
    keyed by themselves, an empty description where the list has one, a different number of
    illustrations."""
    problems = []
    for kind in KINDS:
        ours: dict[int, TranslatedEntry] = getattr(translation, kind)
        theirs: dict[int, Any] = getattr(gvl, kind)
        missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
        if missing:
            problems.append(f"{kind}: {missing} are not translated")
        if extra:
            problems.append(f"{kind}: {extra} are not in vendor list v{gvl.vendorListVersion}")
        for key in sorted(set(ours) & set(theirs)):
            problems += entry_problems(f"{kind}.{key}", key, ours[key], theirs[key])
    return problems


def entry_problems(where: str, key: int, ours: TranslatedEntry, theirs: Any) -> list[str]:
    problems = [] if ours.id == key else [f"{where}.id: is {ours.id}, not its key {key}"]
    if theirs.description and not ours.description.strip():
        problems.append(f"{where}.description: empty")
    their_illustrations = getattr(theirs, "illustrations", [])
    if len(ours.illustrations) != len(their_illustrations):
        problems.append(
            f"{where}.illustrations: {len(ours.illustrations)}, the list has "
            f"{len(their_illustrations)}"
        )
    return problems


@dataclass(frozen=True)
class Texts:
    """The texts a reader is shown, in one language: for each table (`KINDS`), id -> (name,
    description). `language` is the one they are written in (what `consentLanguage` says);
    `reference` names the archived translation (`ArchivedList.reference`), "" for English."""

    language: str
    reference: str
    tables: dict[str, dict[int, tuple[str, str]]]

    def name(self, kind: str, key: int) -> str:
        return self.tables[kind][key][0]


def english_texts(gvl: VendorList) -> Texts:
    tables = {
        kind: {key: (e.name, e.description) for key, e in getattr(gvl, kind).items()}
        for kind in KINDS
    }
    return Texts(SOURCE_LANGUAGE, "", tables)


def translated_texts(translation: Translation, lang: str, reference: str) -> Texts:
    tables = {
        kind: {key: (e.name, e.description) for key, e in getattr(translation, kind).items()}
        for kind in KINDS
    }
    return Texts(lang, reference, tables)
