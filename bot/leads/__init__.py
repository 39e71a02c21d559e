"""Leads: the card and its deliveries, rejections, imports.

The card's buttons and the reject modal are heard in handlers/slack/lead_actions.py
and handlers/slack/reject_modal.py; the rules they call live in storage/transitions.py.
"""
