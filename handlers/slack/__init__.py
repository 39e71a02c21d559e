"""Bolt listeners: parse the Slack payload, call the rule, render with messages/."""
