"""Block Kit limits, and the checks the fake workspace runs on every block payload.

The numbers live in messages/block_limits.py, the one table the bot's renderer
truncates to and this fake enforces. Slack rejects a message or view whose blocks break any of
these with `invalid_blocks`, listing each problem in `response_metadata.messages` as
"[ERROR] <what> [json-pointer:<where>]"; `block_problems` returns those strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from messages.block_limits import (
    MAX_ACTION_ID,
    MAX_ACTIONS_ELEMENTS,
    MAX_BLOCK_ID,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_URL,
    MAX_BUTTON_VALUE,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER_TEXT,
    MAX_IMAGE_ALT_TEXT,
    MAX_INPUT_HINT,
    MAX_INPUT_LABEL,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    MAX_OVERFLOW_OPTIONS,
    MAX_PLACEHOLDER_TEXT,
    MAX_SECTION_TEXT,
    MIN_OVERFLOW_OPTIONS,
)

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)

_SELECTS_WITH_OPTIONS = frozenset(
    {"static_select", "multi_static_select", "radio_buttons", "checkboxes", "overflow"}
)


def block_problems(blocks: Any, *, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Everything wrong with `blocks`, as Slack words it; an empty list means valid."""
    if not isinstance(blocks, list):
        return [_problem("must be an array", pointer)]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(_problem(f"must be no more than {max_blocks} items", pointer))
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, Mapping):
            problems.append(_problem("must be an object", where))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            problems += length_problems(block_id, MAX_BLOCK_ID, f"{where}/block_id", minimum=1)
            if block_id in seen_block_ids:
                problems.append(_problem(f"duplicate block_id {block_id!r}", f"{where}/block_id"))
            seen_block_ids.add(block_id)
        problems += _block(block, where)
    return problems


def _block(block: Mapping[str, Any], where: str) -> list[str]:
    kind = block.get("type")
    if kind not in KNOWN_BLOCK_TYPES:
        return [_problem(f"unknown block type {kind!r}", f"{where}/type")]
    problems: list[str] = []
    if kind == "header":
        problems += text_problems(
            block.get("text"), MAX_HEADER_TEXT, f"{where}/text", plain_only=True
        )
    elif kind == "section":
        problems += _section(block, where)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append(_problem("must provide at least 1 element", f"{where}/elements"))
        else:
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                problems.append(
                    _problem(
                        f"must be no more than {MAX_ACTIONS_ELEMENTS} items", f"{where}/elements"
                    )
                )
            problems += _unique_action_ids(elements, f"{where}/elements")
            for index, element in enumerate(elements):
                problems += _element(element, f"{where}/elements/{index}")
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.append(_problem("must provide at least 1 element", f"{where}/elements"))
        elif len(elements) > MAX_CONTEXT_ELEMENTS:
            problems.append(
                _problem(f"must be no more than {MAX_CONTEXT_ELEMENTS} items", f"{where}/elements")
            )
    elif kind == "input":
        problems += text_problems(
            block.get("label"), MAX_INPUT_LABEL, f"{where}/label", plain_only=True
        )
        if block.get("hint") is not None:
            problems += text_problems(
                block.get("hint"), MAX_INPUT_HINT, f"{where}/hint", plain_only=True
            )
        element = block.get("element")
        if not isinstance(element, Mapping):
            problems.append(_problem("must provide an element", f"{where}/element"))
        else:
            problems += _element(element, f"{where}/element")
    elif kind == "image":
        problems += length_problems(
            block.get("alt_text"), MAX_IMAGE_ALT_TEXT, f"{where}/alt_text", 1
        )
    if not problems:
        problems += _sdk_check(block, where)
    return problems


def _section(block: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(_problem("must provide either text or fields", where))
    if text is not None:
        problems += text_problems(text, MAX_SECTION_TEXT, f"{where}/text")
    if fields is not None:
        if not isinstance(fields, list):
            problems.append(_problem("must be an array", f"{where}/fields"))
        else:
            if len(fields) > MAX_FIELDS:
                problems.append(_problem(f"must be no more than {MAX_FIELDS} items", where))
            for index, field in enumerate(fields):
                problems += text_problems(field, MAX_FIELD_TEXT, f"{where}/fields/{index}")
    accessory = block.get("accessory")
    if accessory is not None:
        problems += _element(accessory, f"{where}/accessory")
    return problems


def _element(element: Any, where: str) -> list[str]:
    if not isinstance(element, Mapping):
        return [_problem("must be an object", where)]
    problems: list[str] = []
    kind = element.get("type")
    if element.get("action_id") is not None:
        problems += length_problems(
            element.get("action_id"), MAX_ACTION_ID, f"{where}/action_id", 1
        )
    if kind == "button":
        problems += text_problems(
            element.get("text"), MAX_BUTTON_TEXT, f"{where}/text", plain_only=True
        )
        if element.get("value") is not None:
            problems += length_problems(element.get("value"), MAX_BUTTON_VALUE, f"{where}/value")
        if element.get("url") is not None:
            problems += length_problems(element.get("url"), MAX_BUTTON_URL, f"{where}/url")
        style = element.get("style")
        if style is not None and style not in ("primary", "danger"):
            problems.append(_problem("must be one of primary, danger", f"{where}/style"))
    elif kind in _SELECTS_WITH_OPTIONS:
        problems += _options(element, where, overflow=kind == "overflow")
    if isinstance(element.get("placeholder"), Mapping):
        problems += text_problems(
            element["placeholder"], MAX_PLACEHOLDER_TEXT, f"{where}/placeholder", plain_only=True
        )
    return problems


def _options(element: Mapping[str, Any], where: str, *, overflow: bool) -> list[str]:
    problems: list[str] = []
    options = list(_iter_options(element))
    if element.get("options") is None and element.get("option_groups") is None:
        return [_problem("must provide options or option_groups", where)]
    maximum = MAX_OVERFLOW_OPTIONS if overflow else MAX_OPTIONS
    if len(options) > maximum:
        problems.append(_problem(f"must be no more than {maximum} items", f"{where}/options"))
    if overflow and len(options) < MIN_OVERFLOW_OPTIONS:
        problems.append(
            _problem(f"must provide at least {MIN_OVERFLOW_OPTIONS} items", f"{where}/options")
        )
    for index, option in enumerate(options):
        at = f"{where}/options/{index}"
        if not isinstance(option, Mapping):
            problems.append(_problem("must be an object", at))
            continue
        problems += text_problems(option.get("text"), MAX_OPTION_TEXT, f"{at}/text")
        problems += length_problems(option.get("value"), MAX_OPTION_VALUE, f"{at}/value", 1)
    return problems


def _iter_options(element: Mapping[str, Any]) -> Iterable[Any]:
    yield from element.get("options") or ()
    for group in element.get("option_groups") or ():
        if isinstance(group, Mapping):
            yield from group.get("options") or ()


def _unique_action_ids(elements: list[Any], where: str) -> list[str]:
    seen: set[str] = set()
    problems: list[str] = []
    for index, element in enumerate(elements):
        action_id = element.get("action_id") if isinstance(element, Mapping) else None
        if action_id is None:
            continue
        if action_id in seen:
            problems.append(
                _problem(f"duplicate action_id {action_id!r}", f"{where}/{index}/action_id")
            )
        seen.add(action_id)
    return problems


def text_problems(obj: Any, maximum: int, where: str, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, Mapping):
        return [_problem("must be a text object", where)]
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in kinds:
        return [_problem(f"must be one of {', '.join(kinds)}", f"{where}/type")]
    return length_problems(obj.get("text"), maximum, f"{where}/text", minimum=1)


def length_problems(value: Any, maximum: int, where: str, minimum: int = 0) -> list[str]:
    if not isinstance(value, str):
        return [_problem("must be a string", where)]
    if len(value) < minimum:
        return [_problem(f"must be more than {minimum - 1} characters", where)]
    if len(value) > maximum:
        return [_problem(f"must be less than {maximum + 1} characters", where)]
    return []


def _sdk_check(block: Mapping[str, Any], where: str) -> list[str]:
    """Second opinion from slack_sdk's models, which the bot's own tests use too."""
    try:
        parsed = Block.parse(dict(block))
        if parsed is None:
            return [_problem("block could not be parsed", where)]
        parsed.validate_json()
    except (SlackObjectFormationError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return [_problem(str(exc) or type(exc).__name__, where)]
    return []


def _problem(what: str, where: str) -> str:
    return f"[ERROR] {what} [json-pointer:{where}]"
