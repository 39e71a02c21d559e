"""Talking to Slack: request signatures, error codes, the people directory, permalinks,
the app manifest."""
