"""The rules of `bandeau.scanner.findings` on recorded evidence, without a browser: what a
phase recorded goes in, the findings with their requirement ids come out."""

from __future__ import annotations

from pathlib import Path

from bandeau.banner.config import site_config
from bandeau.declarations import Declaration
from bandeau.policy import load_policy
from bandeau.scanner.autoconsent import Detection
from bandeau.scanner.banners import Choice
from bandeau.scanner.classify import Classifier, SitePolicy
from bandeau.scanner.findings import Evidence, evaluate
from bandeau.scanner.instrument import CookieWrite, Recording, Snapshot
from bandeau.scanner.visit import PhaseResult

SITE = "http://127.0.0.1:8000/"
DEMO_POLICY = Path(__file__).parents[2] / "src" / "bandeau" / "demo" / "policy.toml"


def write(name: str, stage: str, days: float | None = 30, by: str = SITE + "app.js") -> CookieWrite:
    return CookieWrite(name, "127.0.0.1", "v", days, "script", by, stage, f"{name}=v")


def phase(name: str, *writes: CookieWrite, choice: Choice | None = None) -> PhaseResult:
    result = PhaseResult(name, SITE, Recording(cookie_writes=list(writes)), banner_found=True)
    result.choice = choice
    return result


def done(action: str, clicks: int = 1, roles: tuple[str, ...] = ("accept", "refuse")) -> Choice:
    return Choice(action, clicks=clicks, layers=1, done=True, first_layer_roles=list(roles))


def rules(
    phases: dict[str, PhaseResult], classifier: Classifier | None = None
) -> set[tuple[str, str]]:
    evidence = Evidence("127.0.0.1", classifier or Classifier())
    declared = classifier is not None and classifier.policy is not None
    return {(f.rule, f.severity) for f in evaluate(phases, evidence, declared=declared)}


def test_clean_site_has_no_finding() -> None:
    phases = {
        "before": phase("before"),
        "refuse": phase("refuse", write("cc_cookie", "choice"), choice=done("refuse")),
        "accept": phase("accept", write("_ga", "choice"), choice=done("accept")),
    }
    assert rules(phases) == set()


def test_unknown_cookie_before_choice_is_a_lower_severity() -> None:
    """CNIL-02 at high for a known tracker, medium for a cookie nobody can classify."""
    assert rules({"before": phase("before", write("_ga", "load"))}) == {("CNIL-02", "high")}
    assert rules({"before": phase("before", write("zq", "load"))}) == {("CNIL-02", "medium")}


def test_cookie_kept_after_refusal_is_cnil_03() -> None:
    refuse = phase("refuse", choice=done("refuse"))
    refuse.recording.snapshots.append(
        Snapshot("next_page", [{"name": "_fbp", "domain": "127.0.0.1"}], {})
    )
    assert rules({"refuse": refuse}) == {("CNIL-03", "high")}


def test_asked_again_after_refusal_is_cnil_07() -> None:
    refuse = phase("refuse", choice=done("refuse"))
    refuse.banner_after_reload = True
    assert rules({"refuse": refuse}) == {("CNIL-07", "medium")}


def test_refusal_harder_than_acceptance() -> None:
    """CNIL-01 and EDPB-A: two clicks to refuse, one to accept, no refusal on the first layer."""
    phases = {
        "refuse": phase("refuse", choice=done("refuse", 2, ("accept", "settings"))),
        "accept": phase("accept", choice=done("accept", 1, ("accept", "settings"))),
    }
    assert rules(phases) == {("CNIL-01", "high"), ("EDPB-A", "high")}


def test_lifetimes_over_thirteen_months() -> None:
    """AM-05 for a tracker asking 2 years; CNIL-07 (low) for a consent record asking the same."""
    accept = phase(
        "accept",
        write("_ga", "choice", 730),
        write("cc_cookie", "choice", 730),
        choice=done("accept"),
    )
    assert rules({"accept": accept}) == {("AM-05", "medium"), ("CNIL-07", "low")}


def test_site_policy_declarations() -> None:
    """With the site's bandeau policy: an undeclared cookie is EDPB-G; the exempt audience
    cookie is exempt by the policy, not by a guess."""
    policy = SitePolicy.from_config(site_config(load_policy(DEMO_POLICY), "http://x/v1"))
    classifier = Classifier(policy)
    before = phase("before", write("_lq_mesure", "load", 390), write("_hidden_ads", "choice"))
    assert rules({"before": before}, classifier) == {("EDPB-G", "medium"), ("CNIL-02", "high")}
    assert classifier.cookie("_lq_mesure").exempt


def test_tracker_declared_necessary_is_cnil_06() -> None:
    """CNIL-06 / EDPB-G: a policy that files an advertising cookie under strictly necessary."""
    policy = SitePolicy({"necessary": "necessary"}, (Declaration("_fbp", ("necessary",)),), ())
    before = phase("before", write("_fbp", "load"))
    assert rules({"before": before}, Classifier(policy)) == {("CNIL-06", "high")}


def test_writes_after_necessary_only_are_cnil_03() -> None:
    """The optional phase that refuses through the settings is held to the same rule."""
    necessary = phase("necessary", write("_ga", "reload"), choice=done("necessary", 2))
    assert rules({"necessary": necessary}) == {("CNIL-03", "high")}


def by_autoconsent(action: str, roles: tuple[str, ...] = ()) -> Choice:
    choice = done(action, clicks=0, roles=roles)
    choice.by = "autoconsent:Klaro"
    return choice


def test_refusal_by_autoconsent_is_judged_on_what_the_page_does() -> None:
    """CNIL-03 from a tracker written after autoconsent refused; no effort finding where our
    detector could not read the banner (the reader's effort is measured on our path only)."""
    refuse = phase("refuse", write("_ga", "reload"), choice=by_autoconsent("refuse", roles=()))
    accept = phase("accept", choice=done("accept"))
    assert rules({"refuse": refuse, "accept": accept}) == {("CNIL-03", "high")}
    assert refuse.choice is not None and refuse.choice.measured_clicks is None


def test_refusal_only_through_autoconsent_is_cnil_01_when_the_reader_has_none() -> None:
    """Our detector read the first layer, accept and settings but no refusal anywhere; that
    autoconsent's rule refused through the CMP's code does not give the reader a way."""
    refuse = phase("refuse", choice=by_autoconsent("refuse", roles=("accept", "settings")))
    accept = phase("accept", choice=done("accept"))
    assert rules({"refuse": refuse, "accept": accept}) == {
        ("CNIL-01", "high"),
        ("EDPB-A", "high"),
    }


def test_a_popup_only_autoconsent_saw_is_a_banner() -> None:
    """LAW-01 needs no banner from any source: a CMP popup autoconsent saw open counts."""
    before = phase("before", write("_trk", "load", by="http://127.0.0.2:9000/t.js"))
    before.banner_found = False
    assert ("LAW-01", "high") in rules({"before": before})
    before.autoconsent = Detection(cmps=["Klaro"], popups=["Klaro"])
    assert ("LAW-01", "high") not in rules({"before": before})
