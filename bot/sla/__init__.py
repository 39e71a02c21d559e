"""The SLA clock: when a lead is due, the sweep that nudges and escalates, its deliveries
and its report.

The nudge DM's Accept (SQL) and Reject buttons carry a LeadRef like the card's, so
the card's own listeners (handlers/slack/lead_actions.py) handle them.
"""
