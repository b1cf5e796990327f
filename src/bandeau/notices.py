"""What a reader is shown, archived and content-addressed (PROOF-02, CNIL-08).

A notice is everything a reader of one site reads in one language before and while deciding:
the first layer's words, each purpose's texts as the preferences show them, the built-in
interface words (from the locale, or the policy's own), the controller, the links, the services
with their providers, hosts and cookies, and the banner build that shows them. It is built from
the very functions that build what is served (`bandeau.banner.config`), written as canonical
JSON, and named by the SHA-256 of that text: any change of what a reader sees, even one built-in
word, gives a new id. The server archives the notice of every language of every site when it
starts (`bandeau.server`), so no request does that work; each decision names the notice it
answered (`Record.notice`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any, Final

from .banner import build_hash
from .banner.config import details_for, texts_for
from .consent import Signals, defaults
from .errors import InvalidRequest
from .policy import Policy
from .store import Notice
from .tcf.bundle import tcf_notice
from .tcf.publisher import TcfSite

__all__ = ["NOTICE_FORMAT", "Served", "UnknownNotice", "build_of", "canonical", "notice_for"]

NOTICE_FORMAT: Final = "bandeau-notice/v1"


class UnknownNotice(InvalidRequest):
    """A decision names a notice the site never served in its language (a 409)."""

    code = "unknown_notice"


@dataclass(frozen=True)
class Served:
    """The server's word on what a decision answered: the notice id and its banner build."""

    notice: str
    build: str


def canonical(content: dict[str, Any]) -> str:
    """The exact text that is archived and hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def notice_content(policy: Policy, lang: str, tcf: TcfSite | None = None) -> dict[str, Any]:
    """What a reader of `policy`'s site reads in `lang`, as the banner is served it (with its
    TCF mode `tcf`, the TCF purposes' texts in `lang`)."""
    plain = defaults(policy, Signals())
    return {
        "format": NOTICE_FORMAT,
        "site": policy.site,
        "language": lang,
        "policy_version": policy.version,
        "build": build_hash(),
        "controller": policy.controller.model_dump(mode="json"),
        "links": {"privacy_policy": policy.privacy_url(lang)},
        "first_layer": texts_for(policy, lang),
        "preferences": details_for(policy, lang),
        "purposes": [
            {"key": p.key, "kind": p.kind, "digest": p.digest, "default": plain[p.key]}
            for p in policy.purposes
        ],
        "services": [
            {
                "purpose": p.key,
                "name": s.name,
                "provider": s.provider,
                "privacy_policy": s.privacy_policy,
                "hosts": list(s.hosts),
            }
            for p in policy.purposes
            for s in p.services
        ],
        # the TCF mode's declarations, words and purposes' texts (docs/tcf.md); the vendor
        # list version and translation each decision was shown are in its record too
        # (`tcf.vendorList`, `tcf.purposeTexts`: the lists' own archive)
        **({"tcf": tcf_notice(policy, lang, tcf)} if policy.tcf or policy.consent_mode else {}),
    }


def notice_for(
    policy: Policy, lang: str, now_ms: int | None = None, tcf: TcfSite | None = None
) -> Notice:
    """The notice of `policy`'s site in `lang`, ready to archive."""
    text = canonical(notice_content(policy, lang, tcf))
    return Notice(
        id=hashlib.sha256(text.encode()).hexdigest(),
        site=policy.site,
        language=lang,
        content=text,
        archived_at=int(time.time() * 1000) if now_ms is None else now_ms,
    )


def build_of(notice: Notice) -> str:
    """The banner build an archived notice was served with."""
    return str(json.loads(notice.content)["build"])
