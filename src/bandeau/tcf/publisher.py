"""A publisher's TCF setup, served: the vendor list narrowed to the vendors its policy declares
(TCF-09), the publisher restrictions that its accepted legal bases imply (TCF-04), and, for
each decision, the TC string its choices make (TCF-02, TCF-05, TCF-07).

The server writes the TC string, with the codec tested against `@iabtcf/core`: the banner sends
the reader's TCF choices with the decision, the record keeps them with the string, and
`tc_string_of(record.tcf)` writes the same string again from the record alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InvalidRequest
from ..policy import Policy
from ..settings import Settings
from .codec import encode
from .fetch import Loaded, MissingDocument, VendorListArchive, VendorListSource
from .gpp import TCF_EU_V2, GppString
from .gvl import VendorList, VendorListError
from .model import (
    NOT_ALLOWED,
    REQUIRE_CONSENT,
    REQUIRE_LEGITIMATE_INTEREST,
    PublisherRestriction,
    TCModel,
)
from .rules import validate
from .section import CONSENT_ONLY, TcfSection
from .translations import (
    Texts,
    TranslationSource,
    english_texts,
    translated_texts,
    translation_problems,
    translation_where,
)

__all__ = [
    "Snapshot",
    "TcfChoices",
    "TcfSite",
    "needs_reprompt",
    "tc_string_of",
    "tcf_answer",
    "tcf_problems",
    "tcf_site",
]

logger = logging.getLogger(__name__)

IdList = list[int]


class TcfChoices(BaseModel):
    """The TCF part of a decision, as the banner sends it: what the reader allowed, with the
    vendor list version shown. Legitimate interests listed are those not objected to."""

    model_config = ConfigDict(extra="forbid", strict=True)
    vendorListVersion: int = Field(ge=1)
    purposeConsents: IdList = Field(default_factory=list, max_length=24)
    purposeLegitimateInterests: IdList = Field(default_factory=list, max_length=24)
    specialFeatureOptins: IdList = Field(default_factory=list, max_length=12)
    vendorConsents: IdList = Field(default_factory=list, max_length=2048)
    vendorLegitimateInterests: IdList = Field(default_factory=list, max_length=2048)


@dataclass(frozen=True)
class Snapshot:
    """One version of the narrowed vendor list, with what the publisher's choices make of it."""

    gvl: VendorList  # narrowed: the declared vendors still in force
    reference: str  # the archived full list (`ArchivedList.reference`)
    restrictions: tuple[PublisherRestriction, ...]
    # what the banner can ask: purpose -> vendors on consent / on legitimate interest
    consent_purposes: dict[int, frozenset[int]]
    li_purposes: dict[int, frozenset[int]]
    special_features: dict[int, frozenset[int]]

    def used_purposes(self) -> set[int]:
        """The purposes the banner shows: accepted for some vendor on some basis."""
        return {*self.consent_purposes, *self.li_purposes}

    def everything(self) -> dict[str, set[int]]:
        """What accept all allows: every choice the banner offers."""
        on_consent = {*self.consent_purposes.values(), *self.special_features.values()}
        return {
            "purposeConsents": set(self.consent_purposes),
            "purposeLegitimateInterests": set(self.li_purposes),
            "specialFeatureOptins": set(self.special_features),
            "vendorConsents": set().union(*on_consent),
            "vendorLegitimateInterests": set().union(*self.li_purposes.values()),
        }


def declaration_problems(section: TcfSection, gvl: VendorList, now: datetime) -> list[str]:
    """What the policy's `[tcf] vendors` say that the vendor list does not allow: a vendor
    absent or deleted, a purpose accepted on a basis the vendor neither declares nor may
    switch to (flexible purposes)."""
    problems = []
    for i, declared in enumerate(section.vendors):
        where = f"tcf.vendors[{i}] (id {declared.id})"
        vendor = gvl.vendors.get(declared.id)
        if vendor is None:
            problems.append(f"{where}: not in vendor list v{gvl.vendorListVersion}")
            continue
        if vendor.deleted_by(now):
            logger.warning("%s: deleted from the vendor list on %s", where, vendor.deletedDate)
            continue  # no longer shown (TCF-09), nor an error: the list moved on
        flexible = set(vendor.flexiblePurposes)
        consent_ok = set(vendor.purposes) | (flexible & set(vendor.legIntPurposes))
        li_ok = set(vendor.legIntPurposes) | (flexible & set(vendor.purposes) - CONSENT_ONLY)
        for name, accepted, allowed in (
            ("consent_purposes", declared.consent_purposes, consent_ok),
            ("legitimate_interest_purposes", declared.legitimate_interest_purposes, li_ok),
        ):
            extra = sorted(set(accepted) - allowed)
            if extra:
                problems.append(
                    f"{where}.{name}: {vendor.name} does not declare {extra} on this basis"
                )
    return problems


def restrictions_for(section: TcfSection, gvl: VendorList) -> tuple[PublisherRestriction, ...]:
    """The publisher restrictions its accepted bases imply (TCF-04): a purpose a vendor declares
    but the publisher does not accept is not allowed (type 0); a flexible purpose accepted on
    the other basis requires that basis (type 1 or 2)."""
    by_key: dict[tuple[int, int], set[int]] = {}
    for declared in section.vendors:
        vendor = gvl.vendors.get(declared.id)
        if vendor is None:
            continue
        consent, li = set(declared.consent_purposes), set(declared.legitimate_interest_purposes)
        for purpose in sorted({*vendor.purposes, *vendor.legIntPurposes}):
            if purpose not in consent | li:
                kind = NOT_ALLOWED
            elif purpose in consent and purpose in vendor.legIntPurposes:
                kind = REQUIRE_CONSENT
            elif purpose in li and purpose in vendor.purposes:
                kind = REQUIRE_LEGITIMATE_INTEREST
            else:
                continue
            by_key.setdefault((purpose, kind), set()).add(vendor.id)
    return tuple(
        PublisherRestriction(purpose, kind, frozenset(ids))
        for (purpose, kind), ids in sorted(by_key.items())
    )


def stack_problems(section: TcfSection, snapshot: Snapshot) -> list[str]:
    """What is wrong with the stacks `[tcf] stacks` presents (TCF-UI-01): a stack the list
    lacks, a purpose or special feature no declared vendor uses (the stack would present what
    is not asked), a purpose or special feature in two stacks (shown twice)."""
    gvl, problems = snapshot.gvl, []
    used = {"purposes": snapshot.used_purposes(), "specialFeatures": set(snapshot.special_features)}
    seen: dict[tuple[str, int], int] = {}
    for i, stack_id in enumerate(section.stacks):
        where = f"tcf.stacks[{i}] (stack {stack_id})"
        stack = gvl.stacks.get(stack_id)
        if stack is None:
            problems.append(
                f"{where}: not in vendor list v{gvl.vendorListVersion}; use one of "
                f"{sorted(gvl.stacks)} or remove it"
            )
            continue
        for kind in ("purposes", "specialFeatures"):
            ids = getattr(stack, kind)
            unused = sorted(set(ids) - used[kind])
            if unused:
                problems.append(
                    f"{where}.{kind}: {unused} are used by none of tcf.vendors; remove the "
                    "stack, or accept them for a vendor that declares them"
                )
            twice = sorted(
                {f"{n} (also in stack {seen[kind, n]})" for n in ids if (kind, n) in seen}
            )
            if twice:
                problems.append(
                    f"{where}.{kind}: {', '.join(twice)}: a stack shares none with another; "
                    "keep one of the two"
                )
            seen.update({(kind, n): stack_id for n in ids})
    return problems


class TcfSite:
    """A site's TCF mode: its `[tcf]` section, its vendor list source and the sources of the
    translations of the purposes into its languages (English needs none: it is the list's)."""

    def __init__(
        self,
        section: TcfSection,
        source: VendorListSource,
        translations: dict[str, TranslationSource] | None = None,
    ) -> None:
        self.section = section
        self.source = source
        self.translations = translations or {}
        self._snapshots: dict[str, Snapshot] = {}
        self._texts: dict[tuple[str, str, str], Texts] = {}

    def texts(
        self, lang: str, snapshot: Snapshot, *, refresh: bool = True, strict: bool = False
    ) -> Texts:
        """The purposes' texts a reader of `lang` is shown with `snapshot`: the translation into
        `lang` when there is one that fits the list, else the list's English (a translation
        that stopped fitting is logged; with `strict`, as when the server starts, an error)."""
        source = self.translations.get(lang)
        if source is None:
            return self._english(snapshot)
        loaded = source.current(refresh=refresh)
        key = (lang, loaded.archived.reference, snapshot.reference)
        if key not in self._texts:
            problems = translation_problems(loaded.value, snapshot.gvl)
            if problems:
                error = VendorListError(
                    f"{source.where} against vendor list v{snapshot.gvl.vendorListVersion}",
                    problems,
                )
                if strict:
                    raise error
                logger.error("%s; the %s texts are in English until it is fixed", error, lang)
                self._texts[key] = self._english(snapshot)  # logged once per version
                return self._texts[key]
            self._texts[key] = translated_texts(loaded.value, lang, loaded.archived.reference)
        return self._texts[key]

    def _english(self, snapshot: Snapshot) -> Texts:
        """The list's own (English) texts, built once per list version."""
        key = ("en", "", snapshot.reference)
        if key not in self._texts:
            self._texts[key] = english_texts(snapshot.gvl)
        return self._texts[key]

    def snapshot(self, *, refresh: bool = True) -> Snapshot:
        """The narrowed list for the current vendor list (refetched when its cache expired,
        unless `refresh` is false: the decision path never waits for the network)."""
        return self._snapshot(self.source.current(refresh=refresh))

    def snapshot_of(self, version: int) -> Snapshot:
        """The narrowed list of `version`: the current one or the one before (TCF-08); else a
        stale-banner error."""
        current = self.snapshot(refresh=False)
        if current.gvl.vendorListVersion == version:
            return current
        previous = self.source.previous()
        if previous is not None and previous.gvl.vendorListVersion == version:
            return self._snapshot(previous)
        raise InvalidRequest(
            f"vendor list version {version} is neither the current one "
            f"({current.gvl.vendorListVersion}) nor the one before",
            field="tcf.vendorListVersion",
            hint="reload the page to get the current banner",
        )

    def _snapshot(self, loaded: Loaded[VendorList]) -> Snapshot:
        reference = loaded.archived.reference
        if reference not in self._snapshots:
            now = datetime.now(UTC)
            problems = declaration_problems(self.section, loaded.gvl, now)
            if problems:
                raise VendorListError(f"policy [tcf] against {self.source.where}", problems)
            snapshot = narrowed_snapshot(self.section, loaded.gvl, reference)
            problems = stack_problems(self.section, snapshot)
            if problems:
                raise VendorListError(f"policy [tcf] against {self.source.where}", problems)
            self._snapshots[reference] = snapshot
        return self._snapshots[reference]

    def decision_part(
        self, choices: TcfChoices | None, action: str, lang: str, occurred_at: int
    ) -> dict[str, Any]:
        """The TCF part of a record: the choices as checked, with what it takes to write the
        TC string again, and the string itself."""
        if choices is None:
            raise InvalidRequest(
                "this site speaks TCF: a decision carries its tcf choices", field="tcf"
            )
        snapshot = self.snapshot_of(choices.vendorListVersion)
        given = check_choices(snapshot, choices, action)
        texts = self.texts(lang, snapshot, refresh=False)
        moment = datetime.fromtimestamp(occurred_at / 1000, UTC)
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        part: dict[str, Any] = {
            "cmpId": self.section.cmp_id,
            "cmpVersion": self.section.cmp_version,
            # the language of the purposes' texts shown: English when no translation fits
            "consentLanguage": texts.language.upper()[:2],
            "created": day.isoformat().replace("+00:00", "Z"),
            "publisherCountryCode": self.section.publisher_country,
            "policyVersion": snapshot.gvl.tcfPolicyVersion,
            "vendorListVersion": snapshot.gvl.vendorListVersion,
            "vendorList": snapshot.reference,
            "vendorsDisclosed": sorted(snapshot.gvl.vendors),
            "publisherRestrictions": [
                [r.purposeId, r.restrictionType, sorted(r.vendorIds)] for r in snapshot.restrictions
            ],
            **{name: sorted(ids) for name, ids in given.items()},
        }
        if texts.reference:
            part["purposeTexts"] = texts.reference  # the archived translation shown
        part["tcString"] = tc_string_of(part)
        return part


def narrowed_snapshot(section: TcfSection, gvl: VendorList, reference: str) -> Snapshot:
    """The declared vendors only, each with the purposes the publisher accepts for it."""
    now = datetime.now(UTC)
    shown = {v.id for v in section.vendors if not gvl.vendors[v.id].deleted_by(now)}
    narrowed = gvl.narrowed(shown)
    restrictions = restrictions_for(section, narrowed)
    consent: dict[int, set[int]] = {}
    li: dict[int, set[int]] = {}
    special: dict[int, set[int]] = {}
    for declared in section.vendors:
        vendor = narrowed.vendors.get(declared.id)
        if vendor is None:
            continue
        for purpose in declared.consent_purposes:
            consent.setdefault(purpose, set()).add(vendor.id)
        for purpose in declared.legitimate_interest_purposes:
            li.setdefault(purpose, set()).add(vendor.id)
        for feature in vendor.specialFeatures:
            special.setdefault(feature, set()).add(vendor.id)
    return Snapshot(
        gvl=narrowed,
        reference=reference,
        restrictions=restrictions,
        consent_purposes={p: frozenset(v) for p, v in sorted(consent.items())},
        li_purposes={p: frozenset(v) for p, v in sorted(li.items())},
        special_features={f: frozenset(v) for f, v in sorted(special.items())},
    )


def check_choices(snapshot: Snapshot, choices: TcfChoices, action: str) -> dict[str, set[int]]:
    """The choices, when the banner could offer them: ids among those it shows; accept all
    allows all of them; refuse all allows none, legitimate interests included (EDPB-F)."""
    offered = snapshot.everything()
    given = {name: set(getattr(choices, name)) for name in offered}
    for name, ids in given.items():
        extra = sorted(ids - offered[name])
        if extra:
            raise InvalidRequest(f"{extra} are not offered to the reader", field=f"tcf.{name}")
    expected: dict[str, set[int]] | None = None
    if action == "accept_all":
        expected = offered
    elif action == "refuse_all":
        expected = {name: set() for name in offered}
    if expected is not None and given != expected:
        wrong = next(name for name in offered if given[name] != expected[name])
        verb: Literal["allow every", "allow no"] = (
            "allow every" if action == "accept_all" else "allow no"
        )
        raise InvalidRequest(f"{action} must {verb} choice it offers", field=f"tcf.{wrong}")
    return given


def tc_string_of(part: dict[str, Any]) -> str:
    """The TC string of a record's TCF part, written from its fields (the same string each
    time: the record is enough to reproduce it)."""
    created = datetime.fromisoformat(str(part["created"]).replace("Z", "+00:00"))
    model = TCModel(
        created=created,
        lastUpdated=created,
        cmpId=part["cmpId"],
        cmpVersion=part["cmpVersion"],
        consentScreen=1,
        consentLanguage=part["consentLanguage"],
        vendorListVersion=part["vendorListVersion"],
        policyVersion=part["policyVersion"],
        publisherCountryCode=part["publisherCountryCode"],
        specialFeatureOptins=part["specialFeatureOptins"],
        purposeConsents=part["purposeConsents"],
        purposeLegitimateInterests=part["purposeLegitimateInterests"],
        vendorConsents=part["vendorConsents"],
        vendorLegitimateInterests=part["vendorLegitimateInterests"],
        vendorsDisclosed=part["vendorsDisclosed"],
        publisherRestrictions=tuple(
            PublisherRestriction(p, t, frozenset(ids))
            for p, t, ids in part["publisherRestrictions"]
        ),
    )
    return encode(validate(model))


def tcf_site(policy: Policy, settings: Settings) -> TcfSite | None:
    """The TCF mode of `policy`'s site, its vendor list loaded and checked now (a server
    refuses to start with a list it cannot read or declarations it does not allow); None
    without `[tcf]`. Each list version used is archived under `DATA_DIR/vendor-lists/`."""
    if policy.tcf is None:
        return None
    return _checked_site(policy.tcf, policy, VendorListArchive(settings.data_dir / "vendor-lists"))


def tcf_problems(policy: Policy) -> list[str]:
    """What `bandeau check` says of a policy's `[tcf]` against its vendor list and the
    translations of its purposes, read now and archived nowhere: each problem the server would
    refuse to start with, naming the field and the fix (empty: none, or no `[tcf]`)."""
    if policy.tcf is None:
        return []
    try:
        _checked_site(policy.tcf, policy, None)
    except VendorListError as e:
        return [f"{e.source}: {problem}" for problem in e.problems]
    return []


def _checked_site(
    section: TcfSection, policy: Policy, archive: VendorListArchive | None
) -> TcfSite:
    """The TCF mode of `policy`'s site with its vendor list read and every translation checked
    against it (a `VendorListError` names each problem); what is read is archived in `archive`
    when there is one."""
    translations = translation_sources(section, tuple(policy.languages), archive)
    site = TcfSite(section, VendorListSource(section.vendor_list, archive), translations)
    snapshot = site.snapshot()
    for lang in translations:
        site.texts(lang, snapshot, strict=True)
    return site


def translation_sources(
    section: TcfSection, languages: tuple[str, ...], archive: VendorListArchive | None
) -> dict[str, TranslationSource]:
    """The translation into each of the site's languages but English, read now (TCF-09/10). A
    language the IAB does not translate into (nothing at the place) is shown in English, and
    logged; a translation that cannot be read or is malformed stops the server."""
    found = {}
    for lang in languages:
        if lang == "en":
            continue
        where = translation_where(section.translations, section.vendor_list, lang)
        source = TranslationSource(where, lang, archive)
        try:
            source.current()
        except MissingDocument:
            logger.warning(
                "tcf: no translation of the purposes into %r at %s: its readers see them in "
                "English, and their TC strings say EN",
                lang,
                where,
            )
            continue
        found[lang] = source
    return found


def tcf_answer(part: dict[str, Any]) -> dict[str, Any]:
    """What the banner gets back with a decision: the record's TCF part (the TC string, the
    choices it says) and the GPP string carrying it as its EU TCF section (GPP-02)."""
    return {**part, "gppString": GppString({TCF_EU_V2: str(part["tcString"])}).encode()}


def needs_reprompt(model: TCModel, latest: VendorList, now: datetime, days: int) -> bool:
    """Whether a reader's string must be collected again (TCF-08): the latest vendor list has
    another TCF policy version (no migration: from scratch), or the string is older than
    `days` (the policy's `reprompt_after_days`: the CNIL's 6 months, the TCF's 13 at most). A
    mere vendor list version change is the publisher's call, not a reason here."""
    if model.policyVersion != latest.tcfPolicyVersion:
        return True
    return (now - model.lastUpdated).total_seconds() > days * 86400
