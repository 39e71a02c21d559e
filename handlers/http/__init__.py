"""The HTTP endpoints: the JSON API (intake, outcomes), health, and the Slack gate."""
