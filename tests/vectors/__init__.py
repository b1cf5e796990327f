"""The consent vectors (consent.json, described in README.md beside it): loading, the policies
they name, and the consent cookie of a case's jar, signed with a real key ring."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bandeau.consent import issue_token
from bandeau.keys import KeyRing
from bandeau.policy import Policy

VECTORS = Path(__file__).with_name("consent.json")
DAY = 86400
STALE_DIGEST = "0" * 16
_KINDS = {
    "necessary": "strictly_necessary",
    "exempt": "exempt_audience_measurement",
    "consent": "consent",
}


@dataclass(frozen=True)
class Case:
    name: str
    policy: str
    raw: dict[str, Any]

    @property
    def jar(self) -> dict[str, Any]:
        jar: dict[str, Any] = self.raw.get("jar", {})
        return jar

    @property
    def gpc(self) -> bool:
        return bool(self.raw.get("signals", {}).get("gpc", False))

    @property
    def action(self) -> dict[str, Any]:
        action: dict[str, Any] = self.raw["action"]
        return action

    @property
    def expect(self) -> dict[str, Any]:
        expect: dict[str, Any] = self.raw["expect"]
        return expect


def load() -> tuple[dict[str, dict[str, Any]], list[Case]]:
    data = json.loads(VECTORS.read_text(encoding="utf-8"))
    cases = [Case(c["name"], c["policy"], c) for c in data["cases"]]
    return data["policies"], cases


def _purpose(spec: dict[str, Any]) -> dict[str, Any]:
    key, kind = spec["key"], _KINDS[spec["kind"]]
    service: dict[str, Any] = {
        "name": f"{key} service",
        "cookies": [{"name": n, "lifetime": "13 months"} for n in spec.get("cookies", [])],
        "storage": list(spec.get("storage", [])),
    }
    if kind == "strictly_necessary":
        service |= {"exemption": "consent_storage", "justification": "Stores the choice."}
    text = {"name": key, "short": f"{key}.", "description": f"About {key}."}
    if kind == "consent":
        text["refusal"] = f"Without {key}."
    purpose = {
        "key": key,
        "kind": kind,
        "gpc": bool(spec.get("gpc", False)),
        "features": list(spec.get("features", [])),
        "text": {"fr": text},
        "services": [service],
    }
    return purpose


def make_policy(name: str, spec: dict[str, Any], origin: str = "http://127.0.0.1:8000") -> Policy:
    """A complete policy for site `name` from a vector POLICY."""
    return Policy.model_validate(
        {
            "site": name,
            "origins": [origin],
            "controller": {"name": "Vector Press", "contact": "dpo@vector.example"},
            "privacy_policy_url": "/privacy",
            "languages": ["fr"],
            "default_language": "fr",
            "purposes": [_purpose(p) for p in spec["purposes"]],
        }
    )


def sign_token(case: Case, policy: Policy, keys: KeyRing, now: int) -> str | None:
    """The consent cookie value of the case's jar, signed by `keys`, or None."""
    spec = case.jar.get("token")
    if spec is None:
        return None
    stale = set(spec.get("stale", []))
    choices = {
        key: (bool(granted), STALE_DIGEST if key in stale else policy.purpose(key).digest)
        for key, granted in spec["choices"].items()
    }
    expires_in = int(spec.get("expires_in_days", 183))
    lifetime = max(expires_in, 1) + 1
    return issue_token(
        keys,
        site=spec.get("site", policy.site),
        consent_id="vector-consent-id",
        choices=choices,
        issued_at=now + expires_in * DAY - lifetime * DAY,
        lifetime_days=lifetime,
        decision_id="00000000-0000-4000-8000-000000000000",
    )


def unsent_cookie(case: Case, policy: Policy, now: int) -> str | None:
    """The unsigned cookie of a choice the server never acknowledged (`jar.unsent`), written as
    the banner writes it: base64 of the token's payload shape, without a signature."""
    spec = case.jar.get("unsent")
    if spec is None:
        return None
    payload = {
        "s": policy.site,
        "x": now + policy.reprompt_after_days * DAY,
        "p": {
            key: [1 if granted else 0, policy.purpose(key).digest] for key, granted in spec.items()
        },
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
