"""The shared numbers: metric definitions, reports, /leadfeedback data subcommands, CRM
outcomes, the weekly digest and its chart.

The slash command itself is heard in handlers/slack/leadfeedback.py; the outcome
API in handlers/http/outcomes.py.
"""
