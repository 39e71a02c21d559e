"""The Slack Web API client Handoff uses: slack_sdk's, reporting every call to the metrics.

`AsyncWebClient.api_call` is the one entry point that every method helper
(`chat_postMessage`, `views_open`, …) goes through, so overriding it sees every call
by its API method name, with its answer or its failure, and the time it took
(slack_sdk's retry handlers, if any are configured, run inside it).

Bolt builds a plain AsyncWebClient for each request from its own client's settings
(slack_bolt/app/async_app.py `_init_context`), so a subclass given to `AsyncApp(client=…)`
alone would not see the listeners' calls; `counting_copy` turns the per-request client
into one of these (handlers/slack/observe.py does that in a middleware).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

# Told of each call: the API method, its status (see call_status) and its seconds.
OnCall = Callable[[str, str, float], None]


def call_status(status_code: int | None, ok: bool) -> str:
    """`ok`; `slack_error` (HTTP 200 with ok: false, e.g. channel_not_found); the HTTP
    status of any other answer (429, 500…); `network` when no answer came."""
    if status_code is None:
        return "network"
    if status_code == 200:
        return "ok" if ok else "slack_error"
    return str(status_code)


class CountingClient(AsyncWebClient):
    def __init__(self, *args: Any, on_call: OnCall | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_call = on_call

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        status_code: int | None = None
        ok = False
        try:
            response = await super().api_call(api_method, **kwargs)
            status_code, ok = response.status_code, bool(response.get("ok", True))
            return response
        except SlackApiError as exc:
            status_code = exc.response.status_code
            raise
        finally:
            if self.on_call is not None:
                self.on_call(
                    api_method, call_status(status_code, ok), time.perf_counter() - started
                )


def counting_copy(client: AsyncWebClient, on_call: OnCall) -> CountingClient:
    """A CountingClient with the same token, address and settings as `client`."""
    return CountingClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        trust_env_in_session=client.trust_env_in_session,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=list(client.retry_handlers) if client.retry_handlers else None,
        on_call=on_call,
    )
