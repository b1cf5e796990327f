"""The public API is what `bandeau.__all__` lists (STYLE 4)."""

from __future__ import annotations

import bandeau


def test_public_api() -> None:
    assert set(bandeau.__all__) == {
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
    }
    for name in bandeau.__all__:
        assert getattr(bandeau, name) is not None
    import types

    public = {
        n
        for n in dir(bandeau)
        if not n.startswith("_") and not isinstance(getattr(bandeau, n), types.ModuleType)
    } - {"annotations"}
    assert public <= set(bandeau.__all__)
