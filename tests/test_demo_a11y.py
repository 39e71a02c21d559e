"""The demo page for keyboard and screen-reader users: axe-core finds no serious or
critical violation on the main views, and the modal handles focus as a dialog must.

axe-core comes from the npm registry (tests/demo_harness.py: axe_script); Chromium
through Playwright. See the harness for when these are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from messages.ids import ActionId
from tests.demo_harness import (
    ANA,
    MARK,
    MARKETING,
    DemoServer,
    Visitor,
    axe_script,
    axe_violations,
    chromium,
    serious,
    visiting,
)
from tests.harness import wait_for

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def axe() -> Path:
    return axe_script()


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml") as server:
        yield server


def claimed_card(visitor: Visitor) -> Any:
    """A sample lead's card, claimed by Ana: it has a thread and Accept/Reject buttons."""
    visitor.demo.send_lead()
    card = visitor.cards().first
    card.locator(f"[data-action-id={ActionId.CLAIM}]").click()
    visitor.expect(card.locator(".thread-summary")).to_be_visible()
    return visitor.message(card.get_attribute("data-ts"))


def test_axe_finds_no_serious_violation_on_the_main_views(
    browser: Any, demo: DemoServer, axe: Path
) -> None:
    found: dict[str, list[str]] = {}
    with visiting(browser, demo, axe=True, width=1280, height=800) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        card = claimed_card(visitor)
        found["channel, with the guide"] = serious(axe_violations(page, axe))
        card.locator(".thread-summary").click()
        expect(page.locator("#thread")).to_contain_text("claimed this lead")
        found["thread open"] = serious(axe_violations(page, axe))
        page.click("#thread-close")
        card.locator(f"[data-action-id={ActionId.REJECT}]").click()
        expect(page.locator("#modal")).to_be_visible()
        found["modal open"] = serious(axe_violations(page, axe))
        page.keyboard.press("Escape")
        visitor.act_as(MARK)
        page.click(f'.sidebar-item[data-channel="{MARKETING}"]')
        page.fill("#composer-input", "/leadfeedback help")
        page.press("#composer-input", "Enter")
        expect(visitor.ephemerals().locator("code").first).to_be_visible()
        found["an answer with inline code"] = serious(axe_violations(page, axe))
        page.set_viewport_size({"width": 390, "height": 844})
        page.click("#sidebar-toggle")
        expect(page.locator("#sidebar")).to_be_visible()
        found["390 px, sidebar open"] = serious(axe_violations(page, axe))
    assert found == {view: [] for view in found}


def test_the_modal_takes_focus_traps_tab_and_gives_it_back(browser: Any, demo: DemoServer) -> None:
    with visiting(browser, demo) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        card = claimed_card(visitor)
        reject = card.locator(f"[data-action-id={ActionId.REJECT}]")
        reject.focus()
        page.keyboard.press("Enter")  # as a keyboard user opens it
        expect(page.locator("#modal")).to_be_visible()
        expect(page.locator("#modal-body select")).to_be_focused()  # the first field
        assert page.evaluate("document.querySelector('#main').inert")

        page.keyboard.press("Shift+Tab")  # from the first field to the close button before it ...
        expect(page.locator("#modal-x")).to_be_focused()
        page.keyboard.press("Shift+Tab")  # ... and round to the last button
        expect(page.locator("#modal-submit")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#modal-x")).to_be_focused()
        for _ in range(7):
            page.keyboard.press("Tab")
            assert visitor.focused("#modal"), "Tab left the modal"

        page.keyboard.press("Escape")
        expect(page.locator("#modal-backdrop")).to_be_hidden()
        expect(card.locator(f"[data-action-id={ActionId.REJECT}]")).to_be_focused()
        assert not page.evaluate("document.querySelector('#main').inert")


def test_after_a_rejection_the_focus_returns_to_the_card(browser: Any, demo: DemoServer) -> None:
    with visiting(browser, demo) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        card = claimed_card(visitor)
        card.locator(f"[data-action-id={ActionId.REJECT}]").click()
        page.select_option("#modal-body select", "no_budget")
        page.click("#modal-submit")
        expect(card.locator(".bk-header")).to_contain_text("Returned to marketing")
        # Its Reject button is gone with the decision, so the card itself has the focus.
        wait_for(lambda: visitor.focused(f'.msg[data-ts="{card.get_attribute("data-ts")}"]'))
