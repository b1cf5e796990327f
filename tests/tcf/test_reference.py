"""bandeau's codec against the IAB's reference library, @iabtcf/core (pinned in package.json,
installed by `make install-dev`), in both directions, on thousands of random models:

* bandeau encodes, @iabtcf/core decodes: the library reads every field as bandeau wrote it;
* @iabtcf/core encodes, bandeau decodes: bandeau reads every field as the library wrote it.

The random models are those both sides can carry unchanged. The library encodes only with a
vendor list, discloses every vendor of that list and drops what the list does not allow
(tests/tcf/reference.mjs builds a list that allows everything of the model); it also merges
restriction entries of the same purpose and type and drops empty ones, so the models have
neither. One thing it does on purpose and bandeau does not: a restriction's range may run over
ids absent from its vendor list (TCF-04), so that direction compares with those ids added.
Strings bandeau writes for the library to read also carry what only the library's encoder
cannot take (any language, bits of undisclosed vendors, AllowedVendors). The generator is
seeded: a failure names the seed and the model."""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bandeau.tcf import TCModel, decode, encode, model_from_json, model_to_json
from bandeau.tcf.model import PublisherRestriction

ROOT = Path(__file__).parents[2]
SCRIPT = Path(__file__).with_name("reference.mjs")
LIBRARY = ROOT / "node_modules" / "@iabtcf" / "core" / "package.json"
MODELS = 2000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="Node is not installed: no differential test"
)


def reference(request: dict[str, list[Any]]) -> list[Any]:
    """One run of the reference library over a whole batch."""
    if not LIBRARY.is_file():
        pytest.fail("@iabtcf/core is missing from node_modules: run `make install-dev`")
    done = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    answers: list[Any] = json.loads(done.stdout)
    return answers


def some(rng: random.Random, pool: list[int], most: int) -> frozenset[int]:
    return frozenset(rng.sample(pool, rng.randint(0, min(most, len(pool)))))


def random_vendors(rng: random.Random) -> frozenset[int]:
    """Sparse high ids, dense low ids or runs: both vendor encodings get exercised."""
    shape = rng.randrange(3)
    if shape == 0:
        return some(rng, list(range(1, 65536)), 15)
    if shape == 1:
        return some(rng, list(range(1, 150)), 150)
    starts = [rng.randint(1, 2000) for _ in range(rng.randint(0, 5))]
    return frozenset(i for s in starts for i in range(s, s + rng.randint(1, 30)))


# The consent languages @iabtcf/core can encode (it refuses others; bandeau takes any 2 letters)
LANGUAGES = "BG CA CS DA DE EL EN ES ET FI FR HR HU IT JA LT LV MT NL NO PL PT RO RU SK SL SV TR ZH"


def random_model(rng: random.Random) -> TCModel:
    """A model both libraries carry unchanged (see the module's docstring)."""
    disclosed = random_vendors(rng)
    shown = sorted(disclosed)
    pairs = rng.sample([(p, t) for p in range(1, 25) for t in range(3)], rng.randint(0, 4))
    restrictions = [PublisherRestriction(p, t, some(rng, shown, 20)) for p, t in pairs]
    custom = rng.randint(0, 63) if rng.random() < 0.5 else 0
    publisher = custom > 0 or rng.random() < 0.3
    segments = ["vendorsDisclosed", *(["publisherTC"] if publisher else [])]
    rng.shuffle(segments)
    return TCModel(
        created=EPOCH + rng.randint(0, (1 << 36) - 1) * timedelta(milliseconds=100),
        lastUpdated=EPOCH + rng.randint(0, (1 << 36) - 1) * timedelta(milliseconds=100),
        cmpId=rng.randint(2, 4095),
        cmpVersion=rng.randint(0, 4095),
        consentScreen=rng.randint(0, 63),
        consentLanguage=rng.choice(LANGUAGES.split()),
        vendorListVersion=rng.randint(1, 4095),
        publisherCountryCode="".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=2)),
        policyVersion=rng.randint(0, 63),
        isServiceSpecific=rng.random() < 0.8,
        useNonStandardTexts=rng.random() < 0.5,
        purposeOneTreatment=rng.random() < 0.5,
        specialFeatureOptins=some(rng, list(range(1, 13)), 12),
        purposeConsents=some(rng, list(range(1, 25)), 24),
        purposeLegitimateInterests=some(rng, list(range(2, 25)), 23),  # never 1: see TCF-07
        vendorConsents=some(rng, shown, 200),
        vendorLegitimateInterests=some(rng, shown, 200),
        vendorsDisclosed=disclosed,
        publisherConsents=some(rng, list(range(1, 25)), 24) if publisher else frozenset(),
        publisherLegitimateInterests=some(rng, list(range(1, 25)), 24)
        if publisher
        else frozenset(),
        numCustomPurposes=custom,
        publisherCustomConsents=some(rng, list(range(1, custom + 1)), custom),
        publisherCustomLegitimateInterests=some(rng, list(range(1, custom + 1)), custom),
        publisherRestrictions=tuple(r for r in restrictions if r.vendorIds),
        segments=("core", *segments),
    )


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON fields both sides report (which segments were read, the library does not say)."""
    return {k: v for k, v in data.items() if k != "segments"}


def bridged(model: TCModel) -> TCModel:
    """The model as the library's string says it: each restriction's consecutive vendors with
    no disclosed vendor between them written as one range (TCF-04)."""
    listed = sorted(model.vendorsDisclosed)
    out = []
    for r in model.publisherRestrictions:
        ids = sorted(r.vendorIds)
        filled = set(ids)
        for a, b in itertools.pairwise(ids):
            if not any(a < v < b for v in listed):
                filled.update(range(a + 1, b))
        out.append(PublisherRestriction(r.purposeId, r.restrictionType, frozenset(filled)))
    return TCModel(**{**model.__dict__, "publisherRestrictions": tuple(out)})


def widened(model: TCModel, rng: random.Random) -> TCModel:
    """What only the library's encoder cannot take: any two letters as language, vendor bits
    for vendors not disclosed, the deprecated AllowedVendors segment."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    allowed = rng.random() < 0.3
    segments = list(model.segments[1:]) + (["vendorsAllowed"] if allowed else [])
    rng.shuffle(segments)
    return dataclasses.replace(
        model,
        consentLanguage="".join(rng.choices(letters, k=2)),
        vendorConsents=random_vendors(rng),
        vendorsAllowed=random_vendors(rng) if allowed else frozenset(),
        segments=("core", *segments),
    )


@pytest.mark.parametrize("seed", [11, 2026])
def test_the_reference_reads_what_bandeau_writes(seed: int) -> None:
    """TCF-01 to TCF-06: @iabtcf/core decodes each of bandeau's strings to the model."""
    rng = random.Random(seed)  # noqa: S311 (test data, seeded to be replayed)
    models = [widened(random_model(rng), rng) for _ in range(MODELS // 2)]
    strings = [encode(m) for m in models]
    for i, (model, read) in enumerate(zip(models, reference({"decode": strings}), strict=True)):
        expected = comparable(model_to_json(model))
        assert comparable(read) == expected, f"seed {seed}, model {i}: {strings[i]}"


@pytest.mark.parametrize("seed", [12, 2027])
def test_bandeau_reads_what_the_reference_writes(seed: int) -> None:
    """TCF-01 to TCF-06: bandeau decodes each of @iabtcf/core's strings to the model (segments
    and all, restriction ranges as the library bridges them)."""
    rng = random.Random(seed)  # noqa: S311 (test data, seeded to be replayed)
    models = [random_model(rng) for _ in range(MODELS // 2)]
    written = reference({"encode": [model_to_json(m) for m in models]})
    for i, (model, text) in enumerate(zip(models, written, strict=True)):
        assert isinstance(text, str), f"seed {seed}, model {i}: the library refused it: {text}"
        assert decode(text) == bridged(model), f"seed {seed}, model {i}: {text}"


def test_both_agree_on_the_shared_vectors_json() -> None:
    """The JSON both sides print for a string is the same JSON (fields and shapes)."""
    # the shared vector publisher-restrictions
    text = (
        "CQeEcwAQeEcwAPnAHCFRB4EgAPAAAAAAAAqIGMwAoAAgAUAxkAAAAQSADAAEAChwAEBeYAAA"
        ".IGMwA4AAgAUAvMBjIAAA"
    )
    [read] = reference({"decode": [text]})
    assert comparable(read) == comparable(model_to_json(decode(text)))
    assert model_from_json({**read, "segments": ["core", "vendorsDisclosed"]}) == decode(text)
