"""Everything a person can be told no: one base class, raised by the rules, answered in one place.

Listeners never word a refusal themselves: messages/refusals.py turns each kind
into the sentence the person sees, and handlers/slack/errors.py sends it.
"""


class Refusal(Exception):
    """The rules say no to what this person asked; nothing was written."""


class StaleAction(Refusal):
    """A button or form that no longer carries what it needs (an old message, a bad payload)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"stale {what}")
        self.what = what


class NotAllowed(Refusal):
    """This person may not run this command (marketers and admins only, say)."""

    def __init__(self, command: str) -> None:
        super().__init__(f"not allowed: {command}")
        self.command = command
