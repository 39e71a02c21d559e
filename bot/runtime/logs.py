"""Logging, configured in one place: the format, the levels, and the ids that tie lines together.

Three context variables say what a log line belongs to: the HTTP request (and so the Slack
interaction it carries), the run of a scheduled job, or the delivery of one outbox row.
Whoever starts such a unit of work binds its id; a filter on the one handler copies the
ids that are bound onto every record, so `logger.info(...)` calls anywhere need no change.
asyncio copies context variables into every task it creates, so an id bound by the HTTP
middleware also marks the Bolt listener that runs after the request was acknowledged.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from bot.settings import LogFormat

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("job_id", default=None)
OUTBOX_ID: ContextVar[int | None] = ContextVar("outbox_id", default=None)
_IDS: tuple[ContextVar[str | None] | ContextVar[int | None], ...] = (REQUEST_ID, JOB_ID, OUTBOX_ID)

HANDLER_NAME = "handoff"
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s"
# At DEBUG these log whole requests and answers: message text, leads' names and emails.
PAYLOAD_LOGGERS = (
    "slack_sdk",
    "slack_bolt",
    "aiohttp",
    "httpx",
    "httpcore",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
)
# Libraries whose chatter hides what a person needs to read, unless -v asks for it.
NOISY = ("alembic", "httpx")
# uvicorn adds a coloured copy of each message; Python 3.12 adds the asyncio task's name.
_NOT_FIELDS = {*RESERVED_ATTRS, "color_message", "taskName", "ids"}


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of each line, not at configuration:
    click's test runner and pytest swap it, and a closed stream must not be written to."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class ContextIds(logging.Filter):
    """Puts the bound ids on each record: as attributes (JSON fields) and as `ids` (plain)."""

    def filter(self, record: logging.LogRecord) -> bool:
        shown = []
        for var in _IDS:
            value = var.get()
            if value is not None:
                setattr(record, var.name, value)
                shown.append(f"{var.name}={value}")
        record.ids = f" [{' '.join(shown)}]" if shown else ""
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, the bound ids, the exception.

    python-json-logger rather than our own formatter: it already handles what a
    hand-written one gets wrong (non-JSON values in `extra`, exception and stack text,
    messages that are dicts), and it is small and maintained.
    """
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        timestamp="time",
        rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
        reserved_attrs=sorted(_NOT_FIELDS),
        json_ensure_ascii=False,
    )


def configure_logging(*, verbose: bool = False, log_format: LogFormat = "plain") -> None:
    """Configure the root logger once for the whole process (the CLI's group calls this).

    Everything, uvicorn's own loggers included (`handoff run` passes log_config=None),
    goes through this one handler on stderr.
    """
    handler = StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.addFilter(ContextIds())
    handler.setFormatter(json_formatter() if log_format == "json" else plain_formatter())
    root = logging.getLogger()
    # Replace our own handler only: a host's handlers (pytest's capture, say) stay.
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    # -v shows our own debug lines (they name ids, never people), never other libraries'
    # payload dumps, which would put leads' personal data in the logs.
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in PAYLOAD_LOGGERS:
        library = logging.getLogger(name)
        # Only ever raised: SQLAlchemy keeps its own WARNING (at INFO it logs every statement).
        if library.getEffectiveLevel() < logging.INFO:
            library.setLevel(logging.INFO)
    if not verbose:
        for noisy in NOISY:
            logging.getLogger(noisy).setLevel(logging.WARNING)


def plain_formatter() -> logging.Formatter:
    return logging.Formatter(PLAIN_FORMAT)


def new_id() -> str:
    """A short random id: long enough to find one request in a day of logs, short to read."""
    return uuid.uuid4().hex[:12]


@contextlib.contextmanager
def bound_job(name: str) -> Iterator[str]:
    """Marks the log lines of one run of a scheduled job with `job_id` (name and a random id).

    When the run raises, the id stays bound, so that the caller's "job failed" line
    (bot/runtime/jobs.py) carries it too; the scheduler runs each job in a task of its
    own, so the id still ends with the run.
    """
    token = JOB_ID.set(f"{name}-{new_id()}")
    yield JOB_ID.get() or ""
    JOB_ID.reset(token)


def bind_outbox_id(message_id: int) -> None:
    """Marks the rest of this task's log lines with `outbox_id`.

    Called at the start of one delivery attempt, which runs in a task of its own, so
    the id ends with the attempt; no reset needed.
    """
    OUTBOX_ID.set(message_id)


def current_request_id() -> str | None:
    return REQUEST_ID.get()
