"""The banner's own words, per language. Policy files may override any of them under
[ui.<lang>]. French texts use narrow no-break spaces before `:` and inside « », as French
typography wants, so they never wrap apart.

Purpose texts come from the publisher's policy; these are the controls and the sentences around
them. French and English are complete; another language needs every key in the policy file.
"""

from __future__ import annotations

from typing import Final

# Words only the preferences (the banner's second layer) use: served with their details
# (`details_for`), not in the first layer's bundle.
DETAIL_KEYS: Final = (
    "settings_title",
    "save",
    "close",
    "allowed",
    "refused",
    "always_on",
    "services",
    "lifetime",
    "refusal_label",
    "receipt",
)

# Words of the first layer, the placeholders, the persistent entry and the status messages.
FIRST_LAYER_KEYS: Final = (
    "title",
    "intro",
    "withdraw",
    "accept_all",
    "refuse_all",
    "customise",
    "privacy_link",
    "manage",
    "placeholder",
    "placeholder_button",
    "saved",
    "controller",
    "offline",
)

UI_KEYS: Final = FIRST_LAYER_KEYS + DETAIL_KEYS

BUILTIN: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "title": "Vos choix sur les cookies",
        "intro": (
            "Avec votre accord, nous et nos partenaires utilisons des cookies et lisons des "
            "informations sur votre appareil pour les finalités suivantes\u202f:"
        ),
        "withdraw": (
            "Vous pouvez accepter, refuser ou retirer votre consentement à tout moment, "
            "via le lien «\u202fGérer mes cookies\u202f» présent sur chaque page."
        ),
        "accept_all": "Tout accepter",
        "refuse_all": "Tout refuser",
        "customise": "Paramétrer vos choix",
        "settings_title": "Paramétrer vos choix",
        "save": "Enregistrer mes choix",
        "close": "Fermer",
        "allowed": "Autorisé",
        "refused": "Refusé",
        "always_on": "Toujours actif",
        "services": "Services",
        "lifetime": "Durée",
        "privacy_link": "Politique de confidentialité et vos droits",
        "manage": "Gérer mes cookies",
        "placeholder": (
            "Ce contenu est fourni par un service tiers ({purpose}). "
            "Il ne se charge qu'avec votre accord."
        ),
        "placeholder_button": "Autoriser «\u202f{purpose}\u202f»",
        "saved": "Vos choix sont enregistrés.",
        "controller": "Responsable du traitement\u202f: {controller}",
        "refusal_label": "Si vous refusez",
        "offline": "Vos choix sont appliqués\u202f; ils seront enregistrés dès que possible.",
        "receipt": "Télécharger la preuve de mon choix",
    },
    "en": {
        "title": "Your choices about cookies",
        "intro": (
            "With your consent, we and our partners use cookies and read information on your "
            "device for the following purposes:"
        ),
        "withdraw": (
            "You can accept, refuse or withdraw your consent at any time through the "
            "“Manage cookies” link on every page."
        ),
        "accept_all": "Accept all",
        "refuse_all": "Refuse all",
        "customise": "Customise your choices",
        "settings_title": "Customise your choices",
        "save": "Save my choices",
        "close": "Close",
        "allowed": "Allowed",
        "refused": "Refused",
        "always_on": "Always on",
        "services": "Services",
        "lifetime": "Lifetime",
        "privacy_link": "Privacy policy and your rights",
        "manage": "Manage cookies",
        "placeholder": (
            "This content is provided by a third-party service ({purpose}). "
            "It loads only with your consent."
        ),
        "placeholder_button": "Allow “{purpose}”",
        "saved": "Your choices are saved.",
        "controller": "Data controller: {controller}",
        "refusal_label": "If you refuse",
        "offline": "Your choices apply now; they will be recorded as soon as possible.",
        "receipt": "Download the proof of my choice",
    },
}

LIFETIME_UNITS: Final[dict[str, tuple[str, str, str, str]]] = {
    # language: (day, days, month, months)
    "fr": ("jour", "jours", "mois", "mois"),
    "en": ("day", "days", "month", "months"),
}
SESSION: Final[dict[str, str]] = {"fr": "session de navigation", "en": "browser session"}


def lifetime_label(days: int | None, lang: str) -> str:
    """Human text for a cookie lifetime: months when the figure is a whole number of months."""
    if days is None:
        return SESSION.get(lang, "session")
    day, days_word, month, months = LIFETIME_UNITS.get(lang, LIFETIME_UNITS["en"])
    for n in range(1, 61):
        if days in _month_span(n):
            return f"{n} {month if n == 1 else months}"
    return f"{days} {day if days == 1 else days_word}"


def _month_span(n: int) -> range:
    """Day counts that people call `n` months (28..31 days a month)."""
    return range(28 * n + (n // 2), 31 * n + 1)
