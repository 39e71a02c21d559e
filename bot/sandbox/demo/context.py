"""The running demo's parts, which the page's state, its API and the server share.

Kept apart from server.py so that imports in this package point one way:
clock ← context ← state, fastforward ← routes ← server.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import uvicorn

from bot.app import HandoffApp
from bot.runtime.services import Services
from bot.sandbox.fake_slack import FakeWorkspace, InteractionSender

from .clock import DemoTime
from .crm import DemoCrm
from .samples import SampleFeeder


@dataclass
class Demo:
    url: str
    workspace: FakeWorkspace
    time: DemoTime
    sender: InteractionSender
    samples: SampleFeeder
    team_source: str
    handoff: HandoffApp = field(init=False)
    server: uvicorn.Server | None = None
    crm: DemoCrm | None = None  # `--crm`: the fake CRM beside the workspace (crm.py)
    # One fast-forward at a time: two tabs' walks would interleave their stops.
    walking: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def services(self) -> Services:
        return self.handoff.services

    @property
    def version(self) -> int:
        """Goes up whenever the page may look different: a Slack change or a fast-forward."""
        return self.workspace.version + self.time.version
