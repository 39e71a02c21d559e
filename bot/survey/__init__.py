"""The monthly "what did customers say" survey: schedule, sweep, form, results, themes.

The DM's button and the modal are heard in handlers/slack/survey.py.
"""
