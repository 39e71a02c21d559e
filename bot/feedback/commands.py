"""/leadfeedback's data subcommands: stats, reasons, sources, lead, mine, digest, export.

Each subcommand parses its arguments (UsageError for anything it does not
understand, so the person sees that subcommand's usage), reads its figures
through bot/feedback/reports.py, and renders them with messages/feedback.py. The
dispatcher (handlers/slack/leadfeedback.py) has already acked, so slow work here
never risks Slack's 3-second limit.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import func, or_
from sqlmodel import select

from bot.feedback import digest, reports
from bot.runtime.services import Services
from bot.runtime.subcommands import Audience, CommandRequest, Subcommand, UsageError
from bot.slack.directory import display_names
from bot.slack.permalinks import card_permalinks
from bot.timekeeping.periods import Period, PeriodError, digest_week, parse_iso_week, parse_period
from messages import digest as digest_views
from messages import feedback as views
from messages.notices import notice
from messages.rendering import Mrkdwn, channel_link, escape_mrkdwn, mention, slack_date
from messages.slack_message import SlackMessage
from storage.events import lead_events
from storage.feedback_models import DigestTrigger
from storage.models import Lead, LeadState
from storage.outcomes import as_lead_id, lead_outcomes

DEFAULT_PERIOD = "30d"
MINE_LIMIT = 20
SOURCE_PREFIX = "source:"


# --- argument parsing ----------------------------------------------------------------------


def period_and_source(
    args: list[str], services: Services, *, allow_source: bool = True
) -> tuple[Period, str | None]:
    """`[period] [source:NAME]` in any order, periods in the team's time zone."""
    period_text: str | None = None
    source: str | None = None
    for arg in args:
        if allow_source and arg.lower().startswith(SOURCE_PREFIX):
            if source is not None:
                raise UsageError("Give at most one source:NAME.")
            source = arg[len(SOURCE_PREFIX) :].strip()
            if not source:
                raise UsageError("Write the source after the colon, e.g. source:webinar-nov.")
        elif period_text is None:
            period_text = arg
        else:
            raise UsageError(f"`{arg}` is one argument too many.")
    try:
        period = parse_period(
            period_text,
            now=services.clock.now(),
            zone=services.settings.team.zone,
            default=DEFAULT_PERIOD,
        )
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    return period, source


def no_args(args: list[str]) -> None:
    if args:
        raise UsageError(f"`{args[0]}`: this subcommand takes no arguments.")


# --- the subcommands ---------------------------------------------------------------------


async def run_stats(services: Services, request: CommandRequest) -> SlackMessage:
    period, source = period_and_source(request.args, services)
    report = await reports.stats_report(
        services.db, period, now=services.clock.now(), source=source
    )
    message = views.stats_message(report, crm=services.settings.team.crm.enabled)
    for section in services.registry.stats_sections:
        message.blocks.extend(await section(period.start, period.end, source))
    return message


async def run_reasons(services: Services, request: CommandRequest) -> SlackMessage:
    period, source = period_and_source(request.args, services)
    report = await reports.reasons_report(services.db, period, source=source)
    return views.reasons_message(report, services.settings.team)


async def run_sources(services: Services, request: CommandRequest) -> SlackMessage:
    period, _ = period_and_source(request.args, services, allow_source=False)
    report = await reports.sources_report(services.db, period)
    return views.sources_message(report, services.settings.team)


async def run_lead(services: Services, request: CommandRequest) -> SlackMessage:
    if len(request.args) != 1:
        raise UsageError("Name one lead: its email address or its id.")
    ref = request.args[0].strip().strip("<>")
    if ref.startswith("mailto:"):
        # Slack turns a typed address into <mailto:a@b.co|a@b.co>.
        ref = ref.removeprefix("mailto:").split("|", 1)[0]
    async with services.db.session() as session:
        if "@" in ref:
            statement = select(Lead).where(func.lower(Lead.email) == ref.lower())
        else:
            lead_id = as_lead_id(ref)
            matches = [Lead.external_id == ref] + ([Lead.id == lead_id] if lead_id else [])
            statement = select(Lead).where(or_(*matches))
        found = list((await session.exec(statement.order_by(Lead.id.desc()).limit(11))).all())
        if not found:
            return notice(f"No lead matches {ref!r}.")
        lead = found[0]
        events = await lead_events(session, lead.id or 0)
        outcomes = await lead_outcomes(session, lead.id or 0)
    links = await card_permalinks(services.client, [lead])
    team = services.settings.team
    return views.lead_message(
        lead,
        views.timeline(lead, events, outcomes, team),
        permalink=links.get(lead.id or 0),
        others=[other.id or 0 for other in found[1:]],
        team=team,
        now=services.clock.now(),
    )


async def run_mine(services: Services, request: CommandRequest) -> SlackMessage:
    no_args(request.args)
    mine = (Lead.owner_id == request.user_id, Lead.state == LeadState.CLAIMED)
    async with services.db.session() as session:
        total = (await session.exec(select(func.count()).select_from(Lead).where(*mine))).one()
        leads = list(
            (
                await session.exec(
                    select(Lead).where(*mine).order_by(Lead.due_at, Lead.id).limit(MINE_LIMIT)
                )
            ).all()
        )
    links = await card_permalinks(services.client, leads)
    return views.mine_message(leads, links, total=int(total), now=services.clock.now())


async def run_digest(services: Services, request: CommandRequest) -> SlackMessage:
    team = services.settings.team
    now = services.clock.now()
    args = [a.lower() for a in request.args]
    if args == ["post"]:
        return await _post_digest(services, request.user_id, now)
    if len(args) > 1:
        raise UsageError("Use `digest`, `digest post` or `digest YYYY-Www`.")
    try:
        week = (
            parse_iso_week(args[0], now=now, zone=team.zone)
            if args
            else digest_week(now, team.zone)
        )
    except PeriodError as exc:
        raise UsageError(str(exc)) from None
    report = await reports.digest_report(services.db, week, now=now, zone=team.zone)
    links = await card_permalinks(services.client, [*report.breaches.leads, *report.overdue.leads])
    sections = await digest.gather_sections(services, week)
    return digest_views.digest_preview(
        digest_views.digest_main(report, team),
        digest_views.digest_details(report, team, permalinks=links, sections=sections),
    )


async def _post_digest(services: Services, user_id: str, now: datetime) -> SlackMessage:
    team = services.settings.team
    if team.channels.alignment is None:
        return notice("There is no alignment channel: set channels.alignment in app.yaml.")
    week = digest_week(now, team.zone)
    request = await digest.request_digest(
        services, week, trigger=DigestTrigger.MANUAL, requested_by=user_id
    )
    where = channel_link(team.channels.alignment)
    if request.queued:
        return notice(Mrkdwn(f":outbox_tray: Posting the digest for {week.key} to {where} now."))
    return notice(
        Mrkdwn(
            f"The digest for {week.key} was already posted by hand "
            f"by {mention(request.post.requested_by)} on {slack_date(request.post.created_at)}; "
            f"the scheduled one goes out on its own. Look in {where}."
        )
    )


async def run_export(services: Services, request: CommandRequest) -> SlackMessage:
    period, _ = period_and_source(request.args, services, allow_source=False)
    team = services.settings.team
    now = services.clock.now()
    content, count = await reports.export_csv(
        services.db,
        period,
        now=now,
        zone=team.zone,
        owner_names=partial(display_names, services.client),
    )
    if count == 0:
        return notice(f"No leads arrived in {period.label}; there is nothing to export.")
    filename = f"handoff-leads-{period.key}-{now.astimezone(team.zone):%Y%m%d}.csv"
    opened = await services.client.conversations_open(users=request.user_id)
    await services.client.files_upload_v2(
        channel=opened["channel"]["id"],
        file=content,
        filename=filename,
        title=f"Leads, {period.label}",
        initial_comment=f"{count:,} leads from {escape_mrkdwn(period.label)}.",
    )
    return views.export_sent_message(filename, count, period.label, team.timezone)


def subcommands(services: Services) -> list[Subcommand]:
    """The data subcommands, each bound to this app's services."""
    return [
        Subcommand(
            "stats",
            "stats [7d|30d|90d|quarter|YYYY-MM] [source:NAME]",
            "The funnel: MQLs, claimed, accepted, rejected, still open, acceptance rate, "
            "time to claim and to decision, SLA, and the change against the period before "
            f"(default {DEFAULT_PERIOD}).",
            Audience.MARKETERS,
            partial(run_stats, services),
            ["stats", "stats 90d", "stats 2025-03 source:webinar-nov"],
        ),
        Subcommand(
            "reasons",
            "reasons [period] [source:NAME]",
            "Why sales rejected leads: reasons ranked with count and share, "
            "and the latest comments.",
            Audience.MARKETERS,
            partial(run_reasons, services),
            ["reasons", "reasons quarter source:ebook"],
        ),
        Subcommand(
            "sources",
            "sources [period]",
            "One row per source: MQLs, acceptance rate, top rejection reason, response time, "
            "and opportunities, wins and won amount from the CRM.",
            Audience.MARKETERS,
            partial(run_sources, services),
            ["sources", "sources 90d"],
        ),
        Subcommand(
            "lead",
            "lead EMAIL|ID",
            "One lead's timeline (posted, claimed, nudged, rejected, outcome) "
            "with a link to its card.",
            Audience.MARKETERS,
            partial(run_lead, services),
            ["lead ana@example.com", "lead 42"],
        ),
        Subcommand(
            "mine",
            "mine",
            "Your claimed leads and their deadlines.",
            Audience.EVERYONE,
            partial(run_mine, services),
            ["mine"],
        ),
        Subcommand(
            "digest",
            "digest [post|YYYY-Www]",
            "Preview this week's alignment digest privately; `digest post` posts it now.",
            Audience.MARKETERS,
            partial(run_digest, services),
            ["digest", "digest post", "digest 2025-W09"],
        ),
        Subcommand(
            "export",
            "export [period]",
            "A CSV of the period's leads (state, owner, reason, comment, timings, outcome) "
            "in a DM.",
            Audience.MARKETERS,
            partial(run_export, services),
            ["export", "export 2025-03"],
        ),
    ]
