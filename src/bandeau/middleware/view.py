"""What templates see of the reader's consent, whatever the framework (S4: features follow
purposes). Built from what the middleware left in the ASGI scope or the WSGI environ; without
it, nothing is allowed (fail closed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..consent import Consent
from ..tcf.signals import NO_TCF, TcfSignals

__all__ = ["ConsentView", "Flags", "consent_view", "context"]

_NOTHING = Consent(consent_id=None, states={})


class Flags(Mapping[str, bool]):
    """Names that are on; any other name reads as False (`flags.comments`, `flags["x"]`)."""

    def __init__(self, on: frozenset[str]) -> None:
        self._on = on

    def __getitem__(self, name: str) -> bool:
        return name in self._on

    def __getattr__(self, name: str) -> bool:
        if name.startswith("__"):
            raise AttributeError(name)
        return name in self._on

    def __contains__(self, name: object) -> bool:
        return name in self._on

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._on))

    def __len__(self) -> int:
        return len(self._on)

    def __repr__(self) -> str:
        return f"Flags({sorted(self._on)})"


class ConsentView:
    """The reader's consent for a template.

    `view.allows("social")`, `view.social` or `view["social"]`: whether a purpose is allowed;
    `view.features.comments`: whether a feature is on; `view.gpc`, `view.decided`,
    `view.consent_id`, `view.consent` (the `bandeau.Consent`), `view.tcf` (the TCF signals:
    TC and GPP strings, macro values; `bandeau.tcf.signals.TcfSignals`).
    """

    def __init__(
        self,
        consent: Consent,
        gpc: bool = False,
        features: frozenset[str] = frozenset(),
        tcf: TcfSignals = NO_TCF,
    ) -> None:
        self.consent = consent
        self.tcf = tcf
        self.gpc = gpc
        self.features = Flags(features)
        self.purposes = Flags(consent.allowed)

    @property
    def decided(self) -> bool:
        return self.consent.consent_id is not None and self.consent.decided

    @property
    def consent_id(self) -> str | None:
        return self.consent.consent_id

    def allows(self, purpose: str) -> bool:
        return self.consent.allows(purpose)

    def feature(self, name: str) -> bool:
        return name in self.features

    def __getitem__(self, purpose: str) -> bool:
        """A purpose of the policy; anything else is a KeyError, so that Django's lookup of
        `bandeau.features` falls back to the attribute."""
        if purpose not in self.consent.states:
            raise KeyError(purpose)
        return self.consent.allows(purpose)

    def __getattr__(self, purpose: str) -> bool:
        if purpose.startswith("_"):
            raise AttributeError(purpose)
        return self.consent.allows(purpose)

    def __repr__(self) -> str:
        return f"ConsentView(allowed={sorted(self.consent.allowed)}, gpc={self.gpc})"


def consent_view(request: Any) -> ConsentView:
    """The view for a request of Starlette/FastAPI, Django (WSGI or ASGI), Flask/Werkzeug, or
    for a raw ASGI scope or WSGI environ. No middleware ran: nothing is allowed."""
    scope = getattr(request, "scope", None)
    if scope is None and isinstance(request, Mapping) and "type" in request:
        scope = request
    if isinstance(scope, Mapping):
        state = scope.get("state")
        if isinstance(state, Mapping):
            return _view(
                state.get("bandeau"),
                state.get("bandeau_gpc"),
                state.get("bandeau_features"),
                state.get("bandeau_tcf"),
            )
    environ = getattr(request, "environ", None)
    if environ is None:
        environ = getattr(request, "META", None)
    if environ is None and isinstance(request, Mapping):
        environ = request
    if isinstance(environ, Mapping):
        return _view(
            environ.get("bandeau.consent"),
            environ.get("bandeau.gpc"),
            environ.get("bandeau.features"),
            environ.get("bandeau.tcf"),
        )
    return ConsentView(_NOTHING)


def _view(consent: object, gpc: object, features: object, tcf: object = None) -> ConsentView:
    if not isinstance(consent, Consent):
        return ConsentView(_NOTHING)
    return ConsentView(
        consent,
        gpc is True,
        features if isinstance(features, frozenset) else frozenset(),
        tcf if isinstance(tcf, TcfSignals) else NO_TCF,
    )


def context(request: Any) -> dict[str, ConsentView]:
    """`{"bandeau": ConsentView}`: a Django context processor, and a context processor for
    Starlette's `Jinja2Templates(context_processors=[...])`."""
    return {"bandeau": consent_view(request)}
