"""The button-label linter: an overridden accept-all or refuse-all label must say what its
button does, in its language, or carry a recorded justification (CNIL-01, EDPB-A; the CNIL
fined a refuse control labelled "Accept cookies")."""

from __future__ import annotations

import pytest

from bandeau.labels import ACCEPT_WORDINGS, REFUSE_WORDINGS, acceptable, normalise
from bandeau.policy import Policy, parse_policy
from bandeau.texts import BUILTIN, LANGUAGES

from .test_policy import line_of, problems_of


def with_ui(policy_text: str, table: str) -> str:
    return policy_text.replace("[controller]", table + "\n\n[controller]", 1)


def test_every_builtin_language_has_both_lists_and_its_labels_pass() -> None:
    """The lists cover the 29 built-in languages, and the built-in labels are acceptable."""
    assert set(ACCEPT_WORDINGS) == set(LANGUAGES) == set(REFUSE_WORDINGS)
    for lang in LANGUAGES:
        assert len(ACCEPT_WORDINGS[lang]) >= 3 and len(REFUSE_WORDINGS[lang]) >= 3, lang
        accept, refuse = BUILTIN[lang]["accept_all"], BUILTIN[lang]["refuse_all"]
        assert normalise(accept) in {normalise(w) for w in acceptable("accept_all", lang)}
        # no wording may say both things: a refuse label never counts as acceptance
        accepting = {normalise(w) for w in acceptable("accept_all", lang)}
        refusing = {normalise(w) for w in acceptable("refuse_all", lang)}
        assert not accepting & refusing, lang
        assert normalise(refuse) in refusing


def test_normalise_ignores_case_quotes_punctuation_and_spacing() -> None:
    assert normalise("  « Tout  REFUSER ! »") == "tout refuser"
    assert normalise("Je n\u2019accepte pas.") == "je n'accepte pas"


@pytest.mark.parametrize(
    ("lang", "key", "label"),
    [
        ("fr", "refuse_all", "Continuer sans accepter"),
        ("fr", "accept_all", "J\u2019accepte"),
        ("en", "refuse_all", "Reject all"),
        ("en", "accept_all", "Allow all cookies"),
    ],
)
def test_a_plain_variant_is_accepted(policy_text: str, lang: str, key: str, label: str) -> None:
    policy = parse_policy(with_ui(policy_text, f'[ui.{lang}]\n{key} = "{label}"'))
    assert policy.ui_texts(lang)[key] == label


def test_refuse_labelled_accept_is_refused_with_file_line_field_and_fix(policy_text: str) -> None:
    """CNIL-01: "Accepter les cookies" on the refuse-all button does not load."""
    text = with_ui(policy_text, '[ui.fr]\nrefuse_all = "Accepter les cookies"')
    [problem] = problems_of(text)
    assert problem.startswith(f"site.toml:{line_of(text, 'refuse_all =')}: ui.fr.refuse_all: ")
    assert "does not express refusal in fr" in problem
    assert '"Tout refuser"' in problem
    assert "[label_justifications.fr] refuse_all" in problem


def test_accept_label_that_does_not_accept_is_refused(policy_text: str) -> None:
    text = with_ui(policy_text, '[ui.en]\naccept_all = "Continue"')
    [problem] = problems_of(text)
    assert "ui.en.accept_all" in problem and "does not express acceptance in en" in problem


def test_a_justified_label_loads_and_changes_the_policy_version(
    policy_text: str, policy: Policy
) -> None:
    """The justification is recorded: it is part of the policy version every record names."""
    label = with_ui(policy_text, '[ui.fr]\nrefuse_all = "Je ne veux pas de cookies"')
    assert problems_of(label)
    reason = "Tested with our readers' panel in 2026: read as a refusal by 97 % of them."
    justified = with_ui(
        label, f'[label_justifications.fr]\nrefuse_all = "{reason}"'
    )
    loaded = parse_policy(justified)
    assert loaded.label_justifications == {"fr": {"refuse_all": reason}}
    other = parse_policy(justified.replace("97 %", "96 %"))
    assert loaded.version != other.version != policy.version


def test_a_justification_without_its_override_is_refused(policy_text: str) -> None:
    text = with_ui(policy_text, '[label_justifications.en]\naccept_all = "Because we like it."')
    [problem] = problems_of(text)
    assert "label_justifications.en.accept_all" in problem
    assert "does not override" in problem
