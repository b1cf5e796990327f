"""The wordings an accept-all and a refuse-all button may carry, per language (CNIL-01, EDPB-A).

A policy may override the banner's built-in labels (`[ui.LANG] accept_all`, `refuse_all`), but a
refuse button labelled "Accept cookies" is the very pattern the CNIL has fined: a label must say
what its button does. `label_problems` accepts an override when it is, once normalised (case,
spacing, quotes and final punctuation aside), the built-in label of its language or one of the
wordings below; any other label needs a reason in `[label_justifications.LANG]`, which the policy
version records (`Policy.version`), so the proof shows that the publisher chose it and why.

The lists are bandeau's own: for each of the 29 built-in languages, plain ways of saying
"accept all" and "refuse all" (and "reject", "decline", "continue without accepting"…).
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Final

from .texts import BUILTIN

if TYPE_CHECKING:
    from .policy import Policy

__all__ = ["ACCEPT_WORDINGS", "LABEL_KEYS", "REFUSE_WORDINGS", "label_problems", "normalise"]

LABEL_KEYS: Final = ("accept_all", "refuse_all")

ACCEPT_WORDINGS: Final[dict[str, tuple[str, ...]]] = {
    "bg": ("Приемам", "Приеми всички", "Приемане", "Приемам всички", "Съгласен съм"),
    "ca": ("Acceptar-ho tot", "Acceptar", "Accepto", "Acceptar totes", "Permetre-ho tot"),
    "cs": ("Přijmout", "Souhlasím", "Přijmout vše a zavřít", "Povolit vše", "Přijmout všechny"),
    "da": ("Accepter", "Accepter alt", "Tillad alle", "Jeg accepterer", "Accepter alle cookies"),
    "de": ("Akzeptieren", "Alle annehmen", "Alle zulassen", "Zustimmen", "Alle Cookies akzeptieren",
           "Ich stimme zu", "Einverstanden"),
    "el": ("Αποδοχή", "Αποδέχομαι", "Αποδοχή όλων των cookies", "Συμφωνώ",
           "Να επιτρέπονται όλα"),  # noqa: RUF001 (Greek)
    "en": ("Accept", "Accept all cookies", "Accept cookies", "Allow all", "Allow all cookies",
           "Agree", "I agree", "I accept", "Accept and close"),
    "es": ("Aceptar", "Aceptar todas", "Acepto", "Aceptar todas las cookies", "Permitir todo",
           "Aceptar y cerrar"),
    "et": ("Nõustun", "Nõustu", "Luba kõik", "Nõustu kõigi küpsistega", "Nõustu kõigega"),
    "eu": ("Onartu", "Onartu guztiak", "Onartzen dut", "Denak onartu", "Baimendu denak"),
    "fi": ("Hyväksy", "Hyväksyn", "Salli kaikki", "Hyväksy kaikki evästeet"),
    "fr": ("Accepter", "Accepter tout", "J'accepte", "Accepter les cookies", "Tout autoriser",
           "Accepter tous les cookies", "Autoriser tous les cookies", "Accepter et fermer",
           "J'accepte tout"),
    "ga": ("Glac leo", "Glac leo go léir", "Glacaim leo", "Glac le gach fianán",
           "Ceadaigh gach ceann"),
    "gl": ("Aceptar", "Aceptar todas", "Acepto", "Permitir todo", "Aceptar todas as cookies"),
    "hr": ("Prihvati", "Prihvaćam", "Prihvati sve kolačiće", "Dopusti sve", "Slažem se"),
    "hu": ("Elfogadom", "Elfogadás", "Összes engedélyezése", "Mindet elfogadom",
           "Az összes elfogadása"),
    "is": ("Samþykkja", "Ég samþykki", "Leyfa allt", "Samþykkja allar vafrakökur"),
    "it": ("Accetta", "Accetto", "Accetta tutti", "Accetta tutti i cookie", "Consenti tutto",
           "Accetta e chiudi"),
    "lt": ("Sutinku", "Sutikti", "Priimti visus", "Leisti visus", "Sutinku su visais"),
    "lv": ("Pieņemt", "Piekrītu", "Pieņemt visu", "Atļaut visas", "Pieņemt visas sīkdatnes"),
    "mt": ("Aċċetta", "Naċċetta", "Aċċetta kollha", "Ippermetti kollox", "Naqbel"),
    "nl": ("Accepteren", "Alles toestaan", "Akkoord", "Ik ga akkoord", "Alle cookies accepteren",
           "Alles aanvaarden"),
    "no": ("Godta", "Jeg godtar", "Godta alt", "Tillat alle", "Godta alle informasjonskapsler"),
    "pl": ("Akceptuję", "Zaakceptuj", "Akceptuj wszystkie", "Zgadzam się", "Zezwól na wszystkie",
           "Zaakceptuj wszystko"),
    "pt": ("Aceitar", "Aceito", "Aceitar todos", "Permitir tudo", "Aceitar todos os cookies",
           "Concordo"),
    "ro": ("Accept", "Acceptă tot", "Acceptați", "Accept tot", "Sunt de acord",
           "Acceptați toate cookie-urile"),
    "sk": ("Prijať", "Súhlasím", "Povoliť všetko", "Prijať všetky", "Prijať všetky cookies"),
    "sl": ("Sprejmi", "Sprejmem", "Dovoli vse", "Se strinjam", "Sprejmi vse piškotke"),
    "sv": ("Godkänn", "Acceptera", "Acceptera alla", "Tillåt alla", "Jag godkänner",
           "Godkänn alla kakor"),
}

REFUSE_WORDINGS: Final[dict[str, tuple[str, ...]]] = {
    "bg": ("Отхвърлям", "Отхвърли всички", "Отказ", "Отказвам",
           "Не, благодаря",  # noqa: RUF001 (Cyrillic)
           "Продължи без приемане"),
    "ca": ("Rebutjar-ho tot", "Rebutjar", "Rebutjo", "Rebutjar totes", "No, gràcies",
           "Continuar sense acceptar"),
    "cs": ("Odmítnout", "Odmítám", "Zamítnout vše", "Nesouhlasím", "Ne, děkuji",
           "Pokračovat bez přijetí"),
    "da": ("Afvis", "Afvis alt", "Afslå alle", "Nej tak", "Fortsæt uden at acceptere"),
    "de": ("Ablehnen", "Alle verweigern", "Alle Cookies ablehnen", "Nicht zustimmen",
           "Nein, danke", "Ohne Zustimmung fortfahren", "Ich lehne ab"),
    "el": ("Απόρριψη", "Απορρίπτω", "Απόρριψη όλων των cookies", "Όχι, ευχαριστώ",
           "Συνέχεια χωρίς αποδοχή"),
    "en": ("Refuse", "Reject", "Reject all", "Decline", "Decline all", "Deny", "Deny all",
           "Refuse all cookies", "Reject all cookies", "Decline all cookies", "Refuse cookies",
           "Reject cookies", "Continue without accepting", "I refuse", "I decline", "No thanks"),
    "es": ("Rechazar", "Rechazar todas", "Rechazo", "Denegar todo", "No, gracias",
           "Continuar sin aceptar", "Rechazar todas las cookies"),
    "et": ("Keeldu", "Keeldun", "Lükka kõik tagasi", "Ei, aitäh", "Jätka nõustumata"),
    "eu": ("Baztertu", "Baztertu guztiak", "Ez onartu", "Ez, eskerrik asko",
           "Jarraitu onartu gabe"),
    "fi": ("Hylkää", "Hylkään", "Kieltäydy kaikista", "Ei kiitos", "Jatka hyväksymättä"),
    "fr": ("Refuser", "Refuser tout", "Je refuse", "Refuser les cookies",
           "Refuser tous les cookies", "Continuer sans accepter", "Tout rejeter", "Rejeter",
           "Rejeter tout", "Non merci", "Refuser et fermer", "Je refuse tout"),
    "ga": ("Diúltaigh", "Diúltaigh dóibh go léir", "Diúltaím", "Ní hea, go raibh maith agat",
           "Lean ar aghaidh gan glacadh"),
    "gl": ("Rexeitar", "Rexeitar todas", "Rexeito", "Non, grazas", "Continuar sen aceptar"),
    "hr": ("Odbij", "Odbijam", "Odbij sve kolačiće", "Ne, hvala", "Nastavi bez prihvaćanja"),
    "hu": ("Elutasítom", "Elutasítás", "Mindet elutasítom", "Nem, köszönöm",
           "Az összes elutasítása", "Folytatás elfogadás nélkül"),
    "is": ("Hafna", "Ég hafna", "Hafna öllum", "Nei takk", "Halda áfram án samþykkis"),
    "it": ("Rifiuta", "Rifiuto", "Rifiuta tutti", "Rifiuta tutti i cookie", "No, grazie",
           "Continua senza accettare"),
    "lt": ("Atsisakyti", "Atsisakau", "Atmesti visus", "Ne, ačiū", "Tęsti nesutinkant"),
    "lv": ("Noraidīt", "Noraidu", "Noraidīt visu", "Nē, paldies", "Turpināt bez piekrišanas"),
    "mt": ("Irrifjuta", "Nirrifjuta", "Irrifjuta kollha", "Le, grazzi",
           "Kompli mingħajr ma taċċetta"),
    "nl": ("Weigeren", "Alles afwijzen", "Afwijzen", "Nee, bedankt", "Alle cookies weigeren",
           "Doorgaan zonder te accepteren"),
    "no": ("Avvis", "Jeg avviser", "Avvis alt", "Nei takk", "Fortsett uten å godta"),
    "pl": ("Odrzuć", "Odrzucam", "Odrzuć wszystko", "Nie, dziękuję", "Nie zgadzam się",
           "Kontynuuj bez akceptacji"),
    "pt": ("Recusar", "Recuso", "Rejeitar tudo", "Rejeitar", "Não, obrigado",
           "Continuar sem aceitar"),
    "ro": ("Refuz", "Refuză tot", "Respinge tot", "Refuzați", "Nu, mulțumesc",
           "Continuați fără a accepta"),
    "sk": ("Odmietnuť", "Odmietam", "Zamietnuť všetko", "Nie, ďakujem", "Pokračovať bez súhlasu"),
    "sl": ("Zavrni", "Zavračam", "Zavrni vse piškotke", "Ne, hvala", "Nadaljuj brez sprejetja"),
    "sv": ("Avvisa", "Neka alla", "Avböj", "Avböj alla", "Nej tack", "Fortsätt utan att godkänna"),
}

_WORDINGS: Final = {"accept_all": ACCEPT_WORDINGS, "refuse_all": REFUSE_WORDINGS}
_MEANING: Final = {"accept_all": "acceptance", "refuse_all": "refusal"}
# spaces, quotes of every language, and the punctuation a label may end or start with
_PUNCTUATION: Final = (
    "\\s\"'"
    "\u00ab\u00bb\u201c\u201d\u201e\u201a\u2018\u2019.!\u00a1?\u00bf:;,\u2026-"
)
_EDGES: Final = re.compile(f"^[{_PUNCTUATION}]+|[{_PUNCTUATION}]+$")


def normalise(label: str) -> str:
    """A label as the lists compare it: Unicode NFKC, case folded, typographic apostrophes
    made plain, quotes and punctuation at either end dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", label).casefold().replace("\u2019", "'")
    return " ".join(_EDGES.sub("", text).split())


def acceptable(key: str, lang: str) -> list[str]:
    """The wordings `key` (accept_all or refuse_all) may take in `lang`: the built-in label
    first, then the list's."""
    builtin = BUILTIN.get(lang, {}).get(key)
    return ([builtin] if builtin else []) + list(_WORDINGS[key].get(lang, ()))


Problem = tuple[tuple[str | int, ...], str]


def label_problems(policy: Policy) -> list[Problem]:
    """Each overridden accept-all or refuse-all label that expresses neither its action (as the
    lists say) nor comes with a justification, and each justification of a label the policy does
    not override: (where in the file, what to do)."""
    found: list[Problem] = []
    justified = policy.label_justifications
    for lang, strings in policy.ui.items():
        for key in LABEL_KEYS:
            label = strings.get(key)
            if label is None or (lang in justified and key in justified[lang]):
                continue
            known = acceptable(key, lang)
            if normalise(label) in {normalise(k) for k in known}:
                continue
            examples = ", ".join(f'"{k}"' for k in known[:4]) or "none: no built-in words"
            found.append(
                (
                    ("ui", lang, key),
                    f"{label!r} does not express {_MEANING[key]} in {lang} (a {key} button must "
                    f"say what it does, CNIL-01): use a plain wording such as {examples}, or keep "
                    f"it and give the reason under [label_justifications.{lang}] {key} = \"…\" "
                    "(recorded in the policy version)",
                )
            )
    for lang, reasons in justified.items():
        for key in reasons:
            if key not in policy.ui.get(lang, {}):
                found.append(
                    (
                        ("label_justifications", lang, key),
                        f"justifies a {key} label that [ui.{lang}] does not override: remove it, "
                        f"or add the label under [ui.{lang}]",
                    )
                )
    return found
