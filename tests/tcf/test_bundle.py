"""The TCF mode's script: built from its source, within its budget on the wire (DESIGN 7: 12 KB,
apart from the first layer's 6 KB), nothing fetched from the IAB, and its config as the policy
says (vendors, choices offered, Consent Mode options)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bandeau.policy import parse_policy
from bandeau.server.compression import encoded
from bandeau.settings import Settings
from bandeau.tcf import decode
from bandeau.tcf.bundle import TCF_TOKEN, shipped_tcf, tcf_config, tcf_script
from bandeau.tcf.publisher import tcf_site

from .conftest import tcf_section, vectors_path

ROOT = Path(__file__).parents[2]
BUDGET = 12 * 1024
BROWSER_ACCEPTS = "gzip, deflate, br, zstd"  # what Chromium sends


def test_the_committed_script_is_the_build_of_its_source(tmp_path: Path) -> None:
    subprocess.run(["node", "scripts/build-banner.mjs", str(tmp_path)], cwd=ROOT, check=True)
    built = (tmp_path / "tcf.js").read_bytes()
    assert built == (ROOT / "src/bandeau/banner/dist/tcf.js").read_bytes(), (
        "dist/tcf.js is stale: run `make banner` and commit it"
    )
    assert shipped_tcf().count(TCF_TOKEN.encode()) == 1


@pytest.fixture
def config(tcf_policy_text: str, tmp_path: Path) -> dict[str, object]:
    policy = parse_policy(tcf_policy_text)
    site = tcf_site(policy, Settings(data_dir=tmp_path))
    return tcf_config(policy, site, "http://127.0.0.1:8000/v1/sites/lequotidien", "fr")


def test_the_script_fits_its_budget_on_the_wire(config: dict[str, object]) -> None:
    """DESIGN 7: tcf.js with the test site's config (six vendors inlined) as a browser gets it."""
    script = tcf_script(config)
    served = encoded(script).pick(BROWSER_ACCEPTS)
    assert served.encoding == "br"
    assert len(served.body) <= BUDGET, len(served.body)
    assert b"consensu.org" not in script  # TCF-10: never the IAB's servers from a browser


def test_the_config_says_what_the_interface_offers(config: dict[str, object]) -> None:
    """TCF-UI-01, TCF-14: the vendors with what each declares, the choices offered, the
    string shown with the interface (legitimate interests only), the restrictions."""
    tcf = config["tcf"]
    assert isinstance(tcf, dict)
    assert [v["id"] for v in tcf["vendors"]] == [1, 25, 50, 52, 91, 755]
    vendor = next(v for v in tcf["vendors"] if v["id"] == 755)
    assert (vendor["purposes"], vendor["legIntPurposes"]) == ([1, 3], [2, 7])
    assert vendor["retention"] is not None and vendor["privacy"].startswith("https://")
    assert tcf["consent"] == list(range(1, 12)) and tcf["li"] == [2, 7, 9, 10, 11]
    assert tcf["restrictions"] == [[4, 0, [755]], [8, 1, [52]]]
    initial = decode(tcf["initial"])
    assert not initial.purposeConsents and not initial.vendorConsents
    assert sorted(initial.vendorLegitimateInterests) == [1, 52, 755]
    assert tcf["gppHeader"] == "DBABMA" and tcf["cmpId"] == 999
    texts = config["texts"]
    assert isinstance(texts, dict) and texts["vendors_link"] == "Nos partenaires ({count})"


def test_consent_mode_options_reach_the_script(policy_text: str, tmp_path: Path) -> None:
    """GCM-02…05: mode, redaction, passthrough, wait, region and mapping, as the policy says."""
    section = """[consent_mode]
mode = "advanced"
ads_data_redaction = false
url_passthrough = true
wait_for_update = 800
region = ["FR", "ES-CT"]
[consent_mode.mapping]
analytics_storage = ["audience"]
functionality_storage = ["social"]
"""
    policy = parse_policy(policy_text + tcf_section(f"{vectors_path()}#gvlFixture", section))
    site = tcf_site(policy, Settings(data_dir=tmp_path))
    gcm = tcf_config(policy, site, "http://x/v1/sites/lequotidien", "en")["gcm"]
    assert isinstance(gcm, dict)
    assert (gcm["mode"], gcm["redact"], gcm["passthrough"], gcm["wait"]) == (
        "advanced",
        False,
        True,
        800,
    )
    assert gcm["region"] == ["FR", "ES-CT"]
    assert gcm["signals"]["ad_storage"] == ["tcf:1", "tcf:3", "tcf:4"]
    assert gcm["signals"]["analytics_storage"] == ["audience"]
    assert gcm["signals"]["security_storage"] == []
    assert len(gcm["signals"]) == 7  # GCM-05: all seven, always
    json.dumps(gcm)
