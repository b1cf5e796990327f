"""One error tree for bandeau. Edges (CLI, HTTP) translate these; nothing here knows the web:
the HTTP status of each error code is chosen by the server (`bandeau.server.edge.STATUS`)."""

from __future__ import annotations


class BandeauError(Exception):
    """Base of every error bandeau raises on purpose.

    `code` is a stable machine-readable identifier; `hint` tells the reader what to do next.
    """

    code = "bandeau_error"

    def __init__(self, message: str, *, hint: str = "", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.field = field

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class PolicyError(BandeauError):
    """A policy file cannot be read or breaks a rule. Carries every problem found."""

    code = "invalid_policy"

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        summary = (
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems:\n  " + ("\n  ".join(problems))
        )
        super().__init__(summary)


class SettingsError(BandeauError):
    code = "invalid_settings"


class InvalidRequest(BandeauError):
    """A client sent something malformed or inconsistent with the policy."""

    code = "invalid_request"


class UnknownSite(BandeauError):
    code = "unknown_site"


class NotFound(BandeauError):
    code = "not_found"


class StalePolicy(BandeauError):
    """The client answered an older version of a purpose than the one now in force."""

    code = "stale_policy"


class Forbidden(BandeauError):
    """The request lacks the credentials an endpoint needs (the admin token)."""

    code = "forbidden"


class OriginNotAllowed(BandeauError):
    code = "origin_not_allowed"


class PayloadTooLarge(BandeauError):
    code = "payload_too_large"


class UnsupportedMediaType(BandeauError):
    code = "unsupported_media_type"


class RateLimited(BandeauError):
    code = "rate_limited"


class StorageError(BandeauError):
    """The store failed; the decision was not acknowledged."""

    code = "storage_error"


class TokenError(BandeauError):
    """A consent token is forged, expired, malformed or stale. Callers fail closed."""

    code = "invalid_token"
