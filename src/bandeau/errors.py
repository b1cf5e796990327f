"""One error tree for bandeau. Edges (CLI, HTTP) translate these; nothing here knows the web."""

from __future__ import annotations


class BandeauError(Exception):
    """Base of every error bandeau raises on purpose.

    `code` is a stable machine-readable identifier; `hint` tells the reader what to do next.
    """

    code = "bandeau_error"
    status = 400

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
    status = 422


class UnknownSite(BandeauError):
    code = "unknown_site"
    status = 404


class NotFound(BandeauError):
    code = "not_found"
    status = 404


class StalePolicy(BandeauError):
    """The client answered an older version of a purpose than the one now in force."""

    code = "stale_policy"
    status = 409


class OriginNotAllowed(BandeauError):
    code = "origin_not_allowed"
    status = 403


class PayloadTooLarge(BandeauError):
    code = "payload_too_large"
    status = 413


class UnsupportedMediaType(BandeauError):
    code = "unsupported_media_type"
    status = 415


class RateLimited(BandeauError):
    code = "rate_limited"
    status = 429


class StorageError(BandeauError):
    """The store failed; the decision was not acknowledged."""

    code = "storage_error"
    status = 503


class TokenError(BandeauError):
    """A consent token is forged, expired, malformed or stale. Callers fail closed."""

    code = "invalid_token"
