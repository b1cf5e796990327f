"""The exempt audience measurement linter and its self-assessment (AM-01, AM-03, AM-05, AM-06,
CNIL-06): a measurement that cannot be exempt does not load as exempt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bandeau.measurement import NOT_EXEMPTABLE, platform_of_cookie, platform_of_host

from .conftest import DEMO_POLICY
from .test_policy import line_of, problems_of

AUDIENCE_SERVICE = 'name = "Mesure interne"'


def with_measurement_service(policy_text: str, extra: str) -> str:
    return policy_text.replace(AUDIENCE_SERVICE, AUDIENCE_SERVICE + "\n" + extra, 1)


@pytest.mark.parametrize(
    ("host", "platform"),
    [
        ("www.google-analytics.com", "Google Analytics"),
        ("*.google-analytics.com", "Google Analytics"),
        ("googletagmanager.com", "Google Tag Manager"),
        ("connect.facebook.net", "Meta"),
    ],
)
def test_analytics_and_advertising_platforms_cannot_be_exempt(
    policy_text: str, host: str, platform: str
) -> None:
    """AM-01, AM-03, CNIL-06: Google Analytics or the Meta pixel under exempt measurement is
    refused, at the service's line, naming the platform and the fix."""
    text = with_measurement_service(policy_text, f'hosts = ["{host}"]')
    [problem] = problems_of(text)
    assert problem.startswith(
        f"site.toml:{line_of(text, host)}: purposes[1] (audience).services[0].hosts[0]: "
    )
    assert platform in problem and 'kind = "consent"' in problem


def test_the_list_starts_with_google_analytics_and_meta() -> None:
    assert platform_of_host("region1.analytics.google.com") == "Google Analytics"
    assert platform_of_host("www.facebook.com") == "the Meta pixel"
    assert platform_of_host("stats.lequotidien.example") is None
    assert platform_of_host("notfacebook.com") is None
    assert "google-analytics.com" in NOT_EXEMPTABLE
    assert platform_of_cookie("_ga") == "Google Analytics"
    assert platform_of_cookie("_ga_*") == "Google Analytics"
    assert platform_of_cookie("_fbp") == "the Meta pixel"
    assert platform_of_cookie("_lq_mesure") is None


def test_a_platform_cookie_cannot_be_exempt(policy_text: str) -> None:
    text = policy_text.replace('{ name = "_lq_mesure"', '{ name = "_ga"')
    [problem] = problems_of(text)
    assert "cookies[0].name" in problem and "Google Analytics" in problem


def test_retention_is_required_and_at_most_25_months(policy_text: str) -> None:
    """AM-05: a missing retention is refused like an over-long one."""
    missing = policy_text.replace("retention_months = 25\n", "")
    [problem] = problems_of(missing)
    assert "purposes[1] (audience).retention_months" in problem
    assert "add retention_months = 25 or less" in problem
    [long] = problems_of(policy_text.replace("retention_months = 25", "retention_months = 26"))
    assert "at most 25 months" in long


def test_cookie_over_13_months_is_refused(policy_text: str) -> None:
    """AM-05: the measurement cookie lives at most 13 months."""
    text = policy_text.replace(
        'name = "_lq_mesure", lifetime = "13 months"', 'name = "_lq_mesure", lifetime = 400'
    )
    [problem] = problems_of(text)
    assert "13 months" in problem


def test_data_shared_with_another_purpose_is_refused(policy_text: str) -> None:
    """AM-03: the measurement's cookie also declared by the advertising purpose."""
    text = policy_text.replace(
        '{ name = "_ad_id", lifetime = "13 months" },',
        '{ name = "_ad_id", lifetime = "13 months" },\n  { name = "_lq_mesure", lifetime = 30 },',
    )
    [problem] = problems_of(text)
    assert "purposes[1] (audience).services[0]" in problem
    assert "cookie _lq_mesure also serves purpose 'advertising'" in problem
    assert "AM-03" in problem


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bandeau", *args], capture_output=True, text=True, check=False
    )


def test_self_assessment_prints_the_grid_from_the_file() -> None:
    """AM-06: `bandeau check --self-assessment POLICY` prints each condition with what the file
    shows (met) or what the publisher must attest."""
    result = run_cli("check", "--self-assessment", str(DEMO_POLICY))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Self-assessment of exempt audience measurement (AM-06)" in out
    assert "Purpose 'audience' (Mesure d'audience)" in out
    for rule in ("AM-01", "AM-02", "AM-03", "AM-04", "AM-05"):
        assert rule in out
    assert "retention_months = 25" in out
    assert "longest declared 395 days" in out
    assert "[met   ]" in out and "[attest]" in out


def test_self_assessment_refuses_a_policy_that_does_not_load(
    policy_text: str, tmp_path: Path
) -> None:
    bad = tmp_path / "site.toml"
    bad.write_text(policy_text.replace("retention_months = 25\n", ""), encoding="utf-8")
    result = run_cli("check", "--self-assessment", str(bad))
    assert result.returncode == 1
    assert "retention_months" in result.stderr and "bandeau: error:" in result.stderr
