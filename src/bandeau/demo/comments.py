"""The comments under the demo's lead article: in memory, per language, seeded with two each.

Publishing one needs the social-networks purpose (the `comments` feature); the publisher's
endpoint asks bandeau's middleware, not the page (S4).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_COMMENT_CHARS", "MAX_NAME_CHARS", "Comment", "CommentBoard"]

MAX_COMMENT_CHARS: Final = 2000
MAX_NAME_CHARS: Final = 60


@dataclass(frozen=True)
class Comment:
    name: str
    text: str
    when: str


SEED: Final[dict[str, tuple[Comment, ...]]] = {
    "fr": (
        Comment(
            "Hélène D.",
            "Enfin\u00a0! Quarante camions de moins chaque jour sur l'A6, "
            "c'est une excellente nouvelle pour Vaise.",
            "il y a 2 heures",
        ),
        Comment(
            "Marc-Antoine",
            "Reste la question des écluses : à 7 km/h, il faudra "
            "des clients patients. Mais bravo pour l'initiative.",
            "il y a 1 heure",
        ),
    ),
    "en": (
        Comment(
            "Helen D.",
            "At last! Forty fewer lorries a day on the A6 is great news for Vaise.",
            "2 hours ago",
        ),
        Comment(
            "Mark",
            "The locks remain the problem: at 7 km/h customers will need "
            "patience. Still, well done.",
            "1 hour ago",
        ),
    ),
    "de": (
        Comment(
            "Helene D.",
            "Endlich! Vierzig Lastwagen weniger pro Tag auf der A6 sind eine sehr gute "
            "Nachricht für Vaise.",
            "vor 2 Stunden",
        ),
        Comment(
            "Markus",
            "Bleibt die Frage der Schleusen: Bei 7 km/h braucht es geduldige Kunden. "
            "Trotzdem: Hut ab vor der Idee.",
            "vor 1 Stunde",
        ),
    ),
}
JUST_NOW: Final = {"fr": "à l'instant", "en": "just now", "de": "gerade eben"}


class CommentBoard:
    """The comments of each language, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._comments = {lang: list(seed) for lang, seed in SEED.items()}

    def of(self, lang: str) -> list[Comment]:
        with self._lock:
            return list(self._comments[lang])

    def publish(self, lang: str, name: str, text: str) -> bool:
        """Add a comment written just now; False when the name or text is empty or too long."""
        name, text = name.strip(), text.strip()
        if not name or not text or len(name) > MAX_NAME_CHARS or len(text) > MAX_COMMENT_CHARS:
            return False
        with self._lock:
            self._comments[lang].append(Comment(name, text, JUST_NOW[lang]))
        return True
