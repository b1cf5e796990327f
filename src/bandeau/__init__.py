"""bandeau: a self-hostable consent management platform."""

from __future__ import annotations

__version__ = "0.1.0"
