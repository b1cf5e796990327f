"""The TCF mode over real HTTP, on SQLite and on PostgreSQL: the script and the narrowed vendor
list are served only to a TCF site, a decision's TCF choices become a TC string that the
answer carries and the record keeps (and writes again), with the GPP string."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bandeau.store.postgres import PostgresStore
from bandeau.tcf import decode
from bandeau.tcf.gpp import decode_gpp
from bandeau.tcf.publisher import tc_string_of

from ..live import RunningSite, running_site
from ..store.conftest import PG_URL
from ..wire import decision_body

SITE = "/v1/sites/lequotidien"


@pytest.fixture(params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, tcf_policy_text: str, tmp_path: Path
) -> Iterator[RunningSite]:
    database = "" if request.param == "sqlite" else f"{PG_URL}?schema=tcf_{uuid.uuid4().hex[:12]}"
    with running_site(tmp_path, tcf_policy_text, database=database, rate_limit=0) as site:
        yield site
        if isinstance(site.store, PostgresStore):
            site.store.drop()


def post(site: RunningSite, action: str, tcf: dict[str, Any] | None) -> httpx.Response:
    body = decision_body(site.policy, action, **({"tcf": tcf} if tcf is not None else {}))
    origin = site.policy.origins[0]
    return httpx.post(f"{site.url}{SITE}/decisions", json=body, headers={"Origin": origin})


def test_a_decision_gets_its_tc_string_and_the_record_keeps_it(served: RunningSite) -> None:
    """PROOF-01 with TCF: the answer carries the TC string and the GPP string; the record keeps
    the choices and the string, and writes the same string again from its own fields."""
    tcf = {"vendorListVersion": 120, "purposeConsents": [1, 3], "vendorConsents": [1, 91]}
    answer = post(served, "save", tcf)
    assert answer.status_code == 201, answer.text
    given = answer.json()["tcf"]
    model = decode(given["tcString"])
    assert sorted(model.purposeConsents) == [1, 3] and sorted(model.vendorConsents) == [1, 91]
    gpp = decode_gpp(given["gppString"])
    assert gpp.sections[2] == given["tcString"]  # GPP-02: the section is the TC string
    record = served.store.get(answer.json()["decision_id"])
    assert record is not None and record.tcf["tcString"] == given["tcString"]
    assert tc_string_of(record.tcf) == given["tcString"]
    assert record.tcf["vendorList"].startswith("gvl-v120-sha256:")
    notice = served.store.notice(served.policy.site, record.notice)  # PROOF-02
    assert notice is not None and json.loads(notice.content)["tcf"]["section"]["cmp_id"] == 999
    history = httpx.get(f"{served.url}{SITE}/consents/{record.consent_id}").json()
    assert history["decisions"][0]["tcf"]["tcString"] == given["tcString"]


def test_a_tcf_site_needs_the_tcf_choices(served: RunningSite) -> None:
    answer = post(served, "refuse_all", None)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "tcf"
    answer = post(
        served, "refuse_all", {"vendorListVersion": 120, "purposeLegitimateInterests": [2]}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "tcf.purposeLegitimateInterests"


def test_the_script_and_the_vendor_list_are_served(served: RunningSite) -> None:
    """TCF-10: the browser gets the server's narrowed copy of the list, never the IAB's."""
    script = httpx.get(f"{served.url}{SITE}/tcf.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "__tcfapiLocator" in script.text and "consensu.org" not in script.text
    assert '"cmpId":999' in script.text
    listed = httpx.get(f"{served.url}{SITE}/vendor-list.json").json()
    assert sorted(map(int, listed["vendors"])) == [1, 25, 50, 52, 91, 755]
    assert listed["vendorListVersion"] == 120


def test_a_site_without_tcf_serves_no_script(tmp_path: Path, policy_text: str) -> None:
    with running_site(tmp_path, policy_text) as site:
        for path in ("/tcf.js", "/vendor-list.json"):
            answer = httpx.get(f"{site.url}{SITE}{path}")
            assert answer.status_code == 404
            assert answer.json()["error"]["code"] == "not_found"
        body = decision_body(site.policy, "refuse_all", tcf={"vendorListVersion": 1})
        answer = httpx.post(
            f"{site.url}{SITE}/decisions", json=body, headers={"Origin": site.policy.origins[0]}
        )
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "tcf"
