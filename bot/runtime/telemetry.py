"""What an operator's Prometheus reads from GET /metrics: every metric of one app, in one place.

One `Telemetry` per app, held by its Services, with its own CollectorRegistry: tests build
many apps in one process, and prometheus_client's global registry refuses a metric name
twice. Each site that reports something makes one call here; the names, labels and help
texts live only in this module (the README's "Operating Handoff" lists them).

Label values are bounded: kinds, outcomes, job names and Slack methods come from the code;
ids from Slack payloads are mapped to a known set by the caller before they get here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from bot.runtime.deliveries import Delivery, DeliveryContext, Drop, Failed, NotReady, Outcome, Sent
from bot.runtime.logs import bound_job
from storage.models import OutboxMessage
from storage.outbox_ops import OutboxWaiting

# Sweeps run from milliseconds (an SLA sweep with nothing due) to minutes (a digest with
# its chart on a large store); Slack answers in tens of milliseconds to its 10 s timeout.
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
SLACK_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def outcome_label(outcome: Outcome) -> str:
    if isinstance(outcome, Sent):
        return "sent"
    if isinstance(outcome, NotReady):
        return "not_ready"
    if isinstance(outcome, Drop):
        return "dropped"
    if isinstance(outcome, Failed):
        return "failed"
    raise TypeError(f"not an outbox outcome: {outcome!r}")


@dataclass(frozen=True)
class Exposition:
    body: bytes
    content_type: str


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._outbox_metrics(self.registry)
        self._slack_metrics(self.registry)
        self._work_metrics(self.registry)

    def _outbox_metrics(self, r: CollectorRegistry) -> None:
        self.outbox_waiting = Gauge(
            "handoff_outbox_waiting",
            "Outbox rows waiting to be delivered (state pending), by kind.",
            ["kind"],
            registry=r,
        )
        self.outbox_oldest = Gauge(
            "handoff_outbox_oldest_waiting_seconds",
            "How long the oldest waiting outbox row has waited (0 when none waits).",
            registry=r,
        )
        self.outbox_failing = Gauge(
            "handoff_outbox_failing",
            "Waiting outbox rows whose last attempts failed repeatedly (as /healthz counts them).",
            registry=r,
        )
        self.deliveries = Counter(
            "handoff_outbox_deliveries",
            "Delivery attempts by outbox kind and outcome "
            "(sent, not_ready, dropped, failed, error).",
            ["kind", "outcome"],
            registry=r,
        )

    def _slack_metrics(self, r: CollectorRegistry) -> None:
        self.slack_calls = Counter(
            "handoff_slack_api_calls",
            "Slack Web API calls by method and status "
            "(ok, slack_error, the HTTP status such as 429, or network).",
            ["method", "status"],
            registry=r,
        )
        self.slack_seconds = Histogram(
            "handoff_slack_api_call_duration_seconds",
            "Time from a Slack Web API call to its answer (or failure), by method.",
            ["method"],
            buckets=SLACK_BUCKETS,
            registry=r,
        )
        self.interactions = Counter(
            "handoff_slack_interactions",
            "Clicks, modal submissions and slash commands from Slack, by type and id.",
            ["type", "id"],
            registry=r,
        )

    def _work_metrics(self, r: CollectorRegistry) -> None:
        self.job_seconds = Histogram(
            "handoff_job_duration_seconds",
            "Duration of each scheduled sweep, by job.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_failures = Counter(
            "handoff_job_failures", "Sweeps that raised, by job.", ["job"], registry=r
        )
        self.intake = Counter(
            "handoff_intake_leads",
            "Leads sent to POST /api/leads, by result (created, duplicate, invalid).",
            ["result"],
            registry=r,
        )

    # --- counted where they happen -----------------------------------------------------

    def slack_call(self, method: str, status: str, seconds: float) -> None:
        self.slack_calls.labels(method, status).inc()
        self.slack_seconds.labels(method).observe(seconds)

    def intake_results(self, results: list[str]) -> None:
        for result in results:
            self.intake.labels(result).inc()

    def intake_invalid(self, leads: int) -> None:
        self.intake.labels("invalid").inc(leads)

    def interaction(self, kind: str, name: str) -> None:
        self.interactions.labels(kind, name).inc()

    @contextlib.contextmanager
    def sweep(self, job: str) -> Iterator[None]:
        """Times one run of a job (failed runs too), and marks its log lines with a job id."""
        started = time.perf_counter()
        try:
            with bound_job(job):
                yield
        except Exception:
            self.job_failures.labels(job).inc()
            raise
        finally:
            self.job_seconds.labels(job).observe(time.perf_counter() - started)

    def counted(self, deliveries: Mapping[str, Delivery]) -> Mapping[str, Delivery]:
        """The outbox worker's view of the deliveries: each attempt's outcome is counted."""
        return CountedDeliveries(deliveries, self.deliveries)

    # --- read at scrape time ------------------------------------------------------------

    def exposition(
        self, waiting: OutboxWaiting, *, now: datetime, accept: str | None
    ) -> Exposition:
        """The text Prometheus reads, with the outbox gauges set from `waiting` just now.

        Nothing awaits between setting the gauges and rendering them, so two scrapes at
        once cannot interleave on the event loop.
        """
        self.outbox_waiting.clear()
        for kind, count in waiting.by_kind.items():
            self.outbox_waiting.labels(kind).set(count)
        oldest = waiting.oldest_created_at
        self.outbox_oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        self.outbox_failing.set(waiting.failing)
        encoder, content_type = choose_encoder(accept or "")
        return Exposition(encoder(self.registry), content_type)


class CountedDeliveries(Mapping[str, Delivery]):
    """A read-through view of the registry's deliveries that counts each attempt's outcome.

    A view, not a copy: capabilities register their deliveries after the worker is built.
    A kind with no delivery is not an attempt and is not counted (/healthz names it).
    """

    def __init__(self, deliveries: Mapping[str, Delivery], counter: Counter) -> None:
        self._deliveries = deliveries
        self._counter = counter

    def __getitem__(self, kind: str) -> Delivery:
        delivery = self._deliveries[kind]
        counter = self._counter

        async def counted(ctx: DeliveryContext, message: OutboxMessage) -> Outcome:
            try:
                outcome = await delivery(ctx, message)
            except Exception:
                counter.labels(kind, "error").inc()
                raise
            counter.labels(kind, outcome_label(outcome)).inc()
            return outcome

        return counted

    def __iter__(self) -> Iterator[str]:
        return iter(self._deliveries)

    def __len__(self) -> int:
        return len(self._deliveries)
