"""The template environment: Block Kit JSON from Jinja2, safe by default.

Templates are JSON documents in which `{{ value }}` appears only inside JSON
string literals. Every interpolated value is escaped twice on its way out:
for Slack mrkdwn (`&`, `<`, `>` only, as Slack's formatting guide asks) so that
a lead named `<!channel>` pings nobody, and for JSON so that quotes and
newlines cannot break the document. Code that builds mrkdwn on purpose (a user
mention, a date token, a link) wraps it in `Mrkdwn`, and URLs for button `url`
fields go through the `url` filter; both skip only the mrkdwn step.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from messages import block_limits as limits
from messages.ids import Command

TEMPLATES = Path(__file__).parent / "templates"
ELLIPSIS = "…"


class Mrkdwn(str):
    """Text that the code composed as mrkdwn and vouches for; not escaped again."""


def escape_mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_string_body(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _finalize(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Mrkdwn):
        return _json_string_body(str(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _json_string_body(escape_mrkdwn(str(value)))


def clip(value: Any, length: int) -> str:
    """Cut an untrusted value to `length` characters before it is escaped."""
    text = "" if value is None else str(value)
    return text if len(text) <= length else text[: length - 1].rstrip() + ELLIPSIS


def safe_url(value: Any) -> Mrkdwn | None:
    """An http(s) URL fit for a button's `url` or a mrkdwn link, or None."""
    if not value:
        return None
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 3000:
        return None
    # `<`, `>` and `|` would end or split a mrkdwn link; spaces break it.
    return Mrkdwn(quote(text, safe=":/?#[]@!$&'()*+,;=%~-._"))


def link(url: Any, label: Any) -> Mrkdwn:
    """A mrkdwn link whose label is escaped; just the label when the URL is unsafe."""
    target = safe_url(url)
    text = escape_mrkdwn(str(label)).replace("|", "¦")
    return Mrkdwn(f"<{target}|{text}>") if target else Mrkdwn(text)


def mention(user_id: str | None) -> Mrkdwn:
    if not user_id or not re.fullmatch(r"[UW][A-Z0-9]+", user_id):
        return Mrkdwn("someone")
    return Mrkdwn(f"<@{user_id}>")


def channel_link(channel_id: str | None) -> Mrkdwn:
    if not channel_id or not re.fullmatch(r"[CGD][A-Z0-9]+", channel_id):
        return Mrkdwn(escape_mrkdwn(channel_id or "the channel"))
    return Mrkdwn(f"<#{channel_id}>")


def slack_date(moment: datetime | None, token: str = "{date_short_pretty} at {time}") -> Mrkdwn:
    """A date Slack shows in each viewer's own time zone, with a UTC fallback."""
    if moment is None:
        return Mrkdwn("")
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return Mrkdwn(f"<!date^{int(moment.timestamp())}^{token}|{fallback}>")


def number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def noun(count: int | None, singular: str, plural: str | None = None) -> str:
    """The noun that agrees with `count`: "lead" for 1, "leads" for 0 or 2.

    The one rule for counts in messages; `plural` is for nouns that don't just add
    an s ("opportunities"). Templates: `*{{ n }}* {{ n | noun('rep') }}`.
    """
    return singular if count == 1 else (plural or f"{singular}s")


def counted(count: int | None, singular: str, plural: str | None = None) -> str:
    """A count and its noun: "1 lead", "2 leads", "1,204 MQLs" (`{{ n | counted('lead') }}`)."""
    return f"{number(count or 0)} {noun(count, singular, plural)}"


def block_quote(text: Any) -> Mrkdwn:
    """Untrusted text as a mrkdwn block quote: Slack quotes one line per `>`, so every line
    of a multi-line comment gets its own (the text itself is escaped here)."""
    lines = ("" if text is None else str(text)).splitlines() or [""]
    return Mrkdwn("\n".join(f"> {escape_mrkdwn(line)}" for line in lines))


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=False,  # HTML escaping is wrong for Slack; _finalize does Slack's.
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        clip=clip, url=safe_url, number=number, noun=noun, counted=counted, quote=block_quote
    )
    env.globals.update(
        mention=mention,
        link=link,
        channel_link=channel_link,
        slack_date=slack_date,
        limits=limits,
        command=str(Command.LEADFEEDBACK),
    )
    return env


def render(template_name: str, **context: Any) -> Any:
    """Render a template to Python data; JSON errors raise (a template bug, not user input)."""
    text = environment().get_template(template_name).render(**context)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{template_name} rendered invalid JSON: {exc}\n{text}") from exc
    return fit_to_limits(data)


def cut_text(text: str, length: int) -> str:
    """Cut escaped text without splitting an entity (&amp;) or a <…> token."""
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return cut.rstrip() + ELLIPSIS


# Which limit applies to a text object, by (type of the parent, key of the text).
_TEXT_LIMITS = {
    ("header", "text"): limits.MAX_HEADER_TEXT,
    ("section", "text"): limits.MAX_SECTION_TEXT,
    ("section", "fields"): limits.MAX_FIELD_TEXT,
    ("button", "text"): limits.MAX_BUTTON_TEXT,
    ("option", "text"): limits.MAX_OPTION_TEXT,
    ("modal", "title"): limits.MAX_MODAL_TITLE,
    ("modal", "submit"): limits.MAX_MODAL_TITLE,
    ("modal", "close"): limits.MAX_MODAL_TITLE,
    ("input", "label"): limits.MAX_INPUT_LABEL,
    ("input", "hint"): limits.MAX_INPUT_HINT,
}


def fit_to_limits(node: Any, limit: int = limits.MAX_MESSAGE_TEXT) -> Any:
    """Enforce Block Kit's length limits everywhere, so no value can make Slack refuse a post."""
    if isinstance(node, list):
        return [fit_to_limits(item, limit) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
        return {**node, "text": cut_text(node["text"], limit)}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "text" and isinstance(value, str):
            result[key] = cut_text(value, limits.MAX_MESSAGE_TEXT)
        elif key in ("options", "initial_option", "initial_options"):
            result[key] = _fit_options(value)
        elif key == "placeholder":
            result[key] = fit_to_limits(value, limits.MAX_PLACEHOLDER_TEXT)
        elif key == "fields" and kind == "section" and isinstance(value, list):
            result[key] = fit_to_limits(value[: limits.MAX_FIELDS], limits.MAX_FIELD_TEXT)
        elif key == "elements" and kind == "context" and isinstance(value, list):
            result[key] = fit_to_limits(
                value[: limits.MAX_CONTEXT_ELEMENTS], limits.MAX_SECTION_TEXT
            )
        else:
            result[key] = fit_to_limits(
                value, _TEXT_LIMITS.get((kind or "", key), limits.MAX_SECTION_TEXT)
            )
    return result


def _fit_options(value: Any) -> Any:
    if isinstance(value, list):
        return [_fit_options(item) for item in value]
    if isinstance(value, dict) and "text" in value:
        return {**value, "text": fit_to_limits(value["text"], limits.MAX_OPTION_TEXT)}
    return value
