"""`handoff demo --crm …`: the fake CRM's panel follows the clicks on the cards.

Through the demo's own API (what the page's crm.js and app.js call), over HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from messages.ids import ActionId
from tests.demo_harness import ANA, LEADS, DemoServer
from tests.harness import wait_for


def records(demo: DemoServer) -> dict[str, Any]:
    response = httpx.get(f"{demo.url}/demo/crm/api/records", timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize(
    ("provider", "status"), [("hubspot", "IN_PROGRESS"), ("salesforce", "Working - Contacted")]
)
def test_the_crm_panel_shows_the_owner_and_status_a_click_sets(
    sqlite_url: str, tmp_path: Path, provider: str, status: str
) -> None:
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml", crm=provider) as demo:
        assert records(demo) == {"provider": provider, "records": []}
        made = httpx.post(f"{demo.url}/demo/crm/api/mql", timeout=10).json()
        assert made["pushed"] == 200
        card = wait_for(lambda: demo.workspace.messages(LEADS), what="the pushed MQL's card")[0]
        (record,) = records(demo)["records"]
        assert (record["id"], record["owner"]) == (made["id"], None)
        click = {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.CLAIM}
        assert httpx.post(f"{demo.url}/demo/api/click", json=click, timeout=10).status_code == 200
        claimed = wait_for(
            lambda: (r := records(demo)["records"][0])["owner"] == "Ana Rep" and r,
            what="the owner in the CRM panel",
        )
        assert claimed["status"] == status
        page = httpx.get(demo.url, timeout=10).text
        assert "/demo/static/crm.js" in page


def test_without_a_crm_the_panel_has_nothing_to_show(sqlite_url: str, tmp_path: Path) -> None:
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml") as demo:
        assert httpx.get(f"{demo.url}/demo/crm/api/records", timeout=10).status_code == 404
        assert demo.demo.services.crm is None
