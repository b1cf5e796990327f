"""The reader's TCF signals on the server, for the publisher's templates and server-side ad
calls (TCF-15): the TC string the banner keeps in the `<cookie_name>_tc` cookie, checked, the
GPP string that carries it, and the values of the `${GDPR}` and `${GDPR_CONSENT_XXXX}` macros.

The middleware puts a `TcfSignals` in the request (`scope["state"]["bandeau_tcf"]`,
`environ["bandeau.tcf"]`, and `view.tcf` of the consent view) when the policy has `[tcf]`;
nothing is decoded until it is asked for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import Final

from ..errors import BandeauError
from .codec import decode
from .gpp import TCF_EU_V2, GppString
from .model import TCModel
from .rules import validate

__all__ = ["NO_TCF", "TcfSignals"]

logger = logging.getLogger(__name__)

MACRO_RE: Final = re.compile(r"\$\{(GDPR|GDPR_CONSENT_(\d{1,5}))\}")
TC_RE: Final = re.compile(r"^[A-Za-z0-9_.-]{1,4096}$")


class TcfSignals:
    """One request's TCF signals: `tc_string` (valid, or ''), `gpp_string`, `gdpr` ('1' when
    GDPR applies), `consent_for(vendor_id)` and `expand(url)` for the macros."""

    def __init__(self, cookie_headers: Sequence[str], cookie_name: str, gdpr_applies: bool) -> None:
        self._headers = cookie_headers
        self._name = cookie_name
        self.gdpr_applies = gdpr_applies

    @cached_property
    def _cookie(self) -> str:
        value = ""
        for header in self._headers:
            for pair in header.split(";"):
                name, _, v = pair.strip().partition("=")
                if name == self._name:
                    value = v  # the last one wins, as for the consent cookie
        return value

    @cached_property
    def model(self) -> TCModel | None:
        """The decoded string, when the cookie holds one that breaks no TCF rule."""
        value = self._cookie
        if not value or not TC_RE.fullmatch(value):
            return None
        try:
            return validate(decode(value))
        except BandeauError as e:  # a cookie that is not a valid string: no TCF signal
            logger.info("TC string cookie ignored: %s", e)
            return None

    @property
    def tc_string(self) -> str:
        """The TC string as the browser sent it, unmodified (TCF-15), or '' when invalid."""
        return self._cookie if self.model is not None else ""

    @property
    def gpp_string(self) -> str:
        """A GPP string whose EU TCF section is the TC string (GPP-02), or ''."""
        return GppString({TCF_EU_V2: self.tc_string}).encode() if self.tc_string else ""

    @property
    def gdpr(self) -> str:
        """`${GDPR}`: '1' when GDPR applies, else '0'."""
        return "1" if self.gdpr_applies else "0"

    def consent_for(self, vendor_id: int) -> str:
        """`${GDPR_CONSENT_<vendor_id>}`: the TC string when the string gives that vendor a
        legal basis (consent or legitimate interest), else '' (TCF-15)."""
        model = self.model
        if model is None:
            return ""
        based = vendor_id in model.vendorConsents or vendor_id in model.vendorLegitimateInterests
        return self.tc_string if based else ""

    def macros(self, vendor_ids: Iterable[int] = ()) -> dict[str, str]:
        """The macro values for these vendors: `GDPR` and `GDPR_CONSENT_<id>` for each."""
        return {"GDPR": self.gdpr} | {f"GDPR_CONSENT_{v}": self.consent_for(v) for v in vendor_ids}

    def expand(self, text: str) -> str:
        """`text` (an ad tag URL) with `${GDPR}` and `${GDPR_CONSENT_XXXX}` replaced."""

        def value(match: re.Match[str]) -> str:
            return self.gdpr if match.group(2) is None else self.consent_for(int(match.group(2)))

        return MACRO_RE.sub(value, text)


NO_TCF: Final = TcfSignals((), "", gdpr_applies=False)
"""What a request of a site without TCF (or without the middleware) reads."""
