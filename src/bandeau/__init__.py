"""bandeau: a self-hostable consent management platform.

What users import lives here; everything else is internal and may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .consent import (
    Consent,
    Signals,
    TokenPayload,
    consent_cookie,
    evaluate,
    issue_token,
    read_token,
)
from .errors import (
    BandeauError,
    InvalidRequest,
    NotFound,
    PolicyError,
    SettingsError,
    StorageError,
    TokenError,
)
from .keys import KeyRing, PublicKey
from .policy import Policy, Purpose, load_policy, parse_policy
from .privacy import render_privacy_page, render_privacy_section
from .settings import Settings

__all__ = [
    "BandeauError",
    "Consent",
    "InvalidRequest",
    "KeyRing",
    "NotFound",
    "Policy",
    "PolicyError",
    "PublicKey",
    "Purpose",
    "Settings",
    "SettingsError",
    "Signals",
    "StorageError",
    "TokenError",
    "TokenPayload",
    "__version__",
    "consent_cookie",
    "evaluate",
    "issue_token",
    "load_policy",
    "parse_policy",
    "read_token",
    "render_privacy_page",
    "render_privacy_section",
]
