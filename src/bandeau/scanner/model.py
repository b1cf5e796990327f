"""A cookie's purpose learned from examples: what a scan sees of a cookie turned into features,
and a linear model over them (multinomial logistic regression, trained by stochastic gradient
descent, each class weighing as much as the others, its answer the likeliest class once each
class's probability is multiplied by its leaning), in pure Python.

The model is built by our code, at the start of a scan, from the Open Cookie Database the user
passes (`--cookie-db FILE`); nothing learned from it ships with bandeau.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
# a run of hex digits with at least one digit and one letter, or a long run of digits: an id
_HEX = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{6,}", re.I)
_DIGITS = re.compile(r"\d+")
_SPLIT = re.compile(r"[^a-z0-9]+")


def normalise(name: str) -> str:
    """The name in lower case with its variable parts replaced: a UUID by `#u`, a hex id by `#h`,
    a run of digits by `0` (`_ga_3XK2PQ` and `_ga_8HY1` read alike, as do two `_pk_id.<n>`)."""
    text = _UUID.sub("#u", name)
    text = _HEX.sub("#h", text)
    return _DIGITS.sub("0", text).lower()


def words(name: str) -> list[str]:
    """The words of a name: split at camelCase, punctuation, and digits."""
    spaced = _CAMEL.sub(" ", _UUID.sub(" ", name)).lower()
    return [w for w in _SPLIT.split(_DIGITS.sub(" ", spaced)) if w]


def registrable(domain: str) -> str:
    """The last two labels of a host (a rough registrable domain: enough to name a vendor)."""
    return ".".join(domain.lstrip(".").split(".")[-2:])


@dataclass(frozen=True)
class Seen:
    """What a scan sees of a cookie: its name, the domain of another site that set it ('' for
    the site's own), and its `lifetime_bucket` ('' when unknown: storage, a snapshot)."""

    name: str
    domain: str = ""
    lifetime: str = ""
    hint: str = ""
    """what bandeau's own rules say of the name (`by_features`), '' when they say nothing"""


def grams(text: str, sizes: Sequence[int] = (2, 3, 4, 5)) -> list[str]:
    bounded = "^" + text + "$"
    return [bounded[i : i + n] for n in sizes for i in range(len(bounded) - n + 1)]


def featurise(seen: Seen, scales: dict[str, float] | None = None) -> dict[str, float]:
    """The features of a cookie and their values, in blocks: character 2- to 5-grams of its
    normalised name, its words (the first and last marked) and first characters, the
    vendor's domain and its first label, its lifetime (alone and with whether another site set
    it), the lifetime crossed with the vendor's domain and with the name's first word, and
    what our own rules say of the name. Each block has unit length times its scale (SCALES),
    so that a long name's many grams do not drown its domain or lifetime."""
    scales = SCALES if scales is None else scales
    norm = normalise(seen.name)
    ws = words(seen.name)
    blocks: dict[str, list[str]] = {
        "grams": grams(norm),
        "words": ["w:" + w for w in ws] + (["w^" + ws[0], "w$" + ws[-1]] if ws else []),
        "prefix": ["p:" + norm[:k] for k in (2, 3, 4) if len(norm) >= k],
    }
    party = "third" if seen.domain else "first"
    if seen.domain:
        labels = seen.domain.lstrip(".").split(".")
        blocks["domain"] = ["d:" + registrable(seen.domain), "dl:" + labels[0]]
        # one vendor's cookies differ by how long they live (a session's helper, a year's id)
        blocks["vendor_lifetime"] = [f"dt:{registrable(seen.domain)}|{seen.lifetime}"]
    if seen.lifetime:
        blocks["lifetime"] = ["l:" + seen.lifetime, f"l:{seen.lifetime}|{party}"]
    # the same first word says different things of a session cookie and of a year-long one
    blocks["word_lifetime"] = [f"wt:{w}|{seen.lifetime}|{party}" for w in ws[:1]]
    if seen.hint:
        blocks["hint"] = ["h:" + seen.hint]
    out: dict[str, float] = {}
    for block, feats in blocks.items():
        scale = scales.get(block, 1.0)
        if not feats or not scale:
            continue
        counts = Counter(feats)
        norm_ = math.sqrt(sum(v * v for v in counts.values()))
        for f, v in counts.items():
            out[f] = out.get(f, 0.0) + scale * v / norm_
    return out


SCALES = {
    "grams": 0.5,
    "words": 1.0,
    "prefix": 1.0,
    "domain": 2.0,
    "lifetime": 2.0,
    "hint": 1.0,
    "vendor_lifetime": 1.0,
    "word_lifetime": 1.0,
}


@dataclass(frozen=True)
class Settings:
    """The model's choices, made by cross-validation within the training rows
    (`bench/scanner.py --cross-validate`), never on held-out rows."""

    epochs: int = 16
    rate: float = 0.5
    l2: float = 1e-4
    seed: int = 12
    leanings: tuple[tuple[str, float], ...] = (("analytics", 1.8), ("functional", 0.7))
    """each class's probability is multiplied by its factor (1 when not listed) before the
    likeliest class is taken: the class-weighted loss alone leaves analytics, the class most
    often mistaken for the two others, under-predicted for a mean recall over classes. Chosen
    within a plateau (1.5 to 2.3, 0.6 to 0.8) of the cross-validation, three seeds of folds."""


class LinearModel:
    """Multinomial logistic regression over binary features, each example scaled to unit
    length; stochastic gradient descent with a decaying step and L2 weight decay. Every class
    weighs the same in the loss (an example weighs 1 / its class's count), because the figure
    aimed at is the mean recall over classes (balanced accuracy), and a class the database
    lists less often is not rarer on a site. `group` maps a label to the class it is counted
    in (the bench scores `necessary` and `preferences` together as functional)."""

    def __init__(
        self,
        examples: Iterable[tuple[dict[str, float], str]],
        settings: Settings = Settings(),
        group: dict[str, str] | None = None,
    ) -> None:
        data = list(examples)
        self.labels = sorted({label for _, label in data})
        group = group or {}
        self.group = group
        self.leanings = dict(settings.leanings)
        sizes = Counter(group.get(label, label) for _, label in data)
        index = {label: i for i, label in enumerate(self.labels)}
        self.ids: dict[str, int] = {}
        rows = []
        for feats, label in data:
            ids = [(self.ids.setdefault(f, len(self.ids)), v) for f, v in feats.items()]
            weight = len(data) / (len(sizes) * sizes[group.get(label, label)])
            rows.append((ids, index[label], weight))
        k = len(self.labels)
        self.weights = [[0.0] * k for _ in self.ids]
        self.bias = [0.0] * k
        self._train(rows, settings)

    def _train(self, rows: list[tuple[list[tuple[int, float]], int, float]], s: Settings) -> None:
        k = range(len(self.labels))
        order = list(range(len(rows)))
        rng = random.Random(s.seed)  # noqa: S311 - the order of the examples, reproducible
        step = 0
        scale = 1.0  # weight decay applied lazily: true weights are scale * stored weights
        weights, bias = self.weights, self.bias
        for _ in range(s.epochs):
            rng.shuffle(order)
            for i in order:
                feats, label, weight = rows[i]
                step += 1
                rate = s.rate / (1 + s.rate * s.l2 * step)
                scores = list(bias)
                for f, v in feats:
                    w = weights[f]
                    for c in k:
                        scores[c] += scale * w[c] * v
                probs = _softmax(scores)
                scale *= 1 - rate * s.l2
                g = [rate * weight * (probs[c] - (c == label)) for c in k]
                for c in k:
                    bias[c] -= g[c]
                gs = [x / scale for x in g]
                for f, v in feats:
                    w = weights[f]
                    for c in k:
                        w[c] -= gs[c] * v
        for w in weights:
            for c in k:
                w[c] *= scale

    def probabilities(self, feats: dict[str, float]) -> dict[str, float]:
        scores = list(self.bias)
        for f, v in feats.items():
            i = self.ids.get(f)
            if i is not None:
                w = self.weights[i]
                for c in range(len(scores)):
                    scores[c] += w[c] * v
        return dict(zip(self.labels, _softmax(scores), strict=True))

    def predict(self, feats: dict[str, float]) -> str:
        """The likeliest class of `group` (its labels' probabilities summed, times its
        leaning), then that class's likeliest label."""
        probs = self.probabilities(feats)
        classes: dict[str, float] = {}
        for label, p in probs.items():
            key = self.group.get(label, label)
            classes[key] = classes.get(key, 0.0) + p
        best = max(classes, key=lambda c: classes[c] * self.leanings.get(c, 1.0))
        return max(
            (label for label in probs if self.group.get(label, label) == best),
            key=lambda label: probs[label],
        )


def _softmax(scores: list[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(x - top) for x in scores]
    total = sum(exps)
    return [e / total for e in exps]
