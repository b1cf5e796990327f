"""The errors of the TCF codec, in bandeau's one error tree (`bandeau.errors.BandeauError`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BandeauError


class TCStringError(BandeauError):
    """A TC string cannot be decoded, or a model cannot be encoded (a value does not fit its
    field). `field` names the field, with the TCModel's name (`vendorConsents`, `cmpId`...)."""

    code = "invalid_tc_string"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)


@dataclass(frozen=True)
class Violation:
    """One rule of the TCF a well-formed model breaks: the requirement id (`TCF-07`), the field
    and what is wrong."""

    rule: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule} {self.field}: {self.message}"


class TCRuleError(BandeauError):
    """A well-formed TC string or model breaks what the TCF forbids (TCF-07). Carries every
    violation found; `field` is the first one's."""

    code = "tc_rule_broken"

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        summary = "; ".join(str(v) for v in violations)
        super().__init__(summary, field=violations[0].field)
