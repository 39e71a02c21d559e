"""Reading Slack's answer out of a failed call, whatever shape the body had."""

from slack_sdk.errors import SlackApiError


def slack_error(exc: SlackApiError) -> str | None:
    """Slack's `error` code ("channel_not_found"), or None when the body was not Slack's JSON
    (a 5xx page from a proxy, a cut-off response)."""
    data = exc.response.data
    return data.get("error") if isinstance(data, dict) else None
