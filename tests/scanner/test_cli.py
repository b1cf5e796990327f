"""`bandeau scan` as CI runs it: exit codes, the JSON and HTML reports, the starting policy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bandeau.policy import load_policy

from .corpus import Corpus


def bandeau(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bandeau", "scan", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_not_a_url_is_a_usage_error() -> None:
    done = bandeau("example.org")
    assert done.returncode == 2 and "not an http(s) URL" in done.stderr


def test_missing_browser_exits_2(tmp_path: Path) -> None:
    done = bandeau("http://127.0.0.1:9/", "--chromium", str(tmp_path / "nowhere"))
    assert done.returncode == 2 and "Chromium is missing" in done.stderr


@pytest.mark.browser
def test_tracker_site_fails_ci_with_reports(corpus: Corpus, tmp_path: Path) -> None:
    """LAW-01/CNIL-02: a site that places trackers with no banner exits 1; the reports and a
    starting policy that `bandeau check` accepts are written; --max-pages crawls the site."""
    out = tmp_path / "report.json"
    html = tmp_path / "report.html"
    draft = tmp_path / "policy.toml"
    url = corpus.url("no-banner-tracker")
    done = bandeau(
        url,
        *("--json", str(out), "--html", str(html), "--draft-policy", str(draft)),
        *("--max-pages", "2", "--concurrency", "3"),
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    # the same-site crawl: the page, then the link found on it
    assert [p["url"] for p in report["pages"]] == [url, url + "page2"]
    assert {f["rule"] for f in report["pages"][0]["findings"]} == {"CNIL-02", "LAW-01"}
    shots = report["pages"][0]["phases"]["before"]["screenshots"]
    assert shots and (tmp_path / shots[0]["file"]).stat().st_size > 1000
    # both viewports by default: the phone's phases, their screenshots, each finding's screens
    assert report["pages"][0]["viewports"] == ["desktop", "mobile"]
    mobile = report["pages"][0]["other_viewports"]["mobile"]["phases"]["before"]["screenshots"]
    assert mobile and "-mobile-before-" in mobile[0]["file"]
    assert (tmp_path / mobile[0]["file"]).stat().st_size > 1000
    assert all(f["viewports"] == ["desktop", "mobile"] for f in report["pages"][0]["findings"])
    page = html.read_text()
    assert (
        "data:image/jpeg;base64," in page
        and "LAW-01" in page
        and "http" not in page.split("<h2>")[0].replace("http-equiv", "")
    )
    policy = load_policy(draft)
    names = {c.name for p in policy.purposes for c in p.all_cookies()}
    assert {"_trk_uid", "trk_id"} <= names
