"""A fake Slack workspace over real HTTP, for tests and the local demo.

    ws = FakeWorkspace.seeded()
    with FakeSlackServer(ws) as server:
        client = AsyncWebClient(token=ws.bot_token, base_url=server.api_url)
        sender = InteractionSender(ws, bot_url=..., signing_secret=...)
        # or, to a bot connected over Socket Mode (apps.connections.open, then /link/):
        sender = InteractionSender(ws, bot_url=..., signing_secret=..., transport="socket")

See workspace.py for the state and its inspection methods, api.py for the Web API
methods and their error codes, interactions.py for requests sent to the bot.
"""

from .block_limits import block_problems
from .faults import Fault, Faults
from .interactions import InteractionSender
from .models import Call, Channel, Ephemeral, File, Message, MessageVersion, User, Usergroup, View
from .rate_limits import PostRateLimit
from .seed import SEED, Seed
from .server import BackgroundServer, FakeSlackServer, create_fake_slack_app
from .socket_mode import Ack, EnvelopeType, SentEnvelope, SocketConnection, SocketModeHub
from .workspace import TRIGGER_TTL_SECONDS, FakeSlackError, FakeWorkspace, ResponseTarget

__all__ = [
    "SEED",
    "TRIGGER_TTL_SECONDS",
    "Ack",
    "BackgroundServer",
    "Call",
    "Channel",
    "EnvelopeType",
    "Ephemeral",
    "FakeSlackError",
    "FakeSlackServer",
    "FakeWorkspace",
    "Fault",
    "Faults",
    "File",
    "InteractionSender",
    "Message",
    "MessageVersion",
    "PostRateLimit",
    "ResponseTarget",
    "Seed",
    "SentEnvelope",
    "SocketConnection",
    "SocketModeHub",
    "User",
    "Usergroup",
    "View",
    "block_problems",
    "create_fake_slack_app",
]
