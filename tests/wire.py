"""Decision bodies as the banner sends them (docs/api.md), for tests that talk HTTP."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from bandeau.policy import Policy


def decision_body(policy: Policy, action: str = "refuse_all", **changes: Any) -> dict[str, Any]:
    """A well-formed decision: accept_all grants every purpose, refuse_all keeps only the
    exempt ones, anything else (save) starts from everything refused. It carries a retry
    secret, as the banner's do (sending the same body again is a retry)."""

    def granted(kind: str) -> bool:
        if action == "accept_all":
            return True
        return action == "refuse_all" and kind != "consent"

    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "action": action,
        "layer": "first",
        "control": action,
        "lang": "fr",
        "page": "/",
        "choices": {
            p.key: {"granted": granted(p.kind), "digest": p.digest}
            for p in policy.purposes
            if p.kind != "strictly_necessary"
        },
        "secret": secrets.token_urlsafe(24),
    }
    body.update(changes)
    return body
