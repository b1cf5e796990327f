"""Which purpose governs a cookie or a storage key: the one resolution rule (issue 7).

A policy declares cookie names and storage keys under its purposes; a name ending in `*` is a
prefix. One name can match several declarations (`_ga*` under audience, `_ga_*` under
advertising), so precedence decides, and only the winner governs the name:

1. an exact name wins over every prefix;
2. otherwise the longest matching prefix wins.

The same pattern declared under several purposes is one declaration naming all of them. A
declaration is allowed when every purpose naming it is allowed; otherwise its cookies and keys
go (CNIL-03). Undeclared names belong to no purpose and are left alone.

`cookie_declarations(policy)` lists the declarations in precedence order (exact names first,
then prefixes from longest to shortest), so resolving a name is "the first that matches": the
middleware (`bandeau.middleware.enforce`) and the banner (`banner.js`, which gets this very list
in its site config) both do exactly that. Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .policy import Policy

__all__ = [
    "Declaration",
    "cookie_declarations",
    "cookies_to_delete",
    "is_refused",
    "resolve",
    "storage_declarations",
    "storage_to_delete",
]


@dataclass(frozen=True)
class Declaration:
    """A cookie name or storage key (a prefix when it ends with `*`) and who declares it."""

    pattern: str
    purposes: tuple[str, ...]
    """the purposes that declare it, in policy order"""
    domains: tuple[str, ...] = ()
    """cookie domains declared with it, sorted (none for storage keys)"""

    @property
    def is_prefix(self) -> bool:
        return self.pattern.endswith("*")

    def matches(self, name: str) -> bool:
        if self.is_prefix:
            return name.startswith(self.pattern[:-1])
        return name == self.pattern


def _ordered(found: Mapping[str, tuple[list[str], set[str]]]) -> tuple[Declaration, ...]:
    """Declarations in precedence order: exact names (sorted), then prefixes, longest first."""

    def precedence(pattern: str) -> tuple[int, int, str]:
        is_prefix = pattern.endswith("*")
        return (int(is_prefix), -len(pattern) if is_prefix else 0, pattern)

    return tuple(
        Declaration(pattern, tuple(found[pattern][0]), tuple(sorted(found[pattern][1])))
        for pattern in sorted(found, key=precedence)
    )


def cookie_declarations(policy: Policy) -> tuple[Declaration, ...]:
    """The policy's cookie declarations, in precedence order."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for purpose in policy.purposes:
        for cookie in purpose.all_cookies():
            keys, domains = found.setdefault(cookie.name, ([], set()))
            if purpose.key not in keys:
                keys.append(purpose.key)
            if cookie.domain:
                domains.add(cookie.domain)
    return _ordered(found)


def storage_declarations(policy: Policy) -> tuple[Declaration, ...]:
    """The policy's localStorage/sessionStorage key declarations, in precedence order."""
    found: dict[str, tuple[list[str], set[str]]] = {}
    for purpose in policy.purposes:
        for key in purpose.all_storage():
            keys, _ = found.setdefault(key, ([], set()))
            if purpose.key not in keys:
                keys.append(purpose.key)
    return _ordered(found)


def resolve(declarations: Sequence[Declaration], name: str) -> Declaration | None:
    """The declaration that governs `name`: the first in precedence order that matches it."""
    for declaration in declarations:
        if declaration.matches(name):
            return declaration
    return None


def is_refused(declaration: Declaration | None, states: Mapping[str, bool]) -> bool:
    """True when `declaration` governs something the reader did not allow: some purpose that
    declares it is not allowed. An undeclared name (None) is never refused here."""
    return declaration is not None and not all(states.get(k, False) for k in declaration.purposes)


def cookies_to_delete(
    policy: Policy,
    names: Iterable[str],
    states: Mapping[str, bool],
    *,
    declarations: Sequence[Declaration] | None = None,
) -> list[str]:
    """The cookies of a jar (`names`, in order) that must go under `states`: those governed by
    a refused declaration. The consent cookie never goes. `declarations`: the policy's
    `cookie_declarations`, when the caller keeps them."""
    if declarations is None:
        declarations = cookie_declarations(policy)
    return [
        name
        for name in dict.fromkeys(names)
        if name != policy.cookie_name and is_refused(resolve(declarations, name), states)
    ]


def storage_to_delete(policy: Policy, keys: Iterable[str], states: Mapping[str, bool]) -> list[str]:
    """The storage keys (in order) that must go under `states`, by the same rule."""
    declarations = storage_declarations(policy)
    return [key for key in dict.fromkeys(keys) if is_refused(resolve(declarations, key), states)]
