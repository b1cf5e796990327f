"""The demo site's own words around its articles, in French, English and German, and its pages'
paths.

The articles themselves are in the templates; the privacy page's words are the product's
(`bandeau.privacy`), not these.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ARTICLES", "LANGUAGES", "LANGUAGE_NAMES", "TITLES", "UI", "french"]

NBSP: Final = "\u00a0"
_FR_SPACE_BEFORE: Final = re.compile(r" ([:;!?»])")


def french(text: str) -> str:
    """French typography: a no-break space before : ; ! ? » and after «, so that no line
    starts with a lone colon."""
    return _FR_SPACE_BEFORE.sub(NBSP + r"\1", text).replace("« ", "«" + NBSP)


# Words of the site around the articles, and where its pages live in each language.
UI: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "home": "/",
        "article_path": "/articles/{slug}",
        "privacy": "/confidentialite",
        "measure": "/mesure",
        "languages_label": "Langues",
        "skip": "Aller au contenu",
        "tagline": "Lyon, la Métropole et la vallée du Rhône",
        "date": "Mardi 12 mai 2026",
        "nav_label": "Rubriques",
        "nav": "Actualités|Lyon|Métropole|Économie|Culture|Sports",
        "manage": "Gérer mes cookies",
        "privacy_link": "Politique de confidentialité",
        "measure_link": "Mesure d'audience",
        "legal": "{title} est un journal fictif, créé pour la démonstration du "
        "logiciel libre bandeau. Toute ressemblance avec un titre existant serait fortuite.",
        "read_also": "Lire aussi",
        "most_read": "Les plus lus",
        "telegram_title": "Notre chaîne Telegram",
        "telegram_off": "Notre chaîne Telegram s'affiche ici si vous autorisez la finalité "
        "« Réseaux sociaux ». Tant que vous ne l'autorisez pas, Telegram ne reçoit rien.",
        "share_off": "Les boutons de partage se chargent si vous autorisez « Réseaux sociaux ».",
        "open_settings": "Modifier mes choix",
        "ad_label": "Publicité",
        "video_title": "La vidéo du jour : les quais du Rhône",
        "house_ad_title": "Le Quotidien, partout avec vous",
        "house_ad_text": "Recevez chaque matin à 7 h l'essentiel de l'actualité lyonnaise dans "
        "votre boîte aux lettres électronique.",
        "house_ad_cta": "S'inscrire à la lettre",
        "comments": "Commentaires",
        "comments_count": "{n} commentaires",
        "comments_off_title": "Les commentaires sont désactivés",
        "comments_off": "Pour commenter, vous vous identifiez avec votre compte de réseau social : "
        "les commentaires ont donc besoin de votre accord pour la finalité « Réseaux sociaux ». "
        "Vous l'avez refusée, ou vous n'avez pas encore fait de choix. L'article reste "
        "entièrement lisible sans cet accord.",
        "comment_name": "Votre nom",
        "comment_text": "Votre commentaire",
        "comment_send": "Publier",
        "comment_rules": "Les commentaires sont publiés après relecture automatique. "
        "Restez courtois.",
        "comment_refused": "Votre commentaire n'a pas été publié : les commentaires ont besoin "
        "de votre accord pour la finalité « Réseaux sociaux ».",
        "comment_invalid": "Votre commentaire n'a pas été publié : indiquez un nom et un texte "
        "(2 000 caractères au plus).",
        "back": "Retour à l'article",
        "measure_title": "Mesure d'audience",
    },
    "en": {
        "home": "/en/",
        "article_path": "/en/articles/{slug}",
        "privacy": "/en/privacy",
        "measure": "/en/audience",
        "languages_label": "Languages",
        "skip": "Skip to content",
        "tagline": "Lyon, its metropolis and the Rhône valley",
        "date": "Tuesday 12 May 2026",
        "nav_label": "Sections",
        "nav": "News|Lyon|Metropolis|Business|Culture|Sport",
        "manage": "Manage cookies",
        "privacy_link": "Privacy policy",
        "measure_link": "Audience measurement",
        "legal": "{title} is a fictional newspaper made to demonstrate the free "
        "software bandeau. Any resemblance to an existing title is coincidental.",
        "read_also": "Read also",
        "most_read": "Most read",
        "telegram_title": "Our Telegram channel",
        "telegram_off": "Our Telegram channel shows here if you allow the “Social networks” "
        "purpose. Until you do, Telegram receives nothing.",
        "share_off": "Share buttons load if you allow “Social networks”.",
        "open_settings": "Change my choices",
        "ad_label": "Advertisement",
        "video_title": "Video of the day: the Rhône embankments",
        "house_ad_title": "Le Quotidien, wherever you are",
        "house_ad_text": "Get the essential Lyon news in your inbox every morning at 7.",
        "house_ad_cta": "Sign up to the newsletter",
        "comments": "Comments",
        "comments_count": "{n} comments",
        "comments_off_title": "Comments are switched off",
        "comments_off": "You comment with your social network account, so comments need your "
        "consent to the “Social networks” purpose. You refused it, or you have not chosen "
        "yet. The article stays fully readable without it.",
        "comment_name": "Your name",
        "comment_text": "Your comment",
        "comment_send": "Post",
        "comment_rules": "Comments are published after an automatic check. Please be civil.",
        "comment_refused": "Your comment was not published: comments need your consent to the "
        "“Social networks” purpose.",
        "comment_invalid": "Your comment was not published: give a name and a text (at most "
        "2,000 characters).",
        "back": "Back to the article",
        "measure_title": "Audience measurement",
    },
    "de": {
        "home": "/de/",
        "article_path": "/de/artikel/{slug}",
        "privacy": "/de/datenschutz",
        "measure": "/de/reichweite",
        "languages_label": "Sprachen",
        "skip": "Zum Inhalt springen",
        "tagline": "Lyon, die Metropole und das Rhônetal",
        "date": "Dienstag, 12. Mai 2026",
        "nav_label": "Rubriken",
        "nav": "Nachrichten|Lyon|Metropole|Wirtschaft|Kultur|Sport",
        "manage": "Cookies verwalten",
        "privacy_link": "Datenschutzerklärung",
        "measure_link": "Reichweitenmessung",
        "legal": "{title} ist eine erfundene Zeitung, geschaffen, um die freie "
        "Software bandeau vorzuführen. Ähnlichkeiten mit bestehenden Titeln sind zufällig.",
        "read_also": "Lesen Sie auch",
        "most_read": "Meistgelesen",
        "telegram_title": "Unser Telegram-Kanal",
        "telegram_off": "Unser Telegram-Kanal erscheint hier, wenn Sie den Zweck „Soziale "
        "Netzwerke“ erlauben. Solange Sie das nicht tun, erhält Telegram nichts.",
        "share_off": "Die Teilen-Schaltflächen werden geladen, wenn Sie „Soziale Netzwerke“ "
        "erlauben.",
        "open_settings": "Meine Auswahl ändern",
        "ad_label": "Anzeige",
        "video_title": "Das Video des Tages: die Ufer der Rhône",
        "house_ad_title": "Le Quotidien, immer bei Ihnen",
        "house_ad_text": "Erhalten Sie jeden Morgen um 7 Uhr das Wichtigste aus Lyon in Ihrem "
        "Posteingang.",
        "house_ad_cta": "Newsletter abonnieren",
        "comments": "Kommentare",
        "comments_count": "{n} Kommentare",
        "comments_off_title": "Die Kommentare sind ausgeschaltet",
        "comments_off": "Sie kommentieren mit dem Konto Ihres sozialen Netzwerks, daher brauchen "
        "Kommentare Ihre Einwilligung in den Zweck „Soziale Netzwerke“. Sie haben sie "
        "abgelehnt oder noch keine Auswahl getroffen. Der Artikel bleibt auch ohne sie "
        "vollständig lesbar.",
        "comment_name": "Ihr Name",
        "comment_text": "Ihr Kommentar",
        "comment_send": "Veröffentlichen",
        "comment_rules": "Kommentare werden nach einer automatischen Prüfung veröffentlicht. "
        "Bleiben Sie höflich.",
        "comment_refused": "Ihr Kommentar wurde nicht veröffentlicht: Kommentare brauchen Ihre "
        "Einwilligung in den Zweck „Soziale Netzwerke“.",
        "comment_invalid": "Ihr Kommentar wurde nicht veröffentlicht: Geben Sie einen Namen und "
        "einen Text an (höchstens 2.000 Zeichen).",
        "back": "Zurück zum Artikel",
        "measure_title": "Reichweitenmessung",
    },
}
UI["fr"] = {k: french(v) for k, v in UI["fr"].items()}
LANGUAGES: Final = tuple(UI)
LANGUAGE_NAMES: Final = {"fr": "Français", "en": "English", "de": "Deutsch"}
"""Each language's name in itself, for the language links of every page."""

# The group's titles, by site: the name, and the masthead's logo (trusted markup, ours).
TITLES: Final[dict[str, tuple[str, str]]] = {
    "lequotidien": (
        "Le Quotidien du Rhône",
        '<span class="logo-le">Le</span> Quotidien <span class="logo-du">du</span> Rhône',
    ),
    "echo": (
        "L'Écho de Vienne",
        '<span class="logo-le">L&#8217;</span>Écho <span class="logo-du">de</span> Vienne',
    ),
}

# The other (short) articles of the site: slug -> title in each language; each has the template
# article-SLUG.html. "Lire aussi" links to them.
ARTICLES: Final[dict[str, dict[str, str]]] = {
    "marche-croix-rousse": {
        "fr": french("Croix-Rousse : le marché du boulevard s'étend jusqu'à la place"),
        "en": "Croix-Rousse: the boulevard market stretches to the square",
        "de": "Croix-Rousse: Der Markt am Boulevard reicht bis zum Platz",
    },
    "voie-lyonnaise-7": {
        "fr": french("Vélo : la Voie lyonnaise n° 7 ouvrira à la rentrée"),
        "en": "Cycling: Voie lyonnaise no. 7 will open in September",
        "de": "Radverkehr: Die Voie lyonnaise Nr. 7 öffnet im September",
    },
    "jazz-vienne": {
        "fr": french("Vienne : le festival de jazz dévoile une affiche très vocale"),
        "en": "Vienne: the jazz festival unveils a line-up of singers",
        "de": "Vienne: Das Jazzfestival stellt ein Programm voller Stimmen vor",
    },
}
