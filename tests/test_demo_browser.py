"""The demo page in Debian's Chromium, driven by Playwright: what a visitor sees and does.

Needs /usr/bin/chromium (`apt-get install chromium`). Without it these tests are
skipped, except where HANDOFF_REQUIRE_BROWSER=1 (CI), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.demo.samples import load_samples
from messages.ids import ActionId, BlockId
from tests.demo_harness import (
    ALIGNMENT,
    ANA,
    BEN,
    MARIA,
    MARK,
    MARKETING,
    SUNDAY_MORNING,
    DemoServer,
    Visitor,
    chromium,
    visiting,
)
from tests.harness import wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# What the message-box test types after /leadfeedback, and a phrase of the answer.
# Switch to ("stats", <a phrase of the stats answer>) once the stats subcommand lands.
LEADFEEDBACK_ARGS, LEADFEEDBACK_ANSWER = "stats 7d", "Lead funnel"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def demo(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    with DemoServer(sqlite_url, config_path=tmp_path / "no-app.yaml") as server:
        yield server


@pytest.fixture
def visitor(browser: Any, demo: DemoServer) -> Iterator[Visitor]:
    with visiting(browser, demo) as seen:
        yield seen


def test_claim_refusal_and_rejection_through_the_page(visitor: Visitor, demo: DemoServer) -> None:
    page, expect = visitor.page, visitor.expect
    visitor.open(ANA)
    expect(page.locator("#channel-title")).to_have_text("# sales-leads")
    page.click("#send-lead")
    expect(page.locator(".toast").first).to_contain_text("POST /api/leads → 201 created")
    card = visitor.cards().first
    expect(card.locator(".bk-header")).to_have_text("New MQL: Lena Hoffmann")
    ts = card.get_attribute("data-ts")
    card = visitor.message(ts)

    # Slack is slow to update the card: Ben still sees Claim after Ana has won.
    demo.workspace.faults.inject("chat.update", delay=5)
    card.locator(f"[data-action-id={ActionId.CLAIM}]").click()
    wait_for(lambda: demo.lead_states() == ["claimed"], what="Ana's claim stored")
    visitor.act_as(BEN)
    card.locator(f"[data-action-id={ActionId.CLAIM}]").click()
    refusal = visitor.ephemerals()
    expect(refusal).to_have_count(1)
    expect(refusal).to_contain_text("Only visible to you")
    expect(refusal).to_contain_text("This lead is already claimed by @Ana Rep.")
    expect(card.locator(".bk-header")).to_have_text("MQL claimed: Lena Hoffmann")

    visitor.act_as(ANA)
    # The card's other context line is the lead's fit to the demo's MQL definition.
    owner = card.locator(".bk-context", has_text="Claimed by")
    expect(owner).to_contain_text("Claimed by @Ana Rep")
    expect(card.locator(f"[data-action-id={ActionId.ACCEPT}]")).to_be_visible()
    expect(visitor.ephemerals()).to_have_count(0)  # Ben's refusal was his alone

    card.locator(f"[data-action-id={ActionId.REJECT}]").click()
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(page.locator("#modal-title")).to_have_text("Reject lead")
    page.click("#modal-submit")  # like Slack's client: no reason, no submission
    reason = modal.locator(f'[data-block-id="{BlockId.REJECT_REASON}"]')
    expect(reason.locator(".bk-error")).to_have_text("Please complete this required field.")
    reason.locator("select").select_option("other")
    page.click("#modal-submit")  # the bot answers with a field error: "other" needs a comment
    comment = modal.locator(f'[data-block-id="{BlockId.REJECT_COMMENT}"]')
    expect(comment.locator(".bk-error")).to_contain_text("comment")
    expect(reason.locator("select")).to_have_value("other")  # kept across the re-render
    comment.locator("textarea").fill("Only wanted the *free* e-book")
    page.click("#modal-submit")
    expect(page.locator("#modal-backdrop")).to_be_hidden()
    expect(card.locator(".bk-header")).to_have_text("Returned to marketing: Lena Hoffmann")
    expect(card.locator(".bk-context b")).to_have_text(["Other", "free"])

    card.locator(".thread-summary").click()
    thread = page.locator("#thread")
    expect(thread).to_contain_text("@Ana Rep claimed this lead.")
    expect(thread).to_contain_text("@Ana Rep rejected this lead: Other")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-channel.png"))

    page.click(f'.sidebar-item[data-channel="{MARKETING}"]')
    expect(page.locator("#channel-title")).to_have_text("# marketing")
    expect(visitor.cards().first).to_contain_text("Only wanted the free e-book")


def test_leadfeedback_from_the_message_box(visitor: Visitor) -> None:
    page, expect = visitor.page, visitor.expect
    visitor.open(MARK)
    page.fill("#composer-input", f"/leadfeedback {LEADFEEDBACK_ARGS}")
    page.press("#composer-input", "Enter")
    answer = visitor.ephemerals()
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text(LEADFEEDBACK_ANSWER)
    expect(page.locator("#composer-input")).to_have_value("")
    visitor.act_as(ANA)
    expect(visitor.ephemerals()).to_have_count(0)


@pytest.fixture
def sunday(sqlite_url: str, tmp_path: Path) -> Iterator[DemoServer]:
    """A demo whose clock starts at 07:00 on a Sunday in Berlin (see SUNDAY_MORNING)."""
    with DemoServer(
        sqlite_url, config_path=tmp_path / "no-app.yaml", start=SUNDAY_MORNING
    ) as server:
        yield server


def test_a_day_from_sunday_morning_shows_mondays_digest(browser: Any, sunday: DemoServer) -> None:
    with visiting(browser, sunday) as visitor:
        page, expect = visitor.page, visitor.expect
        visitor.open(MARIA)
        expect(page.locator("#demo-clock")).to_contain_text("Sun, Feb 1, 7:0")
        page.click("#ff-day")
        # Not Monday 07:00, two hours before the digest: the day's posts are due on landing.
        # The walk stops at 09:00 to render the digest's chart first, which on a busy
        # machine takes longer than the default wait.
        expect(page.locator("#demo-clock")).to_contain_text("Mon, Feb 2, 10:0", timeout=30_000)
        expect(page.locator("#demo-offset")).to_have_text("1d 3h ahead")
        alignment = page.locator(f'.sidebar-item[data-channel="{ALIGNMENT}"]')
        expect(alignment.locator(".badge")).to_be_visible()
        alignment.click()
        expect(page.locator("#messages .day-divider")).to_have_text("Monday 2 February")
        digest = visitor.cards().first
        expect(digest.locator(".bk-header")).to_contain_text("Weekly lead digest · 2026-W05")
        expect(digest.locator(".msg-time")).to_have_text("9:00 AM")


def test_fast_forward_to_the_nudge_shows_it_in_the_reps_dm(
    visitor: Visitor, demo: DemoServer
) -> None:
    page, expect = visitor.page, visitor.expect
    visitor.open(ANA)
    demo.send_lead()
    card = visitor.cards().first
    card.locator(f"[data-action-id={ActionId.CLAIM}]").click()
    wait_for(lambda: demo.lead_states() == ["claimed"], what="Ana's claim stored")
    # The SLA is 24h with nudges 4h and 1h before: 19 hours on, then one more from the page.
    assert demo.post("fast-forward", {"by": "19h"}).status_code == 200
    page.click("#ff-hour")
    dm = page.locator("#dm-list .sidebar-item")
    expect(dm).to_have_count(1)
    dm.click()
    nudge = visitor.cards().last
    expect(nudge).to_contain_text("left to respond to")
    expect(nudge).to_contain_text("Lena Hoffmann")
    expect(nudge.locator(f"[data-action-id={ActionId.ACCEPT}]")).to_be_visible()


def test_a_hostile_lead_is_shown_as_plain_text(visitor: Visitor, demo: DemoServer) -> None:
    page, expect = visitor.page, visitor.expect
    hostile = next(i for i, s in enumerate(load_samples()) if "<script>" in s.get("first_name", ""))
    visitor.open(ANA)
    demo.send_lead(index=hostile)
    card = visitor.cards().first
    expect(card.locator(".bk-header")).to_have_text("New MQL: <script>alert(1)</script> <!channel>")
    expect(card).to_contain_text("<img src=x onerror=alert(2)>")
    expect(card).to_contain_text("<!here> & <@U0MGR>")
    expect(card).to_contain_text("<https://evil.example.com|click here>")
    assert page.locator("#messages script, #messages img, #messages iframe").count() == 0
    expect(card.locator(".mention")).to_have_count(0)  # no @channel, @here or @Maria
    links = card.locator("a")
    expect(links).to_have_count(1)  # only the card's own "Open in CRM" button
    assert links.get_attribute("href") == "https://crm.example.com/contacts/20007"
    assert links.get_attribute("rel") == "noopener noreferrer"
    assert links.get_attribute("target") == "_blank"
    page.wait_for_timeout(300)
    assert visitor.dialogs == []
    assert page.evaluate("document.title") == "Handoff demo"


RENDER_PROBE = Path(__file__).with_name("demo_render_probe.js")


def test_the_renderer_draws_a_faithful_subset_and_labels_the_rest(visitor: Visitor) -> None:
    visitor.open(ANA)
    out = visitor.page.evaluate(RENDER_PROBE.read_text())
    assert "<b>bold</b>" in out["formatting"] and "<i>it</i>" in out["formatting"]
    assert "<s>gone</s>" in out["formatting"]
    assert '<code class="code">co*de*</code>' in out["formatting"]
    assert '<pre class="pre">pre _x_</pre>' in out["formatting"]
    assert "snake_case_name 2*3*4" in out["formatting"]
    assert out["mentions"] == "@Ana Rep @U0NOBODY #sales-leads @sales-reps @here @channel"
    assert out["mentionMe"]
    assert (
        '<a class="link" href="https://example.com/" target="_blank" '
        'rel="noopener noreferrer">site</a>' in out["links"]
    )
    assert '<span class="unsafe-link">bad</span>' in out["links"]
    assert 'href="mailto:a@example.com"' in out["links"]
    assert ">https://example.com</a>" in out["links"]
    assert "&lt;b&gt;x&lt;/b&gt; &amp;lt;script&amp;gt;" in out["entities"]
    assert "<b>&lt;i&gt;</b>" in out["entities"]
    assert out["date"] == "Today at 11:00 AM"
    assert out["dateLong"] == "Thursday, January 1st, 2026 2026-01-01 just now"
    assert out["dateOther"] == "Dec 30, 2025"
    assert out["dateBad"] == "the fallback"
    assert out["emoji"] == "✅ :constructor: :no_such_emoji:"
    # Slack's block quotes: ">" or the escaped "&gt;" at a line's start; ">>>" quotes the rest.
    assert out["quotes"] == (
        '<span class="mrkdwn">before<blockquote class="quote">quoted <b>b</b>\nalso'
        '</blockquote>after <code class="code">&gt; no</code>\n<pre class="pre">&gt; in pre\n'
        '</pre><blockquote class="quote">rest\nmore</blockquote></span>'
    )
    assert out["header"] == "A & B 🎉"
    assert out["unsupported"] == [
        "[unsupported element: timepicker]",
        "[unsupported element: datepicker]",
        "[unsupported block: rich_text]",
        "[unsupported block: video]",
    ]
    assert "primary" in out["primary"] and "danger" in out["danger"]
    assert 'href="https://example.com/x"' in out["web"]
    assert 'rel="noopener noreferrer"' in out["web"] and 'target="_blank"' in out["web"]
    assert out["js"].startswith("<button") and "disabled" in out["js"]
    assert "javascript" not in out["js"]
    assert out["images"] == ["https://example.com/i.png", "https://example.com/chart.png"]
    assert out["badImage"] == "bad image"
    assert out["fields"] == ["Score\n91", "x"]
    assert out["clicks"] == [
        {"action_id": "yes", "block_id": "acts", "value": None},
        {"action_id": "pick", "block_id": "acts", "value": "1"},
    ]
