"""Sample leads from sample_leads.jsonl beside this module, sent to the bot's real intake API.

The file holds thirty fictional leads, one of them hostile (HTML, a script tag and
Slack control sequences in every field), so the demo shows them rendered as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import httpx

SAMPLE_FILE = "sample_leads.jsonl"


@cache
def load_samples() -> tuple[dict[str, Any], ...]:
    text = resources.files("bot.sandbox.demo").joinpath(SAMPLE_FILE).read_text(encoding="utf-8")
    return tuple(json.loads(line) for line in text.splitlines() if line.strip())


def sample_variant(sample: dict[str, Any], round_number: int) -> dict[str, Any]:
    """The sample as sent the n-th time round: a new address and id, so not a duplicate."""
    if round_number == 0:
        return dict(sample)
    lead = dict(sample)
    local, _, domain = lead["email"].partition("@")
    lead["email"] = f"{local}+{round_number}@{domain}"
    if lead.get("external_id"):
        lead["external_id"] = f"{lead['external_id']}-{round_number}"
    return lead


@dataclass(frozen=True)
class SentLead:
    lead: dict[str, Any]
    http_status: int
    answer: dict[str, Any]

    @property
    def created(self) -> bool:
        return self.answer.get("status") == "created"


class SampleFeeder:
    """Sends the samples in order, round after round, through POST /api/leads."""

    def __init__(self, intake_url: str, intake_token: str) -> None:
        self.intake_url = intake_url
        self.intake_token = intake_token
        self._sent = 0

    async def send(self, index: int | None = None) -> SentLead:
        """The next sample (or sample `index`), skipping variants the store already has.

        A database kept from an earlier demo run (--db) already holds the first rounds.
        """
        samples = load_samples()
        if index is not None and not 0 <= index < len(samples):
            raise IndexError(f"sample index must be 0..{len(samples) - 1}")
        attempts = 0
        while True:
            position = self._sent if index is None else index
            round_number = position // len(samples) if index is None else attempts
            sample = samples[position % len(samples)]
            if index is None:
                self._sent += 1
            sent = await self._post(sample_variant(sample, round_number))
            attempts += 1
            if sent.http_status >= 300 or sent.created or attempts >= 50:
                return sent

    async def _post(self, lead: dict[str, Any]) -> SentLead:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                self.intake_url,
                json=lead,
                headers={"Authorization": f"Bearer {self.intake_token}"},
            )
        try:
            answer = response.json()
        except ValueError:
            answer = {"error": response.text[:200]}
        return SentLead(lead=lead, http_status=response.status_code, answer=answer)
