"""Handoff: a Slack bot that closes the loop between marketing and sales."""
