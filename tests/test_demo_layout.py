"""What a visitor sees of the demo page: the guide, a phone-sized window, the digest's
chart in the thread pane, quotes, toasts that keep out of the way.

Chromium through Playwright; see tests/demo_harness.py for when these are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from messages.ids import ActionId, BlockId
from tests.demo_harness import (
    ALIGNMENT,
    ANA,
    LEADS,
    MARIA,
    MARK,
    MARKETING,
    SUNDAY_MORNING,
    DemoServer,
    box,
    chromium,
    inside,
    overlap,
    visiting,
)
from tests.harness import wait_for

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml") as server:
        yield server


@pytest.fixture
def sunday(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    with DemoServer(
        sqlite_url, config_path=tmp_path / "no-app.yaml", start=SUNDAY_MORNING
    ) as server:
        yield server


def test_the_guide_shows_on_first_load_and_stays_dismissed(browser: Any, demo: DemoServer) -> None:
    with visiting(browser, demo) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        guide = page.locator("#guide")
        expect(guide).to_be_visible()
        expect(guide).to_contain_text("You are Ana Rep, a sales rep.")
        for step in ("Acting as", "Claim", "Reject", "/leadfeedback stats", "+1 day"):
            expect(guide).to_contain_text(step)
        visitor.act_as(MARIA)
        expect(page.locator("#guide-who")).to_have_text("Maria Manager, a sales manager")

        page.click("#guide-close")
        expect(guide).to_be_hidden()
        assert visitor.focused("#guide-open")
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-as", MARIA)  # the page has run
        expect(guide).to_be_hidden()
        page.click("#guide-open")  # and it can be had back
        expect(guide).to_be_visible()


def test_a_phone_sized_window_is_usable(browser: Any, demo: DemoServer) -> None:
    with visiting(browser, demo, **PHONE) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        demo.send_lead()
        card = visitor.cards().first
        claim = card.locator(f"[data-action-id={ActionId.CLAIM}]")
        claim.scroll_into_view_if_needed()
        claim.click()  # Playwright clicks only what is visible, enabled and not covered
        expect(card.locator(".bk-header")).to_contain_text("MQL claimed")
        for control in ("#composer-input", "#composer-send", "#ff-day", "#send-lead", "#as"):
            expect(page.locator(control)).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.fill("#composer-input", "/leadfeedback help")
        page.click("#composer-send")
        expect(visitor.ephemerals()).to_contain_text("/leadfeedback")

        # The sidebar is a drawer behind ☰; picking a channel closes it.
        expect(page.locator("#sidebar")).to_be_hidden()
        page.click("#sidebar-toggle")
        expect(page.locator("#sidebar")).to_be_visible()
        page.click(f'.sidebar-item[data-channel="{MARKETING}"]')
        expect(page.locator("#sidebar")).to_be_hidden()
        expect(page.locator("#channel-title")).to_have_text("# marketing")


def test_on_a_phone_the_thread_and_the_modal_fit_the_screen(browser: Any, demo: DemoServer) -> None:
    with visiting(browser, demo, **PHONE) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(ANA)
        page.click("#guide-close")
        demo.send_lead()
        card = visitor.cards().first
        card.locator(f"[data-action-id={ActionId.CLAIM}]").click()
        card.locator(".thread-summary").click()
        thread = page.locator("#thread")
        expect(thread).to_contain_text("@Ana Rep claimed this lead.")
        screen = {"x": 0, "y": 0, **PHONE}
        assert inside(box(thread), screen)
        assert not overlap(box(thread), box(page.locator("#topbar")))  # the controls stay
        page.click("#thread-close")
        expect(thread).to_be_hidden()

        card.locator(f"[data-action-id={ActionId.REJECT}]").click()
        modal = page.locator("#modal")
        expect(modal).to_be_visible()
        assert inside(box(modal), screen)
        expect(page.locator("#modal-submit")).to_be_in_viewport()
        page.keyboard.press("Escape")
        expect(modal).to_be_hidden()


def test_the_digest_chart_fits_the_thread_pane(browser: Any, sunday: DemoServer) -> None:
    with visiting(browser, sunday, width=1280, height=800) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(MARIA)
        sunday.post("fast-forward", {"by": "1d"})
        page.click(f'.sidebar-item[data-channel="{ALIGNMENT}"]')
        visitor.cards().first.locator(".thread-summary").click()
        chart = page.locator("#thread .file-image")
        expect(chart).to_be_visible()
        wait_for(lambda: chart.evaluate("img => img.naturalWidth") > 0, what="the chart loaded")
        assert chart.evaluate("img => img.naturalWidth") > box(page.locator("#thread"))["width"]
        pane = box(page.locator("#thread-messages"))
        shown = box(chart)
        assert shown["width"] <= pane["width"] and inside(shown, {**pane, "height": 10**6})


def test_a_rejection_comment_is_drawn_as_a_quote(browser: Any, demo: DemoServer) -> None:
    demo.send_lead()
    (card,) = demo.wait_for_cards(1)
    demo.post("click", {"as": ANA, "channel": LEADS, "ts": card.ts, "action_id": ActionId.REJECT})
    view = wait_for(lambda: demo.state(ANA)["view"], what="the reject modal")
    values = {
        BlockId.REJECT_REASON: {ActionId.REJECT_REASON: "other"},
        BlockId.REJECT_COMMENT: {ActionId.REJECT_COMMENT: "Wanted the e-book\n> not a buyer"},
    }
    assert demo.post("submit", {"as": ANA, "view_id": view["id"], "values": values}).json()["ok"]
    with visiting(browser, demo) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(MARK)
        page.click(f'.sidebar-item[data-channel="{MARKETING}"]')
        page.fill("#composer-input", "/leadfeedback reasons 7d")
        page.press("#composer-input", "Enter")
        quote = visitor.ephemerals().locator("blockquote.quote")
        # Both lines of the comment are in the quote; the rep's own ">" stays a character.
        expect(quote).to_contain_text("Wanted the e-book\n> not a buyer")
        expect(visitor.ephemerals()).not_to_contain_text("&gt;")


def test_fast_forward_says_what_happened_in_words_out_of_the_way(
    browser: Any, sunday: DemoServer
) -> None:
    for size in ({"width": 1280, "height": 800}, PHONE):
        with visiting(browser, sunday, **size) as visitor:
            page, expect = visitor.page, visitor.expect
            visitor.open(MARIA)
            page.click("#ff-hour")
            toast = page.locator(".toast").last
            expect(toast).to_contain_text("The bot's clock is now")
            shown = box(toast)
            for control in ("#composer", "#topbar"):
                assert not overlap(shown, box(page.locator(control))), control
    with visiting(browser, sunday) as visitor:
        visitor.open(MARIA)
        visitor.page.click("#ff-day")
        toast = visitor.page.locator(".toast").last
        # The walk renders the digest's chart on the way: slow on a busy machine.
        visitor.expect(toast).to_contain_text("in #revenue-alignment", timeout=30_000)
        words = toast.text_content() or ""
        assert "weekly_digest" not in words and "sla_sweep" not in words and "✓" not in words
