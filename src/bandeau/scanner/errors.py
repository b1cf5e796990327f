"""The scanner's one error: the browser could not be started or driven."""

from __future__ import annotations

from ..errors import BandeauError


class ScanError(BandeauError):
    """The scan could not run (browser missing or crashed, unreadable input). The CLI exits 2."""

    code = "scan_failed"
