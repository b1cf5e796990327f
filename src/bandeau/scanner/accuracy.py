"""How well the classifier names a cookie's purpose, measured on the Open Cookie Database
(issue 12, item 8; printed by bench/scanner.py, checked by tests/scanner/test_accuracy.py).

The protocol: a hash of each row (its name and platform), or of its platform alone, puts it
in one of five buckets, never at random. Bucket 0 is held out: the classifier never learns
from it, and it is scored once, at the end. Every choice of the model (its features, their
scales, its training settings, its classes' leanings) is made by 4-fold cross-validation
within buckets 1 to 4. The figure is the balanced accuracy (the mean recall over classes) of
three classes: functional (`necessary`, `preferences` and a CMP's `consent` record),
analytics and advertising, from what a scan sees: the name, the domain of a cookie another
site set, its lifetime.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .classify import Classifier, CookieDb, DbEntry

FOLDS = 5
KEYS = ("row", "platform")
GROUP = {"necessary": "functional", "preferences": "functional", "consent": "functional"}


def group(purpose: str) -> str:
    """The class a purpose is scored in."""
    return GROUP.get(purpose, purpose)


def bucket(e: DbEntry, key: str) -> int:
    """0 to 4 from a hash of the row (name and platform) or of its platform alone."""
    value = e.name + "|" + e.platform if key == "row" else e.platform
    return int(hashlib.sha256(value.encode()).hexdigest(), 16) % FOLDS


def held_out(entries: Sequence[DbEntry], key: str) -> tuple[list[DbEntry], list[DbEntry]]:
    """(train, test): bucket 0 (a fifth of the rows, or of the platforms) is the test set."""
    train = [e for e in entries if bucket(e, key) != 0]
    test = [e for e in entries if bucket(e, key) == 0]
    return train, test


@dataclass(frozen=True)
class Score:
    balanced: float
    recall: dict[str, float]
    rows: int

    def detail(self) -> str:
        return ", ".join(f"{k} {v:.1%}" for k, v in self.recall.items())


def balanced_accuracy(pairs: Sequence[tuple[str, str]]) -> Score:
    """Mean recall over the true classes of (truth, prediction) pairs."""
    total, right = Counter[str](), Counter[str]()
    for truth, guess in pairs:
        total[truth] += 1
        right[truth] += truth == guess
    recall = {k: right[k] / total[k] for k in sorted(total)}
    return Score(sum(recall.values()) / len(recall), recall, len(pairs))


def predictions(train: Sequence[DbEntry], test: Sequence[DbEntry]) -> list[tuple[str, str]]:
    """(truth, prediction) for each row of `test`, by the classifier that learned from `train`
    only, reading what a scan sees of the cookie."""
    classifier = Classifier(db=CookieDb(list(train)))
    return [
        (
            group(e.purpose),
            group(
                classifier.cookie(
                    e.name,
                    third_party=bool(e.site_domain),
                    domain=e.site_domain,
                    lifetime=e.lifetime,
                ).purpose
            ),
        )
        for e in test
    ]


def score(train: Sequence[DbEntry], test: Sequence[DbEntry]) -> Score:
    return balanced_accuracy(predictions(train, test))


def cross_validation(entries: Sequence[DbEntry], key: str) -> tuple[float, Score]:
    """Over 4 folds of the training rows (buckets 1 to 4), never reading bucket 0: the mean
    of the folds' balanced accuracies, and the score of all the folds' predictions pooled."""
    train, _ = held_out(entries, key)
    folds, pooled = [], []
    for k in range(1, FOLDS):
        pairs = predictions(
            [e for e in train if bucket(e, key) != k], [e for e in train if bucket(e, key) == k]
        )
        folds.append(balanced_accuracy(pairs).balanced)
        pooled += pairs
    return sum(folds) / len(folds), balanced_accuracy(pooled)
