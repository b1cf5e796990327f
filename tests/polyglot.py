"""A small policy that declares every language bandeau has built-in words for, with the
publisher's texts as neutral tokens (`N1-de`…), so that any English on screen can only be
bandeau's own words leaking."""

from __future__ import annotations

from bandeau.texts import LANGUAGES


def polyglot_policy(page_origin: str, default: str = "fr") -> str:
    langs = ", ".join(f'"{lang}"' for lang in LANGUAGES)
    head = f"""
site = "polyglot"
origins = ["{page_origin}"]
privacy_policy_url = "/privacy"
languages = [{langs}]
default_language = "{default}"

[controller]
name = "Polyglot SA"
contact = "dpo@polyglot.example"
"""
    necessary = (
        """
[[purposes]]
key = "necessary"
kind = "strictly_necessary"
"""
        + "".join(
            f'[purposes.text.{lang}]\nname = "N1-{lang}"\nshort = "S1-{lang}"\n'
            f'description = "D1-{lang}"\n'
            for lang in LANGUAGES
        )
        + """
[[purposes.services]]
name = "Polyglot"
provider = "Polyglot SA"
privacy_policy = "https://polyglot.example/privacy"
exemption = "consent_storage"
justification = "J1"
cookies = [{ name = "bandeau", lifetime = 183 }]
"""
    )
    social = (
        """
[[purposes]]
key = "social"
kind = "consent"
"""
        + "".join(
            f'[purposes.text.{lang}]\nname = "N2-{lang}"\nshort = "S2-{lang}"\n'
            f'description = "D2-{lang}"\nrefusal = "R2-{lang}"\n'
            for lang in LANGUAGES
        )
        + """
[[purposes.services]]
name = "Chat"
provider = "Chat SA"
privacy_policy = "https://chat.example/privacy"
hosts = ["chat.example"]
cookies = [
  { name = "_chat", lifetime = 395 },
  { name = "_chat_day", lifetime = 1 },
  { name = "_chat_s", lifetime = "session" },
]
"""
    )
    return head + necessary + social
