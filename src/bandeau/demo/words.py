"""The demo site's own words around its articles, in French and English, and its pages' paths.

The articles themselves are in the templates; the privacy page's words are the product's
(`bandeau.privacy`), not these.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ARTICLES", "LANGUAGES", "UI", "french"]

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
        "other_lang_url": "/en/",
        "other_lang": "English",
        "other_lang_code": "en",
        "skip": "Aller au contenu",
        "tagline": "Lyon, la Métropole et la vallée du Rhône",
        "date": "Mardi 12 mai 2026",
        "nav_label": "Rubriques",
        "nav": "Actualités|Lyon|Métropole|Économie|Culture|Sports",
        "manage": "Gérer mes cookies",
        "privacy_link": "Politique de confidentialité",
        "measure_link": "Mesure d'audience",
        "legal": "Le Quotidien du Rhône est un journal fictif, créé pour la démonstration du "
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
        "other_lang_url": "/",
        "other_lang": "Français",
        "other_lang_code": "fr",
        "skip": "Skip to content",
        "tagline": "Lyon, its metropolis and the Rhône valley",
        "date": "Tuesday 12 May 2026",
        "nav_label": "Sections",
        "nav": "News|Lyon|Metropolis|Business|Culture|Sport",
        "manage": "Manage cookies",
        "privacy_link": "Privacy policy",
        "measure_link": "Audience measurement",
        "legal": "Le Quotidien du Rhône is a fictional newspaper made to demonstrate the free "
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
}
UI["fr"] = {k: french(v) for k, v in UI["fr"].items()}
LANGUAGES: Final = tuple(UI)

# The other (short) articles of the site: slug -> (French title, English title); each has the
# template article-SLUG.html. "Lire aussi" links to them.
ARTICLES: Final[dict[str, tuple[str, str]]] = {
    "marche-croix-rousse": (
        "Croix-Rousse : le marché du boulevard s'étend jusqu'à la place",
        "Croix-Rousse: the boulevard market stretches to the square",
    ),
    "voie-lyonnaise-7": (
        "Vélo : la Voie lyonnaise n° 7 ouvrira à la rentrée",
        "Cycling: Voie lyonnaise no. 7 will open in September",
    ),
    "jazz-vienne": (
        "Vienne : le festival de jazz dévoile une affiche très vocale",
        "Vienne: the jazz festival unveils a line-up of singers",
    ),
}
ARTICLES.update({slug: (french(fr), en) for slug, (fr, en) in ARTICLES.items()})
