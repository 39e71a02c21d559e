"""`handoff demo`: the real bot, the fake Slack workspace and a Slack-like page, on one port.

    demo = build_demo(database_url="sqlite:///demo.db", port=3000)
    await serve_demo(demo, sock)

server.py composes the app (the same `create_app` as `handoff run`), team.py picks the
team configuration, samples.py feeds sample leads, clock.py is the bot's clock and where
a jump lands, context.py holds the running demo's parts, fastforward.py walks the clock
through what falls due, state.py shapes what the page shows one person, routes.py is the
page's own JSON API and event stream, and static/ is the page (vanilla JavaScript, no
build step). Imports point one way: clock ← context ← state, fastforward ← routes ← server.
"""

from .server import Demo, build_demo, listening_socket, serve_demo

__all__ = ["Demo", "build_demo", "listening_socket", "serve_demo"]
